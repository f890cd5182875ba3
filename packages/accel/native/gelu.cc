// GPT-2's MLP activation gelu_new, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), and its gradient,
// each in one vectorised pass. They exist because the tfjs wasm backend's Tanh is scalar (about
// 45 M/s) and the formula took eight more elementwise passes over [512, 3072] per block and
// micro-batch, forward and again backward (docs/benchmarks.md, item 4).
#include "gelu.h"

#include <cmath>
#include <cstdint>
#include <string>

#include "fast-exp.h"

namespace grpojs {
namespace {

constexpr float kSqrt2OverPi = 0.7978845608028654f;
constexpr float kCubic = 0.044715f;

// tanh(u) = 1 − 2 / (e^{2u} + 1): absolute error < 3e-7 (FastExp's relative error, plus the
// rounding of the subtraction near u = 0), ±1 for |u| beyond float precision.
inline float FastTanh(float u) { return 1.f - 2.f / (FastExp(2.f * u) + 1.f); }

float* FloatArg(const Napi::Env& env, const Napi::Value& buffer, const Napi::Value& offset, double count, const char* name) {
  if (!buffer.IsArrayBuffer()) throw Napi::TypeError::New(env, std::string(name) + ": expected an ArrayBuffer");
  Napi::ArrayBuffer ab = buffer.As<Napi::ArrayBuffer>();
  const double byteOffset = offset.As<Napi::Number>().DoubleValue();
  if (byteOffset < 0 || std::fmod(byteOffset, 4.0) != 0 || byteOffset + 4.0 * count > static_cast<double>(ab.ByteLength())) {
    throw Napi::RangeError::New(env, std::string(name) + ": region of " + std::to_string(static_cast<int64_t>(count)) +
                                         " floats at byte " + std::to_string(static_cast<int64_t>(byteOffset)) +
                                         " does not fit in its buffer (or is not 4-byte aligned)");
  }
  return reinterpret_cast<float*>(static_cast<uint8_t*>(ab.Data()) + static_cast<size_t>(byteOffset));
}

// geluNew(xBuf, xOff, outBuf, outOff, n): out = gelu_new(x), n floats.
Napi::Value GeluNew(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 5) throw Napi::TypeError::New(env, "geluNew: expected 5 arguments");
  const double n = info[4].As<Napi::Number>().DoubleValue();
  const float* x = FloatArg(env, info[0], info[1], n, "x");
  float* out = FloatArg(env, info[2], info[3], n, "out");
  const int64_t count = static_cast<int64_t>(n);
#pragma omp simd
  for (int64_t i = 0; i < count; ++i) {
    const float v = x[i];
    out[i] = 0.5f * v * (1.f + FastTanh(kSqrt2OverPi * (v + kCubic * v * v * v)));
  }
  return env.Undefined();
}

// geluNewGrad(xBuf, xOff, dyBuf, dyOff, outBuf, outOff, n): out = dy · gelu_new'(x), with
// gelu_new'(x) = 0.5·(1 + t) + 0.5·x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²), t = tanh(…) as above.
Napi::Value GeluNewGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 7) throw Napi::TypeError::New(env, "geluNewGrad: expected 7 arguments");
  const double n = info[6].As<Napi::Number>().DoubleValue();
  const float* x = FloatArg(env, info[0], info[1], n, "x");
  const float* dy = FloatArg(env, info[2], info[3], n, "dy");
  float* out = FloatArg(env, info[4], info[5], n, "out");
  const int64_t count = static_cast<int64_t>(n);
#pragma omp simd
  for (int64_t i = 0; i < count; ++i) {
    const float v = x[i];
    const float t = FastTanh(kSqrt2OverPi * (v + kCubic * v * v * v));
    const float dInner = kSqrt2OverPi * (1.f + 3.f * kCubic * v * v);
    out[i] = dy[i] * (0.5f * (1.f + t) + 0.5f * v * (1.f - t * t) * dInner);
  }
  return env.Undefined();
}

}  // namespace

void InitGelu(Napi::Env env, Napi::Object exports) {
  exports.Set("geluNew", Napi::Function::New(env, GeluNew, "geluNew"));
  exports.Set("geluNewGrad", Napi::Function::New(env, GeluNewGrad, "geluNewGrad"));
}

}  // namespace grpojs
