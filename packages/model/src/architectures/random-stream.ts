/**
 * The counter-based uniform stream every architecture's random init draws from (random-init.ts
 * describes it): value i of tensor t is a pure function of (seed, t, i), built from integer mixing
 * and exact float64 arithmetic only, so numpy reproduces it bit for bit.
 */

/** murmur3's 32-bit finalizer. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Fills `out` with the uniform stream of tensor `t` (see the file comment). */
export function fillUniform(out: Float32Array, seed: number, t: number, center: number, std: number): void {
  const key = fmix32((seed ^ Math.imul(t + 1, 0x9e3779b9)) >>> 0);
  const half = std * Math.sqrt(3);
  for (let i = 0; i < out.length; i++) {
    const h = fmix32((key + Math.imul(i, 0x85ebca77)) >>> 0);
    const u = (h >>> 8) / 16777216;
    out[i] = center + (2 * u - 1) * half;
  }
}
