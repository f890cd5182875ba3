/**
 * One entry point for "a local folder or a hub id", the way `from_pretrained` accepts both: the model
 * package calls this for `config.json`, `model.safetensors`, `tokenizer.json`, and so on.
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { DataError, HubFileNotFoundError, HubOfflineError, notLocalEither } from './errors.js';
import { hubDownload, type HubDownloadOptions } from './hub.js';
import { pathInside } from './safe-path.js';

/** Options of {@link resolveLocalOrHub}: the hub options plus files that may be absent. */
export interface ResolveLocalOrHubOptions extends HubDownloadOptions {
  /** Files to fetch when they exist, and skip silently (but visibly, in `missing`) when they do not. */
  optional?: readonly string[];
}

/** Where the files of a {@link resolveLocalOrHub} call are. */
export interface ResolvedFiles {
  /** The local folder, or the hub snapshot folder `<cache>/<type>s--org--name/snapshots/<commit>`. */
  folder: string;
  /** Every required file and every optional file that exists: repo-relative name → absolute path. */
  files: Record<string, string>;
  /** Optional files that do not exist. */
  missing: string[];
  /** Whether the files came from a local folder or the hub cache. */
  source: 'local' | 'hub';
}

/** True for arguments that can only be paths: absolute, `./`, `../`, `~`, or Windows `C:\`. */
function looksLikePath(pathOrId: string): boolean {
  return isAbsolute(pathOrId) || /^(\.{1,2}[\\/]|~|[A-Za-z]:[\\/])/.test(pathOrId) || pathOrId.split('/').length > 2;
}

/**
 * Resolves `files` inside a local folder when `pathOrId` is an existing directory, else downloads
 * them from the hub repository `pathOrId` (see {@link hubDownload} for caching, offline mode and
 * environment variables). Required files that are absent raise an error naming them.
 *
 * @param pathOrId a local folder (`./checkpoints/step-50`) or a hub id (`distilgpt2`, `openai/gsm8k`).
 * @param files repo-relative file names that must exist, e.g. `['config.json', 'model.safetensors']`.
 */
export async function resolveLocalOrHub(
  pathOrId: string,
  files: readonly string[],
  options: ResolveLocalOrHubOptions = {},
): Promise<ResolvedFiles> {
  const optional = options.optional ?? [];
  if (existsSync(pathOrId)) {
    const folder = resolve(pathOrId);
    if (!statSync(folder).isDirectory()) {
      throw new DataError(`resolveLocalOrHub: "${pathOrId}" is a file; pass the folder that contains ${files.join(', ')}.`);
    }
    const inside = (name: string): string => pathInside(folder, name, 'file', `resolveLocalOrHub in ${folder}`);
    const absent = files.filter((name) => !existsSync(inside(name)));
    if (absent.length > 0) {
      throw new DataError(`Local folder ${folder} lacks ${absent.join(', ')}; it needs ${files.join(', ')}.`);
    }
    const found: Record<string, string> = {};
    const missing: string[] = [];
    for (const name of [...files, ...optional]) {
      if (existsSync(inside(name))) found[name] = inside(name);
      else missing.push(name);
    }
    return { folder, files: found, missing, source: 'local' };
  }
  if (looksLikePath(pathOrId)) {
    throw new DataError(`Local folder "${pathOrId}" does not exist (resolved to ${resolve(pathOrId)}).`);
  }
  const found: Record<string, string> = {};
  const missing: string[] = [];
  let folder = '';
  for (const name of files) {
    found[name] = await hubDownload(pathOrId, name, options).catch((err: unknown) => {
      throw notLocalEither(err, pathOrId, resolve(pathOrId));
    });
    folder = snapshotFolder(found[name], name);
  }
  for (const name of optional) {
    try {
      found[name] = await hubDownload(pathOrId, name, options);
      folder = snapshotFolder(found[name], name);
    } catch (err) {
      // Offline, an optional file that was never cached is as absent as one the repo lacks.
      if (!(err instanceof HubFileNotFoundError || err instanceof HubOfflineError)) throw err;
      missing.push(name);
    }
  }
  return { folder, files: found, missing, source: 'hub' };
}

/** `<…>/snapshots/<commit>/a/b.json` minus the repo-relative `a/b.json`. */
function snapshotFolder(filePath: string, name: string): string {
  return filePath.slice(0, filePath.length - name.length - 1);
}
