// Dequantization of @grpojs/model's quantized weights: NF4 (with double-quantized block scales)
// and row-wise int8, and the GPT-2 decode engine's NF4 panels. Binding-free (native/napi/nf4.cc and
// kernels/decode-engine-base.h call it). Each output is the same one or two float32 multiplies (and one add)
// in the same order as the model's tfjs path, and the addon is built with -ffp-contract=off so no
// multiply-add is fused: the values equal the tfjs dequantization bit for bit.
//
// Codes come in the model's packHalves layout (src/quant/packing.ts of @grpojs/model): m int32
// words of two 16-bit halves, F = 16 / bits fields per half, lowest bits first; the low halves
// carry fields [0, m·F), the high halves fields [m·F, 2·m·F).
#pragma once

#include <cstdint>
#include <vector>

#include "../cpu.h"
#if GRPOJS_AVX2
#include <immintrin.h>
#endif

namespace grpojs {

// Fields [k0, k0 + count) of `m` packHalves words of `Bits`-bit fields → one byte each in dst.
template <int Bits>
void UnpackHalves(const uint32_t* words, int64_t m, int64_t k0, int64_t count, uint8_t* dst) {
  constexpr int64_t kPerHalf = 16 / Bits;
  constexpr uint32_t kMask = (1u << Bits) - 1;
  const int64_t half = kPerHalf * m;  // fields in the low halves
  const int64_t end = k0 + count;
  // Low halves: field k sits in word k / F at bit Bits·(k % F).
  for (int64_t k = k0; k < (end < half ? end : half); ++k) {
    dst[k - k0] = static_cast<uint8_t>((words[k / kPerHalf] >> (Bits * (k % kPerHalf))) & kMask);
  }
  // High halves: field k sits in word (k − half) / F at bit 16 + Bits·(k % F) (half is a multiple of F).
  for (int64_t k = k0 > half ? k0 : half; k < end; ++k) {
    dst[k - k0] = static_cast<uint8_t>((words[(k - half) / kPerHalf] >> (16 + Bits * (k % kPerHalf))) & kMask);
  }
}

// Fields per chunk of the generic dequantization path, small enough for the codes to stay in L1.
constexpr int64_t kDequantChunk = 4096;

#if GRPOJS_AVX2
// out[j] = table[code] · s[j] for j < len rounded down to 8, codes read straight from the words:
// field `local` + j of a half region (local % 4 = 0) is nibble (local + j) % 4 of word (local + j) / 4,
// at bit shiftBase (0: low halves, 16: high) + 4·that. Eight fields come from two words; the
// 16-entry table lookup is two 8-lane permutes and a blend on bit 3 of the code. Returns the
// number of outputs written.
GRPOJS_TARGET_AVX2 inline int64_t Nf4RunAvx2(const uint32_t* words, int64_t local, int shiftBase, const float* table, const float* s,
                                             float* out, int64_t len) {
  const __m256 tableLo = _mm256_loadu_ps(table);
  const __m256 tableHi = _mm256_loadu_ps(table + 8);
  const __m256i shifts = _mm256_setr_epi32(shiftBase, shiftBase + 4, shiftBase + 8, shiftBase + 12, shiftBase, shiftBase + 4,
                                           shiftBase + 8, shiftBase + 12);
  const __m256i spread = _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1);
  const __m256i nibble = _mm256_set1_epi32(15);
  int64_t j = 0;
  for (; j + 8 <= len; j += 8) {
    const __m128i two = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(words + ((local + j) >> 2)));
    const __m256i w = _mm256_permutevar8x32_epi32(_mm256_castsi128_si256(two), spread);
    const __m256i code = _mm256_and_si256(_mm256_srlv_epi32(w, shifts), nibble);
    const __m256 lo = _mm256_permutevar8x32_ps(tableLo, code);
    const __m256 hi = _mm256_permutevar8x32_ps(tableHi, code);
    const __m256 value = _mm256_blendv_ps(lo, hi, _mm256_castsi256_ps(_mm256_slli_epi32(code, 28)));
    _mm256_storeu_ps(out + j, _mm256_mul_ps(value, _mm256_loadu_ps(s + j)));
  }
  return j;
}

