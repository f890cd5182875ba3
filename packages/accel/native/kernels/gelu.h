// GPT-2's MLP activation gelu_new, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), its gradient, and
// the exact (erf) GELU. Binding-free: the training kernels (native/napi/gelu.cc) run the range loops and
// the GPT-2 decode engine (kernels/gpt2-decode-engine.h) the per-value functions, so both compute the same bits.
#pragma once

#include <cmath>
#include <cstdint>

#include "../cpu.h"
#include "fast-exp.h"

namespace grpojs {

constexpr float kGeluSqrt2OverPi = 0.7978845608028654f;
constexpr float kGeluCubic = 0.044715f;

// tanh(u) = 1 − 2 / (e^{2u} + 1): absolute error < 3e-7 (FastExp's relative error, plus the
// rounding of the subtraction near u = 0), ±1 for |u| beyond float precision.
GRPOJS_INLINE float FastTanh(float u) { return 1.f - 2.f / (FastExp(2.f * u) + 1.f); }

GRPOJS_INLINE float GeluNew(float v) { return 0.5f * v * (1.f + FastTanh(kGeluSqrt2OverPi * (v + kGeluCubic * v * v * v))); }

// dy · gelu_new'(x), gelu_new'(x) = 0.5·(1 + t) + 0.5·x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²), t = tanh(…) as above.
GRPOJS_INLINE float GeluNewGrad(float v, float dy) {
  const float t = FastTanh(kGeluSqrt2OverPi * (v + kGeluCubic * v * v * v));
  const float dInner = kGeluSqrt2OverPi * (1.f + 3.f * kGeluCubic * v * v);
  return dy * (0.5f * (1.f + t) + 0.5f * v * (1.f - t * t) * dInner);
}

// The exact GELU (torch's nn.GELU(), HF "gelu"): 0.5·x·(1 + erf(x / √2)).
inline float GeluErf(float v) { return 0.5f * v * (1.f + std::erf(v * 0.70710678118654752f)); }

// out[i] = gelu_new(x[i]) for i in [lo, hi) (out may alias x).
GRPOJS_INLINE void GeluNewRange(const float* x, float* out, int64_t lo, int64_t hi) {
#pragma omp simd
  for (int64_t i = lo; i < hi; ++i) out[i] = GeluNew(x[i]);
}

// out[i] = dy[i] · gelu_new'(x[i]) for i in [lo, hi).
GRPOJS_INLINE void GeluNewGradRange(const float* x, const float* dy, float* out, int64_t lo, int64_t hi) {
#pragma omp simd
  for (int64_t i = lo; i < hi; ++i) out[i] = GeluNewGrad(x[i], dy[i]);
}

}  // namespace grpojs
