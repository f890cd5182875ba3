// Dequantization of @grpojs/model's quantized Conv1D weights in one pass over the packed codes.
// The model's tfjs path decodes them with about ten whole-tensor ops (BitwiseAnd, FloorDiv, Mod,
// Concat, GatherNd into a 1 MiB table, Slice, Mul, Transpose...) that each read and write the full
// weight; with an NF4 base that was 22% of a GRPO step (docs/benchmarks.md). These functions
// compute the same float32 values, bit for bit: each output is the same one or two float32
// multiplies (and one add) in the same order, and the addon is built with -ffp-contract=off so no
// multiply-add is fused.
//
// Codes come in the model's packHalves layout (src/quant/packing.ts of @grpojs/model): m int32
// words of two 16-bit halves, F = 16 / bits fields per half, lowest bits first; the low halves
// carry fields [0, m·F), the high halves fields [m·F, 2·m·F).
#include "nf4.h"
#include "napi-region.h"

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "cpu.h"
#if GRPOJS_AVX2
#include <immintrin.h>
#endif

namespace grpojs {
namespace {

// A non-negative integer argument.
int64_t Count(const Napi::Env& env, const Napi::Value& v, const char* name) {
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d != std::floor(d) || d > 9007199254740991.0) {
    throw Napi::RangeError::New(env, std::string(name) + ": expected a non-negative integer");
  }
  return static_cast<int64_t>(d);
}

// Fields [k0, k0 + count) of `m` packHalves words of `Bits`-bit fields → one byte each in dst.
template <int Bits>
void Unpack(const uint32_t* words, int64_t m, int64_t k0, int64_t count, uint8_t* dst) {
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

// out[j] = table[c[j]] · s[j]: the lookup and the one float32 multiply of a dequantized row.
void LookupMul(const uint8_t* c, const float* table, const float* s, float* out, int64_t n) {
  for (int64_t j = 0; j < n; ++j) out[j] = table[c[j]] * s[j];
}

// Row chunk of Unpack + LookupMul, small enough for the codes to stay in L1.
constexpr int64_t kChunk = 4096;

#if GRPOJS_AVX2
// out[j] = table[code] · s[j] for j < len rounded down to 8, codes read straight from the words:
// field `local` + j of a half region (local % 4 = 0) is nibble (local + j) % 4 of word (local + j) / 4,
// at bit shiftBase (0: low halves, 16: high) + 4·that. Eight fields come from two words; the
// 16-entry table lookup is two 8-lane permutes and a blend on bit 3 of the code. Returns the
// number of outputs written.
GRPOJS_TARGET_AVX2 int64_t Nf4RunAvx2(const uint32_t* words, int64_t local, int shiftBase,
                                      const float* table, const float* s, float* out, int64_t len) {
  const __m256 tableLo = _mm256_loadu_ps(table);
  const __m256 tableHi = _mm256_loadu_ps(table + 8);
  const __m256i shifts = _mm256_setr_epi32(shiftBase, shiftBase + 4, shiftBase + 8, shiftBase + 12, shiftBase,
                                           shiftBase + 4, shiftBase + 8, shiftBase + 12);
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
GRPOJS_TARGET_AVX2 int64_t Int8RunAvx2(const uint32_t* words, int64_t local, int shiftBase,
                                       const float* table, const float* s, float scale, float* out,
                                       int64_t len) {
  const __m256i shifts = _mm256_setr_epi32(shiftBase, shiftBase + 8, shiftBase, shiftBase + 8, shiftBase,
                                           shiftBase + 8, shiftBase, shiftBase + 8);
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
// the AVX2 runs where they apply, Unpack + LookupMul for the rest.
template <int Bits, bool Scaled>
void DequantRow(const uint32_t* words, int64_t m, int64_t k0, int64_t len, const float* table, const float* s,
                float scale, float* out, uint8_t* scratch) {
  int64_t j = 0;
#if GRPOJS_AVX2
  if (CpuHasAvx2()) {
    constexpr int64_t kPerHalf = 16 / Bits;
    const int64_t half = kPerHalf * m;
    while (j < len) {
      const int64_t k = k0 + j;
      const bool low = k < half;
      const int64_t local = low ? k : k - half;
      if (local % kPerHalf != 0) {  // one field at a time up to a word boundary
        Unpack<Bits>(words, m, k, 1, scratch);
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
#endif
  for (; j < len; j += kChunk) {
    const int64_t n = len - j < kChunk ? len - j : kChunk;
    Unpack<Bits>(words, m, k0 + j, n, scratch);
    LookupMul(scratch, table, s + j, out + j, n);
    if (Scaled) {
      for (int64_t t = 0; t < n; ++t) out[j + t] = out[j + t] * scale;
    }
  }
}

// blockwise8Dequantize(codesBuf, codesOff, words, mapBuf, mapOff, absmaxBuf, absmaxOff, blockSize,
//                      offset, n, outBuf, outOff)
//
// The double-quantized NF4 block scales: out[b] = map[code b] · absmax[b / blockSize] + offset for
// b < n, with 8-bit codes in `words` packHalves words (4·words ≥ n), map float32 [256], absmax
// float32 [ceil(n / blockSize)], offset a float32 value: two float32 operations, multiply first.
Napi::Value Blockwise8Dequantize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 12) throw Napi::TypeError::New(env, "blockwise8Dequantize: expected 12 arguments");
  const int64_t words = Count(env, info[2], "words");
  const int64_t blockSize = Count(env, info[7], "blockSize");
  const float offset = static_cast<float>(info[8].As<Napi::Number>().DoubleValue());
  const int64_t n = Count(env, info[9], "n");
  if (blockSize < 1) throw Napi::RangeError::New(env, "blockwise8Dequantize: blockSize must be >= 1");
  if (n > 4 * words) throw Napi::RangeError::New(env, "blockwise8Dequantize: n exceeds the 4 fields per word");
  const auto* codes = BufferRegion<const uint32_t>(env, info[0], info[1], static_cast<double>(words), "codes");
  const auto* map = BufferRegion<const float>(env, info[3], info[4], 256, "map");
  const double nScales = std::ceil(static_cast<double>(n) / static_cast<double>(blockSize));
  const auto* absmax = BufferRegion<const float>(env, info[5], info[6], nScales, "absmax");
  auto* out = BufferRegion<float>(env, info[10], info[11], static_cast<double>(n), "out");
  std::vector<uint8_t> c(static_cast<size_t>(n));
  Unpack<8>(codes, words, 0, n, c.data());
  for (int64_t b = 0; b < n; ++b) {
    const float scaled = map[c[b]] * absmax[b / blockSize];
    out[b] = scaled + offset;
  }
  return env.Undefined();
}

// nf4Dequantize(codesBuf, codesOff, words, tableBuf, tableOff, absmaxBuf, absmaxOff, inF, outF,
//               blockSize, inOutOrder, outBuf, outOff)
//
// W [inF, outF] float32 = table[code] · absmax[block], with 4-bit codes in `words` packHalves words
// (8·words ≥ inF·outF), table float32 [16] and absmax float32 [ceil(inF·outF / blockSize)] in
// bitsandbytes' order (blocks of the flattened [outF, inF] weight). Codes are in [inF, outF] order
// when inOutOrder (which needs inF % blockSize = 0: block of (i, o) = o·inF/blockSize + i/blockSize),
// else in [outF, inF] order (block of (o, i) = (o·inF + i) / blockSize) and written transposed.
Napi::Value Nf4Dequantize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 13) throw Napi::TypeError::New(env, "nf4Dequantize: expected 13 arguments");
  const int64_t words = Count(env, info[2], "words");
  const int64_t inF = Count(env, info[7], "inF");
  const int64_t outF = Count(env, info[8], "outF");
  const int64_t bs = Count(env, info[9], "blockSize");
  const bool inOutOrder = info[10].ToBoolean().Value();
  const int64_t n = inF * outF;
  if (bs < 1) throw Napi::RangeError::New(env, "nf4Dequantize: blockSize must be >= 1");
  if (n > 8 * words) throw Napi::RangeError::New(env, "nf4Dequantize: inF·outF exceeds the 8 fields per word");
  if (inOutOrder && inF % bs != 0) throw Napi::RangeError::New(env, "nf4Dequantize: inOutOrder needs inF % blockSize = 0");
  const auto* codes = BufferRegion<const uint32_t>(env, info[0], info[1], static_cast<double>(words), "codes");
  const auto* table = BufferRegion<const float>(env, info[3], info[4], 16, "table");
  const int64_t nBlocks = (n + bs - 1) / bs;
  const auto* absmax = BufferRegion<const float>(env, info[5], info[6], static_cast<double>(nBlocks), "absmax");
  auto* out = BufferRegion<float>(env, info[11], info[12], static_cast<double>(n), "out");
  std::vector<uint8_t> c(static_cast<size_t>(kChunk));
  if (inOutOrder) {
    // scaleT [inF / bs, outF]: the block scale of every (row group, column), so a row multiplies
    // by a contiguous vector.
    const int64_t perRow = inF / bs;
    std::vector<float> scaleT(static_cast<size_t>(nBlocks));
    for (int64_t o = 0; o < outF; ++o) {
      for (int64_t r = 0; r < perRow; ++r) scaleT[r * outF + o] = absmax[o * perRow + r];
    }
    for (int64_t i = 0; i < inF; ++i) {
      DequantRow<4, false>(codes, words, i * outF, outF, table, scaleT.data() + (i / bs) * outF, 1.f, out + i * outF, c.data());
    }
  } else {
    for (int64_t o = 0; o < outF; ++o) {
      for (int64_t i0 = 0; i0 < inF; i0 += kChunk) {
        const int64_t len = inF - i0 < kChunk ? inF - i0 : kChunk;
        Unpack<4>(codes, words, o * inF + i0, len, c.data());
        for (int64_t j = 0; j < len; ++j) {
          const int64_t k = o * inF + i0 + j;
          out[(i0 + j) * outF + o] = table[c[j]] * absmax[k / bs];
        }
      }
    }
  }
  return env.Undefined();
}

// int8Dequantize(codesBuf, codesOff, words, tableBuf, tableOff, rowAbsmaxBuf, rowAbsmaxOff, scale,
//                inF, outF, outBuf, outOff)
//
// W [inF, outF] float32 = (table[code] · rowAbsmax[o]) · scale, with 8-bit codes in [inF, outF]
// order in `words` packHalves words (4·words ≥ inF·outF), table float32 [256] (the signed value
// of each byte), rowAbsmax float32 [outF], scale a float32 value: two multiplies in that order.
Napi::Value Int8Dequantize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 12) throw Napi::TypeError::New(env, "int8Dequantize: expected 12 arguments");
  const int64_t words = Count(env, info[2], "words");
  const float scale = static_cast<float>(info[7].As<Napi::Number>().DoubleValue());
  const int64_t inF = Count(env, info[8], "inF");
  const int64_t outF = Count(env, info[9], "outF");
  const int64_t n = inF * outF;
  if (n > 4 * words) throw Napi::RangeError::New(env, "int8Dequantize: inF·outF exceeds the 4 fields per word");
  const auto* codes = BufferRegion<const uint32_t>(env, info[0], info[1], static_cast<double>(words), "codes");
  const auto* table = BufferRegion<const float>(env, info[3], info[4], 256, "table");
  const auto* rowAbsmax = BufferRegion<const float>(env, info[5], info[6], static_cast<double>(outF), "rowAbsmax");
  auto* out = BufferRegion<float>(env, info[10], info[11], static_cast<double>(n), "out");
  std::vector<uint8_t> c(static_cast<size_t>(kChunk));
  for (int64_t i = 0; i < inF; ++i) {
    DequantRow<8, true>(codes, words, i * outF, outF, table, rowAbsmax, scale, out + i * outF, c.data());
  }
  return env.Undefined();
}

}  // namespace

void InitNf4(Napi::Env env, Napi::Object exports) {
  exports.Set("blockwise8Dequantize", Napi::Function::New(env, Blockwise8Dequantize, "blockwise8Dequantize"));
  exports.Set("nf4Dequantize", Napi::Function::New(env, Nf4Dequantize, "nf4Dequantize"));
  exports.Set("int8Dequantize", Napi::Function::New(env, Int8Dequantize, "int8Dequantize"));
}

}  // namespace grpojs
