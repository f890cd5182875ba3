/**
 * Atomic writes are durable (the temp file and its folder are fsynced) and the temporaries a
 * killed writer left behind are found by their exact name and removed, nothing else.
 */
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { atomicTempOwner, removeStaleTempFiles, tempPathFor, writeFileAtomic } from '../src/io/atomic-write.js';
import { writeSafetensors } from '../src/io/safetensors.js';

/** A pid no process has: above Linux's pid_max. */
const DEAD_PID = 4_194_400;

afterEach(() => vi.restoreAllMocks());

describe('atomic writes', () => {
  it('fsync the temp file and the folder (writeFileAtomic and writeSafetensors)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grpojs-atomic-'));
    const probe = await open(join(dir, 'probe'), 'w');
    const sync = vi.spyOn(Object.getPrototypeOf(probe) as { sync: () => Promise<void> }, 'sync');
    await probe.close();
    await writeFileAtomic(join(dir, 'a.json'), '{}\n');
    expect(sync).toHaveBeenCalledTimes(2); // the file, then the folder after the rename
    await writeSafetensors(join(dir, 'w.safetensors'), new Map([['x', { shape: [2], data: new Float32Array([1, 2]) }]]));
    expect(sync).toHaveBeenCalledTimes(4);
    expect(readdirSync(dir).sort()).toEqual(['a.json', 'probe', 'w.safetensors']);
  });

  it('removeStaleTempFiles removes only temp names of dead writers (and of this process)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grpojs-stale-'));
    const ours = tempPathFor(join(dir, 'adapter_model.safetensors'));
    expect(atomicTempOwner(ours)).toBe(process.pid);
    const dead = join(dir, `adapter_config.json.tmp-${DEAD_PID}-k3j9x0`);
    const live = `tokenizer.json.tmp-${process.ppid}-abc123`;
    for (const file of [ours, dead, join(dir, live), join(dir, 'notes.tmp-old'), join(dir, 'a.tmp-12'), join(dir, 'keep.json')]) writeFileSync(file, 'x');
    mkdirSync(join(dir, '.checkpoint-3.tmp-12'));
    const removed = await removeStaleTempFiles(dir);
    expect(removed.sort()).toEqual([dead, ours].sort());
    expect(readdirSync(dir).sort()).toEqual(['.checkpoint-3.tmp-12', 'a.tmp-12', 'keep.json', 'notes.tmp-old', live].sort());
    expect(await removeStaleTempFiles(join(dir, 'missing'))).toEqual([]);
  });
});
