// Attention's elementwise and layout work around its two matmuls, each one pass:
// - the probabilities softmax(scores · scale + bias) over the key axis, and their input gradient
//   (tfjs: a Multiply, an Add and a Softmax over [B, H, T, S] forward and five more passes
//   backward; for distilgpt2's training micro-batch [2, 12, 256, 256] = 1.5 M floats);
// - the split of GPT-2's fused projection qkv [B·T, 3C] into q, k, v [B, H, T, D], and its
//   gradient (tfjs: a SplitV, three Reshapes and three Transposes forward, three Transposes and a
//   Concat backward; the SplitV alone took 6 ms per [512, 2304]).
// See docs/accel.md, "Attention kernels".
#include "attention.h"
#include "napi-region.h"

#include <cmath>
#include <cstdint>
#include <string>

#include "cpu.h"
#include "fast-exp.h"

namespace grpojs {
namespace {

double Count(const Napi::Env& env, const Napi::Value& v, const char* name, double min) {
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= min) || std::floor(d) != d) throw Napi::RangeError::New(env, std::string(name) + " must be an integer >= " + std::to_string(static_cast<int>(min)));
  return d;
}

// Softmax of rows z = s · scale + m (m: the bias row, shared by the heads) into o, S each.
inline __attribute__((always_inline)) void SoftmaxRow(const float* s, const float* m, float* o, int64_t S, float scale) {
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

inline __attribute__((always_inline)) void SoftmaxAll(const float* scores, const float* bias, float* out, int64_t B, int64_t H, int64_t T, int64_t S, float scale) {
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t h = 0; h < H; ++h) {
      for (int64_t t = 0; t < T; ++t) {
        const int64_t row = ((b * H + h) * T + t) * S;
        SoftmaxRow(scores + row, bias + (b * T + t) * S, out + row, S, scale);
      }
    }
  }
}

void SoftmaxAllBase(const float* s, const float* m, float* o, int64_t B, int64_t H, int64_t T, int64_t S, float scale) {
  SoftmaxAll(s, m, o, B, H, T, S, scale);
}
#if GRPOJS_AVX2
// The same code compiled for AVX2 (8 lanes instead of SSE2's 4; FMA contraction stays off, so only
// the row sum's order differs, by float rounding): 5.3 → 2.9 ms for [2, 12, 256, 256]. Chosen at
// run time.
GRPOJS_TARGET_AVX2 void SoftmaxAllAvx2(const float* s, const float* m, float* o, int64_t B, int64_t H, int64_t T, int64_t S, float scale) {
  SoftmaxAll(s, m, o, B, H, T, S, scale);
}
#endif

// The softmax kernel for this build and CPU (cpu.h).
auto PickSoftmaxAll() {
#if GRPOJS_AVX2
  if (CpuHasAvx2()) return SoftmaxAllAvx2;
#endif
  return SoftmaxAllBase;
}

// maskedSoftmax(scores, sOff, bias, bOff, out, oOff, B, H, T, S, scale): scores and out
// [B, H, T, S], bias [B, 1, T, S] (broadcast over heads); per row, z = scores · scale + bias (in
// that order, as the tfjs ops) and out = exp(z − max z) / Σ exp(z − max z).
Napi::Value MaskedSoftmax(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 11) throw Napi::TypeError::New(env, "maskedSoftmax: expected 11 arguments");
  const double Bd = Count(env, info[6], "maskedSoftmax: B", 0);
  const double Hd = Count(env, info[7], "maskedSoftmax: H", 0);
  const double Td = Count(env, info[8], "maskedSoftmax: T", 0);
  const double Sd = Count(env, info[9], "maskedSoftmax: S", 1);
  const float scale = static_cast<float>(info[10].As<Napi::Number>().DoubleValue());
  const float* scores = FloatRegion(env, info[0], info[1], Bd * Hd * Td * Sd, "scores");
  const float* bias = FloatRegion(env, info[2], info[3], Bd * Td * Sd, "bias");
  float* out = FloatRegion(env, info[4], info[5], Bd * Hd * Td * Sd, "out");
  const int64_t B = static_cast<int64_t>(Bd), H = static_cast<int64_t>(Hd), T = static_cast<int64_t>(Td), S = static_cast<int64_t>(Sd);
  PickSoftmaxAll()(scores, bias, out, B, H, T, S, scale);
  return env.Undefined();
}

