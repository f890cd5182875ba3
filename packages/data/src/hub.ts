/**
 * Hugging Face hub downloads into the same cache as Python's `huggingface_hub`, so a file fetched by
 * `hf_hub_download` is reused here and the other way round:
 *
 *   $HF_HUB_CACHE/datasets--openai--gsm8k/
 *     blobs/<etag>                          file contents (sha256 for LFS files, git sha1 otherwise)
 *     snapshots/<commit>/<path> -> blobs/…  one folder per commit, symlinks to blobs
 *     refs/main                             the commit that branch `main` pointed to last time
 *
 * The transfer itself (paths-info, resolve, LFS/xet, symlinks) is `@huggingface/hub`'s
 * `downloadFileToCacheDir`. This file adds what that function leaves out: turning a branch into a
 * commit and recording it in `refs/`, the environment variables (`HF_ENDPOINT`, `HF_TOKEN`,
 * `HF_HUB_OFFLINE`, `HF_HUB_CACHE`/`HF_HOME`), offline resolution from the cache, the
 * fall-back to the cache when the hub is unreachable, and errors that say what to do.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { HubApiError, datasetInfo, downloadFileToCacheDir, modelInfo } from '@huggingface/hub';
import {
  DataError,
  HubAuthError,
  HubFileNotFoundError,
  HubOfflineError,
  HubUnreachableError,
} from './errors.js';
import { withFileContext, withFileContextSync } from './file-io.js';
import { assertHubRepoId, assertHubRevision, assertRelativeFileName } from './safe-path.js';

/** Kind of hub repository; selects the `datasets--` / `models--` cache folder and API routes. */
export type HubRepoType = 'model' | 'dataset';

/** Options of {@link hubDownload}; each one falls back to the environment variable Python reads. */
export interface HubDownloadOptions {
  /** Repository kind. Default `'model'`. */
  repoType?: HubRepoType;
  /** Branch, tag or 40-hex commit. Default `'main'`. */
  revision?: string;
  /** Cache root. Default {@link hubCacheDir} (`HF_HUB_CACHE`, else `$HF_HOME/hub`, else ~/.cache/huggingface/hub). */
  cacheDir?: string;
  /** Access token (`hf_…`). Default `HF_TOKEN`, else the token file `$HF_HOME/token`. */
  token?: string;
  /** Hub base URL. Default `HF_ENDPOINT`, else https://huggingface.co. */
  endpoint?: string;
  /** Resolve from the cache only, never touching the network. Default: `HF_HUB_OFFLINE` is true. */
  offline?: boolean;
}

/** The public hub; `HF_ENDPOINT` overrides it. */
export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

const COMMIT_HASH = /^[0-9a-f]{40}$/;

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
}

/** Python's `_is_true`: "1", "ON", "YES", "TRUE" in any case. */
function envTrue(name: string): boolean {
  const value = process.env[name];
  return value !== undefined && ['1', 'on', 'yes', 'true'].includes(value.trim().toLowerCase());
}

function hfHome(): string {
  const xdg = process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache');
  return expandHome(process.env['HF_HOME'] ?? join(xdg, 'huggingface'));
}

/** The hub cache root, resolved like Python: `HF_HUB_CACHE`, else `$HF_HOME/hub`, else ~/.cache/huggingface/hub. */
export function hubCacheDir(): string {
  const explicit = process.env['HF_HUB_CACHE'] ?? process.env['HUGGINGFACE_HUB_CACHE'];
  return explicit !== undefined ? expandHome(explicit) : join(hfHome(), 'hub');
}

/** The hub base URL: `HF_ENDPOINT` without a trailing slash, else https://huggingface.co. */
export function hubEndpoint(): string {
  return (process.env['HF_ENDPOINT'] ?? DEFAULT_HUB_ENDPOINT).replace(/\/+$/, '');
}

/** Whether `HF_HUB_OFFLINE` asks for cache-only resolution. */
export function hubOffline(): boolean {
  return envTrue('HF_HUB_OFFLINE');
}

/** The access token: `HF_TOKEN`, else the file `$HF_TOKEN_PATH` / `$HF_HOME/token` that `huggingface-cli login` writes. */
export function hubToken(): string | undefined {
  const fromEnv = process.env['HF_TOKEN'] ?? process.env['HUGGING_FACE_HUB_TOKEN'];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return fromEnv.trim();
  const file = expandHome(process.env['HF_TOKEN_PATH'] ?? join(hfHome(), 'token'));
  if (!existsSync(file)) return undefined;
  const fromFile = withFileContextSync('read the hub token file', file, () => readFileSync(file, 'utf8')).trim();
  return fromFile === '' ? undefined : fromFile;
}

