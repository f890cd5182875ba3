// The N-API methods both decode engines share (setLinear, setLinearNf4, step, reset, loadCache,
// sampleRows, info, dispose), over kernels/decode-engine-base.h. Each engine's binding (decode.cc,
// llama-decode.cc) derives from DecodeEngineBinding<Itself, Engine> and supplies its class name, the
// texts of its range errors and the rules where the engines differ (kept as each engine's JS callers
// and tests know them), and ProjectionArg, which finds the projection an options object names; its
// own constructor builds `engine_` from the unpacked spec.
#pragma once

#include <napi.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../kernels/panel-weights.h"
#include "napi-options.h"

namespace grpojs {

// The texts after "<Class>.<method>: " of the lifecycle's RangeErrors.
struct LifecycleErrors {
  const char* resetSizes;     // reset: batch < 0, or capacity outside [0, positions]
  const char* cacheLayer;     // loadCache: layer outside the model
  const char* cacheLength;    // loadCache: length > srcCapacity or > the reset capacity
  const char* cacheStarts;    // loadCache: a start outside [0, length]
  const char* temperature;    // sampleRows: temperature not finite and > 0
  const char* uniforms;       // sampleRows: some us ≥ 1
};

// Where the engines' setLinear, setLinearNf4 and step differ.
struct WeightStepRules {
  const char* argPrefix;      // before tokens[b], positions[b] and blockSize in errors: "options." or ""
  const char* positionsName;  // the spec field that bounds a position
  bool stateErrorsAreRange;   // step: missing weights / no reset throw RangeError (else Error)
  bool biasRequired;          // setLinear(Nf4): bias [out] is required (else optional; absent or null: none)
  bool evenBlocks;            // setLinearNf4: blockSize must also be even
};

// Wrap: the ObjectWrap class (with static kClassName, kErrors, kRules and a public
// PanelWeights& ProjectionArg(const Napi::Object&, const std::string& where)); Engine: a
// DecodeEngineBase with Reset(batch, capacity), Missing(), Step(tokens, positions, logits), Bytes()
// and Dispose().
template <class Wrap, class Engine>
class DecodeEngineBinding : public Napi::ObjectWrap<Wrap> {
 public:
  explicit DecodeEngineBinding(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Wrap>(info) {}

 protected:
  // The shared methods, for the wrap's DefineClass beside its own.
  static std::vector<typename Napi::ObjectWrap<Wrap>::PropertyDescriptor> SharedMethods() {
    using W = Napi::ObjectWrap<Wrap>;
    return {W::InstanceMethod("setLinear", &DecodeEngineBinding::SetLinear), W::InstanceMethod("setLinearNf4", &DecodeEngineBinding::SetLinearNf4),
            W::InstanceMethod("step", &DecodeEngineBinding::Step),
            W::InstanceMethod("reset", &DecodeEngineBinding::Reset), W::InstanceMethod("loadCache", &DecodeEngineBinding::LoadCache),
            W::InstanceMethod("sampleRows", &DecodeEngineBinding::SampleRows), W::InstanceMethod("info", &DecodeEngineBinding::Info),
            W::InstanceMethod("dispose", &DecodeEngineBinding::Dispose)};
  }

  static std::string Where(const char* method) { return std::string(Wrap::kClassName) + "." + method; }

  [[noreturn]] static void RangeFail(Napi::Env env, const char* method, const std::string& what) {
    throw Napi::RangeError::New(env, Where(method) + ": " + what);
  }

  std::unique_ptr<Engine> engine_;

 private:
  Wrap& Self() { return static_cast<Wrap&>(*this); }

  // The projection's `bias` [out]: required, or (optional) absent / null for none.
  static const float* BiasOpt(const Napi::Object& o, const PanelWeights& L, const std::string& where) {
    if (!Wrap::kRules.biasRequired) {
      const Napi::Value b = o.Get("bias");
      if (b.IsUndefined() || b.IsNull()) return nullptr;
    }
    return FloatsOpt(o, "bias", L.out, where);
  }

  // setLinear({ <the projection>, weight [in·out] in the Conv1D layout [in, out], bias [out] }).
  // Replaces only that projection.
  Napi::Value SetLinear(const Napi::CallbackInfo& info) {
    const std::string where = Where("setLinear");
    const Napi::Object o = OptionsArg(info, where);
    PanelWeights& L = Self().ProjectionArg(o, where);
    const float* w = FloatsOpt(o, "weight", static_cast<int64_t>(L.in) * L.out, where);
    const float* bias = BiasOpt(o, L, where);
    L.SetDense(w, false);
    L.SetBias(bias);
    return info.Env().Undefined();
  }

  // setLinearNf4({ <the projection>, codeWords Int32Array, absmax, blockSize, table [16], bias [out] }):
  // a frozen NF4 projection kept as codes. codeWords: the 4-bit codes of the weight [in, out]
  // (field k·out + o) in @grpojs/model's packHalves layout (m words of two 16-bit halves, 4 codes
  // per half lowest bits first, the low halves holding fields [0, 4m), the high halves [4m, 8m));
  // absmax: the fp32 scale of every block of blockSize weights along `in` of each output column,
  // [out][in / blockSize] (bitsandbytes' blocks over the [out, in] weight). blockSize must divide
  // `in` (else pass the dequantized weight to setLinear).
  Napi::Value SetLinearNf4(const Napi::CallbackInfo& info) {
    const std::string where = Where("setLinearNf4");
    const Napi::Object o = OptionsArg(info, where);
    PanelWeights& L = Self().ProjectionArg(o, where);
    const int bs = IntOpt(o, "blockSize", where);
    if (bs <= 0 || (Wrap::kRules.evenBlocks && bs % 2 != 0) || L.in % bs != 0) {
      RangeFail(info.Env(), "setLinearNf4",
                std::string(Wrap::kRules.argPrefix) + "blockSize " + std::to_string(bs) + (Wrap::kRules.evenBlocks ? " must be even" : " must be > 0") +
                    " and divide in = " + std::to_string(L.in) + "; pass the dequantized weight to setLinear instead");
    }
    const size_t m = (static_cast<size_t>(L.in) * L.out + 7) / 8;
    const uint32_t* words = reinterpret_cast<const uint32_t*>(IntsOpt(o, "codeWords", static_cast<int64_t>(m), where));
    const float* absmax = FloatsOpt(o, "absmax", static_cast<int64_t>(L.out) * (L.in / bs), where);
    const float* table = FloatsOpt(o, "table", 16, where);
    const float* bias = BiasOpt(o, L, where);
    engine_->ReserveDecodedScratch(L.in);
    L.SetNf4(words, static_cast<int64_t>(m), bs, absmax, table);
    L.SetBias(bias);
    return info.Env().Undefined();
  }

  // step({ tokens Int32Array[B], positions Int32Array[B], logits Float32Array[B·V] }): one token per
  // row at cache position `length`, then length += 1.
  Napi::Value Step(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const std::string where = Where("step");
    const Napi::Object o = OptionsArg(info, where);
    Engine& e = *engine_;
    const auto stateFail = [&](const std::string& what) {
      if (Wrap::kRules.stateErrorsAreRange) RangeFail(env, "step", what);
      throw Napi::Error::New(env, where + ": " + what);
    };
    const std::string missing = e.Missing();
    if (!missing.empty()) stateFail(missing + " was never set");
    if (e.batch() == 0) stateFail("call reset({ batch, capacity }) first");
    if (e.length() >= e.capacity()) RangeFail(env, "step", "the KV cache is full (" + std::to_string(e.capacity()) + " positions); reset with a larger capacity");
    const int B = e.batch(), V = e.shape().vocab;
    const int32_t* tokens = IntsOpt(o, "tokens", B, where);
    const int32_t* positions = IntsOpt(o, "positions", B, where);
    float* logits = FloatsOpt(o, "logits", static_cast<int64_t>(B) * V, where);
    const std::string prefix = Wrap::kRules.argPrefix;
    for (int b = 0; b < B; ++b) {
      const int tok = tokens[b], pos = positions[b];
      if (tok < 0 || tok >= V) RangeFail(env, "step", prefix + "tokens[" + std::to_string(b) + "] = " + std::to_string(tok) + " is outside the vocabulary");
      if (pos < 0 || pos >= e.shape().maxPositions) {
        RangeFail(env, "step", prefix + "positions[" + std::to_string(b) + "] = " + std::to_string(pos) + " is outside [0, " + Wrap::kRules.positionsName + ")");
      }
    }
    e.Step(tokens, positions, logits);
    return env.Undefined();
  }

  // reset({ batch, capacity }): an empty KV cache for `batch` rows and `capacity` positions (0, 0
  // frees it). A cache at least as large is reused: positions are written (loadCache, step) before read.
  Napi::Value Reset(const Napi::CallbackInfo& info) {
    const std::string where = Where("reset");
    const Napi::Object o = OptionsArg(info, where);
    const int B = IntOpt(o, "batch", where);
    const int cap = IntOpt(o, "capacity", where);
    if (B < 0 || cap < 0 || cap > engine_->shape().maxPositions) RangeFail(info.Env(), "reset", Wrap::kErrors.resetSizes);
    engine_->Reset(B, cap);
    return info.Env().Undefined();
  }

  // loadCache({ layer, keys, values, srcCapacity, length, starts Int32Array[batch] }): the first
  // `length` positions of a prefill's keys/values [batch, kvHeads, srcCapacity, headDim] (@grpojs/model's
  // KVCache layout); starts[b] is row b's first valid position (left padding before it is masked).
  Napi::Value LoadCache(const Napi::CallbackInfo& info) {
    const std::string where = Where("loadCache");
    const Napi::Object o = OptionsArg(info, where);
    const int l = IntOpt(o, "layer", where);
    const int srcCap = IntOpt(o, "srcCapacity", where);
    const int len = IntOpt(o, "length", where);
    Engine& e = *engine_;
    if (l < 0 || l >= e.shape().layers) RangeFail(info.Env(), "loadCache", Wrap::kErrors.cacheLayer);
    if (len < 0 || len > srcCap || len > e.capacity()) RangeFail(info.Env(), "loadCache", Wrap::kErrors.cacheLength);
    const int64_t n = static_cast<int64_t>(e.batch()) * e.shape().kvHeads * srcCap * e.shape().headDim;
    const float* k = FloatsOpt(o, "keys", n, where);
    const float* v = FloatsOpt(o, "values", n, where);
    const int32_t* starts = IntsOpt(o, "starts", e.batch(), where);
    for (int b = 0; b < e.batch(); ++b) {
      if (starts[b] < 0 || starts[b] > len) RangeFail(info.Env(), "loadCache", Wrap::kErrors.cacheStarts);
    }
    e.LoadCacheLayer(l, k, v, srcCap, len, starts);
    return info.Env().Undefined();
  }

  // sampleRows({ logits Float32Array[B·V], temperature, thresholds Float32Array[B], us Float64Array[B],
  // tokens Int32Array[B] }): per row b with us[b] in [0, 1), tokens[b] = the token drawn with uniform
  // us[b] (SampleFromRow in kernels/vocab.h); rows with us[b] < 0 are skipped (tokens[b] = −1).
  Napi::Value SampleRows(const Napi::CallbackInfo& info) {
    const std::string where = Where("sampleRows");
    const Napi::Object o = OptionsArg(info, where);
    const double temperature = NumberOpt(o, "temperature", where);
    if (!(temperature > 0) || std::isinf(temperature)) RangeFail(info.Env(), "sampleRows", Wrap::kErrors.temperature);
    size_t rows = 0;
    const double* us = ArrayOpt<double>(o, "us", napi_float64_array, "Float64Array", -1, where, &rows);
    const int B = static_cast<int>(rows);
    int32_t* tokens = IntsOpt(o, "tokens", B, where);
    const float* logits = FloatsOpt(o, "logits", static_cast<int64_t>(B) * engine_->shape().vocab, where);
    const float* thresholds = FloatsOpt(o, "thresholds", B, where);
    for (int b = 0; b < B; ++b) {
      if (!(us[b] < 1)) RangeFail(info.Env(), "sampleRows", Wrap::kErrors.uniforms);
    }
    engine_->SampleRows(logits, B, temperature, thresholds, us, tokens);
    return info.Env().Undefined();
  }

  // info(): { threads, simd: 'avx2' | 'portable', length, capacity, batch, bytes, nf4Projections }.
  Napi::Value Info(const Napi::CallbackInfo& info) {
    const Engine& e = *engine_;
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("threads", e.threads());
    o.Set("simd", e.avx2() ? "avx2" : "portable");
    o.Set("length", e.length());
    o.Set("capacity", e.capacity());
    o.Set("batch", e.batch());
    o.Set("bytes", e.Bytes());
    o.Set("nf4Projections", e.Nf4Projections());
    return o;
  }

  // dispose(): frees the weights, the cache and the threads; the engine cannot step afterwards.
  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    engine_->Dispose();
    return info.Env().Undefined();
  }
};

}  // namespace grpojs
