import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DatasetFormatError,
  EpochSampler,
  SYSTEM_PROMPT,
  UnknownSplitError,
  extractHashAnswer,
  loadGsm8k,
} from '../src/index.js';
import { haveSharedAssets, sharedAsset } from '../../../vitest.shared-assets.js';

const ASSETS = sharedAsset('gsm8k');
const hasAssets = haveSharedAssets('data gsm8k-jsonl: real GSM8K files', ['gsm8k/train.jsonl', 'gsm8k/test.jsonl']);

function folderWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'grpojs-gsm8k-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const row = (question: string, answer: string): string => JSON.stringify({ question, answer });

describe('extractHashAnswer (reference extract_hash_answer)', () => {
  it('takes the text after ####, trimmed, or empty', () => {
    expect(extractHashAnswer('She sold 48/2 = <<48/2=24>>24 clips.\n#### 72')).toBe('72');
    expect(extractHashAnswer('#### 1,000 ')).toBe('1,000');
    expect(extractHashAnswer('no final line')).toBe('');
    expect(extractHashAnswer('a #### 5 #### 6')).toBe('5');
  });
});

describe('loadGsm8k on jsonl files', () => {
  it('prepares rows: prompt, messages, question, gold answer, raw columns', async () => {
    const dir = folderWith({ 'train.jsonl': `${row('Q1?', 'work\n#### 7')}\n${row('Q2?', 'no hashes')}\n` });
    const ds = await loadGsm8k({ source: dir });
    expect(ds.split).toBe('train');
    expect(ds.format).toBe('jsonl');
    expect(ds.rows).toHaveLength(2);
    const [first, second] = ds.rows;
    expect(first.question).toBe('Q1?');
    expect(first.answer).toBe('7');
    expect(first.raw).toEqual({ question: 'Q1?', answer: 'work\n#### 7' });
    expect(first.messages).toEqual([
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: 'Q1?' },
    ]);
    expect(first.prompt).toBe(`system: ${SYSTEM_PROMPT}\nuser: Q1?\n`);
    expect(second.answer).toBe('');
    expect(ds.stats).toMatchObject({ loaded: 2, skipped: 0, blankLines: 0, beyondLimit: 0, withoutFinalAnswer: 1 });
  });

  it('uses a custom chat template and applies limit, reporting what it left out', async () => {
    const dir = folderWith({ 'test.jsonl': [row('a', '#### 1'), row('b', '#### 2'), row('c', '#### 3')].join('\n') });
    const ds = await loadGsm8k({ source: dir, split: 'test', limit: 2, chatTemplate: '{{ messages[-1].content }}!' });
    expect(ds.rows.map((r) => r.prompt)).toEqual(['a!', 'b!']);
    expect(ds.stats).toMatchObject({ loaded: 2, beyondLimit: 1 });
  });

  it('malformed JSON: strict throws naming file and line; non-strict skips and counts', async () => {
    const dir = folderWith({ 'train.jsonl': `${row('a', '#### 1')}\n{"question": "b", "answer"\n\n${row('c', '#### 3')}\n` });
    const file = join(dir, 'train.jsonl');
    const error = await loadGsm8k({ source: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetFormatError);
    expect((error as DatasetFormatError).message).toContain(`${file}, line 2: malformed JSON`);
    expect((error as DatasetFormatError).line).toBe(2);
    const ds = await loadGsm8k({ source: dir, strict: false });
    expect(ds.rows.map((r) => r.question)).toEqual(['a', 'c']);
    expect(ds.stats.skipped).toBe(1);
    expect(ds.stats.skippedRows[0].line).toBe(2);
    expect(ds.stats.blankLines).toBe(1);
  });

  it('missing or mistyped field: error names the field and the line', async () => {
    const dir = folderWith({
      'train.jsonl': [row('a', '#### 1'), JSON.stringify({ question: 'b' }), JSON.stringify({ question: 3, answer: 'x' }), '[1]'].join('\n'),
    });
    await expect(loadGsm8k({ source: dir })).rejects.toThrow(/line 2: missing field "answer"/);
    const ds = await loadGsm8k({ source: dir, strict: false });
    expect(ds.stats.skippedRows).toEqual([
      { line: 2, reason: 'missing field "answer"' },
      { line: 3, reason: 'field "question" must be a string, got number' },
      { line: 4, reason: 'expected a JSON object, got an array' },
    ]);
    expect(ds.stats.loaded).toBe(1);
  });

  it('empty file, all rows bad, unknown split, missing path: clear errors', async () => {
    const dir = folderWith({ 'train.jsonl': '', 'test.jsonl': '{"question": 1}\n' });
    await expect(loadGsm8k({ source: dir })).rejects.toThrow(/train\.jsonl is empty/);
    await expect(loadGsm8k({ source: dir, split: 'test', strict: false })).rejects.toThrow(/No usable rows .* \(1 skipped\)/);
    const unknown = await loadGsm8k({ source: dir, split: 'validation' }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(UnknownSplitError);
    expect((unknown as UnknownSplitError).message).toMatch(/Unknown split "validation" .* Available splits: test, train\./);
    await expect(loadGsm8k({ source: join(dir, 'nope') })).rejects.toThrow(/does not exist/);
    await expect(loadGsm8k({ source: dir, limit: 0 })).rejects.toThrow(/limit must be a positive integer/);
  });

  it('reads a single file given directly, with CRLF line ends', async () => {
    const dir = folderWith({ 'mine.jsonl': `${row('a', '#### 1')}\r\n${row('b', '#### 2')}\r\n` });
    const ds = await loadGsm8k({ source: join(dir, 'mine.jsonl') });
    expect(ds.split).toBe('mine');
    expect(ds.rows.map((r) => r.answer)).toEqual(['1', '2']);
  });
});

describe.skipIf(!hasAssets)(`real GSM8K files in ${ASSETS} (skipped when the shared assets are absent; fails under CI)`, () => {
  it('train has 7473 rows, test 1319, all with a #### answer', async () => {
    const train = await loadGsm8k({ source: ASSETS, split: 'train' });
    const test = await loadGsm8k({ source: ASSETS, split: 'test' });
    expect(train.rows).toHaveLength(7473);
    expect(test.rows).toHaveLength(1319);
    expect(train.stats).toMatchObject({ loaded: 7473, skipped: 0, withoutFinalAnswer: 0 });
    expect(test.stats).toMatchObject({ loaded: 1319, skipped: 0, withoutFinalAnswer: 0 });
    expect(train.availableSplits.sort()).toEqual(['test', 'train']);
    expect(train.rows[0].question.startsWith('Natalia sold clips to 48 of her friends in April')).toBe(true);
    expect(train.rows[0].answer).toBe('72');
    expect(test.rows[0].question.startsWith("Janet’s ducks lay 16 eggs per day.")).toBe(true);
    expect(test.rows[0].answer).toBe('18');
  });

  it('samples the same rows for the same seed, resumable', async () => {
    const { rows } = await loadGsm8k({ source: ASSETS, split: 'test', limit: 100 });
    const a = new EpochSampler(rows, { seed: 42 }).take(150).map((s) => s.item.question);
    const b = new EpochSampler(rows, { seed: 42 }).take(150).map((s) => s.item.question);
    expect(a).toEqual(b);
    expect(new Set(a.slice(0, 100)).size).toBe(100);
    expect(new EpochSampler(rows, { seed: 43 }).take(150).map((s) => s.item.question)).not.toEqual(a);
  });
});
