// N-API addon that runs float32 matmuls through the system BLAS (OpenBLAS on Linux, Apple
// Accelerate or Homebrew OpenBLAS on macOS). It exists because the tfjs wasm backend's matmul
// (XNNPACK, one thread, 128-bit SIMD) is about ten times slower than sgemm on the same CPU.
//
// The JS side passes one named options object whose tensors are { buffer, byteOffset } regions of
// the ArrayBuffers that hold them (the wasm heap, or a cpu-backend Float32Array's buffer), so
// nothing is copied: sgemm reads and writes the tensors' own memory. Every region is bounds-checked
// (napi-options.h), so a wrong offset throws instead of corrupting memory.
#include <napi.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "../kernels/thread-pool.h"
#include "attention-binding.h"
#include "decode-binding.h"
#include "gather-binding.h"
#include "gelu-binding.h"
#include "layernorm-binding.h"
#include "llama-decode-binding.h"
#include "llama-train-binding.h"
#include "napi-options.h"
#include "nf4-binding.h"
#include "vocab-binding.h"

#if defined(GRPOJS_ACCELERATE)
#include <Accelerate/Accelerate.h>
#else
#include <cblas.h>
#endif

namespace {

// Below this many multiply-adds per block (m * n * k) sgemm runs on one thread: such products are
// bound by memory bandwidth or by thread wake-up (decode: 8x768x2304 = 14M; a 128x128x64 attention
// block = 1M), and idle OpenBLAS workers competing for cores made them slower, not faster.
constexpr int64_t kThreadedMinWork = int64_t{32} << 20;
// Blocks of at least this many multiply-adds are worth handing to another thread when a batch has
// several (a 64x64x64 block is ~0.01 ms, about a thread wake-up).
constexpr int64_t kParallelBlockMinWork = int64_t{1} << 18;

// Activation codes; the JS side (src/native.ts, ACTIVATION_CODES) uses the same numbers.
enum Activation : int32_t {
  kLinear = 0,
  kRelu = 1,
  kRelu6 = 2,
  kElu = 3,
  kPrelu = 4,
  kLeakyRelu = 5,
  kSigmoid = 6,
};

// Bias add and activation over one [m, n] output block, row by row so the bias/prelu rows stay in
// cache. `bias` and `alphaVec` have `biasLen` / `alphaLen` elements: 1 (a scalar) or n (per column).
void Epilogue(float* c, int64_t m, int64_t n, const float* bias, int64_t biasLen, int32_t act,
              const float* alphaVec, int64_t alphaLen, float alpha) {
  for (int64_t i = 0; i < m; ++i) {
    float* row = c + i * n;
    if (bias != nullptr) {
      if (biasLen == 1) {
        const float b0 = bias[0];
        for (int64_t j = 0; j < n; ++j) row[j] += b0;
      } else {
        for (int64_t j = 0; j < n; ++j) row[j] += bias[j];
      }
    }
    switch (act) {
      case kRelu:
        for (int64_t j = 0; j < n; ++j) row[j] = row[j] < 0.f ? 0.f : row[j];
        break;
      case kRelu6:
        for (int64_t j = 0; j < n; ++j) row[j] = std::min(std::max(row[j], 0.f), 6.f);
        break;
      case kElu:
        for (int64_t j = 0; j < n; ++j) row[j] = row[j] >= 0.f ? row[j] : std::exp(row[j]) - 1.f;
        break;
      case kPrelu:
        for (int64_t j = 0; j < n; ++j) {
          const float a = alphaVec[alphaLen == 1 ? 0 : j];
          row[j] = row[j] < 0.f ? a * row[j] : row[j];
        }
        break;
      case kLeakyRelu:
        for (int64_t j = 0; j < n; ++j) row[j] = row[j] < 0.f ? alpha * row[j] : row[j];
        break;
      case kSigmoid:
        for (int64_t j = 0; j < n; ++j) row[j] = 1.f / (1.f + std::exp(-row[j]));
        break;
      default:
        break;
    }
  }
}

// sgemm({ a, b, out, aIndex, bIndex, m, n, k, transposeA, transposeB, bias, biasLength, activation,
//         alpha, alphaLength, leakyreluAlpha }), a, b, out, bias and alpha { buffer, byteOffset }
// regions (bias and alpha may be null):
//
// For each output batch i (i < aIndex.length): out[i] = op(a[aIndex[i]]) · op(b[bIndex[i]]) with
// a blocks [m, k] (or [k, m] when transposeA), b blocks [k, n] (or [n, k] when transposeB), out
// [m, n], all row-major and contiguous; then the optional bias/activation epilogue (bias and the
// prelu weights `alpha` of length 1 or n). aIndex/bIndex are Int32Arrays of block indices (they
// encode batch broadcasting).
Napi::Value Sgemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string where = "sgemm";
  const Napi::Object o = grpojs::OptionsArg(info, where);
  size_t batchA = 0, batchB = 0;
  const int32_t* ai = grpojs::ArrayOpt<int32_t>(o, "aIndex", napi_int32_array, "Int32Array", -1, where, &batchA);
  const int32_t* bi = grpojs::ArrayOpt<int32_t>(o, "bIndex", napi_int32_array, "Int32Array", -1, where, &batchB);
  const int64_t batch = static_cast<int64_t>(batchA);
  if (batchB != batchA) throw Napi::RangeError::New(env, "sgemm: options.aIndex and options.bIndex must have the same length");
  const int64_t m = grpojs::SizeOpt(o, "m", 0, where);
  const int64_t n = grpojs::SizeOpt(o, "n", 0, where);
  const int64_t k = grpojs::SizeOpt(o, "k", 0, where);
  const bool transA = grpojs::BoolOpt(o, "transposeA", false);
  const bool transB = grpojs::BoolOpt(o, "transposeB", false);
  if (m > INT32_MAX || n > INT32_MAX || k > INT32_MAX) throw Napi::RangeError::New(env, "sgemm: options.m, n and k must be int32 and >= 0");
  int64_t aBlocks = 0;
  int64_t bBlocks = 0;
  for (int64_t i = 0; i < batch; ++i) {
    if (ai[i] < 0 || bi[i] < 0) throw Napi::RangeError::New(env, "sgemm: options.aIndex and options.bIndex must hold block indices >= 0");
    aBlocks = std::max<int64_t>(aBlocks, ai[i] + 1);
    bBlocks = std::max<int64_t>(bBlocks, bi[i] + 1);
  }
  const float* a = grpojs::RegionOpt<const float>(o, "a", static_cast<double>(aBlocks) * m * k, where);
  const float* b = grpojs::RegionOpt<const float>(o, "b", static_cast<double>(bBlocks) * k * n, where);
  float* c = grpojs::RegionOpt<float>(o, "out", static_cast<double>(batch) * m * n, where);

