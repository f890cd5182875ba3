// The addon's kernel thread pool is one per process, shared by every JS thread that loads the
// addon (worker_threads): resizing it from one thread while another runs a kernel on it must
// neither crash nor change results (native/kernels/thread-pool.h hands the pool out as a shared_ptr
// under a mutex). Also the region check of sgemm's operand sizes, whose products must not wrap.
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

import { setKernelThreads } from '../src/kernels.js';
import { loadAddon } from '../src/native.js';
import { addonBuilt, rng, skipNote } from './helpers.js';

describe.skipIf(!addonBuilt)(`the shared kernel pool${skipNote}`, () => {
  const load = loadAddon();
  const addon = load.ok ? load.addon : null;
  const file = load.ok ? load.file : '';

  it('a worker thread resizing the pool while this thread runs split kernels: same bits every call', async () => {
    const before = setKernelThreads(0);
    const next = rng(11);
    const size = 3 * 65536 + 1001; // split over the pool (gelu's items are 64 Ki values)
    const x = Float32Array.from({ length: size }, () => (next() * 2 - 1) * 8);
    const reference = new Float32Array(size);
    addon!.geluNew({ x, out: reference, size });
    // flag[0]: the worker has started resizing; flag[1]: it is done.
    const flag = new Int32Array(new SharedArrayBuffer(8));
    const worker = new Worker(
      `const { workerData } = require('node:worker_threads');
       const addon = require(workerData.file);
       Atomics.store(workerData.flag, 0, 1);
       for (let i = 0; i < 400; ++i) addon.kernelThreads(2 + (i % 3));
       Atomics.store(workerData.flag, 1, 1);`,
      { eval: true, workerData: { file, flag } },
    );
    const exited = new Promise<number>((resolve, reject) => {
      worker.on('exit', resolve);
      worker.on('error', reject);
    });
    const out = new Float32Array(size);
    let calls = 0;
    let differing = 0;
    const deadline = Date.now() + 20_000;
    while (Atomics.load(flag, 0) === 0 && Date.now() < deadline); // the worker is running
    while (Atomics.load(flag, 1) === 0 && Date.now() < deadline) {
      addon!.geluNew({ x, out, size });
      calls++;
      if (!Buffer.from(out.buffer).equals(Buffer.from(reference.buffer))) differing++;
    }
    expect(await exited).toBe(0);
    expect(calls).toBeGreaterThan(0); // the kernel ran while the pool was being resized
    expect(differing).toBe(0);
    expect([2, 3, 4]).toContain(setKernelThreads(0));
    setKernelThreads(before);
  }, 60_000);

  it("sgemm refuses operand sizes whose product would wrap past 2^64 (the region check sees the true size)", () => {
    const small = { buffer: new ArrayBuffer(4 << 17), byteOffset: 0 };
    // aBlocks 2^30 · m 2^17 · k 2^17 = 2^64 values of a: in int64 arithmetic that is 0.
    const call = () =>
      addon!.sgemm({
        a: small,
        b: small,
        out: small,
        aIndex: Int32Array.of(2 ** 30 - 1),
        bIndex: Int32Array.of(0),
        m: 2 ** 17,
        n: 1,
        k: 2 ** 17,
        transposeA: false,
        transposeB: false,
        bias: null,
        biasLength: 0,
        activation: 0,
        alpha: null,
        alphaLength: 0,
        leakyreluAlpha: 0,
      });
    expect(call).toThrow(RangeError);
    expect(call).toThrow(/^sgemm: options\.a: region of /);
  });
});
