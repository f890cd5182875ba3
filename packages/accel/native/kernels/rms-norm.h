// RMSNorm (transformers' LlamaRMSNorm): out = x / √(mean(x²) + eps) · weight, over one vector.
// Binding-free; the mean of squares is summed in double so that a 4096-wide row loses no bits to
// the order of the sum (the tfjs path sums in float32; they agree to ~1e-7 relative).
#pragma once

#include <cmath>

#include "../cpu.h"

namespace grpojs {

// 1/√(mean(x²) + eps) of x [n], the mean of squares summed in double.
GRPOJS_INLINE float RmsNormRstd(const float* x, int n, float eps) {
  double sq = 0;
  for (int i = 0; i < n; ++i) sq += static_cast<double>(x[i]) * x[i];
  return static_cast<float>(1.0 / std::sqrt(sq / n + eps));
}

// out = x · rstd · weight, in the tfjs path's order; x, weight, out [n] (out may alias x).
GRPOJS_INLINE void RmsNormScale(const float* x, const float* weight, float rstd, int n, float* out) {
  for (int i = 0; i < n; ++i) out[i] = x[i] * rstd * weight[i];
}

// x, weight, out [n] (out may alias x).
GRPOJS_INLINE void RmsNorm(const float* x, const float* weight, int n, float eps, float* out) {
  RmsNormScale(x, weight, RmsNormRstd(x, n, eps), n, out);
}

// The gradient of y = x · r · w, r = (mean(x²) + eps)^(−1/2), for one row: with g = dy · w,
// dx = r · g − x · r³ · (g · x) / n, and dw += dy · x · r (accumulated into `dweight`, which may be
// null when the weight's gradient is not wanted). x, weight, dy, dx [n]; rstd as RmsNormRstd gave it.
GRPOJS_INLINE void RmsNormBackward(const float* x, const float* weight, float rstd, const float* dy, int n, float* dx, float* dweight) {
  double dot = 0;
  for (int i = 0; i < n; ++i) dot += static_cast<double>(dy[i]) * weight[i] * x[i];
  const float k = static_cast<float>(dot * rstd * rstd * rstd / n);
  for (int i = 0; i < n; ++i) dx[i] = rstd * dy[i] * weight[i] - x[i] * k;
  if (dweight != nullptr) {
    for (int i = 0; i < n; ++i) dweight[i] += dy[i] * x[i] * rstd;
  }
}

}  // namespace grpojs
