/**
 * Packs small unsigned fields (4-bit NF4 codes, 8-bit bytes) into int32 words for the tfjs backend,
 * and unpacks them there with a handful of whole-tensor ops. tfjs has no uint8 dtype, so a
 * one-code-per-element tensor would cost 32 bits per weight; packing keeps the backend at 4
 * (or 8) bits per weight.
 *
 * Layout ("planes"): with P = 32/bits fields per word and m = ceil(n/P) words, field j lives in
 * word j mod m at bit offset bits·floor(j/m). Unpacking tiles the words P times, masks each plane
 * with bitwiseAnd (exact int32), divides by 2^(bits·k) and takes mod 2^bits. The masked value has
 * at most `bits` significant bits, so the float division inside the backends' FloorDiv is exact;
 * mod fixes the sign of the top plane (two's complement).
 */
import * as tf from '@tensorflow/tfjs';

/** Fields per int32 word for a field width. */
export function fieldsPerWord(bits: 4 | 8): number {
  return 32 / bits;
}

/** Host packing: `fields` (each < 2^bits) → int32 words in plane layout. */
export function packFields(fields: ArrayLike<number>, bits: 4 | 8): Int32Array {
  const planes = fieldsPerWord(bits);
  const m = Math.ceil(fields.length / planes);
  const words = new Int32Array(m);
  for (let j = 0; j < fields.length; j++) {
    const k = Math.floor(j / m);
    words[j - k * m] |= fields[j] << (bits * k);
  }
  return words;
}

/**
 * Backend unpacking of `n` fields from int32 `words` [m] → int32 [n]. Runs inside the caller's
 * tidy; the result is the caller's.
 */
export function unpackFields(words: tf.Tensor1D, bits: 4 | 8, n: number): tf.Tensor1D {
  const planes = fieldsPerWord(bits);
  const m = words.shape[0];
  const masks = new Int32Array(planes);
  const divisors = new Int32Array(planes);
  for (let k = 0; k < planes; k++) {
    masks[k] = ((1 << bits) - 1) << (bits * k);
    divisors[k] = 2 ** (bits * k);
  }
  const tiled = tf.tile(words.reshape([1, m]), [planes, 1]); // [P, m]
  const maskTile = tf.tile(tf.tensor2d(masks, [planes, 1], 'int32'), [1, m]); // [P, m]
  const masked = tf.bitwiseAnd(tiled, maskTile);
  const shifted = tf.floorDiv(masked, tf.tensor2d(divisors, [planes, 1], 'int32'));
  const fields = tf.mod(shifted, tf.scalar(2 ** bits, 'int32')).reshape([planes * m]) as tf.Tensor1D;
  return n === planes * m ? fields : fields.slice([0], [n]);
}
