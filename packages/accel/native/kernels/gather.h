// Gathers of columns or rows of a row-major float matrix by int32 ids. Binding-free
// (native/napi/gather.cc has the N-API bindings and says why they exist).
#pragma once

#include <cstdint>
#include <cstring>

namespace grpojs {

// The first i < n with ids[i] outside [0, limit), or −1: callers check before gathering, so a bad
// id throws before anything is written.
inline int64_t FirstIdOutside(const int32_t* ids, int64_t n, int64_t limit) {
  for (int64_t i = 0; i < n; ++i) {
    if (ids[i] < 0 || ids[i] >= limit) return i;
  }
  return -1;
}

// src [R, V], ids [n] in [0, V) → out [n, R]: out[i, r] = src[r, ids[i]]. Row by row of src: the
// reads stay within one row (a few hundred KB), and the strided writes to out reuse each cache
// line for 16 consecutive rows.
inline void GatherColumns(const float* src, int64_t R, int64_t V, const int32_t* ids, int64_t n, float* out) {
  for (int64_t r = 0; r < R; ++r) {
    const float* row = src + r * V;
    for (int64_t i = 0; i < n; ++i) out[i * R + r] = row[ids[i]];
  }
}

// src [R, C], ids [n] in [0, R) → out [n, C]: one memcpy per row.
inline void GatherRows(const float* src, int64_t C, const int32_t* ids, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) std::memcpy(out + i * C, src + static_cast<int64_t>(ids[i]) * C, sizeof(float) * C);
}

}  // namespace grpojs
