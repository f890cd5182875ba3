// Vocab-sized kernels: one row of logits [V] (V = 50257 for GPT-2) at a time, in one read for the
// max and one for the exps, with the exp vectorised (fast-exp.h). They exist because the tfjs wasm
// backend's Exp is scalar (about 110 M/s against 1.6 G/s for a Sub), and the log-probs of one
// training micro-batch went through ten [256, V] tensors (docs/benchmarks.md, item 1). The rows of
// logSoftmaxGather are split over the addon's kernel threads (thread-pool.h).
#include "vocab.h"
#include "napi-region.h"

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "cpu.h"
#include "fast-exp.h"
#include "thread-pool.h"

namespace grpojs {
namespace {

// Elements per float partial sum (see LogSoftmaxGather).
constexpr int64_t kBlock = 1024;

inline __attribute__((always_inline)) float RowMax(const float* x, int64_t n) {
  float m = -__builtin_inff();
#pragma omp simd reduction(max : m)
  for (int64_t j = 0; j < n; ++j) m = x[j] > m ? x[j] : m;
  return m;
}

// What LogSoftmaxGather's rows read and write (see there).
struct RowsArgs {
  const float* logits;
  const int32_t* targets;
  int64_t V;
  float invT;
  float* logp;
  float* entropy;  // may be null
  float* grad;     // may be null
};

// Rows [lo, hi) of LogSoftmaxGather. A row's result depends only on that row, so any split of the
// rows over threads gives the same bits.
inline __attribute__((always_inline)) void Rows(const RowsArgs& r, int64_t lo, int64_t hi) {
  const float* logits = r.logits;
  const int32_t* targets = r.targets;
  const int64_t V = r.V;
  const float invT = r.invT;
  float* logp = r.logp;
  float* entropy = r.entropy;
  float* grad = r.grad;
  for (int64_t i = lo; i < hi; ++i) {
    const float* x = logits + i * V;
    const float m = RowMax(x, V) * invT;
    // Float sums per SIMD lane over blocks of kBlock, added up in double: the rounding error of
    // a float sum over 50257 terms would reach 1e-5 of the log-prob.
    double sum = 0.0;
    double sumEz = 0.0;  // sum_j e_j (z_j - m), for the entropy
    float* g = grad != nullptr ? grad + i * V : nullptr;
    for (int64_t j0 = 0; j0 < V; j0 += kBlock) {
      const int64_t j1 = j0 + kBlock < V ? j0 + kBlock : V;
      float s = 0.f;
      float sz = 0.f;
      if (g != nullptr) {
#pragma omp simd reduction(+ : s, sz)
        for (int64_t j = j0; j < j1; ++j) {
          const float d = x[j] * invT - m;
          const float e = FastExp(d);
          g[j] = e;
          s += e;
          sz += e * d;
        }
      } else if (entropy != nullptr) {
#pragma omp simd reduction(+ : s, sz)
        for (int64_t j = j0; j < j1; ++j) {
          const float d = x[j] * invT - m;
          const float e = FastExp(d);
          s += e;
          sz += e * d;
        }
      } else {
#pragma omp simd reduction(+ : s)
        for (int64_t j = j0; j < j1; ++j) s += FastExp(x[j] * invT - m);
      }
      sum += s;
      sumEz += sz;
    }
    const double logSum = std::log(static_cast<double>(sum));
    const int32_t t = targets[i];
    logp[i] = static_cast<float>(static_cast<double>(x[t] * invT - m) - logSum);
    if (entropy != nullptr) entropy[i] = static_cast<float>(logSum - sumEz / sum);
    if (g != nullptr) {
      const float scale = static_cast<float>(-invT / sum);
#pragma omp simd
      for (int64_t j = 0; j < V; ++j) g[j] *= scale;
      g[t] += invT;
    }
  }
}

void RowsBase(const RowsArgs& r, int64_t lo, int64_t hi) { Rows(r, lo, hi); }
#if GRPOJS_AVX2
// The same rows compiled for AVX2 (8 lanes instead of SSE2's 4: the float partial sums add in
// another order, within rounding), chosen at run time; FMA contraction stays off.
GRPOJS_TARGET_AVX2 void RowsAvx2(const RowsArgs& r, int64_t lo, int64_t hi) { Rows(r, lo, hi); }
#endif

// The rows kernel for this build and CPU (cpu.h).
auto PickRows() {
#if GRPOJS_AVX2
  if (CpuHasAvx2()) return RowsAvx2;
#endif
  return RowsBase;
}

// logSoftmaxGather(logitsBuf, logitsOff, targetsBuf, targetsOff, n, V, invT,
//                  logpBuf, logpOff, entropyBuf|null, entropyOff, gradBuf|null, gradOff)
//
// Per row i of logits x [n, V] (float32) with z = x * invT (invT = 1 / temperature > 0):
//   logp[i]    = z[t] - logsumexp(z),  t = targets[i] (int32, in [0, V))
//   entropy[i] = -sum_j p_j log p_j    (when entropyBuf is not null)
//   grad[i, j] = (onehot(t)_j - p_j) * invT   (when gradBuf is not null): d logp[i] / d x[i, j].
Napi::Value LogSoftmaxGather(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 13) throw Napi::TypeError::New(env, "logSoftmaxGather: expected 13 arguments");
  const int64_t n = info[4].As<Napi::Number>().Int64Value();
  const int64_t V = info[5].As<Napi::Number>().Int64Value();
  const float invT = static_cast<float>(info[6].As<Napi::Number>().DoubleValue());
  if (n < 0 || V < 1) throw Napi::RangeError::New(env, "logSoftmaxGather: need n >= 0 and V >= 1");
  if (!(invT > 0.f) || std::isinf(invT)) throw Napi::RangeError::New(env, "logSoftmaxGather: invT must be finite and > 0");
  const double total = static_cast<double>(n) * static_cast<double>(V);
  const float* logits = BufferRegion<const float>(env, info[0], info[1], total, "logits");
  const int32_t* targets = BufferRegion<const int32_t>(env, info[2], info[3], static_cast<double>(n), "targets");
  float* logp = BufferRegion<float>(env, info[7], info[8], static_cast<double>(n), "logp");
  float* entropy = info[9].IsNull() ? nullptr : BufferRegion<float>(env, info[9], info[10], static_cast<double>(n), "entropy");
  float* grad = info[11].IsNull() ? nullptr : BufferRegion<float>(env, info[11], info[12], total, "grad");
  for (int64_t i = 0; i < n; ++i) {
    if (targets[i] < 0 || targets[i] >= V) {
      throw Napi::RangeError::New(env, "logSoftmaxGather: targets[" + std::to_string(i) + "] = " +
                                           std::to_string(targets[i]) + " is outside [0, " + std::to_string(V) + ")");
    }
  }
  auto run = PickRows();
  const RowsArgs args{logits, targets, V, invT, logp, entropy, grad};
  Kernels().For(n, 2, [&](int64_t lo, int64_t hi) { run(args, lo, hi); });
  return env.Undefined();
}

// sampleRow(logitsBuf, logitsOff, V, temperature, threshold, u) -> token: SampleFromRow (vocab.h) on
// the `V` logits at the given byte offset, with thread-local scratch.
Napi::Value SampleRow(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 6) throw Napi::TypeError::New(env, "sampleRow: expected 6 arguments");
  const int64_t V = info[2].As<Napi::Number>().Int64Value();
  const double temperature = info[3].As<Napi::Number>().DoubleValue();
  const float threshold = static_cast<float>(info[4].As<Napi::Number>().DoubleValue());
  const double u = info[5].As<Napi::Number>().DoubleValue();
  if (V < 1) throw Napi::RangeError::New(env, "sampleRow: V must be >= 1");
  if (!(temperature > 0) || std::isinf(temperature)) throw Napi::RangeError::New(env, "sampleRow: temperature must be finite and > 0");
  if (!(u >= 0 && u < 1)) throw Napi::RangeError::New(env, "sampleRow: u must be in [0, 1)");
  const float* x = BufferRegion<const float>(env, info[0], info[1], static_cast<double>(V), "logits");
  thread_local std::vector<float> scaled;
  thread_local std::vector<double> e;
  if (static_cast<int64_t>(scaled.size()) < V) {
    scaled.resize(static_cast<size_t>(V));
    e.resize(static_cast<size_t>(V));
  }
  return Napi::Number::New(env, static_cast<double>(SampleFromRow(x, V, temperature, threshold, u, scaled.data(), e.data())));
}

}  // namespace

