// The N-API binding of the Llama-family decode engine (kernels/llama-decode-engine.h: Llama, Qwen2,
// Qwen3 as flags): the class `LlamaDecodeEngine`, whose methods each take one named options object
// (napi-options.h). This file unpacks and checks the spec, the norms and the embeddings and calls
// the engine; setLinear, setLinearNf4, step, reset, loadCache, sampleRows, info and dispose are the
// decode engines' shared methods (decode-engine-binding.h).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../cpu.h"
#include "../kernels/llama-decode-engine.h"
#include "decode-engine-binding.h"
#include "llama-decode-binding.h"
#include "napi-options.h"

namespace grpojs {

RopeScaling RopeScalingOpt(const Napi::Object& options, const std::string& where) {
  RopeScaling s;
  const Napi::Value v = options.Get("ropeScaling");
  if (v.IsNull() || v.IsUndefined()) return s;
  if (!v.IsObject()) throw Napi::TypeError::New(options.Env(), where + ": options.ropeScaling must be null or an object");
  const Napi::Object o = v.As<Napi::Object>();
  const std::string inner = where + " (ropeScaling)";
  s.factor = NumberOpt(o, "factor", inner);
  s.lowFreqFactor = NumberOpt(o, "lowFreqFactor", inner);
  s.highFreqFactor = NumberOpt(o, "highFreqFactor", inner);
  s.originalMax = NumberOpt(o, "originalMaxPositionEmbeddings", inner);
  if (!(s.factor > 0) || !(s.lowFreqFactor > 0) || !(s.highFreqFactor > s.lowFreqFactor) || !(s.originalMax > 0)) {
    throw Napi::RangeError::New(options.Env(), inner + ": need factor > 0, 0 < lowFreqFactor < highFreqFactor, originalMaxPositionEmbeddings > 0");
  }
  return s;
}

namespace {

class Binding : public DecodeEngineBinding<Binding, LlamaDecodeEngine> {
 public:
  static constexpr const char* kClassName = "LlamaDecodeEngine";
  static constexpr LifecycleErrors kErrors = {
      "batch must be ≥ 0 and capacity in [0, maxPositions]",
      "options.layer is outside [0, numLayers)",
      "length must be ≤ srcCapacity and ≤ the reset capacity",
      "every start must be in [0, length]",
      "temperature must be finite and > 0",
      "every us value must be < 1 (negative: skip the row)",
  };
  static constexpr WeightStepRules kRules = {"", "maxPositions", false, false, true};

  static Napi::Function Define(Napi::Env env);
  explicit Binding(const Napi::CallbackInfo& info);

  PanelWeights& ProjectionArg(const Napi::Object& o, const std::string& where);