// As Nf4RunAvx2 for 8-bit fields (local % 2 = 0): eight from four words, the 256-entry lookup a
// gather; out = (table[code] · s) · scale, the two multiplies in that order.
GRPOJS_TARGET_AVX2 inline int64_t Int8RunAvx2(const uint32_t* words, int64_t local, int shiftBase, const float* table, const float* s,
                                              float scale, float* out, int64_t len) {
  const __m256i shifts = _mm256_setr_epi32(shiftBase, shiftBase + 8, shiftBase, shiftBase + 8, shiftBase, shiftBase + 8, shiftBase,
                                           shiftBase + 8);
  const __m256i spread = _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3);
  const __m256i byte = _mm256_set1_epi32(255);
  const __m256 scaleV = _mm256_set1_ps(scale);
  int64_t j = 0;
  for (; j + 8 <= len; j += 8) {
    const __m128i four = _mm_loadu_si128(reinterpret_cast<const __m128i*>(words + ((local + j) >> 1)));
    const __m256i w = _mm256_permutevar8x32_epi32(_mm256_castsi128_si256(four), spread);
    const __m256i code = _mm256_and_si256(_mm256_srlv_epi32(w, shifts), byte);
    const __m256 value = _mm256_i32gather_ps(table, code, 4);
    _mm256_storeu_ps(out + j, _mm256_mul_ps(_mm256_mul_ps(value, _mm256_loadu_ps(s + j)), scaleV));
  }
  return j;
}
#endif

// out[j] = table[code of field k0 + j] · s[j] (· scale when Scaled) for j < len, Bits-bit fields:
// the AVX2 runs where they apply (avx2: CpuHasAvx2()), UnpackHalves and a lookup for the rest.
// scratch [kDequantChunk].
template <int Bits, bool Scaled>
void DequantRow(const uint32_t* words, int64_t m, int64_t k0, int64_t len, const float* table, const float* s, float scale, float* out,
                uint8_t* scratch, bool avx2) {
  int64_t j = 0;
#if GRPOJS_AVX2
  if (avx2) {
    constexpr int64_t kPerHalf = 16 / Bits;
    const int64_t half = kPerHalf * m;
    while (j < len) {
      const int64_t k = k0 + j;
      const bool low = k < half;
      const int64_t local = low ? k : k - half;
      if (local % kPerHalf != 0) {  // one field at a time up to a word boundary
        UnpackHalves<Bits>(words, m, k, 1, scratch);
        const float v = table[scratch[0]] * s[j];
        out[j] = Scaled ? v * scale : v;
        ++j;
        continue;
      }
      const int64_t regionLeft = (low ? half : 2 * half) - k;
      const int64_t run = len - j < regionLeft ? len - j : regionLeft;
      int64_t done;
      if constexpr (Bits == 4) {
        done = Nf4RunAvx2(words, local, low ? 0 : 16, table, s + j, out + j, run);
      } else {
        done = Int8RunAvx2(words, local, low ? 0 : 16, table, s + j, scale, out + j, run);
      }
      j += done;
      if (done != run) break;  // fewer than 8 left in this region or row: the generic path finishes
    }
  }
#else
  (void)avx2;
#endif
  for (; j < len; j += kDequantChunk) {
    const int64_t n = len - j < kDequantChunk ? len - j : kDequantChunk;
    UnpackHalves<Bits>(words, m, k0 + j, n, scratch);
    for (int64_t t = 0; t < n; ++t) out[j + t] = table[scratch[t]] * s[j + t];
    if (Scaled) {
      for (int64_t t = 0; t < n; ++t) out[j + t] = out[j + t] * scale;
    }
  }
}

