// Rotary position embeddings in transformers' Llama convention (rotate-half: the two halves of a
// head vector are the real and imaginary parts of headDim/2 pairs), with Llama 3's frequency
// scaling. Binding-free. Angles are formed in double and cos/sin rounded once to float, exactly as
// @grpojs/model's rotaryTables does, so the rotated vectors match the tfjs path bit for bit.
#pragma once

#include <cmath>

#include "../cpu.h"

namespace grpojs {

// Llama 3's rope_scaling ({factor, low_freq_factor, high_freq_factor,
// original_max_position_embeddings}); factor 0 = no scaling.
struct RopeScaling {
  double factor = 0;
  double lowFreqFactor = 0;
  double highFreqFactor = 0;
  double originalMax = 0;
};

// invFreq[i] = theta^(−2i/headDim), i < headDim/2, then per wavelength band (Llama 3): kept below
// originalMax/highFreqFactor, divided by factor above originalMax/lowFreqFactor, interpolated between.
inline void RopeInverseFrequencies(int headDim, double theta, const RopeScaling& s, double* invFreq) {
  const int half = headDim / 2;
  for (int i = 0; i < half; ++i) invFreq[i] = 1.0 / std::pow(theta, (2.0 * i) / headDim);
  if (!(s.factor > 0)) return;
  const double lowWavelen = s.originalMax / s.lowFreqFactor;
  const double highWavelen = s.originalMax / s.highFreqFactor;
  for (int i = 0; i < half; ++i) {
    const double wavelen = 2 * M_PI / invFreq[i];
    if (wavelen < highWavelen) continue;
    if (wavelen > lowWavelen) {
      invFreq[i] /= s.factor;
      continue;
    }
    const double smooth = (s.originalMax / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
    invFreq[i] = (1 - smooth) * (invFreq[i] / s.factor) + smooth * invFreq[i];
  }
}

// cos, sin [headDim/2] of position `pos` (each half of a head uses the same values).
inline void RotaryAngles(double pos, const double* invFreq, int half, float* cos, float* sin) {
  for (int i = 0; i < half; ++i) {
    const double angle = pos * invFreq[i];
    cos[i] = static_cast<float>(std::cos(angle));
    sin[i] = static_cast<float>(std::sin(angle));
  }
}

// One head vector x [2·half] in place: x·cos + rotateHalf(x)·sin, rotateHalf(x) = [−x₂, x₁]. The
// products and sums are in the tfjs path's order (x·cos first, then + rotated·sin).
GRPOJS_INLINE void ApplyRotary(float* x, const float* cos, const float* sin, int half) {
  for (int i = 0; i < half; ++i) {
    const float x1 = x[i];
    const float x2 = x[half + i];
    x[i] = x1 * cos[i] + (-x2) * sin[i];
    x[half + i] = x2 * cos[i] + x1 * sin[i];
  }
}

// ApplyRotary out of place: out [2·half] = x·cos + rotateHalf(x)·sin, the same operations in the
// same order. With −sin it applies the inverse rotation (the rotation is orthogonal, so this is
// also its gradient: dx = rotate(dy, −angle)); (−x₂)·(−s) and x₁·(−s) are exact negations, so the
// inverse needs no formula of its own.
GRPOJS_INLINE void RotaryInto(const float* x, const float* cos, const float* sin, int half, float* out) {
  for (int i = 0; i < half; ++i) {
    const float x1 = x[i];
    const float x2 = x[half + i];
    out[i] = x1 * cos[i] + (-x2) * sin[i];
    out[half + i] = x2 * cos[i] + x1 * sin[i];
  }
}

}  // namespace grpojs