/**
 * Cache folder of one repository: `<cacheDir>/datasets--org--name` (Python's `repo_folder_name`).
 * @throws UnsafePathError when `repoId` is not a hub id (it could name a folder outside the cache).
 */
export function hubRepoFolder(repoId: string, repoType: HubRepoType = 'model', cacheDir = hubCacheDir()): string {
  assertHubRepoId(repoId, 'hubRepoFolder');
  return join(cacheDir, [`${repoType}s`, ...repoId.split('/')].join('--'));
}

interface Resolved {
  repoId: string;
  path: string;
  repoType: HubRepoType;
  revision: string;
  cacheDir: string;
  endpoint: string;
  token: string | undefined;
  offline: boolean;
}

function resolveOptions(repoId: string, path: string, options: HubDownloadOptions): Resolved {
  assertHubRepoId(repoId, 'hubDownload');
  assertRelativeFileName(path, 'file', `hubDownload of ${repoId}`);
  if (options.revision !== undefined) assertHubRevision(options.revision, 'hubDownload option "revision"');
  const token = options.token ?? hubToken();
  if (token !== undefined && !token.startsWith('hf_')) {
    const from = options.token !== undefined ? 'the token option' : 'HF_TOKEN (or the token file)';
    throw new HubAuthError(`The access token from ${from} does not start with "hf_"; pass a hub token or unset it.`);
  }
  return {
    repoId,
    path,
    repoType: options.repoType ?? 'model',
    revision: options.revision ?? 'main',
    cacheDir: options.cacheDir ?? hubCacheDir(),
    endpoint: (options.endpoint ?? hubEndpoint()).replace(/\/+$/, ''),
    token,
    offline: options.offline ?? hubOffline(),
  };
}

function describe(r: Resolved): string {
  return `${r.repoType} "${r.repoId}" file "${r.path}" (revision ${r.revision})`;
}

/** The snapshot path of `r` if it is cached: the revision is a commit, or `refs/<revision>` names one. */
async function fromCache(r: Resolved): Promise<string | undefined> {
  const folder = hubRepoFolder(r.repoId, r.repoType, r.cacheDir);
  let commit: string | undefined = COMMIT_HASH.test(r.revision) ? r.revision : undefined;
  if (commit === undefined) {
    try {
      commit = (await readFile(join(folder, 'refs', r.revision), 'utf8')).trim();
    } catch {
      return undefined;
    }
    // A refs file holds a commit; anything else (edited by hand, torn) would name another folder.
    if (!COMMIT_HASH.test(commit)) return undefined;
  }
  const file = join(folder, 'snapshots', commit, r.path);
  try {
    await stat(file); // follows the symlink: a dangling link to a deleted blob counts as absent
    return file;
  } catch {
    return undefined;
  }
}

/** Asks the hub which commit `r.revision` points to (`GET /api/<type>s/<id>/revision/<rev>`). */
async function resolveCommit(r: Resolved): Promise<string> {
  if (COMMIT_HASH.test(r.revision)) return r.revision;
  const params = { name: r.repoId, revision: r.revision, hubUrl: r.endpoint, additionalFields: ['sha' as const] };
  const credentials = r.token !== undefined ? { accessToken: r.token } : {};
  const info =
    r.repoType === 'dataset'
      ? await datasetInfo({ ...params, ...credentials })
      : await modelInfo({ ...params, ...credentials });
  if (typeof info.sha !== 'string' || !COMMIT_HASH.test(info.sha)) {
    throw new DataError(`The hub at ${r.endpoint} returned no commit sha for ${describe(r)}.`);
  }
  return info.sha;
}

/** True for failures to connect at all (refused, DNS, reset, timeout) and for 5xx gateway answers. */
function isUnreachable(err: unknown): boolean {
  if (err instanceof HubApiError) return err.statusCode >= 500;
  if (!(err instanceof Error)) return false;
  return err.message === 'fetch failed' || (err.cause as { code?: unknown } | undefined)?.code !== undefined;
}

function reason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause as { code?: string; message?: string } | undefined;
  return cause?.code ?? cause?.message ?? err.message;
}

