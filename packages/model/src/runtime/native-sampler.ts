/**
 * The native sampler sampleToken uses: accel's (through the runtime's one loader) while the runtime
 * options have the vocab family on, else none. Set by accel.ts when it applies the options; kept in
 * its own module so the public declarations never name the optional package's types.
 */
import type { NativeSampleRow } from '@grpojs/accel/contract';

let sampler: NativeSampleRow | null = null;

/** accel's native sampler while the runtime has the vocab family on; else null (sampleToken draws in JS). */
export function activeSampler(): NativeSampleRow | null {
  return sampler;
}

/** Set by accel.ts when it applies the runtime options. */
export function setActiveSampler(next: NativeSampleRow | null): void {
  sampler = next;
}
