// Gathers columns or rows of a row-major matrix. Columns, out[i, r] = src[r, ids[i]], exist for the
// tied GPT-2 head on wasm, kept transposed as [C, vocab] (model/src/lm-head.ts): the token-embedding
// lookup is a gather of columns there, which tfjs' wasm GatherV2 plus a transpose ran in about
// 100 ms for 512 tokens; this loop takes a few milliseconds. Rows, out[i, :] = src[ids[i], :], are
// the position-embedding lookup, for which GatherV2 took ~20 ms per 512 rows of 768 (element by
// element); here one memcpy per row (docs/accel.md, "Embedding gathers").
#include "gather.h"
#include "napi-region.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

namespace grpojs {
namespace {

// gatherColumns(src, srcOff, R, V, ids, idsOff, n, out, outOff): src [R, V] float32, ids [n]
// int32 in [0, V) → out [n, R] float32. Throws (before writing) for an id outside [0, V).
Napi::Value GatherColumns(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 9) throw Napi::TypeError::New(env, "gatherColumns: expected 9 arguments");
  const double Rd = info[2].As<Napi::Number>().DoubleValue();
  const double Vd = info[3].As<Napi::Number>().DoubleValue();
  const double nd = info[6].As<Napi::Number>().DoubleValue();
  if (!(Rd >= 0 && Vd >= 1 && nd >= 0) || std::floor(Rd) != Rd || std::floor(Vd) != Vd || std::floor(nd) != nd) {
    throw Napi::RangeError::New(env, "gatherColumns: R, V and n must be integers (R, n >= 0, V >= 1)");
  }
  const float* src = BufferRegion<const float>(env, info[0], info[1], Rd * Vd, "src");
  const int32_t* ids = BufferRegion<const int32_t>(env, info[4], info[5], nd, "ids");
  float* out = BufferRegion<float>(env, info[7], info[8], nd * Rd, "out");
  const int64_t R = static_cast<int64_t>(Rd);
  const int64_t V = static_cast<int64_t>(Vd);
  const int64_t n = static_cast<int64_t>(nd);
  for (int64_t i = 0; i < n; ++i) {
    if (ids[i] < 0 || ids[i] >= V) {
      throw Napi::RangeError::New(env, "gatherColumns: ids[" + std::to_string(i) + "] = " + std::to_string(ids[i]) +
                                           " is outside [0, " + std::to_string(V) + ")");
    }
  }
  // Row by row of src: the reads stay within one row (a few hundred KB), and the strided writes to
  // out reuse each cache line for 16 consecutive rows.
  for (int64_t r = 0; r < R; ++r) {
    const float* row = src + r * V;
    for (int64_t i = 0; i < n; ++i) out[i * R + r] = row[ids[i]];
  }
  return env.Undefined();
}

// gatherRows(src, srcOff, R, C, ids, idsOff, n, out, outOff): src [R, C] float32, ids [n] int32 in
// [0, R) → out [n, C] float32. Throws (before writing) for an id outside [0, R).
Napi::Value GatherRows(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 9) throw Napi::TypeError::New(env, "gatherRows: expected 9 arguments");
  const double Rd = info[2].As<Napi::Number>().DoubleValue();
  const double Cd = info[3].As<Napi::Number>().DoubleValue();
  const double nd = info[6].As<Napi::Number>().DoubleValue();
  if (!(Rd >= 1 && Cd >= 0 && nd >= 0) || std::floor(Rd) != Rd || std::floor(Cd) != Cd || std::floor(nd) != nd) {
    throw Napi::RangeError::New(env, "gatherRows: R, C and n must be integers (C, n >= 0, R >= 1)");
  }
  const float* src = BufferRegion<const float>(env, info[0], info[1], Rd * Cd, "src");
  const int32_t* ids = BufferRegion<const int32_t>(env, info[4], info[5], nd, "ids");
  float* out = BufferRegion<float>(env, info[7], info[8], nd * Cd, "out");
  const int64_t R = static_cast<int64_t>(Rd);
  const int64_t C = static_cast<int64_t>(Cd);
  const int64_t n = static_cast<int64_t>(nd);
  for (int64_t i = 0; i < n; ++i) {
    if (ids[i] < 0 || ids[i] >= R) {
      throw Napi::RangeError::New(env, "gatherRows: ids[" + std::to_string(i) + "] = " + std::to_string(ids[i]) +
                                           " is outside [0, " + std::to_string(R) + ")");
    }
  }
  for (int64_t i = 0; i < n; ++i) std::memcpy(out + i * C, src + static_cast<int64_t>(ids[i]) * C, sizeof(float) * C);
  return env.Undefined();
}

}  // namespace

void InitGather(Napi::Env env, Napi::Object exports) {
  exports.Set("gatherColumns", Napi::Function::New(env, GatherColumns, "gatherColumns"));
  exports.Set("gatherRows", Napi::Function::New(env, GatherRows, "gatherRows"));
}

}  // namespace grpojs
