// N-API bindings of attention's elementwise and layout kernels (kernels/attention.h), each one pass:
// - maskedSoftmax / maskedSoftmaxGrad (tfjs: a Multiply, an Add and a Softmax over [B, H, T, S]
//   forward and five more passes backward; for distilgpt2's training micro-batch
//   [2, 12, 256, 256] = 1.5 M floats);
// - splitHeads / splitHeadsGrad (tfjs: a SplitV, three Reshapes and three Transposes forward, three
//   Transposes and a Concat backward; the SplitV alone took 6 ms per [512, 2304]).
// See docs/accel.md, "Attention kernels". Each function takes one named options object.
#include "attention-binding.h"

#include <cstdint>
#include <string>

#include "../cpu.h"
#include "../kernels/attention.h"
#include "napi-options.h"

namespace grpojs {
namespace {

void MaskedSoftmaxBase(const float* s, const float* m, float* o, int64_t B, int64_t H, int64_t T, int64_t S, float scale) {
  MaskedSoftmax(s, m, o, B, H, T, S, scale);
}
#if GRPOJS_AVX2
// The same code compiled for AVX2 (8 lanes instead of SSE2's 4; FMA contraction stays off, so only
// the row sum's order differs, by float rounding): 5.3 → 2.9 ms for [2, 12, 256, 256]. Chosen at
// run time.
GRPOJS_TARGET_AVX2 void MaskedSoftmaxAvx2(const float* s, const float* m, float* o, int64_t B, int64_t H, int64_t T, int64_t S, float scale) {
  MaskedSoftmax(s, m, o, B, H, T, S, scale);
}
#endif

// The softmax kernel for this build and CPU (cpu.h).
auto PickMaskedSoftmax() {
#if GRPOJS_AVX2
  if (CpuHasAvx2()) return MaskedSoftmaxAvx2;
#endif
  return MaskedSoftmaxBase;
}

// maskedSoftmax({ scores [B·H·T·S], bias [B·T·S], out [B·H·T·S], B, H, T, S, scale }), arrays as
// { buffer, byteOffset } regions: out = softmax(scores · scale + bias) over S, bias broadcast over heads.
Napi::Value MaskedSoftmaxBinding(const Napi::CallbackInfo& info) {
  const std::string where = "maskedSoftmax";
  const Napi::Object o = OptionsArg(info, where);
  const int64_t B = SizeOpt(o, "B", 0, where), H = SizeOpt(o, "H", 0, where), T = SizeOpt(o, "T", 0, where), S = SizeOpt(o, "S", 1, where);
  const float scale = static_cast<float>(NumberOpt(o, "scale", where));
  const double all = static_cast<double>(B) * H * T * S;
  const float* scores = RegionOpt<const float>(o, "scores", all, where);
  const float* bias = RegionOpt<const float>(o, "bias", static_cast<double>(B) * T * S, where);
  float* out = RegionOpt<float>(o, "out", all, where);
  PickMaskedSoftmax()(scores, bias, out, B, H, T, S, scale);
  return info.Env().Undefined();
}

// maskedSoftmaxGrad({ p, dp, out [rows·S], rows, S, scale }): out = scale · p · (dp − Σ_j p·dp) per row.
Napi::Value MaskedSoftmaxGradBinding(const Napi::CallbackInfo& info) {
  const std::string where = "maskedSoftmaxGrad";
  const Napi::Object o = OptionsArg(info, where);
  const int64_t rows = SizeOpt(o, "rows", 0, where), S = SizeOpt(o, "S", 1, where);
  const float scale = static_cast<float>(NumberOpt(o, "scale", where));
  const double all = static_cast<double>(rows) * S;
  const float* p = RegionOpt<const float>(o, "p", all, where);
  const float* dp = RegionOpt<const float>(o, "dp", all, where);
  float* out = RegionOpt<float>(o, "out", all, where);
  MaskedSoftmaxGrad(p, dp, out, rows, S, scale);
  return info.Env().Undefined();
}

// splitHeads({ qkv [B·T·3·H·D], q, k, v [B·H·T·D], B, T, H, D }): SplitHeads (kernels/attention.h).
Napi::Value SplitHeadsBinding(const Napi::CallbackInfo& info) {
  const std::string where = "splitHeads";
  const Napi::Object o = OptionsArg(info, where);
  const int64_t B = SizeOpt(o, "B", 0, where), T = SizeOpt(o, "T", 0, where), H = SizeOpt(o, "H", 1, where), D = SizeOpt(o, "D", 1, where);
  const double n = static_cast<double>(B) * T * H * D;
  const float* qkv = RegionOpt<const float>(o, "qkv", 3 * n, where);
  float* q = RegionOpt<float>(o, "q", n, where);
  float* k = RegionOpt<float>(o, "k", n, where);
  float* v = RegionOpt<float>(o, "v", n, where);
  SplitHeads(qkv, q, k, v, B, T, H, D);
  return info.Env().Undefined();
}

// splitHeadsGrad({ dq, dk, dv [B·H·T·D], out [B·T·3·H·D], B, T, H, D }): MergeHeads (kernels/attention.h).
Napi::Value SplitHeadsGradBinding(const Napi::CallbackInfo& info) {
  const std::string where = "splitHeadsGrad";
  const Napi::Object o = OptionsArg(info, where);
  const int64_t B = SizeOpt(o, "B", 0, where), T = SizeOpt(o, "T", 0, where), H = SizeOpt(o, "H", 1, where), D = SizeOpt(o, "D", 1, where);
  const double n = static_cast<double>(B) * T * H * D;
  const float* dq = RegionOpt<const float>(o, "dq", n, where);
  const float* dk = RegionOpt<const float>(o, "dk", n, where);
  const float* dv = RegionOpt<const float>(o, "dv", n, where);
  float* out = RegionOpt<float>(o, "out", 3 * n, where);
  MergeHeads(dq, dk, dv, out, B, T, H, D);
  return info.Env().Undefined();
}

}  // namespace

void InitAttention(Napi::Env env, Napi::Object exports) {
  exports.Set("maskedSoftmax", Napi::Function::New(env, MaskedSoftmaxBinding, "maskedSoftmax"));
  exports.Set("maskedSoftmaxGrad", Napi::Function::New(env, MaskedSoftmaxGradBinding, "maskedSoftmaxGrad"));
  exports.Set("splitHeads", Napi::Function::New(env, SplitHeadsBinding, "splitHeads"));
  exports.Set("splitHeadsGrad", Napi::Function::New(env, SplitHeadsGradBinding, "splitHeadsGrad"));
}

}  // namespace grpojs
