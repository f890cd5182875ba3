/**
 * Library packages take options and never read the environment: only the umbrella (this package),
 * the runner and the bench do, the GRPOJS_* switches through @grpojs/model's runtimeOptionsFromEnv
 * (docs/accel.md). A scan of the library sources for `process.env` (and of accel's native sources for
 * a getenv), with each exception listed here and why.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packages = join(dirname(fileURLToPath(import.meta.url)), '../..');
const LIBRARIES = ['accel', 'model', 'rl', 'data', 'rewards', 'tracking'];

/** Files allowed to mention process.env, and why. */
const ALLOWED: Record<string, string> = {
  // huggingface_hub's documented variables (HF_HOME, HF_HUB_CACHE, HF_ENDPOINT, HF_TOKEN, ...): the
  // hub cache is shared with Python, which reads them the same way wherever the hub is used.
  'data/src/hub.ts': 'HF_* variables as huggingface_hub documents them',
  // tracking takes the environment as a parameter (`env`) and only defaults it to process.env, for
  // W&B's documented WANDB_* variables and the .env file; callers pass their own.
  'tracking/src/create.ts': 'env option, default process.env (WANDB_*)',
  'tracking/src/env.ts': 'env parameter, default process.env (.env file, WANDB_*)',
  'tracking/src/redact.ts': 'env parameter, default process.env (secrets to redact)',
  'tracking/src/wandb-offline.ts': 'env option, default process.env (WANDB_*)',
  'tracking/src/wandb.ts': 'env option, default process.env (WANDB_*)',
};

/** `process.env`, `process['env']`, `globalThis.process.env` and `const { env } = process`. */
const READS_ENV = /process\s*(\.|\?\.|\[\s*['"`])env\b|\{[^}]*\benv\b[^}]*\}\s*=\s*(globalThis\.)?process\b/;

function sources(dir: string, exts: string[]): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path, exts);
    return exts.some((e) => name.endsWith(e)) ? [path] : [];
  });
}

describe('library packages do not read the environment', () => {
  it('no process.env in packages/{accel,model,rl,data,rewards,tracking}/src outside the listed exceptions', () => {
    const offenders: string[] = [];
    let scanned = 0;
    for (const pkg of LIBRARIES) {
      for (const file of sources(join(packages, pkg, 'src'), ['.ts'])) {
        scanned++;
        const rel = relative(packages, file);
        if (rel in ALLOWED) continue;
        readFileSync(file, 'utf8')
          .split('\n')
          .forEach((line, i) => {
            if (READS_ENV.test(line)) offenders.push(`${rel}:${i + 1}: ${line.trim()}`);
          });
      }
    }
    expect(scanned).toBeGreaterThan(100); // the scan sees the sources
    expect(offenders).toEqual([]);
  });

  it('the scan sees every spelling of a read', () => {
    for (const line of ['const a = process.env.X;', "const b = process['env'];", 'const c = globalThis.process?.env;', 'const { env } = process;', 'const { env: e, argv } = globalThis.process;']) {
      expect(READS_ENV.test(line), line).toBe(true);
    }
    for (const line of ['// the process environment', 'const env = options.env;', 'processEnvironment(env)']) expect(READS_ENV.test(line), line).toBe(false);
  });

  it('every listed exception still reads process.env (a stale entry is removed)', () => {
    for (const rel of Object.keys(ALLOWED)) expect(readFileSync(join(packages, rel), 'utf8'), rel).toMatch(/process\.env\b/);
  });

  it("no getenv in @grpojs/accel's native sources (the runtime options reach the addon as arguments)", () => {
    const offenders = sources(join(packages, 'accel', 'native'), ['.cc', '.h']).filter((f) => /\b(secure_)?getenv\s*\(|\benviron\b/.test(readFileSync(f, 'utf8')));
    expect(offenders.map((f) => relative(packages, f))).toEqual([]);
  });
});
