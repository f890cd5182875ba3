// N-API bindings of the Llama family's training-step kernels (forward and backward of RMSNorm,
// SwiGLU, and rotary positions fused with the split into heads), each one pass over its tensors
// instead of the 3–12 elementwise tfjs kernels per direction of the formulas in @grpojs/model.
// The math is native/kernels/*.h (shared with the decode engine); this file unpacks a named options
// object of Float32Array views (the tensors' memory: wasm heap or cpu-backend arrays), checks
// their lengths and splits rows over the addon's kernel threads. Exported as `llamaTrainKernels`.
//
// Every row is computed the same way by whichever thread takes it, and the RMSNorm weight
// gradient is summed per fixed block of rows and then over the blocks in order, so 1 and N
// threads give bit-identical results.
#include "llama-train-binding.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "../cpu.h"
#include "../kernels/rms-norm.h"
#include "../kernels/rotary.h"
#include "../kernels/swiglu.h"
#include "../kernels/thread-pool.h"
#include "napi-options.h"

namespace grpojs {
namespace {

// Floats per item of the thread split (64 KiB); smaller inputs run on the caller's thread.
constexpr int64_t kPerFloats = 16384;

int64_t RowsPerItem(int64_t width) { return std::max<int64_t>(1, kPerFloats / std::max<int64_t>(1, width)); }

// --- the row loops, compiled for the baseline ISA and again for AVX2 (chosen at run time) ---

GRPOJS_INLINE void RmsForwardRows(const float* x, const float* w, float eps, int n, int64_t lo, int64_t hi, float* out, float* rstd) {
  for (int64_t r = lo; r < hi; ++r) {
    rstd[r] = RmsNormRstd(x + r * n, n, eps);
    RmsNormScale(x + r * n, w, rstd[r], n, out + r * n);
  }
}

GRPOJS_INLINE void RmsBackwardRows(const float* x, const float* w, const float* rstd, const float* dy, int n, int64_t lo, int64_t hi,
                                   float* dx, float* dwPartial) {
  for (int64_t r = lo; r < hi; ++r) RmsNormBackward(x + r * n, w, rstd[r], dy + r * n, n, dx + r * n, dwPartial);
}

void RmsForwardBase(const float* x, const float* w, float eps, int n, int64_t lo, int64_t hi, float* out, float* rstd) {
  RmsForwardRows(x, w, eps, n, lo, hi, out, rstd);
}
void RmsBackwardBase(const float* x, const float* w, const float* rstd, const float* dy, int n, int64_t lo, int64_t hi, float* dx,
                     float* dwPartial) {
  RmsBackwardRows(x, w, rstd, dy, n, lo, hi, dx, dwPartial);
}
void SwiGluForwardBase(const float* gate, const float* up, int n, float* out) { SwiGlu(gate, up, n, out); }
void SwiGluBackwardBase(const float* gate, const float* up, const float* dy, int n, float* dgate, float* dup) {
  SwiGluBackward(gate, up, dy, n, dgate, dup);
}
#if GRPOJS_AVX2
// FMA contraction stays off (the build's -ffp-contract=off), so both builds give the same bits.
GRPOJS_TARGET_AVX2 void RmsForwardAvx2(const float* x, const float* w, float eps, int n, int64_t lo, int64_t hi, float* out, float* rstd) {
  RmsForwardRows(x, w, eps, n, lo, hi, out, rstd);
}
GRPOJS_TARGET_AVX2 void RmsBackwardAvx2(const float* x, const float* w, const float* rstd, const float* dy, int n, int64_t lo, int64_t hi,
                                        float* dx, float* dwPartial) {
  RmsBackwardRows(x, w, rstd, dy, n, lo, hi, dx, dwPartial);
}
GRPOJS_TARGET_AVX2 void SwiGluForwardAvx2(const float* gate, const float* up, int n, float* out) { SwiGlu(gate, up, n, out); }
GRPOJS_TARGET_AVX2 void SwiGluBackwardAvx2(const float* gate, const float* up, const float* dy, int n, float* dgate, float* dup) {
  SwiGluBackward(gate, up, dy, n, dgate, dup);
}
#endif

template <class F>
F Pick(F base, [[maybe_unused]] F avx2) {
#if GRPOJS_AVX2
  if (CpuHasAvx2()) return avx2;
#endif
  return base;
}
#if GRPOJS_AVX2
#define GRPOJS_PICK(name) Pick(name##Base, name##Avx2)
#else
#define GRPOJS_PICK(name) Pick(name##Base, name##Base)
#endif

// Runs fn(lo, hi) over [0, count) in items of `per`, on the kernel threads when there are several items.
template <class F>
void Split(int64_t count, int64_t per, F&& fn) {
  if (count <= per) {
    fn(0, count);
  } else {
    Kernels()->For(count, per, fn);
  }
}

// rmsNormForward({ x [rows·n], weight [n], rows, eps, out [rows·n], rstd [rows] }): out = x · rstd ·
// weight per row, rstd = 1/√(mean(x²) + eps) (kept for the backward).
Napi::Value RmsNormForward(const Napi::CallbackInfo& info) {
  const std::string where = "llamaTrainKernels.rmsNormForward";
  const Napi::Object o = OptionsArg(info, where);
  const int rows = IntOpt(o, "rows", where);
  size_t n = 0;
  const float* w = ArrayOpt<float>(o, "weight", napi_float32_array, "Float32Array", -1, where, &n);
  const int64_t size = static_cast<int64_t>(rows) * static_cast<int64_t>(n);
  const float* x = FloatsOpt(o, "x", size, where);
  float* out = FloatsOpt(o, "out", size, where);
  float* rstd = FloatsOpt(o, "rstd", rows, where);
  const float eps = static_cast<float>(NumberOpt(o, "eps", where));
  auto run = GRPOJS_PICK(RmsForward);
  Split(rows, RowsPerItem(n), [&](int64_t lo, int64_t hi) { run(x, w, eps, static_cast<int>(n), lo, hi, out, rstd); });
  return info.Env().Undefined();
}

// rmsNormBackward({ x [rows·n], weight [n], rstd [rows], dy [rows·n], rows, dx [rows·n], dweight [n] }).
Napi::Value RmsNormBackwardBinding(const Napi::CallbackInfo& info) {
  const std::string where = "llamaTrainKernels.rmsNormBackward";
  const Napi::Object o = OptionsArg(info, where);
  const int rows = IntOpt(o, "rows", where);
  size_t n = 0;
  const float* w = ArrayOpt<float>(o, "weight", napi_float32_array, "Float32Array", -1, where, &n);
  const int64_t size = static_cast<int64_t>(rows) * static_cast<int64_t>(n);
  const float* x = FloatsOpt(o, "x", size, where);
  const float* rstd = FloatsOpt(o, "rstd", rows, where);
  const float* dy = FloatsOpt(o, "dy", size, where);
  float* dx = FloatsOpt(o, "dx", size, where);
  float* dweight = FloatsOpt(o, "dweight", static_cast<int64_t>(n), where);
  const int64_t per = RowsPerItem(n);
  const int64_t blocks = (rows + per - 1) / per;
  // One partial weight gradient per block of rows, summed below in block order.
  std::vector<float> partial(static_cast<size_t>(std::max<int64_t>(1, blocks)) * n, 0.f);
  auto run = GRPOJS_PICK(RmsBackward);
  Split(rows, per, [&](int64_t lo, int64_t hi) {
    run(x, w, rstd, dy, static_cast<int>(n), lo, hi, dx, partial.data() + static_cast<size_t>(lo / per) * n);
  });
  for (size_t i = 0; i < n; ++i) dweight[i] = 0.f;
  for (int64_t b = 0; b < blocks; ++b) {
    for (size_t i = 0; i < n; ++i) dweight[i] += partial[static_cast<size_t>(b) * n + i];
  }
  return info.Env().Undefined();
}

// swigluForward({ gate [n], up [n], out [n] }): out = silu(gate) · up.
Napi::Value SwiGluForwardBinding(const Napi::CallbackInfo& info) {
  const std::string where = "llamaTrainKernels.swigluForward";
  const Napi::Object o = OptionsArg(info, where);
  size_t n = 0;
  const float* gate = ArrayOpt<float>(o, "gate", napi_float32_array, "Float32Array", -1, where, &n);
  const float* up = FloatsOpt(o, "up", static_cast<int64_t>(n), where);
  float* out = FloatsOpt(o, "out", static_cast<int64_t>(n), where);
  auto run = GRPOJS_PICK(SwiGluForward);
  Split(static_cast<int64_t>(n), kPerFloats, [&](int64_t lo, int64_t hi) { run(gate + lo, up + lo, static_cast<int>(hi - lo), out + lo); });
  return info.Env().Undefined();
}

// swigluBackward({ gate [n], up [n], dy [n], dgate [n], dup [n] }).
Napi::Value SwiGluBackwardBinding(const Napi::CallbackInfo& info) {
  const std::string where = "llamaTrainKernels.swigluBackward";
  const Napi::Object o = OptionsArg(info, where);
  size_t n = 0;
  const float* gate = ArrayOpt<float>(o, "gate", napi_float32_array, "Float32Array", -1, where, &n);
  const int64_t count = static_cast<int64_t>(n);
  const float* up = FloatsOpt(o, "up", count, where);
  const float* dy = FloatsOpt(o, "dy", count, where);
  float* dgate = FloatsOpt(o, "dgate", count, where);
  float* dup = FloatsOpt(o, "dup", count, where);
  auto run = GRPOJS_PICK(SwiGluBackward);
  Split(count, kPerFloats, [&](int64_t lo, int64_t hi) { run(gate + lo, up + lo, dy + lo, static_cast<int>(hi - lo), dgate + lo, dup + lo); });
  return info.Env().Undefined();
}

// The shape of a rotaryHeads call, and its tables: cos, sin [batch·steps·headDim] (both halves of
// a position's row hold the same values; the first half is read).
struct RotaryShape {
  int batch, steps, heads, headDim;
  const float* cos;
  const float* sin;
};

RotaryShape ReadRotaryShape(const Napi::Object& o, const std::string& where) {
  RotaryShape s{IntOpt(o, "batch", where), IntOpt(o, "steps", where), IntOpt(o, "heads", where), IntOpt(o, "headDim", where), nullptr, nullptr};
  if (s.headDim <= 0 || s.headDim % 2 != 0) throw Napi::RangeError::New(o.Env(), where + ": options.headDim must be even and > 0");
  const int64_t table = static_cast<int64_t>(s.batch) * s.steps * s.headDim;
  s.cos = FloatsOpt(o, "cos", table, where);
  s.sin = FloatsOpt(o, "sin", table, where);
  return s;
}

// rotaryHeads({ x [batch·steps, heads·headDim], cos, sin, batch, steps, heads, headDim, inverse,
// out [batch, heads, steps, headDim] }): each head vector rotated by its position's angles and
// moved to the heads-major layout attention reads. inverse: true takes dy in the heads-major layout
// back to x's, rotated by the negative angles — the gradient of the forward.
Napi::Value RotaryHeads(const Napi::CallbackInfo& info) {
  const std::string where = "llamaTrainKernels.rotaryHeads";
  const Napi::Object o = OptionsArg(info, where);
  const RotaryShape s = ReadRotaryShape(o, where);
  const bool inverse = BoolOpt(o, "inverse", false);
  const int64_t size = static_cast<int64_t>(s.batch) * s.steps * s.heads * s.headDim;
  const float* x = FloatsOpt(o, "x", size, where);
  float* out = FloatsOpt(o, "out", size, where);
  const int D = s.headDim, half = D / 2, H = s.heads, T = s.steps;
  // One item per (batch row, step): its heads all share one angle row.
  Split(static_cast<int64_t>(s.batch) * T, RowsPerItem(static_cast<int64_t>(H) * D), [&](int64_t lo, int64_t hi) {
    std::vector<float> negSin(inverse ? half : 0);
    for (int64_t bt = lo; bt < hi; ++bt) {
      const int64_t b = bt / T, t = bt % T;
      const float* c = s.cos + bt * D;
      const float* sn = s.sin + bt * D;
      if (inverse) {
        for (int i = 0; i < half; ++i) negSin[i] = -sn[i];
        sn = negSin.data();
      }
      for (int h = 0; h < H; ++h) {
        const int64_t rowMajor = (bt * H + h) * D;             // [B·T, H·D]
        const int64_t headMajor = (((b * H + h) * T) + t) * D;  // [B, H, T, D]
        if (inverse) {
          RotaryInto(x + headMajor, c, sn, half, out + rowMajor);
        } else {
          RotaryInto(x + rowMajor, c, sn, half, out + headMajor);
        }
      }
    }
  });
  return info.Env().Undefined();
}

}  // namespace

void InitLlamaTrain(Napi::Env env, Napi::Object exports) {
  Napi::Object k = Napi::Object::New(env);
  k.Set("rmsNormForward", Napi::Function::New(env, RmsNormForward, "rmsNormForward"));
  k.Set("rmsNormBackward", Napi::Function::New(env, RmsNormBackwardBinding, "rmsNormBackward"));
  k.Set("swigluForward", Napi::Function::New(env, SwiGluForwardBinding, "swigluForward"));
  k.Set("swigluBackward", Napi::Function::New(env, SwiGluBackwardBinding, "swigluBackward"));
  k.Set("rotaryHeads", Napi::Function::New(env, RotaryHeads, "rotaryHeads"));
  exports.Set("llamaTrainKernels", k);
}

}  // namespace grpojs
