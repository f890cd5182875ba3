// RMSNorm (transformers' LlamaRMSNorm): out = x / √(mean(x²) + eps) · weight, over one vector.
// Binding-free; the mean of squares is summed in double so that a 4096-wide row loses no bits to
// the order of the sum (the tfjs path sums in float32; they agree to ~1e-7 relative).
#pragma once

#include <cmath>

#include "../cpu.h"

namespace grpojs {

// x, weight, out [n] (out may alias x).
GRPOJS_INLINE void RmsNorm(const float* x, const float* weight, int n, float eps, float* out) {
  double sq = 0;
  for (int i = 0; i < n; ++i) sq += static_cast<double>(x[i]) * x[i];
  const float inv = static_cast<float>(1.0 / std::sqrt(sq / n + eps));
  for (int i = 0; i < n; ++i) out[i] = x[i] * inv * weight[i];
}

}  // namespace grpojs