/**
 * Downloads one file of a hub repository into the Python-compatible cache (or finds it there) and
 * returns its local path, `<cache>/<type>s--org--name/snapshots/<commit>/<path>`.
 *
 * Online, the revision is resolved to a commit (recorded in `refs/<revision>`) and the file is
 * fetched only when that snapshot lacks it. Offline (`offline` or `HF_HUB_OFFLINE=1`) nothing is
 * requested. When the hub cannot be reached the cached copy for the revision is returned, as Python does.
 *
 * @throws HubOfflineError offline and the file is not cached.
 * @throws HubUnreachableError no connection and the file is not cached; the message suggests local paths.
 * @throws HubFileNotFoundError the repository, revision or file does not exist.
 * @throws HubAuthError the hub refused the token (401/403) or the token is malformed.
 */
export async function hubDownload(repoId: string, path: string, options: HubDownloadOptions = {}): Promise<string> {
  const r = resolveOptions(repoId, path, options);
  // Two concurrent downloads of one file would write the same `.incomplete` blob; share one instead.
  // (Across processes there is no lock, unlike Python's filelock: avoid parallel first downloads.)
  const key = JSON.stringify([r.cacheDir, r.endpoint, r.repoType, r.repoId, r.revision, r.path, r.offline]);
  const pending = inFlight.get(key);
  if (pending !== undefined) return pending;
  const download = downloadOnce(r, options).finally(() => inFlight.delete(key));
  inFlight.set(key, download);
  return download;
}

const inFlight = new Map<string, Promise<string>>();

async function downloadOnce(r: Resolved, options: HubDownloadOptions): Promise<string> {
  if (r.offline) {
    const cached = await fromCache(r);
    if (cached !== undefined) return cached;
    throw new HubOfflineError(
      `Offline mode (${options.offline !== undefined ? 'offline option' : 'HF_HUB_OFFLINE'}) is on and ${describe(r)} ` +
        `is not in the cache ${r.cacheDir}. Download it once with network access, or pass a local path instead.`,
    );
  }
  const credentials = r.token !== undefined ? { accessToken: r.token } : {};
  try {
    const commit = await resolveCommit(r);
    if (commit !== r.revision) {
      const ref = join(hubRepoFolder(r.repoId, r.repoType, r.cacheDir), 'refs', r.revision);
      await withFileContext('record the commit of a revision in the hub cache file', ref, async () => {
        await mkdir(dirname(ref), { recursive: true });
        await writeFile(ref, commit);
      });
    }
    const cached = await fromCache({ ...r, revision: commit });
    if (cached !== undefined) return cached;
    return await downloadFileToCacheDir({
      repo: { type: r.repoType, name: r.repoId },
      path: r.path,
      revision: commit,
      hubUrl: r.endpoint,
      cacheDir: r.cacheDir,
      ...credentials,
    });
  } catch (err) {
    const outcome = await classify(err, r);
    if (typeof outcome === 'string') return outcome;
    throw outcome;
  }
}

/** Turns a failure into one of this package's errors, or into the cached path when the hub is down. */
async function classify(err: unknown, r: Resolved): Promise<Error | string> {
  // Ours already say what happened (a cache file that cannot be written is not an unreachable hub).
  if (err instanceof DataError) return err;
  if (isUnreachable(err)) {
    // Python's hf_hub_download does the same: the cached snapshot of the revision beats failing.
    const cached = await fromCache(r);
    if (cached !== undefined) return cached;
    return new HubUnreachableError(
      `Could not reach the Hugging Face hub at ${r.endpoint} (${reason(err)}) to download ${describe(r)}, and it is ` +
        `not in the cache ${r.cacheDir}. Pass a local folder or file path instead, set HF_ENDPOINT to a reachable ` +
        `mirror, or download it once where the hub is reachable.`,
    );
  }
  if (err instanceof HubApiError && (err.statusCode === 401 || err.statusCode === 403)) {
    return new HubAuthError(
      `The hub at ${r.endpoint} refused access to ${describe(r)} (HTTP ${err.statusCode}). Set HF_TOKEN to a token ` +
        `with access to this repository (gated repos also need their terms accepted on the website).`,
    );
  }
  // downloadFileToCacheDir reports a path missing from paths-info with this message (no error class).
  const missing = err instanceof Error && /cannot get path info|invalid response for file/.test(err.message);
  if (missing || (err instanceof HubApiError && err.statusCode === 404)) {
    return new HubFileNotFoundError(
      `The hub at ${r.endpoint} has no ${describe(r)}. Check the repository id, repoType ('model' or 'dataset'), ` +
        `revision and file name.`,
    );
  }
  return err instanceof Error ? err : new Error(String(err));
}
