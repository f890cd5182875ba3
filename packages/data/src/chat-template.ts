/**
 * Chat-template rendering, the `apply_chat_template(messages, tokenize=False)` step of transformers,
 * done by `@huggingface/jinja` (the Jinja subset HF chat templates use, maintained by Hugging Face
 * for transformers.js), so a model's own `chat_template` renders the same string as in Python.
 */
import { Template } from '@huggingface/jinja';
import { DataError } from './errors.js';

/** One chat turn, as in transformers: `{ role: 'system' | 'user' | 'assistant', content }`. */
export interface ChatMessage {
  role: string;
  content: string;
}

/**
 * The reference run's template (GPT-2 has none of its own): one `role: content` line per message.
 * Rendered: `"system: <system prompt>\nuser: <question>\n"`.
 */
export const DEFAULT_CHAT_TEMPLATE =
  "{% for message in messages %}{{ message['role'] }}: {{ message['content'] }}\n{% endfor %}";

/** Options of {@link renderChatTemplate}. */
export interface ChatTemplateOptions {
  /** A Jinja chat template (a model's `tokenizer_config.json` `chat_template`). Default {@link DEFAULT_CHAT_TEMPLATE}. */
  chatTemplate?: string;
  /** Passed to the template as `add_generation_prompt` (ends with the assistant header). Default false. */
  addGenerationPrompt?: boolean;
  /** More template variables, e.g. `{ bos_token: '<s>', eos_token: '</s>' }`. */
  context?: Record<string, unknown>;
}

// Parsing a template costs far more than rendering it; datasets render thousands of rows.
const compiled = new Map<string, Template>();

function compile(source: string): Template {
  let template = compiled.get(source);
  if (template === undefined) {
    try {
      template = new Template(source);
    } catch (err) {
      throw new DataError(`chatTemplate could not be parsed: ${(err as Error).message}. Check its Jinja syntax.`);
    }
    compiled.set(source, template);
  }
  return template;
}

/**
 * Renders `messages` with a chat template, like transformers' `apply_chat_template(..., tokenize=False)`.
 *
 * @param messages the conversation, oldest first.
 * @returns the prompt text, ready for the tokenizer.
 */
export function renderChatTemplate(messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): string {
  for (const [i, message] of messages.entries()) {
    if (typeof message?.role !== 'string' || typeof message.content !== 'string') {
      throw new DataError(`renderChatTemplate: messages[${i}] needs string "role" and "content" fields.`);
    }
  }
  const template = compile(options.chatTemplate ?? DEFAULT_CHAT_TEMPLATE);
  try {
    return template.render({
      ...options.context,
      messages,
      add_generation_prompt: options.addGenerationPrompt ?? false,
    });
  } catch (err) {
    throw new DataError(`chatTemplate failed to render: ${(err as Error).message}.`);
  }
}
