// A checkpoint write that fails (a full disk, a folder in the way) names the file being written and
// what to do, and keeps the system's error as cause; Node's own "ENOSPC: no space left on device,
// write" names no file at all.
import * as fs from 'node:fs/promises';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { saveCheckpoint, type CheckpointContents } from '../src/checkpoint.js';
import { CheckpointError } from '../src/errors.js';
import type { PolicyModel } from '../src/policy-model.js';
import { writeTensorFile } from '../src/tensor-file.js';

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return { ...actual, writeFile: vi.fn(actual.writeFile) };
});

const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });

/** Writes of files whose name ends with `suffix` fail as on a full disk. */
async function fullDiskFor(suffix: string): Promise<void> {
  const actual = await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises');
  vi.mocked(fs.writeFile).mockImplementation((file, ...rest) => (String(file).endsWith(suffix) ? Promise.reject(enospc()) : actual.writeFile(file, ...rest)));
}

afterEach(() => vi.mocked(fs.writeFile).mockReset());

const contents = (): CheckpointContents => ({
  state: { version: 1, globalStep: 4, totalSteps: 10, epoch: 0, numTokens: 0, skippedSteps: 0, dataPosition: { generationBatchIndex: 4, epoch: 0, batchInEpoch: 4 }, logWindow: [], logHistory: [], rewardNames: [], baseEval: null, config: {} as never },
  scheduler: { type: 'linear', learningRate: 1e-3, warmupSteps: 0, totalSteps: 10, lastLearningRate: 1e-3 },
  rng: { seed: 1, scheme: 'x' },
  variables: [{ name: 'w', shape: [2], data: new Float32Array([1, 2]) }],
  optimizer: { step: 4, variables: [{ name: 'w', shape: [2], m: new Float32Array(2), v: new Float32Array(2) }] },
  generationBatch: null,
});
const model = { save: async () => undefined } as unknown as PolicyModel;

describe('checkpoint writes name their file', () => {
  it('trainer_state.json on a full disk: a CheckpointError with the path, and no half checkpoint', async () => {
    const out = await mkdtemp(join(tmpdir(), 'ckpt-errors-'));
    await fullDiskFor('trainer_state.json');
    const error = await saveCheckpoint(out, model, contents()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as Error).message).toMatch(
      new RegExp(`^Cannot write checkpoint file ${out}/\\.checkpoint-4\\.tmp-\\d+/trainer_state\\.json: no space left on the device; free some space or choose a folder on another disk \\(ENOSPC\\)\\.$`),
    );
    expect(((error as Error).cause as { code?: string }).code).toBe('ENOSPC');
    expect((await readdir(out)).filter((name) => name.startsWith('checkpoint-'))).toEqual([]);
  });

  it('the optimizer tensors on a full disk', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ckpt-errors-'));
    await fullDiskFor('optimizer.bin');
    await expect(writeTensorFile(dir, 'optimizer', [{ name: 'w/m', shape: [1], data: new Float32Array(1) }])).rejects.toThrow(
      `Cannot write checkpoint file ${join(dir, 'optimizer.bin')}: no space left on the device`,
    );
  });
});