// The double-quantized NF4 block scales: out[b] = map[code b] · absmax[b / blockSize] + offset for
// b < n, 8-bit codes in `words` packHalves words (4·words ≥ n), map [256]: two float32 operations,
// multiply first.
inline void Blockwise8Dequantize(const uint32_t* codes, int64_t words, const float* map, const float* absmax, int64_t blockSize,
                                 float offset, int64_t n, float* out) {
  std::vector<uint8_t> c(static_cast<size_t>(n));
  UnpackHalves<8>(codes, words, 0, n, c.data());
  for (int64_t b = 0; b < n; ++b) {
    const float scaled = map[c[b]] * absmax[b / blockSize];
    out[b] = scaled + offset;
  }
}

// W [inF, outF] = table[code] · absmax[block], 4-bit codes in `words` packHalves words (8·words ≥
// inF·outF), table [16], absmax [ceil(inF·outF / bs)] in bitsandbytes' order (blocks of the
// flattened [outF, inF] weight). Codes in [inF, outF] order when inOutOrder (needs inF % bs = 0:
// block of (i, o) = o·inF/bs + i/bs), else in [outF, inF] order (block of (o, i) = (o·inF + i) / bs)
// and written transposed.
inline void Nf4Dequantize(const uint32_t* codes, int64_t words, const float* table, const float* absmax, int64_t inF, int64_t outF,
                          int64_t bs, bool inOutOrder, float* out, bool avx2) {
  const int64_t nBlocks = (inF * outF + bs - 1) / bs;
  std::vector<uint8_t> c(static_cast<size_t>(kDequantChunk));
  if (inOutOrder) {
    // scaleT [inF / bs, outF]: the block scale of every (row group, column), so a row multiplies
    // by a contiguous vector.
    const int64_t perRow = inF / bs;
    std::vector<float> scaleT(static_cast<size_t>(nBlocks));
    for (int64_t o = 0; o < outF; ++o) {
      for (int64_t r = 0; r < perRow; ++r) scaleT[r * outF + o] = absmax[o * perRow + r];
    }
    for (int64_t i = 0; i < inF; ++i) {
      DequantRow<4, false>(codes, words, i * outF, outF, table, scaleT.data() + (i / bs) * outF, 1.f, out + i * outF, c.data(), avx2);
    }
    return;
  }
  for (int64_t o = 0; o < outF; ++o) {
    for (int64_t i0 = 0; i0 < inF; i0 += kDequantChunk) {
      const int64_t len = inF - i0 < kDequantChunk ? inF - i0 : kDequantChunk;
      UnpackHalves<4>(codes, words, o * inF + i0, len, c.data());
      for (int64_t j = 0; j < len; ++j) {
        const int64_t k = o * inF + i0 + j;
        out[(i0 + j) * outF + o] = table[c[j]] * absmax[k / bs];
      }
    }
  }
}

// W [inF, outF] = (table[code] · rowAbsmax[o]) · scale, 8-bit codes in [inF, outF] order in
// `words` packHalves words (4·words ≥ inF·outF), table [256] (the signed value of each byte),
// rowAbsmax [outF]: two multiplies in that order.
inline void Int8Dequantize(const uint32_t* codes, int64_t words, const float* table, const float* rowAbsmax, float scale, int64_t inF,
                           int64_t outF, float* out, bool avx2) {
  std::vector<uint8_t> c(static_cast<size_t>(kDequantChunk));
  for (int64_t i = 0; i < inF; ++i) {
    DequantRow<8, true>(codes, words, i * outF, outF, table, rowAbsmax, scale, out + i * outF, c.data(), avx2);
  }
}

// The decode engines' NF4 panels (kernels/decode-engine-base.h): a panel is 8 output columns, its codes
// one word per input row k (nibble j = column j), its scales [in / bs][8]. DecodeNf4Panel writes
// the fp32 panel out [in][8]: out[k][j] = table[nibble j of codes[k]] · scales[k / bs][j], the
// dequantization's one float32 multiply, so the values equal the dequantized weight bit for bit.
constexpr int kNf4PanelWidth = 8;

