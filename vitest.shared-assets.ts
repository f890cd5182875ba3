// The one way tests find the shared test assets (the GSM8K files and the GPT-2 tokenizer in
// ../shared/assets, next to the repository, never copied into it; see its README.md). A suite whose
// assets are missing is skipped with one line saying what is missing, except under CI, where it
// FAILS with that message: a CI run must not pass with its real-data tests silently skipped (the
// same rule vitest.native-tests.ts applies to the native addon).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isCI } from './vitest.native-tests.js';

const REPO_ROOT = dirname(fileURLToPath(import.meta.url));

/** The shared folder: $GRPOJS_SHARED_DIR when set (tests only), else ../shared next to the repository. */
export function sharedDir(env = process.env): string {
  const override = env.GRPOJS_SHARED_DIR;
  return override !== undefined && override !== '' ? resolve(override) : join(REPO_ROOT, '..', 'shared');
}

/** The path of `relative` (e.g. 'gsm8k/test.jsonl') under the shared assets folder. */
export function sharedAsset(relative: string, env = process.env): string {
  return join(sharedDir(env), 'assets', relative);
}

/** Shared assets are missing under CI: a set-up problem, printed without a stack trace. */
export class SharedAssetsMissingError extends Error {
  override name = 'SharedAssetsMissingError';
  constructor(message: string) {
    super(message);
    this.stack = `${this.name}: ${message}`;
  }
}

/**
 * Whether every asset in `relatives` (paths under the assets folder) exists, for `describe.skipIf` /
 * `it.skipIf`. When some are missing it prints one line naming them and returns false, or, under CI
 * (unless GRPOJS_ALLOW_NO_SHARED_ASSETS=1), throws SharedAssetsMissingError so the test file fails.
 * `suite` names the tests that need them, e.g. 'data: real GSM8K files'.
 */
export function haveSharedAssets(suite: string, relatives: readonly string[], env = process.env): boolean {
  const missing = relatives.map((r) => sharedAsset(r, env)).filter((path) => !existsSync(path));
  if (missing.length === 0) return true;
  const what = `missing shared test asset(s) ${missing.join(', ')}`;
  if (isCI(env) && env.GRPOJS_ALLOW_NO_SHARED_ASSETS !== '1') {
    throw new SharedAssetsMissingError(
      `${suite}: ${what}\nCI is set, and CI must run the tests on the shared assets: put them in ${join(sharedDir(env), 'assets')} ` +
        '(../shared/assets next to the repository, or the folder GRPOJS_SHARED_DIR names; its README.md lists every file), ' +
        'or set GRPOJS_ALLOW_NO_SHARED_ASSETS=1 to allow the skip.',
    );
  }
  console.warn(`${suite}: SKIPPED: ${what}`);
  return false;
}
