/**
 * Rows a GSM8K job cannot learn from are reported, never silently loaded: undecodable bytes in a
 * jsonl file (a Latin-1 export, a binary file renamed .jsonl) and solutions without the
 * `#### <answer>` line that the correctness rewards compare against.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetFormatError, loadGsm8k } from '../src/index.js';

const row = (question: string, answer: string): string => JSON.stringify({ question, answer });

function fileWith(name: string, contents: string | Buffer): string {
  const file = join(mkdtempSync(join(tmpdir(), 'grpojs-unusable-')), name);
  writeFileSync(file, contents);
  return file;
}

describe('invalid UTF-8 in a jsonl file', () => {
  // Line 2 is Latin-1 ("café" as 63 61 66 E9), line 4 has a lone continuation byte.
  const bytes = Buffer.concat([
    Buffer.from(`${row('a', '#### 1')}\n`),
    Buffer.from('{"question": "caf'), Buffer.from([0xe9]), Buffer.from('?", "answer": "#### 2"}\n'),
    Buffer.from(`${row('c €', '#### 3')}\n`),
    Buffer.from('{"question": "d'), Buffer.from([0x80]), Buffer.from('", "answer": "#### 4"}\n'),
  ]);

  it('strict: an error naming the file and the first bad line, instead of U+FFFD in the question', async () => {
    const file = fileWith('latin1.jsonl', bytes);
    const error = await loadGsm8k({ source: file }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetFormatError);
    expect((error as DatasetFormatError).message).toContain(`${file}, line 2: not valid UTF-8`);
    expect((error as DatasetFormatError).line).toBe(2);
  });

  it('non-strict: the undecodable lines are skipped and counted; valid multi-byte text is kept', async () => {
    const ds = await loadGsm8k({ source: fileWith('latin1.jsonl', bytes), strict: false });
    expect(ds.rows.map((r) => r.question)).toEqual(['a', 'c €']);
    expect(ds.stats.skippedRows.map((r) => r.line)).toEqual([2, 4]);
    expect(ds.stats.skippedRows[0].reason).toMatch(/not valid UTF-8/);
  });

  it('a byte-order mark and CRLF line ends are still fine', async () => {
    const ds = await loadGsm8k({ source: fileWith('bom.jsonl', `\ufeff${row('a', '#### 1')}\r\n${row('b', '#### 2')}\r\n`) });
    expect(ds.rows.map((r) => r.question)).toEqual(['a', 'b']);
  });
});

describe('solutions without a "#### <answer>" line', () => {
  it('no row has one: an error naming the file and the first lines, not rows whose gold answer is empty', async () => {
    const file = fileWith('no-answers.jsonl', [row('a', 'The answer is 1.'), row('b', '2'), row('c', 'x\n### 3')].join('\n') + '\n');
    const error = await loadGsm8k({ source: file }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetFormatError);
    const message = (error as DatasetFormatError).message;
    expect(message).toContain(file);
    expect(message).toMatch(/no row .*"#### <answer>"/i);
    expect(message).toContain('lines 1, 2, 3');
  });

  it('some rows lack one: they are loaded and listed (file and line) in stats', async () => {
    const file = fileWith('some.jsonl', [row('a', '#### 1'), row('b', 'no final line'), row('c', '#### 3'), row('d', '####   ')].join('\n'));
    const ds = await loadGsm8k({ source: file });
    expect(ds.rows).toHaveLength(4);
    expect(ds.stats.withoutFinalAnswer).toBe(2);
    expect(ds.stats.withoutFinalAnswerRows).toEqual([
      { file, line: 2 },
      { file, line: 4 },
    ]);
  });

  it('a limit does not turn "the first rows lack one" into "no row has one"', async () => {
    const file = fileWith('first-bad.jsonl', [row('a', 'none'), row('b', '#### 2')].join('\n'));
    const ds = await loadGsm8k({ source: file, limit: 1 });
    expect(ds.rows.map((r) => r.answer)).toEqual(['']);
    expect(ds.stats.withoutFinalAnswerRows).toEqual([{ file, line: 1 }]);
  });
});
