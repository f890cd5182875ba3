/**
 * The runtime options: the GRPOJS_* variables runtimeOptionsFromEnv maps (and rejects), the
 * defaults and per-family resolution, initRuntime applying them (kernel families, kernel threads,
 * the re-init rule), and loadCausalLM refusing to reconfigure the process.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ACCEL_FAMILIES, resolveRuntimeOptions, runtimeOptionsFromEnv, RuntimeOptionsError } from '../src/runtime/runtime-options.js';
import { initRuntime, runtimeOptions } from '../src/runtime/runtime.js';
import { accelImportFailure, loadedAccel } from '../src/runtime/load-accel.js';
import { loadCausalLM } from '../src/causal-lm.js';
import { makeGPT2Config } from '../src/architectures/gpt2/config.js';
import { writeRandomGPT2Checkpoint } from '../src/architectures/gpt2/random-init.js';
import { ACCEL_BUILT, nativeOff } from './native-helpers.js';

const suite = runtimeOptionsFromEnv(process.env);
afterEach(async () => {
  await initRuntime({ ...suite, log: () => {} });
});
const root = await mkdtemp(join(tmpdir(), 'grpojs-runtime-'));
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('runtimeOptionsFromEnv', () => {
  it('maps every switch: "0" turns one off, "1" or empty leaves it on', () => {
    expect(runtimeOptionsFromEnv({})).toEqual({});
    expect(
      runtimeOptionsFromEnv({
        GRPOJS_BACKEND: ' WASM ',
        GRPOJS_ACCEL_GELU: '0',
        GRPOJS_ACCEL_NF4: '0',
        GRPOJS_ACCEL_VOCAB: '1',
        GRPOJS_ACCEL_SOFTMAX: '',
        GRPOJS_ACCEL_KERNEL_THREADS: '3',
        GRPOJS_NATIVE_DECODE: '0',
        GRPOJS_DECODE_NF4_PANELS: '0',
      }),
    ).toEqual({ backend: 'wasm', accel: { gelu: false, nf4: false }, kernelThreads: 3, nativeDecode: false, nativeDecodeNf4Codes: false });
    for (const family of ACCEL_FAMILIES) {
      expect(runtimeOptionsFromEnv({ [`GRPOJS_ACCEL_${family.toUpperCase()}`]: '0' })).toEqual({ accel: { [family]: false } });
    }
    // GRPOJS_ACCEL=0 wins over the per-family switches
    expect(runtimeOptionsFromEnv({ GRPOJS_ACCEL: '0', GRPOJS_ACCEL_GELU: '0' })).toEqual({ accel: false });
    expect(runtimeOptionsFromEnv({ GRPOJS_ACCEL: '1', GRPOJS_NATIVE_DECODE: '1' })).toEqual({});
  });

  it('names the variable of a value it cannot use', () => {
    expect(() => runtimeOptionsFromEnv({ GRPOJS_BACKEND: 'cuda' })).toThrow(RuntimeOptionsError);
    expect(() => runtimeOptionsFromEnv({ GRPOJS_BACKEND: 'cuda' })).toThrow(/GRPOJS_BACKEND: unknown backend "cuda"/);
    for (const name of ['GRPOJS_ACCEL', 'GRPOJS_ACCEL_VOCAB', 'GRPOJS_NATIVE_DECODE', 'GRPOJS_DECODE_NF4_PANELS']) {
      expect(() => runtimeOptionsFromEnv({ [name]: 'false' })).toThrow(`${name} is "false"; use 0 (off) or 1 (on), or unset it.`);
    }
    // a bad family switch is reported also under GRPOJS_ACCEL=0 (it would matter once that is unset)
    expect(() => runtimeOptionsFromEnv({ GRPOJS_ACCEL: '0', GRPOJS_ACCEL_GELU: 'off' })).toThrow(/GRPOJS_ACCEL_GELU is "off"/);
    for (const bad of ['x', '0', '1.5', '65']) {
      expect(() => runtimeOptionsFromEnv({ GRPOJS_ACCEL_KERNEL_THREADS: bad })).toThrow(`GRPOJS_ACCEL_KERNEL_THREADS is "${bad}"; use an integer from 1 to 64`);
    }
  });

  it("has the same families as @grpojs/accel's contract", async () => {
    const { ACCEL_KERNEL_FAMILIES } = await import('@grpojs/accel/contract');
    expect([...ACCEL_FAMILIES].sort()).toEqual(Object.keys(ACCEL_KERNEL_FAMILIES).sort());
  });
});

describe('the accel loader', () => {
  it('tells "not installed" from "installed but broken" (whose error it keeps)', async () => {
    const missing = await import('@grpojs/accel-not-a-package' as string).catch((e: unknown) => e);
    expect(accelImportFailure(Object.assign(new Error("Cannot find package '@grpojs/accel' imported from /x/y.js"), { code: 'ERR_MODULE_NOT_FOUND' }))).toBe(
      'optional @grpojs/accel not installed; see docs/accel.md',
    );
    // a package accel imports is missing: accel is installed but broken
    expect(accelImportFailure(missing)).toMatch(/^@grpojs\/accel is installed but failed to load \(Cannot find package '@grpojs\/accel-not-a-package'/);
    expect(accelImportFailure(new SyntaxError('Unexpected token'))).toBe(
      '@grpojs/accel is installed but failed to load (Unexpected token); reinstall it or see docs/accel.md',
    );
  });
});

describe("docs/accel.md's switch table", () => {
  it('has a row for every option and every GRPOJS_* variable runtimeOptionsFromEnv reads', () => {
    const doc = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../../docs/accel.md'), 'utf8');
    const rows = doc.split('\n').filter((line) => line.startsWith('| `GRPOJS_') || line.startsWith('| —'));
    const row = (env: string, option: string): boolean => rows.some((r) => r.includes(env) && r.includes(option));
    for (const family of ACCEL_FAMILIES) expect(row(`GRPOJS_ACCEL_${family.toUpperCase()}=0`, `accel: { ${family}: false }`), family).toBe(true);
    expect(row('GRPOJS_BACKEND=', '`backend`')).toBe(true);
    expect(row('GRPOJS_ACCEL=0', '`accel: false`')).toBe(true);
    expect(row('GRPOJS_ACCEL_KERNEL_THREADS=n', '`kernelThreads: n`')).toBe(true);
    expect(row('GRPOJS_NATIVE_DECODE=0', '`nativeDecode: false`')).toBe(true);
    expect(row('GRPOJS_DECODE_NF4_PANELS=0', '`nativeDecodeNf4Codes: false`')).toBe(true);
    // and the variables the function reads are those of the table (a new one needs its row)
    const source = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../src/runtime/runtime-options.ts'), 'utf8');
    const read = [...source.matchAll(/env\.(GRPOJS_[A-Z_0-9]+)|isOff\(env, ['`](GRPOJS_[A-Z_0-9]+)/g)].map((m) => m[1] ?? m[2]);
    expect(read.length).toBeGreaterThan(3);
    for (const name of read) expect(rows.some((r) => r.startsWith(`| \`${name}`)), name).toBe(true);
  });

  it('has a row for every GRPOJS_* variable any package reads (build, install, bench and CLI ones marked —)', () => {
    const doc = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../../docs/accel.md'), 'utf8');
    const rows = doc.split('\n').filter((line) => line.startsWith('| `GRPOJS_'));
    const packages = join(dirname(fileURLToPath(import.meta.url)), '../..');
    const files = (dir: string): string[] =>
      existsSync(dir)
        ? readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : /\.(ts|mjs|cjs|js)$/.test(e.name) ? [join(dir, e.name)] : []))
        : [];
    const sources = readdirSync(packages).flatMap((p) => [...files(join(packages, p, 'src')), ...files(join(packages, p, 'scripts')), join(packages, p, 'binding.gyp')]);
    const read = new Set(sources.filter((f) => existsSync(f)).flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/env(?:\.|\[['"])(GRPOJS_[A-Z_0-9]+)/g)].map((m) => m[1])));
    expect(read.size).toBeGreaterThan(10); // the scan sees the readers
    for (const name of read) expect(rows.some((r) => r.includes(`\`${name}=`)), name).toBe(true);
  });
});

describe('resolveRuntimeOptions', () => {
  const all = (on: boolean) => Object.fromEntries(['matmul', ...ACCEL_FAMILIES].map((f) => [f, on]));

  it('fills in the defaults and spells accel out per family (every family needs the matmul)', () => {
    expect(resolveRuntimeOptions({})).toEqual({ backend: null, accel: all(true), kernelThreads: null, nativeDecode: true, nativeDecodeNf4Codes: true });
    expect(resolveRuntimeOptions({ accel: false }).accel).toEqual(all(false));
    expect(resolveRuntimeOptions({ accel: { matmul: false, gelu: true } }).accel).toEqual(all(false));
    expect(resolveRuntimeOptions({ accel: { gelu: false, heads: false } }).accel).toEqual({ ...all(true), gelu: false, heads: false });
  });

  it('names the field of a bad option', () => {
    expect(() => resolveRuntimeOptions({ kernelThreads: 0 })).toThrow(/^initRuntime: options\.kernelThreads: /);
    expect(() => resolveRuntimeOptions({ accel: { gelu: false, warp: false } as never })).toThrow(/^initRuntime: options\.accel/);
    expect(() => resolveRuntimeOptions({ nativeDecod: false } as never)).toThrow(/^initRuntime: options: .*nativeDecod/);
    expect(() => resolveRuntimeOptions({ accel: { gelu: 'no' } } as never)).toThrow(/^initRuntime: options\.accel\.gelu is "no"; use true or false\.$/);
    expect(() => resolveRuntimeOptions({ accel: 'yes' } as never)).toThrow(/^initRuntime: options\.accel is "yes"; use true, false or per family \{ vocab: false, … \}/);
  });
});

describe.skipIf(nativeOff())(`initRuntime with @grpojs/accel (${ACCEL_BUILT ? 'built' : 'not built'})`, () => {
  const registered = (key: string): boolean => tf.getKernel(key, tf.getBackend()) !== undefined;

  it('registers the families switched on, and re-registers when they change; same options: nothing said again', async () => {
    const lines: string[] = [];
    const log = (line: string): number => lines.push(line);
    const status = await initRuntime({ backend: 'wasm', accel: { gelu: false }, log });
    expect(status.matmul).toMatch(/^matmul: BLAS on wasm and cpu \(.*; kernels off: gelu\)$/);
    const k = loadedAccel()!.kernels;
    expect([registered(k.geluNew), registered(k.layerNorm), registered(k.maskedSoftmax)]).toEqual([false, true, true]);
    await initRuntime({ backend: 'wasm', accel: { layernorm: false, softmax: false }, log });
    expect([registered(k.geluNew), registered(k.layerNorm), registered(k.maskedSoftmax)]).toEqual([true, false, false]);
    const said = lines.length;
    await initRuntime({ backend: 'wasm', accel: { layernorm: false, softmax: false }, log });
    expect(lines).toHaveLength(said);
    expect(runtimeOptions().accel.layernorm).toBe(false);
  });

  it('sizes the kernel thread pool, and kernelThreads unset goes back to its default size', async () => {
    await initRuntime({ log: () => {} });
    const own = loadedAccel()!.setKernelThreads(0);
    await initRuntime({ kernelThreads: own === 3 ? 2 : 3, log: () => {} });
    expect(loadedAccel()!.setKernelThreads(0)).toBe(own === 3 ? 2 : 3);
    await initRuntime({ kernelThreads: 1, log: () => {} });
    expect(loadedAccel()!.setKernelThreads(0)).toBe(1);
    await initRuntime({ log: () => {} });
    expect(loadedAccel()!.setKernelThreads(0)).toBe(own);
  });
});

describe('loadCausalLM and the process-wide runtime', () => {
  it("initialises nothing behind the runtime's back: a different accel or backend is an error that says to call initRuntime", async () => {
    await writeRandomGPT2Checkpoint(join(root, 'm'), makeGPT2Config({ vocabSize: 16, nPositions: 8, nEmbd: 8, nLayer: 1, nHead: 2 }), 1);
    await initRuntime({ backend: 'wasm', accel: true, log: () => {} });
    await expect(loadCausalLM(join(root, 'm'), { accel: false })).rejects.toThrow(
      /loadCausalLM: options\.accel is false but the runtime has accel on; accel is process-wide: call initRuntime\(\{ accel: false \}\)/,
    );
    await expect(loadCausalLM(join(root, 'm'), { backend: 'cpu' })).rejects.toThrow(/loadCausalLM: options\.backend is 'cpu' but the runtime was initialised with backend 'wasm'/);
    // also when initRuntime chose the backend itself
    await initRuntime({ backend: 'cpu', log: () => {} });
    await initRuntime({ log: () => {} });
    const chosen = tf.getBackend();
    const other = chosen === 'cpu' ? 'wasm' : 'cpu';
    await expect(loadCausalLM(join(root, 'm'), { backend: other })).rejects.toThrow(
      new RegExp(`loadCausalLM: options\\.backend is '${other}' but the runtime was initialised with backend '${chosen}'`),
    );
    expect(tf.getBackend()).toBe(chosen);
    await initRuntime({ backend: 'wasm', accel: true, log: () => {} });
    const lm = await loadCausalLM(join(root, 'm'), { accel: true, backend: 'wasm' });
    expect(tf.getBackend()).toBe('wasm');
    lm.dispose();
    // accel: true means "when available": a runtime with accel off (GRPOJS_ACCEL=0) keeps it off
    await initRuntime({ backend: 'wasm', accel: false, log: () => {} });
    const off = await loadCausalLM(join(root, 'm'), { accel: true });
    expect(runtimeOptions().accel.matmul).toBe(false);
    off.dispose();
  });
});
