/**
 * readParquet's own errors, word for word: missing columns (all of them listed), a file without
 * rows, and a file that is not parquet.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { DatasetFormatError, readParquet } from '../src/index.js';

function parquetWith(columns: Record<string, string[]>): string {
  const filename = join(mkdtempSync(join(tmpdir(), 'grpojs-parquet-')), 'train.parquet');
  parquetWriteFile({ filename, columnData: Object.entries(columns).map(([name, data]) => ({ name, data, type: 'STRING' as const })) });
  return filename;
}

describe('readParquet errors', () => {
  it('lists every missing column and the columns the file has', async () => {
    const file = parquetWith({ prompt: ['a'], solution: ['b'] });
    await expect(readParquet(file, ['question', 'answer'])).rejects.toThrow(
      new DatasetFormatError(`${file} has no column "question", "answer"; its columns are prompt, solution.`, file),
    );
  });

  it('a file with the columns but no rows', async () => {
    const file = parquetWith({ question: [], answer: [] });
    await expect(readParquet(file, ['question', 'answer'])).rejects.toThrow(new DatasetFormatError(`${file} has no rows.`, file));
  });

  it('a file that is not parquet', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'grpojs-parquet-')), 'train.parquet');
    writeFileSync(file, 'question,answer\n');
    const error = await readParquet(file, ['question']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetFormatError);
    expect((error as Error).message).toMatch(new RegExp(`^Cannot read parquet file ${file}: .+\\.$`));
  });
});
