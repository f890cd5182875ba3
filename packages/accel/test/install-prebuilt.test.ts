// scripts/install.mjs with the prebuilt binary, in a copy of the package and with only node on PATH
// (no compiler, python or pkg-config): it uses the prebuilt, compiles nothing and deletes a stale
// local build (which the loader would otherwise pick first); a prebuilt that does not load is named
// in the notice and in build/install-error.txt. Skipped with the reason when no prebuilt for this
// platform was built from the current sources.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

import { ADDON_FILE, prebuiltDir, readManifest, sourcesHash } from '../scripts/prebuilt.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ready = existsSync(join(prebuiltDir(root), ADDON_FILE)) && readManifest(root)?.sourcesSha256 === sourcesHash(root);
const why = ready ? '' : ' (SKIPPED: no prebuilt built from the current sources; pnpm --filter @grpojs/accel build:prebuilt)';
const temp = mkdtempSync(join(tmpdir(), 'grpojs-accel-install-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

/** A copy of what the published package holds (no build/), and a PATH with only node. */
function packageCopy(name: string): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = join(temp, name);
  for (const part of ['native', 'scripts', 'prebuilds', 'binding.gyp', 'package.json']) cpSync(join(root, part), join(dir, part), { recursive: true });
  const bin = join(temp, 'bin');
  if (!existsSync(bin)) {
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
  }
  const env: NodeJS.ProcessEnv = { HOME: temp, PATH: bin };
  return { dir, env };
}

function install(dir: string, env: NodeJS.ProcessEnv): string {
  const run = spawnSync(process.execPath, ['scripts/install.mjs'], { cwd: dir, env, encoding: 'utf8' });
  expect(run.status).toBe(0); // never fails the install
  return `${run.stdout}${run.stderr}`;
}

describe.skipIf(!ready)(`install.mjs with the prebuilt binary${why}`, () => {
  it('uses the prebuilt with no toolchain, compiles nothing and removes a stale local build', () => {
    const { dir, env } = packageCopy('fresh');
    const stale = join(dir, 'build', 'Release', ADDON_FILE);
    mkdirSync(dirname(stale), { recursive: true });
    writeFileSync(stale, 'an old build');
    utimesSync(stale, new Date(2000, 0, 1), new Date(2000, 0, 1));
    expect(install(dir, env)).toBe('@grpojs/accel: using the prebuilt addon prebuilds/linux-x64/grpojs_accel.node; nothing to compile\n'.replace('linux-x64', `${process.platform}-${process.arch}`));
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(join(dir, 'build', 'install-error.txt'))).toBe(false);
  });

  it('names a prebuilt that does not load, then reports the failed build from source', () => {
    const { dir, env } = packageCopy('broken');
    writeFileSync(join(prebuiltDir(dir), ADDON_FILE), 'not an ELF file');
    const out = install(dir, env);
    expect(out).toMatch(/The prebuilt addon was not used \(prebuilds\/\S+\/grpojs_accel\.node failed to load: .*\) and building from source failed\. Missing a C\+\+ compiler/);
    expect(readFileSync(join(dir, 'build', 'install-error.txt'), 'utf8').split('\n')[0]).toMatch(/^missing a C\+\+ compiler.*; the prebuilt addon did not load either: /);
  });

  it('builds from source when GRPOJS_ACCEL_BUILD_FROM_SOURCE=1, even with a prebuilt that loads', () => {
    const { dir, env } = packageCopy('from-source');
    const out = install(dir, { ...env, GRPOJS_ACCEL_BUILD_FROM_SOURCE: '1' });
    expect(out).toContain('BLAS addon not built');
    expect(out).not.toContain('The prebuilt addon was not used');
  });
});
