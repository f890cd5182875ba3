/**
 * exp for the sampler, bit for bit the addon's ExpSampling (packages/accel/native/kernels/fast-exp.h):
 * Cody-Waite range reduction and cephes' degree-5 polynomial evaluated in double, relative error
 * < 2e-7. sampleToken uses it instead of Math.exp so that the JS draw and @grpojs/accel's native
 * one pick the same token for the same seed: the same double operations in the same order give the
 * same bits in JS and in C (whose build turns FMA contraction off). Math.exp cannot be matched,
 * since V8's and the C library's exp differ in the last bit.
 */
const SHIFT = 6755399441055744; // 1.5 · 2^52: adding it rounds to an integer
/** 2^n for n in [-127, 0], indexed n + 127. */
const POW2 = Float64Array.from({ length: 128 }, (_, i) => 2 ** (i - 127));

/** e^x for x ≤ 0; 0 below −87.33 (and for −∞). */
export function expSampling(x: number): number {
  if (!(x >= -87.33)) return 0;
  const t = x * 1.4426950408889634 + SHIFT;
  const n = t - SHIFT; // an integer in [-126, 0]
  let r = x - n * 0.693359375;
  r = r - n * -2.1219444e-4;
  let p = 1.98756915e-4;
  p = p * r + 1.3981999507e-3;
  p = p * r + 8.3334519073e-3;
  p = p * r + 4.1665795894e-2;
  p = p * r + 1.6666665459e-1;
  p = p * r + 5.0000001201e-1;
  return (p * r * r + r + 1) * POW2[n + 127];
}
