/**
 * Finds the file(s) of one dataset split, wherever the dataset lives: a single .jsonl/.parquet file,
 * a local folder (upstream jsonl files or the Hugging Face parquet layout, e.g. a Python hub
 * snapshot), or a hub dataset repository downloaded into the shared cache.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { DataError, UnknownSplitError, notLocalEither } from './errors.js';
import { hubDownload, type HubDownloadOptions } from './hub.js';

/** The on-disk format of a split. */
export type SplitFormat = 'jsonl' | 'parquet';

/** Where one split is, after download. */
export interface SplitFiles {
  split: string;
  format: SplitFormat;
  /** Local paths, in shard order (one file unless the split is sharded). */
  files: string[];
  /** Every split the source offers. */
  availableSplits: string[];
  origin: 'file' | 'folder' | 'hub';
}

/** Options of {@link locateSplit}. */
export interface LocateSplitOptions extends Omit<HubDownloadOptions, 'repoType'> {
  /** Dataset config: the sub-folder of the HF parquet layout. Default 'main'. */
  config?: string;
  /** Splits a hub repository offers; each is the single shard `<config>/<split>-00000-of-00001.parquet`. */
  hubSplits?: readonly string[];
}

// HF shard names: train-00000-of-00001.parquet
const SHARD = /^(.+)-\d{5}-of-\d{5}\.parquet$/;

function listDir(dir: string): string[] {
  return existsSync(dir) && statSync(dir).isDirectory() ? readdirSync(dir).sort() : [];
}

/** Split name → files found in `dir`, for `<split>.jsonl`, `<split>.parquet` and HF shards. */
function scanFolder(dir: string): Map<string, { format: SplitFormat; files: string[] }> {
  const found = new Map<string, { format: SplitFormat; files: string[] }>();
  const add = (split: string, format: SplitFormat, file: string): void => {
    const entry = found.get(split);
    if (entry === undefined) found.set(split, { format, files: [file] });
    else if (entry.format === format) entry.files.push(file);
    // jsonl and parquet for the same split: keep the first kind seen (the caller's folder first).
  };
  for (const name of listDir(dir)) {
    if (name.endsWith('.jsonl')) add(name.slice(0, -'.jsonl'.length), 'jsonl', join(dir, name));
    else if (SHARD.test(name)) add(SHARD.exec(name)![1], 'parquet', join(dir, name));
    else if (name.endsWith('.parquet')) add(name.slice(0, -'.parquet'.length), 'parquet', join(dir, name));
  }
  return found;
}

function looksLikePath(source: string): boolean {
  return isAbsolute(source) || /^(\.{1,2}[\\/]|~|[A-Za-z]:[\\/])/.test(source) || /\.(jsonl|parquet)$/.test(source);
}

/**
 * Resolves `split` of `source` to local files.
 *
 * @param source a .jsonl/.parquet file (its split is its file name), a folder holding `<split>.jsonl`
 *   or `<config>/<split>-NNNNN-of-NNNNN.parquet`, or a hub dataset id such as `openai/gsm8k`.
 * @throws UnknownSplitError listing the available splits.
 */
export async function locateSplit(source: string, split: string, options: LocateSplitOptions = {}): Promise<SplitFiles> {
  const config = options.config ?? 'main';
  if (existsSync(source)) {
    const path = resolve(source);
    if (statSync(path).isFile()) {
      const format: SplitFormat = path.endsWith('.parquet') ? 'parquet' : 'jsonl';
      const name = basename(path).replace(/\.(jsonl|json|parquet)$/, '').replace(/-\d{5}-of-\d{5}$/, '');
      return { split: name, format, files: [path], availableSplits: [name], origin: 'file' };
    }
    // The folder itself (upstream jsonl files) wins over its <config>/ sub-folder (HF layout).
    const splits = scanFolder(join(path, config));
    for (const [name, entry] of scanFolder(path)) splits.set(name, entry);
    const entry = splits.get(split);
    if (entry === undefined) throw new UnknownSplitError(split, [...splits.keys()], path);
    return { split, ...entry, availableSplits: [...splits.keys()], origin: 'folder' };
  }
  if (looksLikePath(source)) {
    throw new DataError(`Dataset path "${source}" does not exist (resolved to ${resolve(source)}).`);
  }
  const { revision, cacheDir, token, endpoint, offline } = options;
  const hubSplits = [...(options.hubSplits ?? ['train', 'test'])];
  if (!hubSplits.includes(split)) throw new UnknownSplitError(split, hubSplits, `hub dataset ${source}`);
  const file = await hubDownload(source, `${config}/${split}-00000-of-00001.parquet`, {
    ...{ revision, cacheDir, token, endpoint, offline },
    repoType: 'dataset',
  }).catch((err: unknown) => {
    throw notLocalEither(err, source, resolve(source));
  });
  return { split, format: 'parquet', files: [file], availableSplits: hubSplits, origin: 'hub' };
}