// maskedSoftmaxGrad(p, pOff, dp, dpOff, out, oOff, rows, S, scale): p (the forward's output), dp
// and out [rows, S]; out = scale · p · (dp − Σ_j p·dp) per row, the gradient w.r.t. the scores.
Napi::Value MaskedSoftmaxGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 9) throw Napi::TypeError::New(env, "maskedSoftmaxGrad: expected 9 arguments");
  const double rowsD = Count(env, info[6], "maskedSoftmaxGrad: rows", 0);
  const double Sd = Count(env, info[7], "maskedSoftmaxGrad: S", 1);
  const float scale = static_cast<float>(info[8].As<Napi::Number>().DoubleValue());
  const float* p = FloatRegion(env, info[0], info[1], rowsD * Sd, "p");
  const float* dp = FloatRegion(env, info[2], info[3], rowsD * Sd, "dp");
  float* out = FloatRegion(env, info[4], info[5], rowsD * Sd, "out");
  const int64_t rows = static_cast<int64_t>(rowsD), S = static_cast<int64_t>(Sd);
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
  return env.Undefined();
}

// splitHeads(qkv, qkvOff, q, qOff, k, kOff, v, vOff, B, T, H, D): qkv [B·T, 3·H·D] →
// q, k, v [B, H, T, D] with q[b, h, t, d] = qkv[b·T + t, h·D + d] (k: + H·D, v: + 2·H·D).
// splitHeadsGrad(dq, dqOff, dk, dkOff, dv, dvOff, out, outOff, B, T, H, D): the inverse gather.
template <bool kForward>
Napi::Value SplitHeadsImpl(const Napi::CallbackInfo& info, const char* fn) {
  Napi::Env env = info.Env();
  if (info.Length() != 12) throw Napi::TypeError::New(env, std::string(fn) + ": expected 12 arguments");
  const double Bd = Count(env, info[8], "splitHeads: B", 0);
  const double Td = Count(env, info[9], "splitHeads: T", 0);
  const double Hd = Count(env, info[10], "splitHeads: H", 1);
  const double Dd = Count(env, info[11], "splitHeads: D", 1);
  const double n = Bd * Td * Hd * Dd;
  float* a = FloatRegion(env, info[0], info[1], kForward ? 3 * n : n, kForward ? "qkv" : "dq");
  float* q = FloatRegion(env, info[2], info[3], n, kForward ? "q" : "dk");
  float* k = FloatRegion(env, info[4], info[5], n, kForward ? "k" : "dv");
  float* v = FloatRegion(env, info[6], info[7], kForward ? n : 3 * n, kForward ? "v" : "out");
  const int64_t B = static_cast<int64_t>(Bd), T = static_cast<int64_t>(Td), H = static_cast<int64_t>(Hd), D = static_cast<int64_t>(Dd);
  const int64_t C = H * D;
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t h = 0; h < H; ++h) {
        const int64_t head = ((b * H + h) * T + t) * D;
        if constexpr (kForward) {
          const float* row = a + (b * T + t) * 3 * C + h * D;
#pragma omp simd
          for (int64_t d = 0; d < D; ++d) {
            q[head + d] = row[d];
            k[head + d] = row[C + d];
            v[head + d] = row[2 * C + d];
          }
        } else {
          // a = dq, q = dk, k = dv, v = out [B·T, 3C]
          float* row = v + (b * T + t) * 3 * C + h * D;
#pragma omp simd
          for (int64_t d = 0; d < D; ++d) {
            row[d] = a[head + d];
            row[C + d] = q[head + d];
            row[2 * C + d] = k[head + d];
          }
        }
      }
    }
  }
  return env.Undefined();
}

Napi::Value SplitHeads(const Napi::CallbackInfo& info) { return SplitHeadsImpl<true>(info, "splitHeads"); }
Napi::Value SplitHeadsGrad(const Napi::CallbackInfo& info) { return SplitHeadsImpl<false>(info, "splitHeadsGrad"); }

}  // namespace

void InitAttention(Napi::Env env, Napi::Object exports) {
  exports.Set("maskedSoftmax", Napi::Function::New(env, MaskedSoftmax, "maskedSoftmax"));
  exports.Set("maskedSoftmaxGrad", Napi::Function::New(env, MaskedSoftmaxGrad, "maskedSoftmaxGrad"));
  exports.Set("splitHeads", Napi::Function::New(env, SplitHeads, "splitHeads"));
  exports.Set("splitHeadsGrad", Napi::Function::New(env, SplitHeadsGrad, "splitHeadsGrad"));
}

}  // namespace grpojs
