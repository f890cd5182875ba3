// The decode step's matrix-vector products: out[b][o] = bias[o] + Σ_k x[b][k] · W[o][k] for a range
// of output rows, W in nn.Linear's [out, in] layout (a row streams contiguously from memory once
// and is then read from L1 by every batch row). Frozen NF4 weights stay 4-bit codes: a row is
// decoded (table[code] · absmax, the dequantization's own float32 multiply, so the values equal
// the dequantized weight bit for bit) into an L1 scratch right before its products. Binding-free.
#pragma once

#include <cstddef>
#include <cstdint>

#include "../cpu.h"

namespace grpojs {

// One linear layer as the products read it. fp32: w [out][in]. NF4: codes [out][in/2] (code of
// column k in nibble k & 1 of byte k / 2, low nibble first), absmax [out][in / blockSize], table [16].
struct LinearWeights {
  int in = 0;
  int out = 0;
  const float* w = nullptr;
  const uint8_t* codes = nullptr;
  const float* absmax = nullptr;
  int blockSize = 0;
  const float* table = nullptr;
  const float* bias = nullptr;  // [out] or null
};

// Row o of an NF4 weight → row [in].
GRPOJS_INLINE void DecodeNf4Row(const LinearWeights& L, int o, float* row) {
  const uint8_t* c = L.codes + static_cast<size_t>(o) * (L.in / 2);
  const float* s = L.absmax + static_cast<size_t>(o) * (L.in / L.blockSize);
  for (int k = 0; k < L.in; k += 2) {
    const float scale = s[k / L.blockSize];
    row[k] = L.table[c[k / 2] & 15] * scale;
    row[k + 1] = L.table[c[k / 2] >> 4] * scale;
  }
}

// out[b·ldo + o] = (addTo ? out : 0) + bias[o] + x[b]·W[o] for o in [o0, o1), b < B (x row stride
// in). `scratch` [in] holds a decoded NF4 row. Every output is one sum over k in one fixed order.
GRPOJS_INLINE void LinearRows(const LinearWeights& L, const float* x, int B, int o0, int o1, float* out, int ldo, bool addTo,
                              float* scratch) {
  const int in = L.in;
  for (int o = o0; o < o1; ++o) {
    const float* w = L.w != nullptr ? L.w + static_cast<size_t>(o) * in : scratch;
    if (L.w == nullptr) DecodeNf4Row(L, o, scratch);
    const float bias = L.bias != nullptr ? L.bias[o] : 0.f;
    int b = 0;
    for (; b + 4 <= B; b += 4) {
      const float* x0 = x + static_cast<size_t>(b) * in;
      const float* x1 = x0 + in;
      const float* x2 = x1 + in;
      const float* x3 = x2 + in;
      float s0 = 0.f, s1 = 0.f, s2 = 0.f, s3 = 0.f;
#pragma omp simd reduction(+ : s0, s1, s2, s3)
      for (int k = 0; k < in; ++k) {
        s0 += x0[k] * w[k];
        s1 += x1[k] * w[k];
        s2 += x2[k] * w[k];
        s3 += x3[k] * w[k];
      }
      const float s[4] = {s0, s1, s2, s3};
      for (int i = 0; i < 4; ++i) {
        float* y = out + static_cast<size_t>(b + i) * ldo + o;
        *y = (addTo ? *y : 0.f) + (s[i] + bias);
      }
    }
    for (; b < B; ++b) {
      const float* xb = x + static_cast<size_t>(b) * in;
      float s0 = 0.f;
#pragma omp simd reduction(+ : s0)
      for (int k = 0; k < in; ++k) s0 += xb[k] * w[k];
      float* y = out + static_cast<size_t>(b) * ldo + o;
      *y = (addTo ? *y : 0.f) + (s0 + bias);
    }
  }
}

}  // namespace grpojs
