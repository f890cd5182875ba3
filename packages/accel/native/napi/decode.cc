// The N-API binding of the GPT-2 decode engine (kernels/gpt2-decode-engine.h): the class
// `DecodeEngine`, whose methods each take one named options object (napi-options.h). This file
// unpacks and checks the spec and the GPT-2 weights and calls the engine; setLinear, setLinearNf4,
// step, reset, loadCache, sampleRows, info and dispose are the decode engines' shared methods
// (decode-engine-binding.h).
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../cpu.h"
#include "../kernels/gpt2-decode-engine.h"
#include "decode-binding.h"
#include "decode-engine-binding.h"
#include "napi-options.h"

namespace grpojs {
namespace {

class Binding : public DecodeEngineBinding<Binding, Gpt2DecodeEngine> {
 public:
  static constexpr const char* kClassName = "DecodeEngine";
  static constexpr LifecycleErrors kErrors = {
      "options.batch must be ≥ 0 and options.capacity in [0, nPositions]",
      "options.layer is outside [0, nLayer)",
      "options.length must be ≤ options.srcCapacity and ≤ the reset capacity",
      "every value of options.starts must be in [0, options.length]",
      "options.temperature must be finite and > 0",
      "every value of options.us must be < 1 (negative: skip the row)",
  };
  static constexpr WeightStepRules kRules = {"options.", "nPositions", true, true, false};

  static Napi::Function Define(Napi::Env env);
  explicit Binding(const Napi::CallbackInfo& info);

  PanelWeights& ProjectionArg(const Napi::Object& o, const std::string& where);

 private:
  Napi::Value SetLayerNorm(const Napi::CallbackInfo& info);
  Napi::Value SetPositionEmbedding(const Napi::CallbackInfo& info);
  Napi::Value SetTokenEmbedding(const Napi::CallbackInfo& info);
  Napi::Value SetHead(const Napi::CallbackInfo& info);

