// The vocab-sized row kernels: the fused log-softmax + gather of one row of logits [V] (with its
// entropy and gradient) and the draw of one token from a row. Binding-free: raw pointers and
// sizes; native/napi/vocab.cc unpacks the N-API options and splits rows over threads, and both decode
// engines call SampleFromRow.
#pragma once

#include <cmath>
#include <cstdint>

#include "../cpu.h"
#include "fast-exp.h"

namespace grpojs {

// Elements per float partial sum of LogSoftmaxGatherRows.
constexpr int64_t kVocabBlock = 1024;

GRPOJS_INLINE float RowMax(const float* x, int64_t n) {
  float m = -__builtin_inff();
#pragma omp simd reduction(max : m)
  for (int64_t j = 0; j < n; ++j) m = x[j] > m ? x[j] : m;
  return m;
}

// What LogSoftmaxGatherRows reads and writes: logits [n][V], targets [n] in [0, V) (checked by the
// caller), logp [n], entropy [n] and grad [n][V] when not null; invT = 1 / temperature > 0.
struct LogSoftmaxGatherArgs {
  const float* logits;
  const int32_t* targets;
  int64_t V;
  float invT;
  float* logp;
  float* entropy;
  float* grad;
};

// Rows [lo, hi), each with z = x · invT:
//   logp[i]    = z[t] − logsumexp(z),  t = targets[i]
//   entropy[i] = −Σ_j p_j log p_j
//   grad[i, j] = (onehot(t)_j − p_j) · invT = d logp[i] / d x[i, j].
// A row's result depends only on that row, so any split of the rows over threads gives the same bits.
GRPOJS_INLINE void LogSoftmaxGatherRows(const LogSoftmaxGatherArgs& r, int64_t lo, int64_t hi) {
  const int64_t V = r.V;
  const float invT = r.invT;
  for (int64_t i = lo; i < hi; ++i) {
    const float* x = r.logits + i * V;
    const float m = RowMax(x, V) * invT;
    // Float sums per SIMD lane over blocks of kVocabBlock, added up in double: the rounding error
    // of a float sum over 50257 terms would reach 1e-5 of the log-prob.
    double sum = 0.0;
    double sumEz = 0.0;  // Σ_j e_j (z_j − m), for the entropy
    float* g = r.grad != nullptr ? r.grad + i * V : nullptr;
    for (int64_t j0 = 0; j0 < V; j0 += kVocabBlock) {
      const int64_t j1 = j0 + kVocabBlock < V ? j0 + kVocabBlock : V;
      float s = 0.f;
      float sz = 0.f;
      if (g != nullptr) {
#pragma omp simd reduction(+ : s, sz)
        for (int64_t j = j0; j < j1; ++j) {
          const float d = x[j] * invT - m;
          const float e = FastExp(d);
          g[j] = e;
          s += e;
          sz += e * d;
        }
      } else if (r.entropy != nullptr) {
#pragma omp simd reduction(+ : s, sz)
        for (int64_t j = j0; j < j1; ++j) {
          const float d = x[j] * invT - m;
          const float e = FastExp(d);
          s += e;
          sz += e * d;
        }
      } else {
#pragma omp simd reduction(+ : s)
        for (int64_t j = j0; j < j1; ++j) s += FastExp(x[j] * invT - m);
      }
      sum += s;
      sumEz += sz;
    }
    const double logSum = std::log(static_cast<double>(sum));
    const int32_t t = r.targets[i];
    r.logp[i] = static_cast<float>(static_cast<double>(x[t] * invT - m) - logSum);
    if (r.entropy != nullptr) r.entropy[i] = static_cast<float>(logSum - sumEz / sum);
    if (g != nullptr) {
      const float scale = static_cast<float>(-invT / sum);
#pragma omp simd
      for (int64_t j = 0; j < V; ++j) g[j] *= scale;
      g[t] += invT;
    }
  }
}

// One token drawn from row x [V] with one uniform u in [0, 1), operation for operation as
// @grpojs/model's sampleToken (so the JS sampler, the addon's sampleRow and the decode engines'
// sampleRows pick the same token): z = float(double(x) / temperature), e = ExpSampling(double(z −
// max)) over the z ≥ threshold (−Infinity: all; top-k/top-p thresholds come from JS), then the
// first index whose running sum (serially, in index order) exceeds u · Σe — the last kept one if
// rounding leaves u · Σe past the total. `scaled` [V] and `e` [V] are the caller's scratch.
inline int64_t SampleFromRow(const float* x, int64_t V, double temperature, float threshold, double u, float* scaled, double* e) {
#pragma omp simd
  for (int64_t j = 0; j < V; ++j) scaled[j] = static_cast<float>(static_cast<double>(x[j]) / temperature);
  float max = -__builtin_inff();
#pragma omp simd reduction(max : max)
  for (int64_t j = 0; j < V; ++j) max = scaled[j] >= threshold && scaled[j] > max ? scaled[j] : max;
#pragma omp simd
  for (int64_t j = 0; j < V; ++j) {
    const double d = static_cast<double>(scaled[j] - max);  // the float subtraction, widened
    e[j] = ExpSampling(d < -100.0 ? -100.0 : d);
  }
  for (int64_t j = 0; j < V; ++j) {
    if (!(scaled[j] >= threshold)) e[j] = -1.0;  // dropped by top-k/top-p (or NaN)
  }
  double total = 0.0;
  for (int64_t j = 0; j < V; ++j) {
    if (e[j] >= 0.0) total += e[j];
  }
  const double target = u * total;
  double cumulative = 0.0;
  int64_t last = 0;
  for (int64_t j = 0; j < V; ++j) {
    if (e[j] < 0.0) continue;
    cumulative += e[j];
    last = j;
    if (target < cumulative) return j;
  }
  return last;
}

}  // namespace grpojs
