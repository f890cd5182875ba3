// One query head's attention over a KV cache that holds only the key/value heads (grouped-query
// attention: query head h reads KV head ⌊h / (heads / kvHeads)⌋, transformers' repeat_kv order).
// Binding-free. The caller picks the KV head; this computes softmax(q·Kᵀ·scale)·V over positions
// [start, end] of that head's cache rows.
#pragma once

#include <algorithm>
#include <cmath>

#include "../cpu.h"
#include "fast-exp.h"

namespace grpojs {

// q [D]; keys, values [≥ end + 1][D] (one KV head of one row); scores [≥ end + 1] scratch; y [D].
GRPOJS_INLINE void AttendHead(const float* q, const float* keys, const float* values, int start, int end, int D, float scale,
                              float* scores, float* y) {
  float mx = -INFINITY;
  for (int j = start; j <= end; ++j) {
    const float* kj = keys + static_cast<size_t>(j) * D;
    float dot = 0.f;
#pragma omp simd reduction(+ : dot)
    for (int d = 0; d < D; ++d) dot += q[d] * kj[d];
    scores[j] = dot * scale;
    mx = std::max(mx, scores[j]);
  }
  float sum = 0.f;
  for (int j = start; j <= end; ++j) {
    scores[j] = FastExp(scores[j] - mx);
    sum += scores[j];
  }
  for (int d = 0; d < D; ++d) y[d] = 0.f;
  const float inv = 1.0f / sum;
  for (int j = start; j <= end; ++j) {
    const float p = scores[j] * inv;
    const float* vj = values + static_cast<size_t>(j) * D;
#pragma omp simd
    for (int d = 0; d < D; ++d) y[d] += p * vj[d];
  }
}

}  // namespace grpojs
