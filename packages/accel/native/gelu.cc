// GPT-2's MLP activation gelu_new, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), and its gradient,
// each in one vectorised pass. They exist because the tfjs wasm backend's Tanh is scalar (about
// 45 M/s) and the formula took eight more elementwise passes over [512, 3072] per block and
// micro-batch, forward and again backward (docs/benchmarks.md, item 4). Large inputs are split over
// the addon's kernel threads (thread-pool.h); every element is computed the same way by any thread.
#include "gelu.h"
#include "napi-region.h"

#include <cmath>
#include <cstdint>
#include <string>

#include "cpu.h"
#include "fast-exp.h"
#include "thread-pool.h"

namespace grpojs {
namespace {

constexpr float kSqrt2OverPi = 0.7978845608028654f;
constexpr float kCubic = 0.044715f;

// tanh(u) = 1 − 2 / (e^{2u} + 1): absolute error < 3e-7 (FastExp's relative error, plus the
// rounding of the subtraction near u = 0), ±1 for |u| beyond float precision.
inline float FastTanh(float u) { return 1.f - 2.f / (FastExp(2.f * u) + 1.f); }

inline __attribute__((always_inline)) void GeluRange(const float* x, float* out, int64_t lo, int64_t hi) {
#pragma omp simd
  for (int64_t i = lo; i < hi; ++i) {
    const float v = x[i];
    out[i] = 0.5f * v * (1.f + FastTanh(kSqrt2OverPi * (v + kCubic * v * v * v)));
  }
}

// gelu_new'(x) = 0.5·(1 + t) + 0.5·x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²), t = tanh(…) as above.
inline __attribute__((always_inline)) void GeluGradRange(const float* x, const float* dy, float* out, int64_t lo, int64_t hi) {
#pragma omp simd
  for (int64_t i = lo; i < hi; ++i) {
    const float v = x[i];
    const float t = FastTanh(kSqrt2OverPi * (v + kCubic * v * v * v));
    const float dInner = kSqrt2OverPi * (1.f + 3.f * kCubic * v * v);
    out[i] = dy[i] * (0.5f * (1.f + t) + 0.5f * v * (1.f - t * t) * dInner);
  }
}

void GeluBase(const float* x, float* out, int64_t lo, int64_t hi) { GeluRange(x, out, lo, hi); }
void GeluGradBase(const float* x, const float* dy, float* out, int64_t lo, int64_t hi) { GeluGradRange(x, dy, out, lo, hi); }
#if GRPOJS_AVX2
// The same loops compiled for AVX2 (8 lanes instead of SSE2's 4), chosen at run time. FMA
// contraction stays off and every operation is elementwise, so both builds give the same bits.
GRPOJS_TARGET_AVX2 void GeluAvx2(const float* x, float* out, int64_t lo, int64_t hi) { GeluRange(x, out, lo, hi); }
GRPOJS_TARGET_AVX2 void GeluGradAvx2(const float* x, const float* dy, float* out, int64_t lo, int64_t hi) {
  GeluGradRange(x, dy, out, lo, hi);
}
#endif

// The kernels for this build and CPU (cpu.h).
auto PickGelu() {
#if GRPOJS_AVX2
  if (CpuHasAvx2()) return GeluAvx2;
#endif
  return GeluBase;
}
auto PickGeluGrad() {
#if GRPOJS_AVX2
  if (CpuHasAvx2()) return GeluGradAvx2;
#endif
  return GeluGradBase;
}

// Elements per item of the thread split: 64 KiB of x, a multiple of every SIMD width. Below
// kSplitMin elements (a decode step's [8, 3072]) the caller's thread does it all.
constexpr int64_t kPer = 16384;
constexpr int64_t kSplitMin = 4 * kPer;

// geluNew(xBuf, xOff, outBuf, outOff, n): out = gelu_new(x), n floats.
Napi::Value GeluNew(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 5) throw Napi::TypeError::New(env, "geluNew: expected 5 arguments");
  const double n = info[4].As<Napi::Number>().DoubleValue();
  const float* x = FloatRegion(env, info[0], info[1], n, "x");
  float* out = FloatRegion(env, info[2], info[3], n, "out");
  const int64_t count = static_cast<int64_t>(n);
  auto run = PickGelu();
  if (count < kSplitMin) {
    run(x, out, 0, count);
  } else {
    Kernels().For(count, kPer, [&](int64_t lo, int64_t hi) { run(x, out, lo, hi); });
  }
  return env.Undefined();
}

// geluNewGrad(xBuf, xOff, dyBuf, dyOff, outBuf, outOff, n): out = dy · gelu_new'(x).
Napi::Value GeluNewGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 7) throw Napi::TypeError::New(env, "geluNewGrad: expected 7 arguments");
  const double n = info[6].As<Napi::Number>().DoubleValue();
  const float* x = FloatRegion(env, info[0], info[1], n, "x");
  const float* dy = FloatRegion(env, info[2], info[3], n, "dy");
  float* out = FloatRegion(env, info[4], info[5], n, "out");
  const int64_t count = static_cast<int64_t>(n);
  auto run = PickGeluGrad();
  if (count < kSplitMin) {
    run(x, dy, out, 0, count);
  } else {
    Kernels().For(count, kPer, [&](int64_t lo, int64_t hi) { run(x, dy, out, lo, hi); });
  }
  return env.Undefined();
}

}  // namespace

void InitGelu(Napi::Env env, Napi::Object exports) {
  exports.Set("geluNew", Napi::Function::New(env, GeluNew, "geluNew"));
  exports.Set("geluNewGrad", Napi::Function::New(env, GeluNewGrad, "geluNewGrad"));
}

}  // namespace grpojs
