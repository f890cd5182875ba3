/**
 * How a job turns its system prompt and a question into prompt text — the `promptFormat` option:
 * the tokenizer's own chat template (what instruct models were trained on), or the seed's
 * `"role: content"` lines (the reference run: GPT-2 has no template). Training, evaluation and a
 * reloaded model render through here, so they cannot disagree.
 */
import { DEFAULT_CHAT_TEMPLATE, gsm8kPrompt, type SpecialTokensMap } from '@grpojs/data';
import { PromptFormatError } from './errors.js';

/** The values of the `promptFormat` job option (the zod enum of JobOptionsSchema is built from this list). */
export const PROMPT_FORMATS = ['auto', 'seed', 'chat-template'] as const;
/** `auto`: the tokenizer's chat template when it ships one, else the seed's; or one of them forced. */
export type PromptFormat = (typeof PROMPT_FORMATS)[number];

/** A prompt format decided for one tokenizer. */
export interface ResolvedPromptFormat {
  format: 'seed' | 'chat-template';
  /** The Jinja template prompts are rendered with: the tokenizer's chat_template, or data's DEFAULT_CHAT_TEMPLATE. */
  chatTemplate: string;
  /** Template variables: the tokenizer's special tokens (`bos_token`, …) for its own template, as transformers passes them; none for the seed's. */
  context: Readonly<Record<string, unknown>>;
  /** For the log: `chat template of <tokenizer>` or `seed template`. */
  description: string;
}

/** What the prompt format reads of a tokenizer (a subset of @grpojs/model's TextTokenizer). */
export interface PromptTokenizer {
  readonly chatTemplate?: string | undefined;
  readonly specialTokensMap?: SpecialTokensMap | undefined;
}

/**
 * Decides the format for a tokenizer.
 * @param tokenizerName where the tokenizer came from (hub id or folder), for the log and the error.
 * @throws PromptFormatError for 'chat-template' when the tokenizer has no chat template.
 */
export function resolvePromptFormat(format: PromptFormat, tokenizer: PromptTokenizer, tokenizerName: string): ResolvedPromptFormat {
  const own = tokenizer.chatTemplate;
  if (format === 'chat-template' && own === undefined) throw new PromptFormatError(tokenizerName);
  if (format !== 'seed' && own !== undefined) {
    return { format: 'chat-template', chatTemplate: own, context: { ...tokenizer.specialTokensMap }, description: `chat template of ${tokenizerName}` };
  }
  return { format: 'seed', chatTemplate: DEFAULT_CHAT_TEMPLATE, context: {}, description: 'seed template' };
}

/**
 * The prompt of one question: the system message (null = none) and the question as a user turn,
 * rendered with `add_generation_prompt`, so a chat template ends with the assistant header the
 * completion follows (the seed template has none and renders as before). A model's template is
 * untrusted: it renders under @grpojs/data's time and size limits, its errors naming the tokenizer.
 */
export function renderPrompt(question: string, format: ResolvedPromptFormat, systemPrompt: string | null): string {
  return gsm8kPrompt(question, {
    chatTemplate: format.chatTemplate,
    context: { ...format.context },
    systemPrompt,
    addGenerationPrompt: true,
    templateSource: format.description,
  }).prompt;
}
