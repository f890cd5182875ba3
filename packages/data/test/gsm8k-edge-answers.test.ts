/**
 * loadGsm8k end to end on rows whose gold answers are easy to get wrong ("1,000", "-5", "2.5",
 * "####" inside the reasoning, two "####" lines, trailing whitespace, none): written as a jsonl file,
 * a jsonl split folder and a parquet split, loaded through the public loader, and compared with the
 * gold the reference pipeline extracts (fixtures/make_gsm8k_edge_rows.py: split("####")[1].strip()).
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { loadGsm8k } from '../src/index.js';

interface EdgeRow {
  case: string;
  question: string;
  answer: string;
  gold: string;
}
const rows = JSON.parse(readFileSync(new URL('./fixtures/gsm8k-edge-rows.json', import.meta.url), 'utf8')) as EdgeRow[];
const jsonl = rows.map((r) => JSON.stringify({ question: r.question, answer: r.answer })).join('\n') + '\n';
const withoutGold = rows.flatMap((r, i) => (r.gold === '' ? [i + 1] : []));

async function expectReferenceGold(source: string, split?: string): Promise<void> {
  const ds = await loadGsm8k({ source, ...(split ? { split } : {}) });
  expect(ds.rows.map((r) => r.question)).toEqual(rows.map((r) => r.question));
  ds.rows.forEach((r, i) => expect(r.answer, `gold of row ${i + 1} (${rows[i].case})`).toBe(rows[i].gold));
  // The stored solution is untouched; only `answer` is the extracted gold.
  expect(ds.rows.map((r) => r.raw['answer'])).toEqual(rows.map((r) => r.answer));
  expect(ds.stats.withoutFinalAnswer).toBe(withoutGold.length);
  expect(ds.stats.withoutFinalAnswerRows.map((l) => l.line)).toEqual(withoutGold);
}

describe('loadGsm8k gold answers on edge-case rows (reference extract_hash_answer)', () => {
  it('the fixture covers the cases the issue names', () => {
    const gold = Object.fromEntries(rows.map((r) => [r.case, r.gold]));
    expect(gold['thousands separator']).toBe('1,000'); // commas stay: the reference compares the string as written
    expect(gold['negative']).toBe('-5');
    expect(gold['decimal']).toBe('2.5');
    expect(gold['two #### lines']).toBe('7'); // [1] is the text between the first and second ####
    expect(gold['#### inside the reasoning']).toBe('not the answer\nStep two');
    expect(gold['trailing spaces and CRLF']).toBe('12');
  });

  it('a .jsonl file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grpojs-gsm8k-edge-'));
    writeFileSync(join(dir, 'edge.jsonl'), jsonl);
    await expectReferenceGold(join(dir, 'edge.jsonl'));
  });

  it('a split folder (test.jsonl)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grpojs-gsm8k-edge-'));
    writeFileSync(join(dir, 'test.jsonl'), jsonl);
    await expectReferenceGold(dir, 'test');
  });

  it('the Hugging Face parquet layout (main/train-00000-of-00001.parquet)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grpojs-gsm8k-edge-'));
    mkdirSync(join(dir, 'main'), { recursive: true });
    parquetWriteFile({
      filename: join(dir, 'main', 'train-00000-of-00001.parquet'),
      columnData: [
        { name: 'question', data: rows.map((r) => r.question), type: 'STRING' as const },
        { name: 'answer', data: rows.map((r) => r.answer), type: 'STRING' as const },
      ],
    });
    await expectReferenceGold(dir);
  });
});
