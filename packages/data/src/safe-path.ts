/**
 * Names that come from outside (a hub id, a revision, a file name read from an index or config file)
 * are checked here before they become part of a path, so none can leave the folder it belongs in:
 * the hub cache, a model folder, a snapshot. One validator per kind of name, used by every package
 * that builds such paths; each error names the value, where it came from, and what to do.
 */
import { isAbsolute, join, relative, resolve } from 'node:path';
import { DataError } from './errors.js';

/** A name from outside would leave its folder (`..`, an absolute path) or holds characters no path should. */
export class UnsafePathError extends DataError {
  override name = 'UnsafePathError';
  /**
   * @param message what is wrong and what to do.
   * @param value the rejected name, as given.
   * @param source where it came from: an option, or a file and field (`…/model.safetensors.index.json weight_map["lm_head.weight"]`).
   */
  constructor(
    message: string,
    readonly value: string,
    readonly source: string,
  ) {
    super(message);
  }
}

// Control characters (NUL ends a C path early; the rest corrupt logs and terminals), the Windows
// separator and drive/stream marker: never part of a name we accept from a file.
const ODD_CHARACTERS = /[\u0000-\u001f\u007f\\:]/;
// Hub ids: huggingface_hub's validate_repo_id (an optional namespace, a name of word characters,
// `-` and `.`, at most 96 characters each), which also refuses `--` and `..` because the cache folder
// joins the parts with `--`.
const REPO_PART = /^[A-Za-z0-9][\w.-]{0,95}$/;
// Git refs as the hub serves them (`main`, `v1.0`, `refs/pr/12`): `/`-separated parts of these characters.
const REVISION_PART = /^[\w.+-]+$/;

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/**
 * Checks a hub repository id (`distilgpt2`, `openai/gsm8k`) before it names a cache folder.
 * @param source where the id came from, for the error (`the model option`, `adapter_config.json base_model_name_or_path`).
 * @returns the id.
 * @throws UnsafePathError naming the id and `source`.
 */
export function assertHubRepoId(repoId: unknown, source: string): string {
  const parts = typeof repoId === 'string' ? repoId.split('/') : [];
  const ok =
    parts.length >= 1 &&
    parts.length <= 2 &&
    parts.every((part) => REPO_PART.test(part) && !part.includes('--') && !part.includes('..') && !part.endsWith('.'));
  if (!ok) {
    throw new UnsafePathError(
      `repoId ${show(repoId)} (${source}) is not a hub id like "openai/gsm8k" or "distilgpt2": an optional namespace and a name, ` +
        'each of letters, digits, "_", "-" and "." without "--" or "..". For a local folder, pass a path that exists.',
      String(repoId),
      source,
    );
  }
  return repoId as string;
}

/**
 * Checks a hub revision (branch, tag or commit) before it names a file under the cache's `refs/`.
 * @throws UnsafePathError naming the revision and `source`.
 */
export function assertHubRevision(revision: unknown, source: string): string {
  const parts = typeof revision === 'string' ? revision.split('/') : [];
  const ok =
    typeof revision === 'string' &&
    revision.length <= 255 &&
    parts.every((part) => REVISION_PART.test(part) && part !== '.' && !part.includes('..') && !part.endsWith('.lock'));
  if (!ok) {
    throw new UnsafePathError(
      `revision ${show(revision)} (${source}) is not a branch, tag or commit: use "main", a tag like "v1.0", "refs/pr/1" ` +
        'or a 40-hex commit (letters, digits, "_", "-", "+", "." in "/"-separated parts, no "..").',
      String(revision),
      source,
    );
  }
  return revision as string;
}

/**
 * Checks a relative file name (`model-00001-of-00002.safetensors`, `main/train-00000.parquet`)
 * that will be joined to a folder: not empty, not absolute, no `.`/`..`/empty parts, no control
 * characters, `\` or `:`.
 * @param what what the name is, for the error (`shard file name`).
 * @param source where it came from (an option, or a file and field).
 * @returns the name.
 * @throws UnsafePathError naming the name, `what` and `source`.
 */
export function assertRelativeFileName(name: unknown, what: string, source: string): string {
  const problem =
    typeof name !== 'string' || name === ''
      ? 'it is not a non-empty string'
      : ODD_CHARACTERS.test(name)
        ? 'it contains a control character, "\\" or ":"'
        : isAbsolute(name)
          ? 'it is an absolute path'
          : name.split('/').some((part) => part === '..')
            ? 'it contains ".."'
            : name.split('/').some((part) => part === '' || part === '.')
              ? 'it has an empty or "." part'
              : undefined;
  if (problem !== undefined) {
    throw new UnsafePathError(
      `${what} ${show(name)} (${source}) must be a relative file path inside its folder, but ${problem}. ` +
        'Fix or re-download the file it came from.',
      String(name),
      source,
    );
  }
  return name as string;
}

/**
 * `root/name` for a relative file name from outside, checked by {@link assertRelativeFileName} and,
 * once joined, to lie inside `root`.
 * @throws UnsafePathError naming the name, `what`, `source` and `root`.
 */
export function pathInside(root: string, name: unknown, what: string, source: string): string {
  const path = join(root, assertRelativeFileName(name, what, source));
  const rel = relative(resolve(root), resolve(path));
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new UnsafePathError(`${what} ${show(name)} (${source}) resolves to ${path}, outside ${root}.`, String(name), source);
  }
  return path;
}
