// The N-API methods both decode engines share (reset, loadCache, sampleRows, info, dispose), over
// kernels/decode-engine-base.h's lifecycle. Each engine's binding (decode.cc, llama-decode.cc)
// derives from DecodeEngineBinding<Itself, Engine> and supplies its class name and the texts of its
// range errors (kept as each engine's JS callers and tests know them); its own constructor builds
// `engine_` from the unpacked spec.
#pragma once

#include <napi.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

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

// Wrap: the ObjectWrap class (with static kClassName and kErrors); Engine: a DecodeEngineBase with
// Reset(batch, capacity), Bytes(), Nf4Projections() and Dispose().
template <class Wrap, class Engine>
class DecodeEngineBinding : public Napi::ObjectWrap<Wrap> {
 public:
  explicit DecodeEngineBinding(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Wrap>(info) {}

 protected:
  // The lifecycle methods, for the wrap's DefineClass beside its own.
  static std::vector<typename Napi::ObjectWrap<Wrap>::PropertyDescriptor> LifecycleMethods() {
    using W = Napi::ObjectWrap<Wrap>;
    return {W::InstanceMethod("reset", &DecodeEngineBinding::Reset), W::InstanceMethod("loadCache", &DecodeEngineBinding::LoadCache),
            W::InstanceMethod("sampleRows", &DecodeEngineBinding::SampleRows), W::InstanceMethod("info", &DecodeEngineBinding::Info),
            W::InstanceMethod("dispose", &DecodeEngineBinding::Dispose)};
  }

  static std::string Where(const char* method) { return std::string(Wrap::kClassName) + "." + method; }

  [[noreturn]] static void RangeFail(Napi::Env env, const char* method, const std::string& what) {
    throw Napi::RangeError::New(env, Where(method) + ": " + what);
  }

  std::unique_ptr<Engine> engine_;

 private:
  // reset({ batch, capacity }): an empty KV cache for `batch` rows and `capacity` positions (0, 0
  // frees it). A cache at least as large is reused: positions are written (loadCache, step) before read.
  Napi::Value Reset(const Napi::CallbackInfo& info) {
    const std::string where = Where("reset");
    const Napi::Object o = OptionsArg(info, where);
    const int B = IntOpt(o, "batch", where);
    const int cap = IntOpt(o, "capacity", where);
    if (B < 0 || cap < 0 || cap > engine_->shape().positions) RangeFail(info.Env(), "reset", Wrap::kErrors.resetSizes);
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
