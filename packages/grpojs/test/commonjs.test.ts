import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// A CommonJS consumer: Node >= 20.19 require()s our ESM entries through the `default` export
// condition, which works only while no entry module (or anything it imports) uses top-level await.
// Runs the built dist (`pnpm build`), as a user's require() would; .ci/pack-check.mjs does the same
// from the packed tarballs installed outside the repo.
const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const names = ['grpojs', 'grpojs/cli', '@grpojs/rewards', '@grpojs/data', '@grpojs/model', '@grpojs/rl', '@grpojs/tracking'];

describe('CommonJS consumers', () => {
  it('require() gives every package with the same exports as import()', () => {
    const script = `
      (async () => {
        const out = {};
        for (const name of ${JSON.stringify(names)}) {
          const cjs = Object.keys(require(name)).sort();
          const esm = Object.keys(await import(name)).sort();
          out[name] = { cjs: cjs.length, same: JSON.stringify(cjs) === JSON.stringify(esm) };
        }
        console.log(JSON.stringify(out));
      })();`;
    const child = spawnSync(process.execPath, ['-e', script], { cwd: packageDir, encoding: 'utf8' });
    expect(child.stderr).not.toMatch(/Error/);
    expect(child.status).toBe(0);
    const result = JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}') as Record<string, { cjs: number; same: boolean }>;
    for (const name of names) {
      expect(result[name]?.same, name).toBe(true);
      expect(result[name]?.cjs, name).toBeGreaterThan(0);
    }
  });
});
