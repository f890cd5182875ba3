// When enableBlasMatMul may be called: before the wasm backend package is imported it reports the
// missing kernels; after the import but before tf.setBackend('wasm') it works, and the original
// kernel is still set up (it runs after disable). Its own file: it needs a process where
// '@tensorflow/tfjs-backend-wasm' is not imported yet.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';

import { blasMatMulStats, disableBlasMatMul, enableBlasMatMul } from '../src/index.js';
import { loadAddon } from '../src/native.js';

const load = loadAddon();
const note = load.ok ? '' : ` (SKIPPED: BLAS addon not built: ${load.reason})`;

describe.skipIf(!load.ok)(`enableBlasMatMul call order${note}`, () => {
  it('names the missing wasm kernels before the wasm package is imported', () => {
    const status = enableBlasMatMul({ backends: ['wasm'] });
    expect(status.enabled).toBe(false);
    expect(status.backends).toEqual([]);
    expect(status.reason).toMatch(/BatchMatMul on 'wasm'.*import '@tensorflow\/tfjs-backend-wasm'/);
  });

  it('works when called after the import and before tf.setBackend("wasm")', async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    expect(enableBlasMatMul({ backends: ['wasm'] })).toMatchObject({ enabled: true, backends: ['wasm'] });
    expect(await tf.setBackend('wasm')).toBe(true);
    const a = tf.tensor2d([[1, 2, 3], [4, 5, 6]]); // [2, 3]
    const b = tf.tensor2d([[1, 0], [0, 1], [1, 1]]); // [3, 2]
    const calls = blasMatMulStats().blas;
    expect(Array.from(tf.matMul(a, b).dataSync())).toEqual([4, 5, 10, 11]);
    expect(blasMatMulStats().blas).toBe(calls + 1);
    // The original kernel was set up when the backend initialized, so it runs after disable.
    disableBlasMatMul();
    expect(Array.from(tf.matMul(a, b).dataSync())).toEqual([4, 5, 10, 11]);
    expect(blasMatMulStats().blas).toBe(calls + 1);
    tf.dispose([a, b]);
  });
});
