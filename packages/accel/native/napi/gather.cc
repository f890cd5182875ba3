// N-API bindings of the column and row gathers (kernels/gather.h). Columns, out[i, r] = src[r, ids[i]],
// exist for the tied GPT-2 head on wasm, kept transposed as [C, vocab] (model/src/ops/lm-head.ts):
// the token-embedding lookup is a gather of columns there, which tfjs' wasm GatherV2 plus a
// transpose ran in about 100 ms for 512 tokens; this loop takes a few milliseconds. Rows,
// out[i, :] = src[ids[i], :], are the position-embedding lookup, for which GatherV2 took ~20 ms per
// 512 rows of 768 (element by element); here one memcpy per row (docs/accel.md, "Embedding gathers").
#include "gather-binding.h"

#include <cstdint>
#include <string>

#include "../kernels/gather.h"
#include "napi-options.h"

namespace grpojs {
namespace {

void CheckIds(const Napi::Env& env, const int32_t* ids, int64_t n, int64_t limit, const std::string& where) {
  const int64_t bad = FirstIdOutside(ids, n, limit);
  if (bad >= 0) {
    throw Napi::RangeError::New(env, where + ": ids[" + std::to_string(bad) + "] = " + std::to_string(ids[bad]) + " is outside [0, " +
                                         std::to_string(limit) + ")");
  }
}

// gatherColumns({ src [rows·columns], rows, columns, ids Int32 [count], count, out [count·rows] }),
// arrays as { buffer, byteOffset } regions. Throws (before writing) for an id outside [0, columns).
Napi::Value GatherColumnsBinding(const Napi::CallbackInfo& info) {
  const std::string where = "gatherColumns";
  const Napi::Object o = OptionsArg(info, where);
  const int64_t R = SizeOpt(o, "rows", 0, where), V = SizeOpt(o, "columns", 1, where), n = SizeOpt(o, "count", 0, where);
  const float* src = RegionOpt<const float>(o, "src", static_cast<double>(R) * V, where);
  const int32_t* ids = RegionOpt<const int32_t>(o, "ids", static_cast<double>(n), where);
  float* out = RegionOpt<float>(o, "out", static_cast<double>(n) * R, where);
  CheckIds(info.Env(), ids, n, V, where);
  GatherColumns(src, R, V, ids, n, out);
  return info.Env().Undefined();
}

// gatherRows({ src [rows·columns], rows, columns, ids Int32 [count], count, out [count·columns] }).
// Throws (before writing) for an id outside [0, rows).
Napi::Value GatherRowsBinding(const Napi::CallbackInfo& info) {
  const std::string where = "gatherRows";
  const Napi::Object o = OptionsArg(info, where);
  const int64_t R = SizeOpt(o, "rows", 1, where), C = SizeOpt(o, "columns", 0, where), n = SizeOpt(o, "count", 0, where);
  const float* src = RegionOpt<const float>(o, "src", static_cast<double>(R) * C, where);
  const int32_t* ids = RegionOpt<const int32_t>(o, "ids", static_cast<double>(n), where);
  float* out = RegionOpt<float>(o, "out", static_cast<double>(n) * C, where);
  CheckIds(info.Env(), ids, n, R, where);
  GatherRows(src, C, ids, n, out);
  return info.Env().Undefined();
}

}  // namespace

void InitGather(Napi::Env env, Napi::Object exports) {
  exports.Set("gatherColumns", Napi::Function::New(env, GatherColumnsBinding, "gatherColumns"));
  exports.Set("gatherRows", Napi::Function::New(env, GatherRowsBinding, "gatherRows"));
}

}  // namespace grpojs
