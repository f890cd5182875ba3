/**
 * Installing `grpojs` alone gives the `grpojs` command: the package's bin is the built CLI entry,
 * a Node script npm can link (shebang), and `grpojs/cli` exports the function it calls.
 * .ci/pack-check.mjs checks the same from the packed tarballs with `npx grpojs --help`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('../../', import.meta.url));
const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
  bin?: Record<string, string>;
  exports: Record<string, unknown>;
  files: string[];
  dependencies: Record<string, string>;
};
const bin = manifest.bin?.grpojs;
const binFile = bin === undefined ? '' : fileURLToPath(new URL(bin, `file://${packageDir}`));

describe('the grpojs bin', () => {
  it('is declared by the grpojs package, with the CLI libraries as its dependencies', () => {
    expect(bin).toBe('./bin/grpojs.js');
    expect(manifest.files).toContain('bin');
    expect(manifest.exports['./cli']).toMatchObject({ types: './dist/cli/index.d.ts', default: './dist/cli/index.js' });
    for (const dep of ['commander', 'yaml']) expect(manifest.dependencies[dep], dep).toBeDefined();
  });

  it.skipIf(!existsSync(new URL('../../dist/cli/main.js', import.meta.url)))('is a Node script that prints the version and the usage (built)', () => {
    expect(readFileSync(binFile, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(execFileSync(process.execPath, [binFile, '--version'], { encoding: 'utf8' }).trim()).toBe(manifest.version);
    expect(execFileSync(process.execPath, [binFile, '--help'], { encoding: 'utf8' })).toMatch(/^Usage: grpojs /);
  });

  it('grpojs/cli exports runCli and the program', async () => {
    const cli = await import('../../src/cli/index.js');
    expect(typeof cli.runCli).toBe('function');
    expect(cli.createProgram().name()).toBe('grpojs');
  });
});
