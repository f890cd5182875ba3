// The N-API binding of the GPT-2 decode engine (kernels/gpt2-decode-engine.h): the class
// `DecodeEngine`, whose methods each take one named options object (napi-options.h). This file
// unpacks and checks those objects and calls the engine; reset, loadCache, sampleRows, info and
// dispose are the decode engines' shared methods (decode-engine-binding.h).
#include <cmath>
#include <cstdint>
#include <string>

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

  static Napi::Function Define(Napi::Env env);
  explicit Binding(const Napi::CallbackInfo& info);

 private:
  Napi::Value SetLayerNorm(const Napi::CallbackInfo& info);
  Napi::Value SetLinear(const Napi::CallbackInfo& info);
  Napi::Value SetLinearNf4(const Napi::CallbackInfo& info);
  Napi::Value SetPositionEmbedding(const Napi::CallbackInfo& info);
  Napi::Value SetTokenEmbedding(const Napi::CallbackInfo& info);
  Napi::Value SetHead(const Napi::CallbackInfo& info);
  Napi::Value Step(const Napi::CallbackInfo& info);

  PanelWeights& ProjectionOpt(const Napi::Object& o, const std::string& where);
};

[[noreturn]] void Fail(Napi::Env env, const std::string& what) { throw Napi::RangeError::New(env, "DecodeEngine." + what); }

