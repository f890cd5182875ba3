/**
 * generate's fallback when the installed @grpojs/accel has no accelApi handle (an older package):
 * the tfjs decode steps and tfjs matmuls, with the reason in the path lines. The package is replaced
 * by its real exports minus accelApi before anything imports it. (A missing addon makes the real
 * createDecodeEngine return no engine: accel's decode-engine tests and the same branch here.)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

// test/setup-tfjs.ts already loaded the real package: start from a fresh module registry.
vi.resetModules();
vi.doMock('@grpojs/accel', async (importOriginal) => {
  const real = await importOriginal<typeof import('@grpojs/accel')>();
  return { ...real, accelApi: undefined };
});

const { initBackend } = await import('../src/runtime/runtime.js');
const { makeGPT2Config } = await import('../src/architectures/gpt2/config.js');
const { loadCausalLM } = await import('../src/causal-lm.js');
const { writeRandomGPT2Checkpoint } = await import('../src/architectures/gpt2/random-init.js');

const root = await mkdtemp(join(tmpdir(), 'grpojs-native-fallback-'));
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('native decode fallback', () => {
  it('an @grpojs/accel without accelApi: tfjs decode steps, and generate works', async () => {
    await initBackend();
    const config = makeGPT2Config({ vocabSize: 32, nPositions: 16, nEmbd: 16, nLayer: 1, nHead: 2, eosTokenId: 31, bosTokenId: 31 });
    await writeRandomGPT2Checkpoint(join(root, 'm'), config, 1);
    const lines: string[] = [];
    const lm = await loadCausalLM(join(root, 'm'), { log: (l) => lines.push(l) });
    const out = await lm.generate([[1, 2, 3], [4]], { maxNewTokens: 5, doSample: false, eosTokenId: [] });
    expect(out.completionIds.map((r) => r.length)).toEqual([5, 5]);
    const reason = 'the installed @grpojs/accel predates its accelApi handle; update it to the version of @grpojs/model';
    expect(lines.at(-1)).toBe(`generate: tfjs decode steps (${reason})`);
    lm.dispose();
  });
});
