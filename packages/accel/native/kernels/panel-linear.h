// The decode engines' matrix-vector products (kernels/decode-engine-base.h): y = x·W for a few rows x,
// with W [in, out] repacked as column panels [⌈out/8⌉][in][8] (padded columns zero), so that each
// panel streams contiguously from memory once per step. A product runs in tiles of up to kGroup
// panels × kRowBlock rows. Binding-free; the engine schedules the tiles on its threads and applies
// bias, activation and residual (its epilogue).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "../cpu.h"
#include "nf4.h"
#if GRPOJS_AVX2
#include <immintrin.h>
#endif

namespace grpojs {

// Output columns per packed panel: one 256-bit register of floats (nf4.h's panel width, so an NF4
// panel decodes into the same layout).
constexpr int kPanel = kNf4PanelWidth;
// Tiles of up to kGroup panels × kRowBlock rows: 12 accumulators, 3 weight registers and one
// broadcast fit the 16 AVX2 registers, and each weight load feeds 4 FMAs and each broadcast 3,
// which keeps a 2-thread GEMV near the memory bandwidth (8 rows × 1 panel tiles were FMA-bound at
// ~60% of it).
constexpr int kGroup = 3;
constexpr int kRowBlock = 4;

inline int PanelCount(int out) { return (out + kPanel - 1) / kPanel; }

// value(k, o) into panels dst [PanelCount(out)][in][8] (zero-filled by the caller: the padded
// columns stay 0); `rowsAreOutputs`: src is [out, in], else [in, out].
inline void PackPanels(const float* src, int in, int out, bool rowsAreOutputs, float* dst) {
  const int panels = PanelCount(out);
  for (int p = 0; p < panels; ++p) {
    const int width = std::min(kPanel, out - p * kPanel);
    float* panel = dst + static_cast<size_t>(p) * in * kPanel;
    for (int k = 0; k < in; ++k) {
      for (int j = 0; j < width; ++j) {
        const size_t o = static_cast<size_t>(p) * kPanel + j;
        panel[static_cast<size_t>(k) * kPanel + j] = rowsAreOutputs ? src[o * in + k] : src[static_cast<size_t>(k) * out + o];
      }
    }
  }
}

// NP consecutive panels (panel stride in·8) for NB rows of x (row stride ldx):
// tile[(i·NB + b)·8 + j] = Σ_k x[b][k] · panel_i[k][j]. Every output's sum runs over k in order,
// so the result does not depend on NP or NB (nor on the thread that computes it).
using TileFn = void (*)(const float* panels, int in, const float* x, int ldx, float* tile);

template <int NP, int NB>
void TileScalar(const float* panels, int in, const float* x, int ldx, float* tile) {
  float acc[NP][NB][kPanel] = {};
  for (int k = 0; k < in; ++k) {
    for (int i = 0; i < NP; ++i) {
      const float* wk = panels + (static_cast<size_t>(i) * in + k) * kPanel;
      for (int b = 0; b < NB; ++b) {
        const float xb = x[static_cast<size_t>(b) * ldx + k];
        for (int j = 0; j < kPanel; ++j) acc[i][b][j] += xb * wk[j];
      }
    }
  }
  std::memcpy(tile, acc, sizeof acc);
}

#if GRPOJS_AVX2
template <int NP, int NB>
GRPOJS_TARGET_AVX2 void TileAvx2(const float* panels, int in, const float* x, int ldx, float* tile) {
  __m256 acc[NP][NB];
  for (int i = 0; i < NP; ++i)
    for (int b = 0; b < NB; ++b) acc[i][b] = _mm256_setzero_ps();
  for (int k = 0; k < in; ++k) {
    __m256 w[NP];
    for (int i = 0; i < NP; ++i) w[i] = _mm256_load_ps(panels + (static_cast<size_t>(i) * in + k) * kPanel);
    for (int b = 0; b < NB; ++b) {
      const __m256 xb = _mm256_broadcast_ss(x + static_cast<size_t>(b) * ldx + k);
      for (int i = 0; i < NP; ++i) acc[i][b] = _mm256_fmadd_ps(xb, w[i], acc[i][b]);
    }
  }
  for (int i = 0; i < NP; ++i)
    for (int b = 0; b < NB; ++b) _mm256_storeu_ps(tile + (i * NB + b) * kPanel, acc[i][b]);
}
#endif

// TileFn[NP − 1][NB − 1] for NP ≤ kGroup, NB ≤ kRowBlock: AVX2+FMA when the CPU has it.
using TileTable = TileFn[kGroup][kRowBlock];

#define GRPOJS_TILE_ROW(F, NP) {F<NP, 1>, F<NP, 2>, F<NP, 3>, F<NP, 4>}
inline void MakeTileTable(bool avx2, TileTable& out) {
  const TileTable scalar = {GRPOJS_TILE_ROW(TileScalar, 1), GRPOJS_TILE_ROW(TileScalar, 2), GRPOJS_TILE_ROW(TileScalar, 3)};
  std::memcpy(out, scalar, sizeof out);
#if GRPOJS_AVX2
  if (avx2) {
    const TileTable fast = {GRPOJS_TILE_ROW(TileAvx2, 1), GRPOJS_TILE_ROW(TileAvx2, 2), GRPOJS_TILE_ROW(TileAvx2, 3)};
    std::memcpy(out, fast, sizeof out);
  }
#else
  (void)avx2;
#endif
}
#undef GRPOJS_TILE_ROW

}  // namespace grpojs