int64_t SampleFromRow(const float* x, int64_t V, double temperature, float threshold, double u, float* sc, double* ed) {
#pragma omp simd
  for (int64_t j = 0; j < V; ++j) sc[j] = static_cast<float>(static_cast<double>(x[j]) / temperature);
  float max = -__builtin_inff();
#pragma omp simd reduction(max : max)
  for (int64_t j = 0; j < V; ++j) max = sc[j] >= threshold && sc[j] > max ? sc[j] : max;
#pragma omp simd
  for (int64_t j = 0; j < V; ++j) {
    const double d = static_cast<double>(sc[j] - max);  // the float subtraction, widened
    ed[j] = ExpSampling(d < -100.0 ? -100.0 : d);
  }
  for (int64_t j = 0; j < V; ++j) {
    if (!(sc[j] >= threshold)) ed[j] = -1.0;  // dropped by top-k/top-p (or NaN)
  }
  double total = 0.0;
  for (int64_t j = 0; j < V; ++j) {
    if (ed[j] >= 0.0) total += ed[j];
  }
  const double target = u * total;
  double cumulative = 0.0;
  int64_t last = 0;
  for (int64_t j = 0; j < V; ++j) {
    if (ed[j] < 0.0) continue;
    cumulative += ed[j];
    last = j;
    if (target < cumulative) return j;
  }
  return last;
}

void InitVocab(Napi::Env env, Napi::Object exports) {
  exports.Set("logSoftmaxGather", Napi::Function::New(env, LogSoftmaxGather, "logSoftmaxGather"));
  exports.Set("sampleRow", Napi::Function::New(env, SampleRow, "sampleRow"));
}

}  // namespace grpojs
