/**
 * The published declarations never require the optional @grpojs/accel: no declaration file that a
 * consumer's `import '@grpojs/model'` reaches names it (model imports accel's contract as types in
 * its implementation only). Reads the build output (dist/), which these tests need anyway
 * (setup-tfjs.ts imports dist/tfjs-registrations.js): run `pnpm --filter @grpojs/model build` first.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = join(dirname(fileURLToPath(import.meta.url)), '../dist');

/** Every package specifier imported by the declaration files reachable from `entry`, with the file. */
function reachableImports(entry: string): { specifier: string; file: string }[] {
  const seen = new Set<string>();
  const found: { specifier: string; file: string }[] = [];
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    // a side-effect import of a JavaScript file without declarations (dist/tfjs-registrations.js)
    if (!existsSync(file) && existsSync(file.replace(/\.d\.ts$/, '.js'))) continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
      const specifier = m[1];
      if (specifier.startsWith('.')) todo.push(normalize(join(dirname(file), specifier.replace(/\.js$/, '.d.ts'))));
      else found.push({ specifier, file });
    }
  }
  return found;
}

describe('published declarations', () => {
  it('reach no @grpojs/accel module from dist/index.d.ts', () => {
    expect(existsSync(join(dist, 'index.d.ts')), 'dist/index.d.ts: build the package first').toBe(true);
    const imports = reachableImports(join(dist, 'index.d.ts'));
    expect(imports.length).toBeGreaterThan(0); // the walk sees tfjs-core, zod, ...
    expect(imports.some((i) => i.specifier === '@tensorflow/tfjs-core')).toBe(true);
    expect(imports.filter((i) => i.specifier.startsWith('@grpojs/accel'))).toEqual([]);
  });
});