  static int IntField(Napi::Env env, Napi::Object o, const char* name, int lo);
};

int Binding::IntField(Napi::Env env, Napi::Object o, const char* name, int lo) {
  const Napi::Value v = o.Get(name);
  if (!v.IsNumber()) RangeFail(env, "constructor", std::string("spec.") + name + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (d != std::floor(d) || d < lo || d > 1e9) RangeFail(env, "constructor", std::string("spec.") + name + " must be an integer ≥ " + std::to_string(lo));
  return static_cast<int>(d);
}

// new DecodeEngine({ nLayer, nHead, nEmbd, nInner, vocabSize, nPositions, activation (0 gelu_new,
// 1 relu, 2 gelu), threads (0: one per hardware thread), eps, tiedHead, attnScales Float32Array[nLayer], portable? }).
Binding::Binding(const Napi::CallbackInfo& info) : DecodeEngineBinding(info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsObject()) RangeFail(env, "constructor", "expected one spec object");
  const Napi::Object s = info[0].As<Napi::Object>();
  Gpt2DecodeSpec spec;
  spec.nLayer = IntField(env, s, "nLayer", 1);
  spec.nHead = IntField(env, s, "nHead", 1);
  spec.nEmbd = IntField(env, s, "nEmbd", 1);
  spec.nInner = IntField(env, s, "nInner", 1);
  spec.vocabSize = IntField(env, s, "vocabSize", 1);
  spec.nPositions = IntField(env, s, "nPositions", 1);
  const int act = IntField(env, s, "activation", 0);
  spec.threads = IntField(env, s, "threads", 0);
  if (spec.nEmbd % spec.nHead != 0) RangeFail(env, "constructor", "spec.nEmbd must be divisible by spec.nHead");
  if (act > 2) RangeFail(env, "constructor", "spec.activation must be 0 (gelu_new), 1 (relu) or 2 (gelu)");
  const Activation acts[] = {Activation::kGeluNew, Activation::kRelu, Activation::kGelu};
  spec.activation = acts[act];
  spec.eps = NumberOpt(s, "eps", "new DecodeEngine");
  spec.tiedHead = s.Get("tiedHead").ToBoolean().Value();
  const Napi::Value sc = s.Get("attnScales");
  if (!sc.IsTypedArray() || sc.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array ||
      sc.As<Napi::Float32Array>().ElementLength() != static_cast<size_t>(spec.nLayer)) {
    RangeFail(env, "constructor", "spec.attnScales must be a Float32Array of nLayer values");
  }
  const Napi::Float32Array scales = sc.As<Napi::Float32Array>();
  spec.attnScales.assign(scales.Data(), scales.Data() + spec.nLayer);
  spec.avx2 = CpuHasAvx2() && !s.Get("portable").ToBoolean().Value();
  engine_ = std::make_unique<Gpt2DecodeEngine>(spec);
}

// setLayerNorm({ index, gamma [C], beta [C] }): index 2l = h.l.ln_1, 2l+1 = h.l.ln_2, 2·nLayer = ln_f.
Napi::Value Binding::SetLayerNorm(const Napi::CallbackInfo& info) {
  const std::string where = "DecodeEngine.setLayerNorm";
  const Napi::Object o = OptionsArg(info, where);
  const int i = IntOpt(o, "index", where);
  const Gpt2DecodeSpec& spec = engine_->spec();
  if (i < 0 || i > 2 * spec.nLayer) RangeFail(info.Env(), "setLayerNorm", "options.index is outside [0, 2·nLayer]");
  const float* g = FloatsOpt(o, "gamma", spec.nEmbd, where);
  const float* b = FloatsOpt(o, "beta", spec.nEmbd, where);
  engine_->SetLayerNorm(i, g, b);
  return info.Env().Undefined();
}

// The projection `options.projection` (0 = c_attn, 1 = attn.c_proj, 2 = mlp.c_fc, 3 = mlp.c_proj)
// of block `options.layer`.
PanelWeights& Binding::ProjectionArg(const Napi::Object& o, const std::string& where) {
  const int l = IntOpt(o, "layer", where);
  const int which = IntOpt(o, "projection", where);
  if (l < 0 || l >= engine_->spec().nLayer || which < 0 || which >= Gpt2DecodeEngine::kProjectionCount) {
    throw Napi::RangeError::New(o.Env(), where + ": options.layer " + std::to_string(l) + " or options.projection " + std::to_string(which) + " out of range");
  }
  return engine_->projection(l, which);
}

// setPositionEmbedding({ weight [nPositions·C] }): wpe.
Napi::Value Binding::SetPositionEmbedding(const Napi::CallbackInfo& info) {
  const std::string where = "DecodeEngine.setPositionEmbedding";
  const Gpt2DecodeSpec& spec = engine_->spec();
  engine_->SetPositionEmbedding(FloatsOpt(OptionsArg(info, where), "weight", static_cast<int64_t>(spec.nPositions) * spec.nEmbd, where));
  return info.Env().Undefined();
}

// setTokenEmbedding({ weight [V·C] }): wte; tied heads pack it as the head, untied keep it as rows.
Napi::Value Binding::SetTokenEmbedding(const Napi::CallbackInfo& info) {
  const std::string where = "DecodeEngine.setTokenEmbedding";
  const Gpt2DecodeSpec& spec = engine_->spec();
  engine_->SetEmbedding(FloatsOpt(OptionsArg(info, where), "weight", static_cast<int64_t>(spec.vocabSize) * spec.nEmbd, where));
  return info.Env().Undefined();
}

// setHead({ weight [V·C] }) of an untied head (logits = h · weightᵀ).
Napi::Value Binding::SetHead(const Napi::CallbackInfo& info) {
  const std::string where = "DecodeEngine.setHead";
  const Napi::Object o = OptionsArg(info, where);
  const Gpt2DecodeSpec& spec = engine_->spec();
  if (spec.tiedHead) RangeFail(info.Env(), "setHead", "the head is tied to the token embedding; use setTokenEmbedding");
  engine_->SetHead(FloatsOpt(o, "weight", static_cast<int64_t>(spec.vocabSize) * spec.nEmbd, where));
  return info.Env().Undefined();
}

Napi::Function Binding::Define(Napi::Env env) {
  std::vector<PropertyDescriptor> methods = {
      InstanceMethod("setLayerNorm", &Binding::SetLayerNorm),
      InstanceMethod("setPositionEmbedding", &Binding::SetPositionEmbedding),
      InstanceMethod("setTokenEmbedding", &Binding::SetTokenEmbedding),
      InstanceMethod("setHead", &Binding::SetHead),
  };
  for (const PropertyDescriptor& m : SharedMethods()) methods.push_back(m);
  return DefineClass(env, kClassName, methods);
}

}  // namespace

void InitDecode(Napi::Env env, Napi::Object exports) { exports.Set("DecodeEngine", Binding::Define(env)); }

}  // namespace grpojs
