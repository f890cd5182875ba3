// LayerNorm over one row of C values (mean and biased variance, as torch), forward and backward.
// Binding-free: the training kernels (native/napi/layernorm.cc) and the GPT-2 decode engine
// (kernels/gpt2-decode-engine.h) run the same row code, so a decode step normalises exactly as the fused
// training kernel does.
//
// Row sums accumulate in double: a row of 768 floats is a few hundred nanoseconds either way, and
// it keeps rows of (nearly) constant values exact (mean = the value, variance 0).
#pragma once

#include <cmath>
#include <cstdint>

#include "../cpu.h"

namespace grpojs {

// x, gamma, beta, out [C] (out may not alias x): out[j] = (x[j] − mean) · rstd · gamma[j] + beta[j]
// with rstd = 1/√(var + eps) (the tfjs formula's order; the normalised value in double, rounded
// once). Writes the float mean and rstd when the pointers are not null.
GRPOJS_INLINE void LayerNormRow(const float* x, const float* gamma, const float* beta, int64_t C, double eps, float* out,
                                float* mean, float* rstd) {
  double sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int64_t j = 0; j < C; ++j) sum += x[j];
  const double mu = sum / static_cast<double>(C);
  double sq = 0;
#pragma omp simd reduction(+ : sq)
  for (int64_t j = 0; j < C; ++j) {
    const double d = static_cast<double>(x[j]) - mu;
    sq += d * d;
  }
  const double r = 1.0 / std::sqrt(sq / static_cast<double>(C) + eps);
  if (mean != nullptr) *mean = static_cast<float>(mu);
  if (rstd != nullptr) *rstd = static_cast<float>(r);
  // x − mean in double: the float mean's rounding (half an ulp of |mean|) would otherwise be
  // amplified by rstd in rows with a large common offset.
#pragma omp simd
  for (int64_t j = 0; j < C; ++j) out[j] = static_cast<float>((static_cast<double>(x[j]) - mu) * r) * gamma[j] + beta[j];
}

// The backward pass of one row: with x̂ = (x − mean)·rstd and g = gamma·dy,
// dx = rstd · (g − mean_j(g) − x̂ · mean_j(g·x̂)); dgammaSum[j] += dy·x̂ and dbetaSum[j] += dy
// (double accumulators over the rows, when not null). xhat [C] is scratch. x̂ is recomputed from
// the float mean and rstd, so its error is about ulp(|mean|)·rstd: exact enough unless a row's
// common offset dwarfs its spread by ~10^4 or more.
GRPOJS_INLINE void LayerNormBackwardRow(const float* x, const float* gamma, float mean, float rstd, const float* dy, int64_t C,
                                        float* dx, double* dgammaSum, double* dbetaSum, float* xhat) {
  const double invC = 1.0 / static_cast<double>(C);
  double s1 = 0;
  double s2 = 0;
#pragma omp simd reduction(+ : s1, s2)
  for (int64_t j = 0; j < C; ++j) {
    xhat[j] = (x[j] - mean) * rstd;
    const double g = static_cast<double>(gamma[j]) * dy[j];
    s1 += g;
    s2 += g * xhat[j];
  }
  const float a = static_cast<float>(s1 * invC);
  const float b = static_cast<float>(s2 * invC);
#pragma omp simd
  for (int64_t j = 0; j < C; ++j) dx[j] = rstd * (gamma[j] * dy[j] - a - xhat[j] * b);
  if (dgammaSum != nullptr) {
#pragma omp simd
    for (int64_t j = 0; j < C; ++j) dgammaSum[j] += static_cast<double>(dy[j]) * xhat[j];
  }
  if (dbetaSum != nullptr) {
#pragma omp simd
    for (int64_t j = 0; j < C; ++j) dbetaSum[j] += dy[j];
  }
}

}  // namespace grpojs
