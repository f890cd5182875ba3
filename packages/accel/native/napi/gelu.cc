// N-API bindings of gelu_new and its gradient (kernels/gelu.h), each one vectorised pass. They exist
// because the tfjs wasm backend's Tanh is scalar (about 45 M/s) and the formula took eight more
// elementwise passes over [512, 3072] per block and micro-batch, forward and again backward
// (docs/benchmarks.md, item 4). Large inputs are split over the addon's kernel threads
// (kernels/thread-pool.h); every element is computed the same way by any thread.
#include "gelu-binding.h"

#include <cstdint>
#include <string>

#include "../cpu.h"
#include "../kernels/gelu.h"
#include "../kernels/thread-pool.h"
#include "napi-options.h"

namespace grpojs {
namespace {

void GeluBase(const float* x, float* out, int64_t lo, int64_t hi) { GeluNewRange(x, out, lo, hi); }
void GeluGradBase(const float* x, const float* dy, float* out, int64_t lo, int64_t hi) { GeluNewGradRange(x, dy, out, lo, hi); }
#if GRPOJS_AVX2
// The same loops compiled for AVX2 (8 lanes instead of SSE2's 4), chosen at run time. FMA
// contraction stays off and every operation is elementwise, so both builds give the same bits.
GRPOJS_TARGET_AVX2 void GeluAvx2(const float* x, float* out, int64_t lo, int64_t hi) { GeluNewRange(x, out, lo, hi); }
GRPOJS_TARGET_AVX2 void GeluGradAvx2(const float* x, const float* dy, float* out, int64_t lo, int64_t hi) {
  GeluNewGradRange(x, dy, out, lo, hi);
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

// geluNew({ x, out, size }): out = gelu_new(x), `size` floats; x and out { buffer, byteOffset } regions.
Napi::Value GeluNewBinding(const Napi::CallbackInfo& info) {
  const std::string where = "geluNew";
  const Napi::Object o = OptionsArg(info, where);
  const int64_t count = SizeOpt(o, "size", 0, where);
  const float* x = RegionOpt<const float>(o, "x", static_cast<double>(count), where);
  float* out = RegionOpt<float>(o, "out", static_cast<double>(count), where);
  auto run = PickGelu();
  if (count < kSplitMin) {
    run(x, out, 0, count);
  } else {
    Kernels()->For(count, kPer, [&](int64_t lo, int64_t hi) { run(x, out, lo, hi); });
  }
  return info.Env().Undefined();
}

// geluNewGrad({ x, dy, out, size }): out = dy · gelu_new'(x).
Napi::Value GeluNewGradBinding(const Napi::CallbackInfo& info) {
  const std::string where = "geluNewGrad";
  const Napi::Object o = OptionsArg(info, where);
  const int64_t count = SizeOpt(o, "size", 0, where);
  const float* x = RegionOpt<const float>(o, "x", static_cast<double>(count), where);
  const float* dy = RegionOpt<const float>(o, "dy", static_cast<double>(count), where);
  float* out = RegionOpt<float>(o, "out", static_cast<double>(count), where);
  auto run = PickGeluGrad();
  if (count < kSplitMin) {
    run(x, dy, out, 0, count);
  } else {
    Kernels()->For(count, kPer, [&](int64_t lo, int64_t hi) { run(x, dy, out, lo, hi); });
  }
  return info.Env().Undefined();
}

}  // namespace

void InitGelu(Napi::Env env, Napi::Object exports) {
  exports.Set("geluNew", Napi::Function::New(env, GeluNewBinding, "geluNew"));
  exports.Set("geluNewGrad", Napi::Function::New(env, GeluNewGradBinding, "geluNewGrad"));
}

}  // namespace grpojs