  const int64_t biasLen = grpojs::SizeOpt(o, "biasLength", 0, where);
  const float* bias = grpojs::RegionOpt<const float>(o, "bias", static_cast<double>(biasLen), where, true);
  if (bias != nullptr && biasLen != 1 && biasLen != n) throw Napi::RangeError::New(env, "sgemm: options.biasLength must be 1 or n");
  const int32_t act = grpojs::IntOpt(o, "activation", where);
  if (act < kLinear || act > kSigmoid) throw Napi::RangeError::New(env, "sgemm: options.activation is not an activation code");
  const float* alphaVec = nullptr;
  const int64_t alphaLen = grpojs::SizeOpt(o, "alphaLength", 0, where);
  if (act == kPrelu) {
    alphaVec = grpojs::RegionOpt<const float>(o, "alpha", static_cast<double>(alphaLen), where, true);
    if (alphaVec == nullptr || (alphaLen != 1 && alphaLen != n)) throw Napi::RangeError::New(env, "sgemm: options.alpha (prelu weights) must be given with options.alphaLength 1 or n");
  }
  const float leakyAlpha = static_cast<float>(grpojs::NumberOpt(o, "leakyreluAlpha", where));

#if defined(GRPOJS_OPENBLAS)
  const int threadsBefore = openblas_get_num_threads();
  const bool singleThread = m * n * k < kThreadedMinWork && threadsBefore > 1;
  if (singleThread) openblas_set_num_threads(1);
#endif
  const int lda = static_cast<int>(std::max<int64_t>(1, transA ? m : k));
  const int ldb = static_cast<int>(std::max<int64_t>(1, transB ? k : n));
  const int ldc = static_cast<int>(std::max<int64_t>(1, n));
  // Rows [r0, r1) of output block i: op(A) rows r0.. start at row r0 of A ([m, k]) or at column r0
  // of Aᵀ ([k, m], same lda).
  auto rows = [&](int64_t i, int64_t r0, int64_t r1) {
    float* ci = c + i * m * n + r0 * n;
    if (r1 <= r0 || n == 0) return;
    if (k == 0) {
      std::fill(ci, ci + (r1 - r0) * n, 0.f);
    } else {
      const float* ablock = a + ai[i] * m * k + (transA ? r0 : r0 * k);
      cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                  static_cast<int>(r1 - r0), static_cast<int>(n), static_cast<int>(k), 1.f,
                  ablock, lda, b + bi[i] * k * n, ldb, 0.f, ci, ldc);
    }
    if (bias != nullptr || act != kLinear) Epilogue(ci, r1 - r0, n, bias, biasLen, act, alphaVec, alphaLen, leakyAlpha);
  };
