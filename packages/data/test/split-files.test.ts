/**
 * locateSplit on local sources: what it returns for a single file (split name from the file name),
 * a folder of jsonl files, plain or sharded parquet files, both kinds for one split; which strings
 * count as paths; and the hub branch: its split check, its options, a download from a local hub server.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError, HubOfflineError, UnknownSplitError } from '../src/index.js';
import { locateSplit } from '../src/split-files.js';
import { startHubServer } from './hub-server.js';

/** A temporary folder holding `files` (relative path → contents), written in the given order. */
function folderWith(files: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'grpojs-split-'));
  for (const name of files) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), '');
  }
  return dir;
}

describe('locateSplit: a single file', () => {
  it.each([
    ['train.jsonl', 'train', 'jsonl'],
    ['test.parquet', 'test', 'parquet'],
    ['train-00000-of-00001.parquet', 'train', 'parquet'],
    ['rows.json', 'rows', 'jsonl'],
    ['export.parquet.jsonl', 'export.parquet', 'jsonl'],
    ['train-00000-of-00001-fixed.parquet', 'train-00000-of-00001-fixed', 'parquet'],
  ])('%s → split %s (%s)', async (name, split, format) => {
    const dir = folderWith([name]);
    const file = join(dir, name);
    expect(await locateSplit(file, 'ignored')).toEqual({ split, format, files: [file], availableSplits: [split], origin: 'file' });
  });
});

describe('locateSplit: a folder', () => {
  it('lists every split; jsonl files and plain parquet files', async () => {
    const dir = folderWith(['train.jsonl', 'test.parquet', 'notes.txt']);
    expect(await locateSplit(dir, 'test')).toEqual({
      split: 'test',
      format: 'parquet',
      files: [join(dir, 'test.parquet')],
      availableSplits: ['test', 'train'],
      origin: 'folder',
    });
  });

  it('keeps every shard of a split, in shard order', async () => {
    const names = ['main/train-00002-of-00003.parquet', 'main/train-00000-of-00003.parquet', 'main/train-00001-of-00003.parquet'];
    const dir = folderWith(names);
    const found = await locateSplit(dir, 'train');
    expect(found.files).toEqual([0, 1, 2].map((i) => join(dir, 'main', `train-0000${i}-of-00003.parquet`)));
    expect(found.format).toBe('parquet');
  });

  it('with a jsonl and a parquet file for one split, keeps the first kind (sorted names)', async () => {
    const dir = folderWith(['train.jsonl', 'train.parquet']);
    const found = await locateSplit(dir, 'train');
    expect(found).toMatchObject({ format: 'jsonl', files: [join(dir, 'train.jsonl')], availableSplits: ['train'] });
  });

  it('ignores files that only look like shards', async () => {
    const dir = folderWith(['main/train-00000-of-00001.parquet.bak', 'main/test-00000-of-00001.parquet']);
    await expect(locateSplit(dir, 'train')).rejects.toThrow(`Unknown split "train" in ${dir}. Available splits: test.`);
  });
});

describe('locateSplit: sources that do not exist', () => {
  it.each(['./gsm8k', '../gsm8k', '~/gsm8k', 'C:/gsm8k', 'C:\\gsm8k', 'data/train.jsonl', 'train.parquet'])(
    '%s is a missing path, not a hub id',
    async (source) => {
      const error = await locateSplit(source, 'train').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DataError);
      expect((error as Error).message).toMatch(/^Dataset path ".*" does not exist \(resolved to .*\)\.$/);
    },
  );

  it.each(['openai/gsm8k', 'org/data.v2', 'org/c:x', 'org/.hidden', 'org/a~b', 'org/x.parquet-v2'])('%s is a hub id: its splits are checked first', async (source) => {
    await expect(locateSplit(source, 'validation')).rejects.toThrow(
      new UnknownSplitError('validation', ['train', 'test'], `hub dataset ${source}`),
    );
  });

  it('passes the hub options on: offline with an empty cache is a HubOfflineError, naming the source', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'grpojs-split-cache-'));
    const error = await locateSplit('org/absent', 'test', { offline: true, cacheDir, hubSplits: ['test'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HubOfflineError);
    expect((error as Error).message).toContain('"org/absent" was treated as a hub id');
  });

  it('a hub id: downloads the split\'s single parquet shard with the options given, into the cache', async () => {
    const commit = 'c'.repeat(40);
    const server = await startHubServer([
      { type: 'dataset', id: 'org/tiny', commit, files: [{ path: 'main/test-00000-of-00001.parquet', content: Buffer.from('PAR1') }] },
    ]);
    try {
      const cacheDir = mkdtempSync(join(tmpdir(), 'grpojs-split-cache-'));
      expect(await locateSplit('org/tiny', 'test', { endpoint: server.url, cacheDir })).toEqual({
        split: 'test',
        format: 'parquet',
        files: [join(cacheDir, 'datasets--org--tiny', 'snapshots', commit, 'main', 'test-00000-of-00001.parquet')],
        availableSplits: ['train', 'test'],
        origin: 'hub',
      });
    } finally {
      await server.close();
    }
  });
});