inline void DecodeNf4Panel(const uint32_t* codes, const float* scales, int in, int bs, const float* table, float* out) {
  for (int k = 0; k < in; ++k) {
    const float* s = scales + static_cast<size_t>(k / bs) * kNf4PanelWidth;
    const uint32_t c = codes[k];
    for (int j = 0; j < kNf4PanelWidth; ++j) out[static_cast<size_t>(k) * kNf4PanelWidth + j] = table[(c >> (4 * j)) & 15u] * s[j];
  }
}

// A Conv1D-ordered NF4 weight [in, out] (4-bit fields k·out + o in `m` packHalves words, absmax
// [out][in / bs]) → panel codes [⌈out/8⌉][in] (nibble j of word k = column p·8 + j; the padded
// columns get code 7, which is 0.0 in the NF4 table) and panel scales [⌈out/8⌉][in / bs][8]
// (padded columns 0). Both outputs are sized by the caller; in % bs = 0.
inline void PackNf4Panels(const uint32_t* words, int64_t m, int in, int out, int bs, const float* absmax, uint32_t* codes,
                          float* scales) {
  const int panels = (out + kNf4PanelWidth - 1) / kNf4PanelWidth;
  const int perCol = in / bs;
  const size_t half = 4 * static_cast<size_t>(m);  // fields in the low halves
  for (int p = 0; p < panels; ++p) {
    for (int k = 0; k < in; ++k) codes[static_cast<size_t>(p) * in + k] = 0;
    for (int j = 0; j < kNf4PanelWidth; ++j) {
      const int o = p * kNf4PanelWidth + j;
      for (int k = 0; k < in; ++k) {
        uint32_t code = 7;
        if (o < out) {
          const size_t f = static_cast<size_t>(k) * out + o;
          code = f < half ? (words[f / 4] >> (4 * (f % 4))) & 15u : (words[(f - half) / 4] >> (16 + 4 * (f % 4))) & 15u;
        }
        codes[static_cast<size_t>(p) * in + k] |= code << (4 * j);
      }
      for (int kb = 0; kb < perCol; ++kb) {
        scales[(static_cast<size_t>(p) * perCol + kb) * kNf4PanelWidth + j] = o < out ? absmax[static_cast<size_t>(o) * perCol + kb] : 0.f;
      }
    }
  }
}

#if GRPOJS_AVX2
// DecodeNf4Panel with the 16-entry lookup as two 8-lane permutes and a blend on bit 3 of the code.
// Lane j holds the word shifted right by 4j: the permutes read only its low 3 bits and the blend
// its bit 3 (moved to the sign bit), so the higher nibbles need no mask. `out` 32-byte aligned.
GRPOJS_TARGET_AVX2 inline void DecodeNf4PanelAvx2(const uint32_t* codes, const float* scales, int in, int bs, const float* table, float* out) {
  const __m256 tableLo = _mm256_loadu_ps(table);
  const __m256 tableHi = _mm256_loadu_ps(table + 8);
  const __m256i shifts = _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28);
  for (int k0 = 0; k0 < in; k0 += bs) {
    const __m256 s = _mm256_loadu_ps(scales + static_cast<size_t>(k0 / bs) * kNf4PanelWidth);
    for (int k = k0; k < k0 + bs; ++k) {
      const __m256i code = _mm256_srlv_epi32(_mm256_set1_epi32(static_cast<int>(codes[k])), shifts);
      const __m256 lo = _mm256_permutevar8x32_ps(tableLo, code);
      const __m256 hi = _mm256_permutevar8x32_ps(tableHi, code);
      const __m256 value = _mm256_blendv_ps(lo, hi, _mm256_castsi256_ps(_mm256_slli_epi32(code, 28)));
      _mm256_store_ps(out + static_cast<size_t>(k) * kNf4PanelWidth, _mm256_mul_ps(value, s));
    }
  }
}
#endif

}  // namespace grpojs
