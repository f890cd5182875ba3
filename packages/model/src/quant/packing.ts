/**
 * Packs small fields (4-bit NF4 codes, 8-bit bytes) into int32 words for the tfjs backend and
 * decodes them there with four cheap whole-tensor ops and one table lookup. tfjs has no uint8
 * dtype, so one code per element would cost 32 bits per weight; packing keeps 4 (or 8).
 *
 * Layout: each word holds two 16-bit halves. With m words, the low halves carry fields
 * [0, m·F) and the high halves fields [m·F, 2m·F), F = 16/bits fields per half, lowest bits first.
 * Decoding splits the halves with bitwiseAnd (exact int32; the high half is then divided by 2^16,
 * exact because the masked value has ≤ 16 significant bits) and looks each 16-bit value up in a
 * shared [65536, F] float32 table with gatherND, whose wasm kernel has no per-index JS work (the
 * wasm GatherV2 validates every index in JS and is ~10× slower here).
 *
 * @grpojs/accel's native dequantization kernels and decode engines read this same word layout,
 * which its contract states (PACKED_WORDS in @grpojs/accel/contract): {@link PACKED_WORDS} below
 * must equal it, which the compiler checks, so a change to the layout is made in both or neither.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { PackedWordLayout } from '@grpojs/accel/contract';

/** The layout packHalves writes, checked against accel's contract (the type is its literal values). */
export const PACKED_WORDS = {
  wordBits: 32,
  halfBits: 16,
  order: 'low-halves-first',
  fieldOrder: 'lowest-bits-first',
  nf4Bits: 4,
  int8Bits: 8,
} as const satisfies PackedWordLayout;

/** Host packing of `fields` (each < 2^bits) → int32 words; missing fields are filled with `pad`. */
export function packHalves(fields: ArrayLike<number>, bits: typeof PACKED_WORDS.nf4Bits | typeof PACKED_WORDS.int8Bits, pad = 0): Int32Array {
  const perHalf = PACKED_WORDS.halfBits / bits;
  const m = Math.ceil(fields.length / (2 * perHalf));
  const words = new Int32Array(m);
  for (let j = 0; j < 2 * perHalf * m; j++) {
    const value = j < fields.length ? fields[j] : pad;
    const high = j >= m * perHalf ? 1 : 0;
    const local = j - high * m * perHalf;
    words[Math.floor(local / perHalf)] |= value << (PACKED_WORDS.halfBits * high + bits * (local % perHalf));
  }
  return words;
}

const tables = new Map<string, tf.Tensor2D>();

/**
 * The shared lookup table [65536, 16/bits] mapping a 16-bit half to the `values` of its fields
 * (lowest bits first). Created once per (name, backend) and kept for the life of the process
 * (1 MiB for 4-bit fields, 512 KiB for bytes), so it is not counted in any layer's weightBytes.
 */
export function halfTable(name: string, values: Float32Array, bits: 4 | 8): tf.Tensor2D {
  const key = `${name}/${tf.getBackend()}`;
  const cached = tables.get(key);
  if (cached && !cached.isDisposed) return cached;
  const perHalf = 16 / bits;
  const mask = (1 << bits) - 1;
  const data = new Float32Array(65536 * perHalf);
  for (let v = 0; v < 65536; v++) {
    for (let f = 0; f < perHalf; f++) data[v * perHalf + f] = values[(v >> (bits * f)) & mask];
  }
  const table = tf.keep(tf.tensor2d(data, [65536, perHalf], 'float32'));
  tables.set(key, table);
  return table;
}

/**
 * Decodes int32 `words` [m] with a {@link halfTable} → float32 [2·m·F] in field order (the caller
 * slices off padding). Runs inside the caller's tidy; the result is the caller's.
 */
export function decodeHalves(words: tf.Tensor1D, table: tf.Tensor2D): tf.Tensor1D {
  const m = words.shape[0];
  const low = tf.bitwiseAnd(words, tf.fill([m], 0xffff, 'int32'));
  const highMasked = tf.bitwiseAnd(words, tf.fill([m], -65536, 'int32')); // 0xffff0000
  const high = tf.mod(tf.floorDiv(highMasked, tf.fill([m], 65536, 'int32')), tf.fill([m], 65536, 'int32'));
  const halves = tf.concat([low, high], 0).reshape([2 * m, 1]);
  return tf.gatherND(table, halves).reshape([2 * m * table.shape[1]]) as tf.Tensor1D;
}
