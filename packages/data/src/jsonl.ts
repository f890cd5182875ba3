/**
 * JSON-lines reading (the upstream GSM8K format: one `{"question", "answer"}` object per line).
 * Hand-written because it is a few lines on top of JSON.parse, and because errors must name the line.
 */
import { readFile } from 'node:fs/promises';
import { DatasetFormatError } from './errors.js';
import type { RawRecord, RowProblems } from './records.js';

/** The rows of a jsonl file and the count of blank lines between them. */
export interface JsonlContents {
  records: RawRecord[];
  /** Empty or whitespace-only lines (not rows; the final newline does not count). */
  blankLines: number;
}

/**
 * Reads a jsonl file. A line that is not JSON, not a JSON object, or fails `check` goes to
 * `problems` (throws when strict, else skipped and counted), in line order; so does a line that is
 * not valid UTF-8.
 *
 * @param check returns why a parsed row is unusable (e.g. a missing field), or undefined.
 * @throws DatasetFormatError when the file is missing or has no lines at all.
 */
export async function readJsonl(
  file: string,
  problems: RowProblems,
  check: (values: Record<string, unknown>) => string | undefined = () => undefined,
): Promise<JsonlContents> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new DatasetFormatError(`Cannot read ${file}: ${(err as Error).message}.`, file);
  }
  const lines = decodeLines(bytes);
  if (lines.at(-1) === '') lines.pop();
  if (lines.length === 0) throw new DatasetFormatError(`${file} is empty; expected one JSON object per line.`, file);

  const records: RawRecord[] = [];
  let blankLines = 0;
  for (const [i, raw] of lines.entries()) {
    const line = i + 1;
    if (raw === null) {
      problems.skip(line, 'not valid UTF-8 (e.g. Latin-1 or binary bytes); re-encode the file as UTF-8, e.g. iconv -f latin1 -t utf-8');
      continue;
    }
    const content = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (content.trim() === '') {
      blankLines += 1;
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(content);
    } catch (err) {
      problems.skip(line, `malformed JSON (${(err as Error).message})`);
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      problems.skip(line, `expected a JSON object, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`);
      continue;
    }
    const values = value as Record<string, unknown>;
    const problem = check(values);
    if (problem !== undefined) problems.skip(line, problem);
    else records.push({ line, values });
  }
  return { records, blankLines };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The file's lines, each decoded as UTF-8, or null for a line that is not valid UTF-8 (readFile's
 * 'utf8' would turn those bytes into U+FFFD and load a garbled question without a word). A leading
 * byte-order mark is dropped by TextDecoder itself (ignoreBOM is false). Splitting the bytes at \n
 * is safe: no UTF-8 multi-byte sequence contains 0x0A.
 */
function decodeLines(body: Buffer): (string | null)[] {
  try {
    return utf8.decode(body).split('\n');
  } catch {
    // Only a file with bad bytes pays for the line-by-line pass that finds them.
  }
  const lines: (string | null)[] = [];
  for (let start = 0; start <= body.length; ) {
    const end = body.indexOf(0x0a, start);
    const stop = end === -1 ? body.length : end;
    try {
      lines.push(utf8.decode(body.subarray(start, stop)));
    } catch {
      lines.push(null);
    }
    start = stop + 1;
  }
  return lines;
}