int IntField(Napi::Env env, Napi::Object o, const char* name, int lo) {
  const Napi::Value v = o.Get(name);
  if (!v.IsNumber()) Fail(env, std::string("constructor: spec.") + name + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (d != std::floor(d) || d < lo || d > 1e9) Fail(env, std::string("constructor: spec.") + name + " must be an integer ≥ " + std::to_string(lo));
  return static_cast<int>(d);
}

// new DecodeEngine({ nLayer, nHead, nEmbd, nInner, vocabSize, nPositions, activation (0 gelu_new,
// 1 relu, 2 gelu), threads (0: one per hardware thread), eps, tiedHead, attnScales Float32Array[nLayer], portable? }).
Binding::Binding(const Napi::CallbackInfo& info) : DecodeEngineBinding(info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsObject()) Fail(env, "constructor: expected one spec object");
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
  if (spec.nEmbd % spec.nHead != 0) Fail(env, "constructor: spec.nEmbd must be divisible by spec.nHead");
  if (act > 2) Fail(env, "constructor: spec.activation must be 0 (gelu_new), 1 (relu) or 2 (gelu)");
  const Activation acts[] = {Activation::kGeluNew, Activation::kRelu, Activation::kGelu};
  spec.activation = acts[act];
  spec.eps = NumberOpt(s, "eps", "new DecodeEngine");
  spec.tiedHead = s.Get("tiedHead").ToBoolean().Value();
  const Napi::Value sc = s.Get("attnScales");
  if (!sc.IsTypedArray() || sc.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array ||
      sc.As<Napi::Float32Array>().ElementLength() != static_cast<size_t>(spec.nLayer)) {
    Fail(env, "constructor: spec.attnScales must be a Float32Array of nLayer values");
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
  if (i < 0 || i > 2 * spec.nLayer) Fail(info.Env(), "setLayerNorm: options.index is outside [0, 2·nLayer]");
  const float* g = FloatsOpt(o, "gamma", spec.nEmbd, where);
  const float* b = FloatsOpt(o, "beta", spec.nEmbd, where);
  engine_->SetLayerNorm(i, g, b);
  return info.Env().Undefined();
}

// The projection `options.projection` (0 = c_attn, 1 = attn.c_proj, 2 = mlp.c_fc, 3 = mlp.c_proj)
// of block `options.layer`.
PanelWeights& Binding::ProjectionOpt(const Napi::Object& o, const std::string& where) {
  const int l = IntOpt(o, "layer", where);
  const int which = IntOpt(o, "projection", where);
  if (l < 0 || l >= engine_->spec().nLayer || which < 0 || which >= Gpt2DecodeEngine::kProjectionCount) {
    throw Napi::RangeError::New(o.Env(), where + ": options.layer " + std::to_string(l) + " or options.projection " + std::to_string(which) + " out of range");
  }
  return engine_->projection(l, which);
}

// setLinear({ layer, projection, weight [in·out] (HF Conv1D [in, out]), bias [out] }). Replaces only
// that projection.
Napi::Value Binding::SetLinear(const Napi::CallbackInfo& info) {
  const std::string where = "DecodeEngine.setLinear";
  const Napi::Object o = OptionsArg(info, where);
  PanelWeights& L = ProjectionOpt(o, where);
  const float* w = FloatsOpt(o, "weight", static_cast<int64_t>(L.in) * L.out, where);
  const float* b = FloatsOpt(o, "bias", L.out, where);
  L.SetDense(w, false);
  L.SetBias(b);
  return info.Env().Undefined();
}

// setLinearNf4({ layer, projection, codeWords Int32Array, absmax, blockSize, table [16], bias [out] }):
// a frozen NF4 projection kept as codes. codeWords: the 4-bit codes of the Conv1D weight [in, out]
// (field k·out + o) in @grpojs/model's packHalves layout (m words of two 16-bit halves, 4 codes per
// half lowest bits first, the low halves holding fields [0, 4m), the high halves [4m, 8m)); absmax:
// the fp32 scale of every block of blockSize weights along `in` of each output column,
// [out][in / blockSize] (bitsandbytes' blocks over the [out, in] weight). Requires in % blockSize = 0
// (else pass the dequantized weight to setLinear).
Napi::Value Binding::SetLinearNf4(const Napi::CallbackInfo& info) {
  const std::string where = "DecodeEngine.setLinearNf4";
  const Napi::Object o = OptionsArg(info, where);
  PanelWeights& L = ProjectionOpt(o, where);
  const int bs = IntOpt(o, "blockSize", where);
  if (bs <= 0 || L.in % bs != 0) Fail(info.Env(), "setLinearNf4: options.blockSize " + std::to_string(bs) + " must be > 0 and divide in = " + std::to_string(L.in) + "; pass the dequantized weight to setLinear instead");
  const size_t m = (static_cast<size_t>(L.in) * L.out + 7) / 8;
  const uint32_t* words = reinterpret_cast<const uint32_t*>(IntsOpt(o, "codeWords", static_cast<int64_t>(m), where));
  const float* absmax = FloatsOpt(o, "absmax", static_cast<int64_t>(L.out) * (L.in / bs), where);
  const float* table = FloatsOpt(o, "table", 16, where);
  const float* b = FloatsOpt(o, "bias", L.out, where);
  engine_->ReserveDecodedScratch(L.in);
  L.SetNf4(words, static_cast<int64_t>(m), bs, absmax, table);
  L.SetBias(b);
  return info.Env().Undefined();
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
  if (spec.tiedHead) Fail(info.Env(), "setHead: the head is tied to the token embedding; use setTokenEmbedding");
  engine_->SetHead(FloatsOpt(o, "weight", static_cast<int64_t>(spec.vocabSize) * spec.nEmbd, where));
  return info.Env().Undefined();
}

// step({ tokens Int32Array[B], positions Int32Array[B], logits Float32Array[B·V] }): one token per
// row at cache position `length`, then length += 1.
Napi::Value Binding::Step(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string where = "DecodeEngine.step";
  const Napi::Object o = OptionsArg(info, where);
  Gpt2DecodeEngine& e = *engine_;
  const std::string missing = e.Missing();
  if (!missing.empty()) Fail(env, "step: " + missing + " was never set");
  if (e.batch() == 0) Fail(env, "step: call reset({ batch, capacity }) first");
  if (e.length() >= e.capacity()) Fail(env, "step: the KV cache is full (" + std::to_string(e.capacity()) + " positions); reset with a larger capacity");
  const int B = e.batch(), V = e.spec().vocabSize;
  const int32_t* tokens = IntsOpt(o, "tokens", B, where);
  const int32_t* positions = IntsOpt(o, "positions", B, where);
  float* logits = FloatsOpt(o, "logits", static_cast<int64_t>(B) * V, where);
  for (int b = 0; b < B; ++b) {
    const int tok = tokens[b], pos = positions[b];
    if (tok < 0 || tok >= V) Fail(env, "step: options.tokens[" + std::to_string(b) + "] = " + std::to_string(tok) + " is outside the vocabulary");
    if (pos < 0 || pos >= e.spec().nPositions) Fail(env, "step: options.positions[" + std::to_string(b) + "] = " + std::to_string(pos) + " is outside [0, nPositions)");
  }
  e.Step(tokens, positions, logits);
  return env.Undefined();
}

Napi::Function Binding::Define(Napi::Env env) {
  std::vector<PropertyDescriptor> methods = {
      InstanceMethod("setLayerNorm", &Binding::SetLayerNorm),
      InstanceMethod("setLinear", &Binding::SetLinear),
      InstanceMethod("setLinearNf4", &Binding::SetLinearNf4),
      InstanceMethod("setPositionEmbedding", &Binding::SetPositionEmbedding),
      InstanceMethod("setTokenEmbedding", &Binding::SetTokenEmbedding),
      InstanceMethod("setHead", &Binding::SetHead),
      InstanceMethod("step", &Binding::Step),
  };
  for (const PropertyDescriptor& m : LifecycleMethods()) methods.push_back(m);
  return DefineClass(env, kClassName, methods);
}

}  // namespace

void InitDecode(Napi::Env env, Napi::Object exports) { exports.Set("DecodeEngine", Binding::Define(env)); }

}  // namespace grpojs
