/**
 * SFT rows as TRL's SFTTrainer accepts them, and their tokenization into ids plus a loss mask:
 * - prompt/completion text (`{ prompt, completion }`): ids of prompt, then of completion + EOS;
 * - conversational prompt/completion (`{ prompt: messages, completion: messages }`): the prompt
 *   rendered with the generation prompt, the completion = what rendering the whole conversation adds;
 * - language modeling (`{ text }`, `{ messages }`): every token, or with assistantOnlyLoss the
 *   text each assistant turn adds.
 * As in TRL, the prompt and completion are tokenized apart and concatenated (so a BPE merge never
 * crosses the boundary), an EOS is appended to text completions that do not end with it, and rows
 * are truncated at the end to maxLength. The first token never carries loss (nothing predicts it).
 */
import { GRPOTrainerError } from '../errors.js';

/** One chat turn. */
export interface SFTMessage {
  role: string;
  content: string;
}

/** The row shapes TRL's SFTTrainer reads. */
export type SFTRow =
  | { prompt: string; completion: string }
  | { prompt: SFTMessage[]; completion: SFTMessage[] }
  | { messages: SFTMessage[] }
  | { text: string };

/** Renders a conversation to text (a chat template), with or without the assistant header that opens the next turn. */
export type MessagesRenderer = (messages: readonly SFTMessage[], addGenerationPrompt: boolean) => string;

/** What tokenization reads of a tokenizer. */
export interface SFTTokenizer {
  encode(text: string): number[];
  eosTokenId: number;
}

/** One tokenized row: ids and, per id, 1 where it is trained on. */
export interface TokenizedRow {
  ids: number[];
  lossMask: number[];
}

/** How rows are turned into ids. */
export interface TokenizeOptions {
  tokenizer: SFTTokenizer;
  renderMessages: MessagesRenderer;
  /** null = TRL's default: true for prompt/completion rows. */
  completionOnlyLoss: boolean | null;
  assistantOnlyLoss: boolean;
  maxLength: number | null;
}

function isMessages(value: unknown): value is SFTMessage[] {
  return Array.isArray(value) && value.every((m) => typeof m === 'object' && m !== null && typeof m.role === 'string' && typeof m.content === 'string');
}

const describe = (row: unknown): string => {
  const text = JSON.stringify(row) ?? String(row);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
};

/** Segments of text with whether each is trained on, in order. */
function segments(row: SFTRow, index: number, o: TokenizeOptions): { text: string; train: boolean; eos: boolean }[] {
  const r = row as Record<string, unknown>;
  const where = `trainDataset[${index}]`;
  if ('prompt' in r || 'completion' in r) {
    const completionOnly = o.completionOnlyLoss ?? true;
    if (typeof r.prompt === 'string' && typeof r.completion === 'string') {
      return [
        { text: r.prompt, train: !completionOnly, eos: false },
        { text: r.completion, train: true, eos: true },
      ];
    }
    if (isMessages(r.prompt) && isMessages(r.completion)) {
      const prompt = o.renderMessages(r.prompt, true);
      const full = o.renderMessages([...r.prompt, ...r.completion], false);
      if (!full.startsWith(prompt)) {
        throw new GRPOTrainerError(`${where}: the chat template renders the conversation so that it does not start with the rendered prompt; completion tokens cannot be told apart (row ${describe(row)}).`);
      }
      return [
        { text: prompt, train: !completionOnly, eos: false },
        { text: full.slice(prompt.length), train: true, eos: false },
      ];
    }
    throw new GRPOTrainerError(`${where}: "prompt" and "completion" must both be strings or both be lists of { role, content } messages (row ${describe(row)}).`);
  }
  if ('messages' in r) {
    if (!isMessages(r.messages) || r.messages.length === 0) throw new GRPOTrainerError(`${where}: "messages" must be a non-empty list of { role, content } (row ${describe(row)}).`);
    if (!o.assistantOnlyLoss) return [{ text: o.renderMessages(r.messages, false), train: true, eos: false }];
    // Each assistant turn trains on what it adds to the rendering of the turns before it.
    const out: { text: string; train: boolean; eos: boolean }[] = [];
    let done = '';
    r.messages.forEach((m, i) => {
      const before = m.role === 'assistant' ? o.renderMessages((r.messages as SFTMessage[]).slice(0, i), true) : null;
      const after = o.renderMessages((r.messages as SFTMessage[]).slice(0, i + 1), false);
      if (before !== null) {
        if (!before.startsWith(done) || !after.startsWith(before)) {
          throw new GRPOTrainerError(`${where}: assistantOnlyLoss needs a chat template whose rendering of the first k turns is a prefix of the rendering of k + 1 (row ${describe(row)}).`);
        }
        out.push({ text: before.slice(done.length), train: false, eos: false }, { text: after.slice(before.length), train: true, eos: false });
      } else {
        if (!after.startsWith(done)) throw new GRPOTrainerError(`${where}: the chat template's rendering of the first k turns is not a prefix of the rendering of k + 1 (row ${describe(row)}).`);
        out.push({ text: after.slice(done.length), train: false, eos: false });
      }
      done = after;
    });
    return out;
  }
  if ('text' in r && typeof r.text === 'string') return [{ text: r.text, train: true, eos: true }];
  throw new GRPOTrainerError(`${where} has none of the SFT row shapes { prompt, completion }, { messages } or { text } (row ${describe(row)}).`);
}

/** Tokenizes one row (see the file comment). Throws GRPOTrainerError naming the row when it has no known shape. */
export function tokenizeRow(row: SFTRow, index: number, o: TokenizeOptions): TokenizedRow {
  const ids: number[] = [];
  const lossMask: number[] = [];
  for (const s of segments(row, index, o)) {
    const part = s.text === '' ? [] : o.tokenizer.encode(s.text);
    if (s.eos && part.at(-1) !== o.tokenizer.eosTokenId) part.push(o.tokenizer.eosTokenId);
    ids.push(...part);
    lossMask.push(...part.map(() => (s.train ? 1 : 0)));
  }
  if (ids.length === 0) throw new GRPOTrainerError(`trainDataset[${index}] tokenizes to no tokens (row ${describe(row)}).`);
  lossMask[0] = 0;
  if (o.maxLength !== null && ids.length > o.maxLength) {
    ids.length = o.maxLength;
    lossMask.length = o.maxLength;
  }
  return { ids, lossMask };
}

/** A tokenized row in the port's terms: the prefix before the first trained token, then the rest with its mask. */
export interface PromptCompletion {
  promptIds: number[];
  completionIds: number[];
  /** Per completion id: 1 = trained on. */
  completionMask: number[];
}

/** Splits a row where its loss starts (at least one prompt token: the model predicts from a prefix). */
export function splitAtLoss(row: TokenizedRow): PromptCompletion {
  const first = row.lossMask.indexOf(1);
  const cut = first < 1 ? Math.max(1, row.ids.length) : first;
  return { promptIds: row.ids.slice(0, cut), completionIds: row.ids.slice(cut), completionMask: row.lossMask.slice(cut) };
}
