/**
 * Bulk conversions between f32 and the 16-bit float formats safetensors checkpoints use (IEEE F16,
 * bfloat16). They run over whole arrays with plain loops, because a 330 MB checkpoint has ~80 M
 * values and a per-element callback would dominate load time.
 */

/** f16 bit pattern → f32 value, for all 65536 patterns (256 KiB, built on first use). */
let f16Table: Float32Array | undefined;

function buildF16Table(): Float32Array {
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    if (exponent === 0) {
      table[h] = sign * mantissa * 2 ** -24; // zero or subnormal
    } else if (exponent === 31) {
      table[h] = mantissa === 0 ? sign * Infinity : NaN;
    } else {
      table[h] = sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
    }
  }
  return table;
}

/** Writes the f32 values of `src` (IEEE half bit patterns) into `dst` (same length). */
export function f16ToF32(src: Uint16Array, dst: Float32Array): void {
  const table = (f16Table ??= buildF16Table());
  for (let i = 0; i < src.length; i++) dst[i] = table[src[i]];
}

/** Writes the f32 values of `src` (bfloat16 bit patterns = the top half of an f32) into `dst`. */
export function bf16ToF32(src: Uint16Array, dst: Float32Array): void {
  const bits = new Uint32Array(dst.buffer, dst.byteOffset, dst.length);
  for (let i = 0; i < src.length; i++) bits[i] = src[i] << 16;
}

/**
 * f32 → bfloat16 with round-to-nearest-even, NaN kept as a quiet NaN (what torch's `.to(bfloat16)`
 * does).
 */
export function f32ToBF16(src: Float32Array): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const u = bits[i];
    if ((u & 0x7f800000) === 0x7f800000 && (u & 0x7fffff) !== 0) {
      out[i] = (u >>> 16) | 0x40;
    } else {
      out[i] = ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
    }
  }
  return out;
}

/**
 * f32 → IEEE half with round-to-nearest-even, overflow to ±Infinity and gradual underflow to
 * subnormals (what torch's `.to(float16)` does).
 */
export function f32ToF16(src: Float32Array): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const u = bits[i];
    const sign = (u >>> 16) & 0x8000;
    const exponent = (u >>> 23) & 0xff;
    const mantissa = u & 0x7fffff;
    if (exponent === 0xff) {
      out[i] = sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0);
      continue;
    }
    const e = exponent - 127 + 15; // rebiased exponent
    if (e >= 31) {
      out[i] = sign | 0x7c00;
    } else if (e <= 0) {
      if (e < -10) {
        out[i] = sign; // below half the smallest subnormal: rounds to zero
        continue;
      }
      const m = mantissa | 0x800000; // implicit leading one
      const shift = 14 - e;
      const half = 1 << (shift - 1);
      const rest = m & ((1 << shift) - 1);
      let h = m >>> shift;
      if (rest > half || (rest === half && (h & 1) === 1)) h += 1;
      out[i] = sign | h;
    } else {
      let h = (e << 10) | (mantissa >>> 13);
      const rest = mantissa & 0x1fff;
      if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h += 1; // may carry into the exponent: correct
      out[i] = sign | h;
    }
  }
  return out;
}