#if defined(GRPOJS_OPENBLAS)
  // A batch of small blocks (attention's [2·12] products of 256×256×64) runs in parallel on the
  // addon's kernel threads as single-threaded sgemms: one block is too small for OpenBLAS's own
  // threading. Items are half blocks (rows split in two), so that on a shared machine the caller
  // waits less for a preempted thread's last item. The split into items is fixed, whatever the
  // thread count, and each item is computed by one thread with the same kernel: 1 and N threads
  // give the same bits.
  if (singleThread && batch > 1 && m * n * k >= kParallelBlockMinWork) {
    const int64_t half = (m + 1) / 2;
    grpojs::Kernels()->For(batch * 2, 1, [&](int64_t lo, int64_t hi) {
      for (int64_t item = lo; item < hi; ++item) {
        const int64_t r0 = (item & 1) * half;
        rows(item >> 1, r0, (item & 1) ? m : half);
      }
    });
  } else {
    for (int64_t i = 0; i < batch; ++i) rows(i, 0, m);
  }
#else
  for (int64_t i = 0; i < batch; ++i) rows(i, 0, m);
#endif
#if defined(GRPOJS_OPENBLAS)
  if (singleThread) openblas_set_num_threads(threadsBefore);
#endif
  return env.Undefined();
}

// setThreads(n): the BLAS thread count (OpenBLAS only; Accelerate picks its own). Returns the
// count now in effect, or 0 when the BLAS cannot be told.
Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  const int n = info[0].As<Napi::Number>().Int32Value();
#if defined(GRPOJS_OPENBLAS)
  if (n > 0) openblas_set_num_threads(n);
  return Napi::Number::New(info.Env(), openblas_get_num_threads());
#else
  (void)n;
  return Napi::Number::New(info.Env(), 0);
#endif
}

// kernelThreads(n): the size of the kernel thread pool (kernels/thread-pool.h) that splits batched
// small matmuls, gelu_new and the vocab log-softmax; n > 0 sets it. Returns the size in effect.
Napi::Value KernelThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), grpojs::SetKernelThreads(info[0].As<Napi::Number>().Int32Value()));
}

// blasInfo(): which BLAS this addon was linked against, for logs.
Napi::Value BlasInfo(const Napi::CallbackInfo& info) {
#if defined(GRPOJS_ACCELERATE)
  return Napi::String::New(info.Env(), "Apple Accelerate");
#elif defined(GRPOJS_OPENBLAS)
  return Napi::String::New(info.Env(), openblas_get_config());
#else
  return Napi::String::New(info.Env(), "CBLAS");
#endif
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("sgemm", Napi::Function::New(env, Sgemm, "sgemm"));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads, "setThreads"));
  exports.Set("blasInfo", Napi::Function::New(env, BlasInfo, "blasInfo"));
  exports.Set("kernelThreads", Napi::Function::New(env, KernelThreads, "kernelThreads"));
  grpojs::InitVocab(env, exports);
  grpojs::InitGelu(env, exports);
  grpojs::InitLayerNorm(env, exports);
  grpojs::InitGather(env, exports);
  grpojs::InitAttention(env, exports);
  grpojs::InitDecode(env, exports);
  grpojs::InitNf4(env, exports);
  grpojs::InitLlamaDecode(env, exports);
  grpojs::InitLlamaKernels(env, exports);
  grpojs::InitLlamaTrain(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(grpojs_accel, Init)
