// The N-API binding of the Llama-family decode engine (kernels/llama-decode-engine.h: Llama, Qwen2,
// Qwen3 as flags): the class `LlamaDecodeEngine`, whose methods each take one named options object
// (napi-options.h). This file unpacks and checks those objects and calls the engine; reset,
// loadCache, sampleRows, info and dispose are the decode engines' shared methods (decode-engine-binding.h).
#include <algorithm>
#include <cstdint>
#include <string>

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

  static Napi::Function Define(Napi::Env env);
  explicit Binding(const Napi::CallbackInfo& info);

 private:
  Napi::Value SetNorm(const Napi::CallbackInfo& info);
  Napi::Value SetLinear(const Napi::CallbackInfo& info);
  Napi::Value SetLinearNf4(const Napi::CallbackInfo& info);
  Napi::Value SetEmbedding(const Napi::CallbackInfo& info);
  Napi::Value SetHead(const Napi::CallbackInfo& info);
  Napi::Value Step(const Napi::CallbackInfo& info);

  PanelWeights& LinearArg(const Napi::Object& o, const std::string& where);
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

PanelWeights& Binding::LinearArg(const Napi::Object& o, const std::string& where) {
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

// The optional `bias` [out] of setLinear / setLinearNf4 (absent or null: no bias).
const float* OptionalBias(const Napi::Object& o, const PanelWeights& L, const std::string& where) {
  const Napi::Value b = o.Get("bias");
  return b.IsUndefined() || b.IsNull() ? nullptr : FloatsOpt(o, "bias", L.out, where);
}

// setLinear({ layer, module, weight [in·out] in the Conv1D layout [in, out], bias? [out] }).
Napi::Value Binding::SetLinear(const Napi::CallbackInfo& info) {
  const std::string where = "LlamaDecodeEngine.setLinear";
  const Napi::Object o = OptionsArg(info, where);
  PanelWeights& L = LinearArg(o, where);
  const float* w = FloatsOpt(o, "weight", static_cast<int64_t>(L.in) * L.out, where);
  const float* bias = OptionalBias(o, L, where);
  L.SetDense(w, false);
  L.SetBias(bias);
  return info.Env().Undefined();
}

// setLinearNf4({ layer, module, codeWords, absmax, blockSize, table, bias? }): a frozen NF4
// projection kept as codes. codeWords: @grpojs/model's packHalves words of the in·out codes in
// [in, out] order (field k·out + o); absmax [out][in / blockSize]; blockSize must divide `in`.
Napi::Value Binding::SetLinearNf4(const Napi::CallbackInfo& info) {
  const std::string where = "LlamaDecodeEngine.setLinearNf4";
  const Napi::Object o = OptionsArg(info, where);
  PanelWeights& L = LinearArg(o, where);
  const int bs = IntOpt(o, "blockSize", where);
  if (bs <= 0 || bs % 2 != 0 || L.in % bs != 0) {
    throw Napi::RangeError::New(info.Env(), where + ": blockSize " + std::to_string(bs) + " must be even and divide in = " + std::to_string(L.in) + "; pass the dequantized weight to setLinear instead");
  }
  const size_t m = (static_cast<size_t>(L.in) * L.out + 7) / 8;
  const uint32_t* words = reinterpret_cast<const uint32_t*>(IntsOpt(o, "codeWords", static_cast<int64_t>(m), where));
  const float* absmax = FloatsOpt(o, "absmax", static_cast<int64_t>(L.out) * (L.in / bs), where);
  const float* table = FloatsOpt(o, "table", 16, where);
  const float* bias = OptionalBias(o, L, where);
  engine_->ReserveDecodedScratch(L.in);
  L.SetNf4(words, static_cast<int64_t>(m), bs, absmax, table);
  L.SetBias(bias);
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

// step({ tokens Int32Array[B], positions Int32Array[B], logits Float32Array[B·V] }): one token per
// row at cache position `length` (rotary angles from `positions`), then length += 1.
Napi::Value Binding::Step(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string where = "LlamaDecodeEngine.step";
  LlamaDecodeEngine& e = *engine_;
  const std::string missing = e.Missing();
  if (!missing.empty()) throw Napi::Error::New(env, where + ": " + missing + " was never set");
  if (e.batch() == 0) throw Napi::Error::New(env, where + ": call reset({ batch, capacity }) first");
  if (e.length() >= e.capacity()) throw Napi::RangeError::New(env, where + ": the KV cache is full (" + std::to_string(e.capacity()) + " positions); reset with a larger capacity");
  const Napi::Object o = OptionsArg(info, where);
  const int B = e.batch(), V = e.spec().vocabSize;
  const int32_t* tokens = IntsOpt(o, "tokens", B, where);
  const int32_t* positions = IntsOpt(o, "positions", B, where);
  float* logits = FloatsOpt(o, "logits", static_cast<int64_t>(B) * V, where);
  for (int b = 0; b < B; ++b) {
    if (tokens[b] < 0 || tokens[b] >= V) throw Napi::RangeError::New(env, where + ": tokens[" + std::to_string(b) + "] = " + std::to_string(tokens[b]) + " is outside the vocabulary");
    if (positions[b] < 0 || positions[b] >= e.spec().maxPositions) throw Napi::RangeError::New(env, where + ": positions[" + std::to_string(b) + "] = " + std::to_string(positions[b]) + " is outside [0, maxPositions)");
  }
  e.Step(tokens, positions, logits);
  return env.Undefined();
}

Napi::Function Binding::Define(Napi::Env env) {
  std::vector<PropertyDescriptor> methods = {
      InstanceMethod("setNorm", &Binding::SetNorm),
      InstanceMethod("setLinear", &Binding::SetLinear),
      InstanceMethod("setLinearNf4", &Binding::SetLinearNf4),
      InstanceMethod("setEmbedding", &Binding::SetEmbedding),
      InstanceMethod("setHead", &Binding::SetHead),
      InstanceMethod("step", &Binding::Step),
  };
  for (const PropertyDescriptor& m : LifecycleMethods()) methods.push_back(m);
  return DefineClass(env, kClassName, methods);
}

}  // namespace

void InitLlamaDecode(Napi::Env env, Napi::Object exports) { exports.Set("LlamaDecodeEngine", Binding::Define(env)); }

}  // namespace grpojs
