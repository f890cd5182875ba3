/**
 * GSM8K as the reference GRPO run prepares it: the gold answer is the text after `####` in the
 * worked solution, and the prompt is a system message (the reasoning/answer format) plus the
 * question, rendered by a chat template. Reads the upstream jsonl files, or the Hugging Face parquet
 * layout of `openai/gsm8k` from a folder or from the hub.
 */
// The gold answer is the rewards package's extractHashAnswer (Python str.strip semantics), so the
// gold the data prepares and the one the rewards compare against cannot drift apart.
import { extractHashAnswer } from '@grpojs/rewards';
import { type ChatMessage, type ChatTemplateOptions, renderChatTemplate } from './chat-template.js';
import { DataError, DatasetFormatError } from './errors.js';
import type { HubDownloadOptions } from './hub.js';
import { readJsonl } from './jsonl.js';
import { readParquet } from './parquet.js';
import { type RawRecord, type RowLocation, RowProblems, type SkippedRow } from './records.js';
import { type SplitFormat, locateSplit } from './split-files.js';

/** The reference system prompt: asks for `<reasoning>` then `<answer>` (what the format rewards check). */
export const SYSTEM_PROMPT =
  'Respond in the following format:\n<reasoning>\n...\n</reasoning>\n<answer>\n...\n</answer>';

/** The hub dataset of GSM8K; config `main`, splits `train` (7473 rows) and `test` (1319). */
export const GSM8K_HUB_ID = 'openai/gsm8k';

/** Columns every GSM8K row has. */
export const GSM8K_COLUMNS = ['question', 'answer'] as const;

/** One prepared GSM8K row. */
export interface Gsm8kExample {
  /** The conversation rendered by the chat template: what the model is prompted with. */
  prompt: string;
  /** System message (unless disabled) and the question as the user message. */
  messages: ChatMessage[];
  question: string;
  /** The gold final answer (text after `####`); `''` when the solution has none. */
  answer: string;
  /** The row's columns as stored (`question`, and `answer` = the full worked solution). */
  raw: Record<string, unknown>;
}

/** Options of {@link loadGsm8k}. */
export interface LoadGsm8kOptions extends Omit<HubDownloadOptions, 'repoType'>, ChatTemplateOptions {
  /**
   * A .jsonl/.parquet file, a folder (`train.jsonl`/`test.jsonl`, or `main/train-00000-of-00001.parquet`),
   * or a hub dataset id. Default {@link GSM8K_HUB_ID}.
   */
  source?: string;
  /** Which split. Default 'train'. Ignored when `source` is a single file. */
  split?: string;
  /** Dataset config (parquet sub-folder): 'main' or 'socratic'. Default 'main'. */
  config?: string;
  /** Keep only the first `limit` valid rows (file order, before any shuffling). Default: all. */
  limit?: number;
  /** Throw on the first bad row (true) or skip it and count it in `stats` (false). Default true. */
  strict?: boolean;
  /** System message; `null` sends the question alone. Default {@link SYSTEM_PROMPT}. */
  systemPrompt?: string | null;
}

/** What was read, kept, and left out: nothing is dropped without showing up here. */
export interface Gsm8kStats {
  /** Rows returned. */
  loaded: number;
  /** Bad rows skipped (only with `strict: false`); `skippedRows` says which and why. */
  skipped: number;
  skippedRows: SkippedRow[];
  /** Empty lines in jsonl files (not rows). */
  blankLines: number;
  /** Valid rows left out by `limit`. */
  beyondLimit: number;
  /** Returned rows whose solution has no `####` line (their `answer` is ''). */
  withoutFinalAnswer: number;
  /** Where those rows are, in file order. */
  withoutFinalAnswerRows: RowLocation[];
}

/** A loaded split. */
export interface Gsm8kDataset {
  split: string;
  format: SplitFormat;
  /** The local files read (hub downloads point into the hub cache). */
  files: string[];
  availableSplits: string[];
  rows: Gsm8kExample[];
  stats: Gsm8kStats;
}

