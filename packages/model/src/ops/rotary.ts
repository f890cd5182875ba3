/**
 * Rotary position embeddings in the rotate-half convention (transformers' Llama): the two halves
 * of each head vector are the real and imaginary parts, and position p rotates pair i by
 * p · invFreq[i]. Angles are computed in float64 on the host and rounded once to float32, so long
 * positions lose no precision to a float32 product. Llama 3's rope scaling only changes invFreq.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Llama3RopeScaling } from '../architectures/llama/config.js';
import { nativeRotaryHeads } from './native-rotary.js';

/**
 * invFreq[i] = theta^(−2i/headDim) for i < headDim/2, rescaled per wavelength band by Llama 3's
 * scheme: wavelengths shorter than originalMax/highFreqFactor are kept, longer than
 * originalMax/lowFreqFactor divided by `factor`, and the band between interpolated smoothly.
 */
export function ropeInverseFrequencies(headDim: number, theta: number, scaling: Llama3RopeScaling | null): Float64Array {
  const half = headDim / 2;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / theta ** ((2 * i) / headDim);
  if (scaling === null) return inv;
  const { factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings: oldMax } = scaling;
  const lowFreqWavelen = oldMax / lowFreqFactor;
  const highFreqWavelen = oldMax / highFreqFactor;
  for (let i = 0; i < half; i++) {
    const wavelen = (2 * Math.PI) / inv[i];
    if (wavelen < highFreqWavelen) continue;
    if (wavelen > lowFreqWavelen) {
      inv[i] /= factor;
      continue;
    }
    const smooth = (oldMax / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
    inv[i] = (1 - smooth) * (inv[i] / factor) + smooth * inv[i];
  }
  return inv;
}

/** cos and sin [batch, 1, T, headDim] for the positions of each row (the caller disposes both). */
export function rotaryTables(positions: readonly (readonly number[])[], invFreq: Float64Array): { cos: tf.Tensor4D; sin: tf.Tensor4D } {
  const B = positions.length;
  const T = positions[0].length;
  const half = invFreq.length;
  const D = 2 * half;
  const cos = new Float32Array(B * T * D);
  const sin = new Float32Array(B * T * D);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const p = positions[b][t];
      const base = (b * T + t) * D;
      for (let i = 0; i < half; i++) {
        const angle = p * invFreq[i];
        const c = Math.cos(angle);
        const s = Math.sin(angle);
        cos[base + i] = c;
        cos[base + half + i] = c;
        sin[base + i] = s;
        sin[base + half + i] = s;
      }
    }
  }
  return { cos: tf.tensor4d(cos, [B, 1, T, D]), sin: tf.tensor4d(sin, [B, 1, T, D]) };
}

/** x·cos + rotateHalf(x)·sin with rotateHalf(x) = [−x₂, x₁]; x [B, heads, T, D]. Runs in the caller's tidy. */
export function applyRotary(x: tf.Tensor4D, cos: tf.Tensor4D, sin: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const half = x.shape[3] / 2;
    const [x1, x2] = tf.split(x, [half, half], 3);
    const rotated = tf.concat([tf.neg(x2), x1], 3);
    return tf.add(tf.mul(x, cos), tf.mul(rotated, sin));
  });
}

/**
 * A projection t [B·T, heads·D] split into heads [B, heads, T, D] and rotated by cos, sin
 * (rotaryTables). Runs in the caller's tidy. With @grpojs/accel one native pass each way
 * (native-rotary.ts), else a reshape, a transpose and {@link applyRotary}.
 */
export function rotaryHeads(t: tf.Tensor2D, batch: number, heads: number, cos: tf.Tensor4D, sin: tf.Tensor4D): tf.Tensor4D {
  return nativeRotaryHeads(t, batch, heads, cos, sin) ?? rotaryHeadsTfjs(t, batch, heads, cos, sin);
}

/** The tfjs path of {@link rotaryHeads}. */
export function rotaryHeadsTfjs(t: tf.Tensor2D, batch: number, heads: number, cos: tf.Tensor4D, sin: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [T, D] = [cos.shape[2], cos.shape[3]];
    return applyRotary(tf.transpose(tf.reshape(t, [batch, T, heads, D]), [0, 2, 1, 3]), cos, sin);
  });
}
