// N-API bindings of the Llama decode engine's math kernels (native/kernels/*.h), one function per
// kernel taking a named options object, so tests can check each against a float64 reference on
// its own. Exported as `llamaKernels` by accel.cc's Init; the engine (llama-decode.cc) calls the
// same headers.
#include <cmath>
#include <vector>

#include "../kernels/gqa-attention.h"
#include "../kernels/rotary.h"
#include "../kernels/swiglu.h"
#include "llama-decode-binding.h"
#include "napi-options.h"

namespace grpojs {
namespace {

// ropeInverseFrequencies({ headDim, theta, ropeScaling }) → Float64Array [headDim / 2].
Napi::Value RopeInverseFrequenciesBinding(const Napi::CallbackInfo& info) {
  const std::string where = "llamaKernels.ropeInverseFrequencies";
  const Napi::Object o = OptionsArg(info, where);
  const int D = IntOpt(o, "headDim", where);
  if (D <= 0 || D % 2 != 0) throw Napi::RangeError::New(info.Env(), where + ": options.headDim must be even and > 0");
  Napi::Float64Array inv = Napi::Float64Array::New(info.Env(), D / 2);
  RopeInverseFrequencies(D, NumberOpt(o, "theta", where), RopeScalingOpt(o, where), inv.Data());
  return inv;
}

// rotary({ x [rows·heads·headDim] rotated in place, rows, heads, headDim, positions Int32Array[rows],
// theta, ropeScaling }).
Napi::Value RotaryBinding(const Napi::CallbackInfo& info) {
  const std::string where = "llamaKernels.rotary";
  const Napi::Object o = OptionsArg(info, where);
  const int rows = IntOpt(o, "rows", where), heads = IntOpt(o, "heads", where), D = IntOpt(o, "headDim", where);
  if (D <= 0 || D % 2 != 0) throw Napi::RangeError::New(info.Env(), where + ": options.headDim must be even and > 0");
  float* x = FloatsOpt(o, "x", static_cast<int64_t>(rows) * heads * D, where);
  const int32_t* positions = IntsOpt(o, "positions", rows, where);
  std::vector<double> inv(D / 2);
  RopeInverseFrequencies(D, NumberOpt(o, "theta", where), RopeScalingOpt(o, where), inv.data());
  std::vector<float> c(D / 2), s(D / 2);
  for (int r = 0; r < rows; ++r) {
    RotaryAngles(positions[r], inv.data(), D / 2, c.data(), s.data());
    for (int h = 0; h < heads; ++h) ApplyRotary(x + (static_cast<size_t>(r) * heads + h) * D, c.data(), s.data(), D / 2);
  }
  return info.Env().Undefined();
}

// swiglu({ gate [n], up [n], out [n] }).
Napi::Value SwiGluBinding(const Napi::CallbackInfo& info) {
  const std::string where = "llamaKernels.swiglu";
  const Napi::Object o = OptionsArg(info, where);
  size_t n = 0;
  const float* gate = ArrayOpt<float>(o, "gate", napi_float32_array, "Float32Array", -1, where, &n);
  SwiGlu(gate, FloatsOpt(o, "up", n, where), static_cast<int>(n), FloatsOpt(o, "out", n, where));
  return info.Env().Undefined();
}

// gqaAttention({ q [batch·heads·headDim], keys, values [batch·kvHeads·capacity·headDim], batch,
// heads, kvHeads, headDim, capacity, length, starts Int32Array[batch], scale, out [batch·heads·headDim] }):
// query head h of row b attends over positions [starts[b], length) of KV head h / (heads / kvHeads).
Napi::Value GqaAttentionBinding(const Napi::CallbackInfo& info) {
  const std::string where = "llamaKernels.gqaAttention";
  const Napi::Object o = OptionsArg(info, where);
  const int B = IntOpt(o, "batch", where), H = IntOpt(o, "heads", where), KV = IntOpt(o, "kvHeads", where);
  const int D = IntOpt(o, "headDim", where), cap = IntOpt(o, "capacity", where), len = IntOpt(o, "length", where);
  if (KV <= 0 || H % KV != 0) throw Napi::RangeError::New(info.Env(), where + ": options.heads must be a multiple of options.kvHeads");
  if (len <= 0 || len > cap) throw Napi::RangeError::New(info.Env(), where + ": options.length must be in [1, capacity]");
  const float* q = FloatsOpt(o, "q", static_cast<int64_t>(B) * H * D, where);
  const float* k = FloatsOpt(o, "keys", static_cast<int64_t>(B) * KV * cap * D, where);
  const float* v = FloatsOpt(o, "values", static_cast<int64_t>(B) * KV * cap * D, where);
  const int32_t* starts = IntsOpt(o, "starts", B, where);
  float* out = FloatsOpt(o, "out", static_cast<int64_t>(B) * H * D, where);
  const float scale = static_cast<float>(NumberOpt(o, "scale", where));
  std::vector<float> scores(cap);
  for (int b = 0; b < B; ++b) {
    if (starts[b] < 0 || starts[b] >= len) throw Napi::RangeError::New(info.Env(), where + ": every start must be in [0, length)");
    for (int h = 0; h < H; ++h) {
      const size_t base = (static_cast<size_t>(b) * KV + h / (H / KV)) * cap * D;
      AttendHead(q + (static_cast<size_t>(b) * H + h) * D, k + base, v + base, starts[b], len - 1, D, scale, scores.data(),
                 out + (static_cast<size_t>(b) * H + h) * D);
    }
  }
  return info.Env().Undefined();
}

}  // namespace

void InitLlamaKernels(Napi::Env env, Napi::Object exports) {
  Napi::Object k = Napi::Object::New(env);
  k.Set("ropeInverseFrequencies", Napi::Function::New(env, RopeInverseFrequenciesBinding, "ropeInverseFrequencies"));
  k.Set("rotary", Napi::Function::New(env, RotaryBinding, "rotary"));
  k.Set("swiglu", Napi::Function::New(env, SwiGluBinding, "swiglu"));
  k.Set("gqaAttention", Napi::Function::New(env, GqaAttentionBinding, "gqaAttention"));
  exports.Set("llamaKernels", k);
}

}  // namespace grpojs
