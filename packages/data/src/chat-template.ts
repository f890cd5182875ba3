/**
 * Chat-template rendering, the `apply_chat_template(messages, tokenize=False)` step of transformers,
 * done by `@huggingface/jinja` (the Jinja subset HF chat templates use, maintained by Hugging Face
 * for transformers.js), so a model's own `chat_template` renders the same string as in Python.
 *
 * What transformers adds around the template is reproduced here: `@huggingface/jinja` already
 * renders with `trim_blocks` / `lstrip_blocks`, a non-escaping `tojson`, `raise_exception` and
 * `strftime_now`; the variables are `messages`, `tools` and `documents` (null unless given),
 * `add_generation_prompt`, then the tokenizer's special tokens ({@link specialTokensMap}) and the
 * caller's own (`enable_thinking`, `date_string`, …). Tested byte-for-byte against jinja2 set up like
 * transformers (test/fixtures/make_chat_template_fixtures.py) on Llama 3's and Qwen3's templates.
 *
 * A template comes with the model, so it is untrusted code: it renders under a time and an
 * output-size limit (template-limits.ts), and every error names where it came from (`templateSource`).
 */
import { Template } from '@huggingface/jinja';
import { DataError } from './errors.js';
import { type ChatTemplateLimits, renderWithLimits } from './template-limits.js';

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
  /**
   * More template variables: the tokenizer's special tokens (`{ bos_token: '<s>', eos_token: '</s>' }`,
   * as from {@link specialTokensMap}) and template switches such as `enable_thinking: false` (Qwen3)
   * or `date_string` (Llama 3.1+, which otherwise reads today's date). Override `tools` / `documents`.
   */
  context?: Record<string, unknown>;
  /** Where the template came from, named in every error (`chat template of ./models/qwen3`). Default: its first characters. */
  templateSource?: string;
  /** Time and output-size limits of one render (default DEFAULT_CHAT_TEMPLATE_LIMITS: 2 s, 4,000,000 characters). */
  limits?: ChatTemplateLimits;
}

/** The special-token attributes transformers passes to every chat template, in its order. */
const SPECIAL_TOKEN_ATTRIBUTES = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'] as const;

/** The special tokens a chat template sees, as transformers' `tokenizer.special_tokens_map`. */
export type SpecialTokensMap = Partial<Record<(typeof SPECIAL_TOKEN_ATTRIBUTES)[number], string>> & {
  additional_special_tokens?: string[];
};

/** A token as tokenizer_config.json writes it: a string, or an AddedToken object with `content`. */
function tokenContent(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return undefined;
}

/**
 * The special tokens of a tokenizer_config.json that are set (a null or missing `bos_token`, as in
 * Qwen, is left out, so the template sees it undefined), like transformers' `special_tokens_map`,
 * which `apply_chat_template` passes to the template.
 */
export function specialTokensMap(tokenizerConfig: Record<string, unknown>): SpecialTokensMap {
  const out: SpecialTokensMap = {};
  for (const key of SPECIAL_TOKEN_ATTRIBUTES) {
    const token = tokenContent(tokenizerConfig[key]);
    if (token !== undefined && token !== '') out[key] = token;
  }
  const extra = tokenizerConfig.additional_special_tokens;
  if (Array.isArray(extra) && extra.length > 0) {
    out.additional_special_tokens = extra.map(tokenContent).filter((token): token is string => token !== undefined);
  }
  return out;
}

/**
 * The chat template of a tokenizer_config.json: `chat_template` as a string, or, when it is a list of
 * `{ name, template }` (as some models ship), the one named "default"; undefined when there is none.
 * @param where the file, for the error message.
 * @throws DataError when `chat_template` has another shape or the list has no "default".
 */
export function chatTemplateFromConfig(tokenizerConfig: Record<string, unknown>, where = 'tokenizer_config.json'): string | undefined {
  const value = tokenizerConfig.chat_template;
  if (value === undefined || value === null || typeof value === 'string') return value ?? undefined;
  if (Array.isArray(value)) {
    const named = value as { name?: unknown; template?: unknown }[];
    const entry = named.find((t) => t?.name === 'default');
    if (typeof entry?.template === 'string') return entry.template;
    const names = named.map((t) => JSON.stringify(t?.name)).join(', ');
    throw new DataError(
      `${where}: chat_template is a list of named templates (${names}) without a "default" one; add one named "default" or set chatTemplate explicitly.`,
    );
  }
  throw new DataError(`${where}: chat_template must be a string or a list of { name, template }, not ${typeof value}.`);
}

// Parsing a template costs far more than rendering it; datasets render thousands of rows.
const compiled = new Map<string, Template>();

/** Real templates are a few KB (Qwen3's is 4 KB); a bigger one is not a chat template. */
const MAX_TEMPLATE_CHARS = 1_000_000;

function compile(text: string, source: string): Template {
  let template = compiled.get(text);
  if (template === undefined) {
    if (text.length > MAX_TEMPLATE_CHARS) {
      throw new DataError(`${source}: the chat template is ${text.length} characters long; more than ${MAX_TEMPLATE_CHARS} is not a chat template.`);
    }
    try {
      template = new Template(text);
    } catch (err) {
      throw new DataError(`${source}: the chat template could not be parsed: ${(err as Error).message}. Check its Jinja syntax.`);
    }
    compiled.set(text, template);
  }
  return template;
}

/** `chat template "{%- for message in messages …"`: what an error calls a template given without a source. */
function describeTemplate(text: string): string {
  const start = text.slice(0, 80).replace(/\s+/g, ' ').slice(0, 40);
  return `chat template ${JSON.stringify(start)}${text.length > 40 ? '…' : ''}`;
}

/**
 * Renders `messages` with a chat template, like transformers' `apply_chat_template(..., tokenize=False)`.
 *
 * @param messages the conversation, oldest first.
 * @returns the prompt text, ready for the tokenizer.
 * @throws ChatTemplateLimitError when the template runs past `limits` (time, output size) or recurses
 *   without end; DataError when it cannot be parsed or fails (`raise_exception`), naming `templateSource`.
 */
export function renderChatTemplate(messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): string {
  for (const [i, message] of messages.entries()) {
    if (typeof message?.role !== 'string' || typeof message.content !== 'string') {
      throw new DataError(`renderChatTemplate: messages[${i}] needs string "role" and "content" fields.`);
    }
  }
  const text = options.chatTemplate ?? DEFAULT_CHAT_TEMPLATE;
  const source = options.templateSource ?? describeTemplate(text);
  const template = compile(text, source);
  // transformers passes tools and documents as None when not given; templates test `tools is not none`.
  const variables = { tools: null, documents: null, ...options.context, messages, add_generation_prompt: options.addGenerationPrompt ?? false };
  try {
    return renderWithLimits(template, variables, options.limits ?? {}, source);
  } catch (err) {
    if (err instanceof DataError) throw err;
    throw new DataError(`${source} failed to render: ${(err as Error).message}.`);
  }
}
