// N-API bindings of the vocab-sized kernels (kernels/vocab.h): one row of logits [V] (V = 50257 for
// GPT-2) at a time, in one read for the max and one for the exps, with the exp vectorised
// (kernels/fast-exp.h). They exist because the tfjs wasm backend's Exp is scalar (about 110 M/s against
// 1.6 G/s for a Sub), and the log-probs of one training micro-batch went through ten [256, V]
// tensors (docs/benchmarks.md, item 1). The rows of logSoftmaxGather are split over the addon's
// kernel threads (kernels/thread-pool.h). Each function takes one named options object (napi-options.h).
#include "vocab-binding.h"

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "../cpu.h"
#include "../kernels/thread-pool.h"
#include "../kernels/vocab.h"
#include "napi-options.h"

namespace grpojs {
namespace {

void RowsBase(const LogSoftmaxGatherArgs& r, int64_t lo, int64_t hi) { LogSoftmaxGatherRows(r, lo, hi); }
#if GRPOJS_AVX2
// The same rows compiled for AVX2 (8 lanes instead of SSE2's 4: the float partial sums add in
// another order, within rounding), chosen at run time; FMA contraction stays off.
GRPOJS_TARGET_AVX2 void RowsAvx2(const LogSoftmaxGatherArgs& r, int64_t lo, int64_t hi) { LogSoftmaxGatherRows(r, lo, hi); }
#endif

// The rows kernel for this build and CPU (cpu.h).
auto PickRows() {
#if GRPOJS_AVX2
  if (CpuHasAvx2()) return RowsAvx2;
#endif
  return RowsBase;
}

// logSoftmaxGather({ logits [rows·vocab], targets Int32 [rows], rows, vocab, invT, logp [rows],
// entropy [rows] | null, grad [rows·vocab] | null }), every array a { buffer, byteOffset } region:
// LogSoftmaxGatherRows (kernels/vocab.h) with invT = 1 / temperature.
Napi::Value LogSoftmaxGatherBinding(const Napi::CallbackInfo& info) {
  const std::string where = "logSoftmaxGather";
  const Napi::Object o = OptionsArg(info, where);
  const int64_t n = SizeOpt(o, "rows", 0, where);
  const int64_t V = SizeOpt(o, "vocab", 1, where);
  const float invT = static_cast<float>(NumberOpt(o, "invT", where));
  if (!(invT > 0.f) || std::isinf(invT)) throw Napi::RangeError::New(info.Env(), where + ": options.invT must be finite and > 0");
  const double total = static_cast<double>(n) * static_cast<double>(V);
  const LogSoftmaxGatherArgs args{
      RegionOpt<const float>(o, "logits", total, where),
      RegionOpt<const int32_t>(o, "targets", static_cast<double>(n), where),
      V,
      invT,
      RegionOpt<float>(o, "logp", static_cast<double>(n), where),
      RegionOpt<float>(o, "entropy", static_cast<double>(n), where, true),
      RegionOpt<float>(o, "grad", total, where, true),
  };
  for (int64_t i = 0; i < n; ++i) {
    if (args.targets[i] < 0 || args.targets[i] >= V) {
      throw Napi::RangeError::New(info.Env(), where + ": targets[" + std::to_string(i) + "] = " + std::to_string(args.targets[i]) +
                                                  " is outside [0, " + std::to_string(V) + ")");
    }
  }
  auto run = PickRows();
  Kernels()->For(n, 2, [&](int64_t lo, int64_t hi) { run(args, lo, hi); });
  return info.Env().Undefined();
}

// sampleRow({ logits [vocab] region, vocab, temperature, threshold, u }) → token: SampleFromRow
// (kernels/vocab.h) with thread-local scratch.
Napi::Value SampleRowBinding(const Napi::CallbackInfo& info) {
  const std::string where = "sampleRow";
  const Napi::Object o = OptionsArg(info, where);
  const int64_t V = SizeOpt(o, "vocab", 1, where);
  const double temperature = NumberOpt(o, "temperature", where);
  const float threshold = static_cast<float>(NumberOpt(o, "threshold", where));
  const double u = NumberOpt(o, "u", where);
  if (!(temperature > 0) || std::isinf(temperature)) throw Napi::RangeError::New(info.Env(), where + ": options.temperature must be finite and > 0");
  if (!(u >= 0 && u < 1)) throw Napi::RangeError::New(info.Env(), where + ": options.u must be in [0, 1)");
  const float* x = RegionOpt<const float>(o, "logits", static_cast<double>(V), where);
  thread_local std::vector<float> scaled;
  thread_local std::vector<double> e;
  if (static_cast<int64_t>(scaled.size()) < V) {
    scaled.resize(static_cast<size_t>(V));
    e.resize(static_cast<size_t>(V));
  }
  return Napi::Number::New(info.Env(), static_cast<double>(SampleFromRow(x, V, temperature, threshold, u, scaled.data(), e.data())));
}

}  // namespace

void InitVocab(Napi::Env env, Napi::Object exports) {
  exports.Set("logSoftmaxGather", Napi::Function::New(env, LogSoftmaxGatherBinding, "logSoftmaxGather"));
  exports.Set("sampleRow", Napi::Function::New(env, SampleRowBinding, "sampleRow"));
}

}  // namespace grpojs
