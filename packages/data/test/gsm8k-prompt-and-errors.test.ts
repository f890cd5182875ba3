/**
 * The GSM8K prompt (the reference system prompt, a custom one, none) and loadGsm8k's whole-split
 * errors word for word: no usable rows across shards, and no final answer in any row (first five
 * rows listed, jsonl lines or parquet rows).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { DatasetFormatError, SYSTEM_PROMPT, gsm8kPrompt, loadGsm8k } from '../src/index.js';

const row = (question: string, answer: string): string => JSON.stringify({ question, answer });

function jsonlWith(rows: string[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'grpojs-gsm8k-errors-')), 'train.jsonl');
  writeFileSync(file, `${rows.join('\n')}\n`);
  return file;
}

/** `<dir>/main/train-0000i-of-0000n.parquet` for each column set; returns the folder and the files. */
function shards(parts: Record<string, (string | null)[]>[]): { dir: string; files: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'grpojs-gsm8k-errors-'));
  mkdirSync(join(dir, 'main'));
  const files = parts.map((columns, i) => {
    const filename = join(dir, 'main', `train-0000${i}-of-0000${parts.length}.parquet`);
    parquetWriteFile({ filename, columnData: Object.entries(columns).map(([name, data]) => ({ name, data, type: 'STRING' as const })) });
    return filename;
  });
  return { dir, files };
}

const noAnswer = (where: string, units: string, more: string) =>
  `No row of ${where} has a GSM8K final answer: the "answer" field must end with a "#### <answer>" line (${units}${more} have none). ` +
  'The rewards and accuracy compare completions with the text after "####", so these rows cannot be scored; convert the answers to that format.';

describe('gsm8kPrompt', () => {
  it('uses the reference system prompt by default', () => {
    expect(SYSTEM_PROMPT).toBe('Respond in the following format:\n<reasoning>\n...\n</reasoning>\n<answer>\n...\n</answer>');
    expect(gsm8kPrompt('Q?').messages).toEqual([
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: 'Q?' },
    ]);
  });

  it('takes a custom system prompt, or none (null)', () => {
    expect(gsm8kPrompt('Q?', { systemPrompt: 'Be brief.' }).messages[0]).toEqual({ role: 'system', content: 'Be brief.' });
    expect(gsm8kPrompt('Q?', { systemPrompt: null }).messages).toEqual([{ role: 'user', content: 'Q?' }]);
  });
});

describe('loadGsm8k whole-split errors', () => {
  it('no usable row in any shard: names every file and the skipped count', async () => {
    const { dir, files } = shards([{ question: [null], answer: ['#### 1'] }, { question: ['b', null], answer: [null, '#### 3'] }]);
    await expect(loadGsm8k({ source: dir, strict: false })).rejects.toThrow(
      new DatasetFormatError(`No usable rows in ${files.join(', ')} (3 skipped); each row needs string "question" and "answer".`, files[0]),
    );
  });

  it('five jsonl lines without a final answer: all listed', async () => {
    const file = jsonlWith(['a', 'b', 'c', 'd', 'e'].map((q) => row(q, 'none')));
    await expect(loadGsm8k({ source: file })).rejects.toThrow(new DatasetFormatError(noAnswer(file, 'lines 1, 2, 3, 4, 5', ''), file, 1));
  });

  it('more than five: the first five and the total', async () => {
    const file = jsonlWith(['a', 'b', 'c', 'd', 'e', 'f'].map((q) => row(q, 'none')));
    await expect(loadGsm8k({ source: file })).rejects.toThrow(new DatasetFormatError(noAnswer(file, 'lines 1, 2, 3, 4, 5', ', … (all 6 rows)'), file, 1));
  });

  it('parquet: rows, not lines; every shard named', async () => {
    const { dir, files } = shards([{ question: ['a', 'b'], answer: ['x', 'y'] }]);
    await expect(loadGsm8k({ source: dir })).rejects.toThrow(new DatasetFormatError(noAnswer(files[0], 'rows 1, 2', ''), files[0], 1));
    const two = shards([{ question: ['a'], answer: ['x'] }, { question: ['b'], answer: ['y'] }]);
    await expect(loadGsm8k({ source: two.dir })).rejects.toThrow(
      new DatasetFormatError(noAnswer(two.files.join(', '), 'rows 1, 1', ''), two.files[0], 1),
    );
  });
});