/** Builds the prompt of one question: messages and their rendering. */
export function gsm8kPrompt(
  question: string,
  options: ChatTemplateOptions & { systemPrompt?: string | null } = {},
): { messages: ChatMessage[]; prompt: string } {
  const system = options.systemPrompt === undefined ? SYSTEM_PROMPT : options.systemPrompt;
  const messages: ChatMessage[] = [
    ...(system === null ? [] : [{ role: 'system', content: system }]),
    { role: 'user', content: question },
  ];
  return { messages, prompt: renderChatTemplate(messages, options) };
}

/** Checks one raw row's fields; returns the problem, or undefined when it is usable. */
function rowProblem(values: Record<string, unknown>): string | undefined {
  for (const field of GSM8K_COLUMNS) {
    const value = values[field];
    if (value === undefined || value === null) return `missing field "${field}"`;
    if (typeof value !== 'string') return `field "${field}" must be a string, got ${typeof value}`;
  }
  return undefined;
}

/**
 * Loads one GSM8K split and prepares every row (gold answer, messages, rendered prompt).
 *
 * @throws UnknownSplitError when the split does not exist, listing the ones that do.
 * @throws DatasetFormatError for an unreadable or empty file; when no row's solution has a
 *   `#### <answer>` line (there is nothing to score against); and (when strict) for the first bad
 *   row (malformed JSON, a missing field, bytes that are not UTF-8), naming the file and line.
 * @throws HubOfflineError / HubUnreachableError / HubAuthError / HubFileNotFoundError for hub sources.
 */
export async function loadGsm8k(options: LoadGsm8kOptions = {}): Promise<Gsm8kDataset> {
  const { source = GSM8K_HUB_ID, split = 'train', limit, strict = true, ...rest } = options;
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1)) {
    throw new DataError(`limit must be a positive integer, got ${limit}.`);
  }
  const located = await locateSplit(source, split, rest);
  const rows: Gsm8kExample[] = [];
  const skippedRows: SkippedRow[] = [];
  const withoutFinalAnswerRows: RowLocation[] = [];
  // Valid rows without a final answer, over the whole split (not only the first `limit`).
  const unanswered: RowLocation[] = [];
  let blankLines = 0;
  let valid = 0;
  for (const file of located.files) {
    const problems = new RowProblems(file, strict, located.format === 'jsonl' ? 'line' : 'row');
    let records: RawRecord[];
    if (located.format === 'jsonl') {
      const contents = await readJsonl(file, problems, rowProblem);
      records = contents.records;
      blankLines += contents.blankLines;
    } else {
      records = [];
      for (const record of await readParquet(file, GSM8K_COLUMNS)) {
        const problem = rowProblem(record.values);
        if (problem !== undefined) problems.skip(record.line, problem);
        else records.push(record);
      }
    }
    for (const { line, values } of records) {
      valid += 1;
      const answer = extractHashAnswer(values['answer'] as string);
      if (answer === '') unanswered.push({ file, line });
      if (limit !== undefined && rows.length >= limit) continue;
      if (answer === '') withoutFinalAnswerRows.push({ file, line });
      const question = values['question'] as string;
      rows.push({ ...gsm8kPrompt(question, rest), question, answer, raw: values });
    }
    skippedRows.push(...problems.skipped);
  }
  if (rows.length === 0) {
    throw new DatasetFormatError(
      `No usable rows in ${located.files.join(', ')} (${skippedRows.length} skipped); each row needs string "question" and "answer".`,
      located.files[0],
    );
  }
  if (unanswered.length === valid) {
    const first = unanswered.slice(0, 5).map((row) => row.line);
    throw new DatasetFormatError(
      `No row of ${located.files.join(', ')} has a GSM8K final answer: the "answer" field must end with a "#### <answer>" line ` +
        `(${located.format === 'jsonl' ? 'lines' : 'rows'} ${first.join(', ')}${valid > first.length ? `, … (all ${valid} rows)` : ''} have none). The rewards and accuracy compare ` +
        'completions with the text after "####", so these rows cannot be scored; convert the answers to that format.',
      unanswered[0].file,
      unanswered[0].line,
    );
  }
  return {
    split: located.split,
    format: located.format,
    files: located.files,
    availableSplits: located.availableSplits,
    rows,
    stats: {
      loaded: rows.length,
      skipped: skippedRows.length,
      skippedRows,
      blankLines,
      beyondLimit: valid - rows.length,
      withoutFinalAnswer: withoutFinalAnswerRows.length,
      withoutFinalAnswerRows,
    },
  };
}
