import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { DatasetFormatError, UnknownSplitError, loadGsm8k, readParquet } from '../src/index.js';
import { haveSharedAssets, sharedAsset } from '../../../vitest.shared-assets.js';

const ASSETS = sharedAsset('gsm8k');
const hasAssets = haveSharedAssets('data gsm8k-parquet: real GSM8K test split', ['gsm8k/test.jsonl']);

/** Writes `rows` as the HF layout `<dir>/main/<split>-00000-of-00001.parquet` (snappy, like HF's files). */
function writeSplit(dir: string, split: string, columns: Record<string, (string | null)[]>): string {
  mkdirSync(join(dir, 'main'), { recursive: true });
  const filename = join(dir, 'main', `${split}-00000-of-00001.parquet`);
  parquetWriteFile({
    filename,
    columnData: Object.entries(columns).map(([name, data]) => ({ name, data, type: 'STRING' as const })),
  });
  return filename;
}

describe('loadGsm8k on the Hugging Face parquet layout', () => {
  it('reads config main, splits train/test, and prepares rows like jsonl', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grpojs-parquet-'));
    writeSplit(dir, 'train', { question: ['Q1?', 'Q2 ünïcode?'], answer: ['step\n#### 12', 'x\n#### -3.5'] });
    writeSplit(dir, 'test', { question: ['T?'], answer: ['#### 0'] });
    const train = await loadGsm8k({ source: dir });
    expect(train.format).toBe('parquet');
    expect(train.availableSplits).toEqual(['test', 'train']);
    expect(train.rows.map((r) => [r.question, r.answer])).toEqual([
      ['Q1?', '12'],
      ['Q2 ünïcode?', '-3.5'],
    ]);
    expect(train.rows[1].raw).toEqual({ question: 'Q2 ünïcode?', answer: 'x\n#### -3.5' });
    expect(train.rows[0].prompt.endsWith('user: Q1?\n')).toBe(true);
    const test = await loadGsm8k({ source: dir, split: 'test' });
    expect(test.rows).toHaveLength(1);
    await expect(loadGsm8k({ source: dir, split: 'validation' })).rejects.toThrow(UnknownSplitError);
    // The file itself, and a config that does not exist.
    expect((await loadGsm8k({ source: join(dir, 'main', 'train-00000-of-00001.parquet') })).split).toBe('train');
    await expect(loadGsm8k({ source: dir, config: 'socratic' })).rejects.toThrow(/Available splits: \(none found\)/);
  });

  it('null cells are missing fields (strict throws naming field and row; non-strict counts)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grpojs-parquet-'));
    writeSplit(dir, 'train', { question: ['a', null, 'c'], answer: ['#### 1', '#### 2', '#### 3'] });
    await expect(loadGsm8k({ source: dir })).rejects.toThrow(/train-00000-of-00001\.parquet, row 2: missing field "question"/);
    const ds = await loadGsm8k({ source: dir, strict: false });
    expect(ds.rows.map((r) => r.answer)).toEqual(['1', '3']);
    expect(ds.stats.skippedRows).toEqual([{ line: 2, reason: 'missing field "question"' }]);
  });

  it('missing column, non-parquet file: errors name the file and what to do', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grpojs-parquet-'));
    const file = writeSplit(dir, 'train', { question: ['a'], solution: ['#### 1'] });
    await expect(loadGsm8k({ source: dir })).rejects.toThrow(`${file} has no column "answer"; its columns are question, solution.`);
    const bogus = join(dir, 'bogus.parquet');
    writeFileSync(bogus, 'not parquet at all');
    const error = await readParquet(bogus, []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetFormatError);
    expect((error as Error).message).toContain(`Cannot read parquet file ${bogus}`);
  });
});

describe.skipIf(!hasAssets)(`real GSM8K test split as parquet (skipped when ${ASSETS} is absent; fails under CI)`, () => {
  it('1319 rows round-trip through parquet identical to the jsonl load', async () => {
    const lines = readFileSync(join(ASSETS, 'test.jsonl'), 'utf8').trim().split('\n');
    const parsed = lines.map((line) => JSON.parse(line) as { question: string; answer: string });
    const dir = mkdtempSync(join(tmpdir(), 'grpojs-parquet-'));
    writeSplit(dir, 'test', { question: parsed.map((r) => r.question), answer: parsed.map((r) => r.answer) });
    const fromParquet = await loadGsm8k({ source: dir, split: 'test' });
    const fromJsonl = await loadGsm8k({ source: ASSETS, split: 'test' });
    expect(fromParquet.rows).toHaveLength(1319);
    expect(fromParquet.rows).toEqual(fromJsonl.rows);
  });
});