 private:
  Napi::Value SetNorm(const Napi::CallbackInfo& info);
  Napi::Value SetEmbedding(const Napi::CallbackInfo& info);
  Napi::Value SetHead(const Napi::CallbackInfo& info);
};

// new LlamaDecodeEngine({ numLayers, hiddenSize, numHeads, numKvHeads, headDim, intermediateSize,
// vocabSize, maxPositions, rmsNormEps, ropeTheta, ropeScaling, qkNorm?, tiedHead?, threads, portable? }).
Binding::Binding(const Napi::CallbackInfo& info) : DecodeEngineBinding(info) {
  const std::string where = "new LlamaDecodeEngine";
  const Napi::Object o = OptionsArg(info, where);
  LlamaDecodeSpec s;
  s.numLayers = IntOpt(o, "numLayers", where);
  s.hiddenSize = IntOpt(o, "hiddenSize", where);
  s.numHeads = IntOpt(o, "numHeads", where);
  s.numKvHeads = IntOpt(o, "numKvHeads", where);
  s.headDim = IntOpt(o, "headDim", where);
  s.intermediateSize = IntOpt(o, "intermediateSize", where);
  s.vocabSize = IntOpt(o, "vocabSize", where);
  s.maxPositions = IntOpt(o, "maxPositions", where);
  s.rmsNormEps = static_cast<float>(NumberOpt(o, "rmsNormEps", where));
  s.ropeTheta = NumberOpt(o, "ropeTheta", where);
  s.qkNorm = BoolOpt(o, "qkNorm", false);
  s.tiedHead = BoolOpt(o, "tiedHead", false);
  s.threads = IntOpt(o, "threads", where);
  for (int v : {s.numLayers, s.hiddenSize, s.numHeads, s.numKvHeads, s.headDim, s.intermediateSize, s.vocabSize, s.maxPositions, s.threads}) {
    if (v <= 0) throw Napi::RangeError::New(info.Env(), where + ": every size and threads must be > 0");
  }
  if (s.numHeads % s.numKvHeads != 0) throw Napi::RangeError::New(info.Env(), where + ": numHeads must be a multiple of numKvHeads");
  if (s.headDim % 2 != 0) throw Napi::RangeError::New(info.Env(), where + ": headDim must be even (rotary pairs)");
  s.ropeScaling = RopeScalingOpt(o, where);
  s.avx2 = CpuHasAvx2() && !BoolOpt(o, "portable", false);
  engine_ = std::make_unique<LlamaDecodeEngine>(s);
}

// The projection `options.module` (one of kLlamaModuleNames) of layer `options.layer`.
PanelWeights& Binding::ProjectionArg(const Napi::Object& o, const std::string& where) {
  const int l = IntOpt(o, "layer", where);
  const std::string module = StringOpt(o, "module", where);
  if (l < 0 || l >= engine_->spec().numLayers) throw Napi::RangeError::New(o.Env(), where + ": options.layer " + std::to_string(l) + " is outside [0, numLayers)");
  for (int m = 0; m < kLlamaModuleCount; ++m) {
    if (module == kLlamaModuleNames[m]) return engine_->projection(l, m);
  }
  throw Napi::RangeError::New(o.Env(), where + ": options.module '" + module + "' is not one of self_attn.{q,k,v,o}_proj, mlp.{gate,up,down}_proj");
}

// setNorm({ layer, which: 'input' | 'post' | 'q' | 'k', weight }) or setNorm({ which: 'final', weight }).
Napi::Value Binding::SetNorm(const Napi::CallbackInfo& info) {
  const std::string where = "LlamaDecodeEngine.setNorm";
  const Napi::Object o = OptionsArg(info, where);
  const LlamaDecodeSpec& spec = engine_->spec();
  const std::string which = StringOpt(o, "which", where);
  if (which == "final") {
    engine_->SetFinalNorm(FloatsOpt(o, "weight", spec.hiddenSize, where));
    return info.Env().Undefined();
  }
  const int l = IntOpt(o, "layer", where);
  if (l < 0 || l >= spec.numLayers) throw Napi::RangeError::New(info.Env(), where + ": options.layer is outside [0, numLayers)");
  const bool head = which == "q" || which == "k";
  if (head && !spec.qkNorm) throw Napi::RangeError::New(info.Env(), where + ": q/k norms need qkNorm: true");
  if (which != "input" && which != "post" && !head) throw Napi::RangeError::New(info.Env(), where + ": options.which must be 'input', 'post', 'q', 'k' or 'final'");
  const LlamaNorm norm = which == "input" ? LlamaNorm::kInput : which == "post" ? LlamaNorm::kPost : which == "q" ? LlamaNorm::kQ : LlamaNorm::kK;
  engine_->SetLayerNorm(l, norm, FloatsOpt(o, "weight", head ? spec.headDim : spec.hiddenSize, where));
  return info.Env().Undefined();
}

// setEmbedding({ weight [vocab·hidden] }): the token embedding; when tied, packed as the LM head's
// panels only (a token's row is read back from them).
Napi::Value Binding::SetEmbedding(const Napi::CallbackInfo& info) {
  const std::string where = "LlamaDecodeEngine.setEmbedding";
  const LlamaDecodeSpec& spec = engine_->spec();
  engine_->SetEmbedding(FloatsOpt(OptionsArg(info, where), "weight", static_cast<int64_t>(spec.vocabSize) * spec.hiddenSize, where));
  return info.Env().Undefined();
}

// setHead({ weight [vocab·hidden] }) of an untied head (logits = h · weightᵀ).
Napi::Value Binding::SetHead(const Napi::CallbackInfo& info) {
  const std::string where = "LlamaDecodeEngine.setHead";
  const LlamaDecodeSpec& spec = engine_->spec();
  if (spec.tiedHead) throw Napi::RangeError::New(info.Env(), where + ": the head is tied to the embedding; use setEmbedding");
  engine_->SetHead(FloatsOpt(OptionsArg(info, where), "weight", static_cast<int64_t>(spec.vocabSize) * spec.hiddenSize, where));
  return info.Env().Undefined();
}

Napi::Function Binding::Define(Napi::Env env) {
  std::vector<PropertyDescriptor> methods = {
      InstanceMethod("setNorm", &Binding::SetNorm),
      InstanceMethod("setEmbedding", &Binding::SetEmbedding),
      InstanceMethod("setHead", &Binding::SetHead),
  };
  for (const PropertyDescriptor& m : SharedMethods()) methods.push_back(m);
  return DefineClass(env, kClassName, methods);
}

}  // namespace

void InitLlamaDecode(Napi::Env env, Napi::Object exports) { exports.Set("LlamaDecodeEngine", Binding::Define(env)); }

}  // namespace grpojs
