// Attention's elementwise and layout work around its two matmuls in training, each one pass.
// Binding-free (native/napi/attention.cc has the N-API bindings):
// - the probabilities softmax(scores · scale + bias) over the key axis, and their input gradient;
// - the split of GPT-2's fused projection qkv [B·T, 3C] into q, k, v [B, H, T, D], and its inverse.
#pragma once

#include <cstdint>

#include "../cpu.h"
#include "fast-exp.h"

namespace grpojs {

// o [S] = softmax(s · scale + m) (m: the bias row), in that order, as the tfjs ops.
GRPOJS_INLINE void MaskedSoftmaxRow(const float* s, const float* m, float* o, int64_t S, float scale) {
  float mx = -__builtin_inff();
#pragma omp simd reduction(max : mx)
  for (int64_t j = 0; j < S; ++j) {
    o[j] = s[j] * scale + m[j];
    mx = o[j] > mx ? o[j] : mx;
  }
  float sum = 0.f;
#pragma omp simd reduction(+ : sum)
  for (int64_t j = 0; j < S; ++j) {
    o[j] = FastExp(o[j] - mx);
    sum += o[j];
  }
  const float inv = 1.f / sum;
#pragma omp simd
  for (int64_t j = 0; j < S; ++j) o[j] *= inv;
}

// scores, out [B, H, T, S]; bias [B, 1, T, S] (shared by the heads).
GRPOJS_INLINE void MaskedSoftmax(const float* scores, const float* bias, float* out, int64_t B, int64_t H, int64_t T, int64_t S,
                                 float scale) {
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t h = 0; h < H; ++h) {
      for (int64_t t = 0; t < T; ++t) {
        const int64_t row = ((b * H + h) * T + t) * S;
        MaskedSoftmaxRow(scores + row, bias + (b * T + t) * S, out + row, S, scale);
      }
    }
  }
}

// p (the softmax), dp, out [rows, S]: out = scale · p · (dp − Σ_j p·dp) per row, the gradient
// w.r.t. the scores (the dot in double, rounded once).
GRPOJS_INLINE void MaskedSoftmaxGrad(const float* p, const float* dp, float* out, int64_t rows, int64_t S, float scale) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* pr = p + r * S;
    const float* dr = dp + r * S;
    float* o = out + r * S;
    double dot = 0;
#pragma omp simd reduction(+ : dot)
    for (int64_t j = 0; j < S; ++j) dot += static_cast<double>(pr[j]) * dr[j];
    const float d = static_cast<float>(dot);
#pragma omp simd
    for (int64_t j = 0; j < S; ++j) o[j] = scale * (pr[j] * (dr[j] - d));
  }
}

// qkv [B·T, 3·H·D] → q, k, v [B, H, T, D]: q[b, h, t, d] = qkv[b·T + t, h·D + d] (k: + H·D, v: + 2·H·D).
inline void SplitHeads(const float* qkv, float* q, float* k, float* v, int64_t B, int64_t T, int64_t H, int64_t D) {
  const int64_t C = H * D;
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t h = 0; h < H; ++h) {
        const int64_t head = ((b * H + h) * T + t) * D;
        const float* row = qkv + (b * T + t) * 3 * C + h * D;
#pragma omp simd
        for (int64_t d = 0; d < D; ++d) {
          q[head + d] = row[d];
          k[head + d] = row[C + d];
          v[head + d] = row[2 * C + d];
        }
      }
    }
  }
}

// The inverse of SplitHeads: dq, dk, dv [B, H, T, D] → out [B·T, 3·H·D].
inline void MergeHeads(const float* dq, const float* dk, const float* dv, float* out, int64_t B, int64_t T, int64_t H, int64_t D) {
  const int64_t C = H * D;
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t h = 0; h < H; ++h) {
        const int64_t head = ((b * H + h) * T + t) * D;
        float* row = out + (b * T + t) * 3 * C + h * D;
#pragma omp simd
        for (int64_t d = 0; d < D; ++d) {
          row[d] = dq[head + d];
          row[C + d] = dk[head + d];
          row[2 * C + d] = dv[head + d];
        }
      }
    }
  }
}

}  // namespace grpojs
