/** jobRuntimeOptions: a job's backend and accel over the GRPOJS_* switches of the environment. */
import { describe, expect, it } from 'vitest';
import { RuntimeOptionsError } from '@grpojs/model';
import { jobRuntimeOptions } from '../src/runtime-options.js';

describe('jobRuntimeOptions', () => {
  it("takes the environment's switches, the job's backend over GRPOJS_BACKEND, and accel off when either says so", () => {
    expect(jobRuntimeOptions({ backend: null, accel: true }, {})).toEqual({});
    expect(jobRuntimeOptions({ backend: null, accel: true }, { GRPOJS_BACKEND: 'cpu', GRPOJS_NATIVE_DECODE: '0' })).toEqual({ backend: 'cpu', nativeDecode: false });
    expect(jobRuntimeOptions({ backend: 'wasm', accel: true }, { GRPOJS_BACKEND: 'cpu' })).toEqual({ backend: 'wasm' });
    expect(jobRuntimeOptions({ backend: null, accel: true }, { GRPOJS_ACCEL_GELU: '0' })).toEqual({ accel: { gelu: false } });
    expect(jobRuntimeOptions({ backend: null, accel: true }, { GRPOJS_ACCEL: '0' })).toEqual({ accel: false });
    expect(jobRuntimeOptions({ backend: null, accel: false }, { GRPOJS_ACCEL_GELU: '0', GRPOJS_ACCEL_KERNEL_THREADS: '2' })).toEqual({ accel: false, kernelThreads: 2 });
  });

  it('names a bad variable', () => {
    expect(() => jobRuntimeOptions({ backend: 'wasm', accel: true }, { GRPOJS_BACKEND: 'cuda' })).toThrow(RuntimeOptionsError);
    expect(() => jobRuntimeOptions({ backend: null, accel: true }, { GRPOJS_ACCEL_KERNEL_THREADS: 'many' })).toThrow(/GRPOJS_ACCEL_KERNEL_THREADS is "many"/);
  });
});
