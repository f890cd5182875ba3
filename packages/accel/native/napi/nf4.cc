// N-API bindings of the dequantization of @grpojs/model's quantized Conv1D weights in one pass
// over the packed codes (kernels/nf4.h). The model's tfjs path decodes them with about ten
// whole-tensor ops (BitwiseAnd, FloorDiv, Mod, Concat, GatherNd into a 1 MiB table, Slice, Mul,
// Transpose...) that each read and write the full weight; with an NF4 base that was 22% of a GRPO
// step (docs/benchmarks.md). These compute the same float32 values, bit for bit. Each function
// takes one named options object; arrays are { buffer, byteOffset } regions.
#include "nf4-binding.h"

#include <cmath>
#include <cstdint>
#include <string>

#include "../cpu.h"
#include "../kernels/nf4.h"
#include "napi-options.h"

namespace grpojs {
namespace {

// blockwise8Dequantize({ codes [words] (uint32), words, map [256], absmax [ceil(n / blockSize)],
// blockSize, offset, n, out [n] }): Blockwise8Dequantize (kernels/nf4.h).
Napi::Value Blockwise8DequantizeBinding(const Napi::CallbackInfo& info) {
  const std::string where = "blockwise8Dequantize";
  const Napi::Object o = OptionsArg(info, where);
  const int64_t words = SizeOpt(o, "words", 0, where);
  const int64_t blockSize = SizeOpt(o, "blockSize", 1, where);
  const float offset = static_cast<float>(NumberOpt(o, "offset", where));
  const int64_t n = SizeOpt(o, "n", 0, where);
  if (n > 4 * words) throw Napi::RangeError::New(info.Env(), where + ": options.n exceeds the 4 fields per word");
  const auto* codes = RegionOpt<const uint32_t>(o, "codes", static_cast<double>(words), where);
  const auto* map = RegionOpt<const float>(o, "map", 256, where);
  const double nScales = std::ceil(static_cast<double>(n) / static_cast<double>(blockSize));
  const auto* absmax = RegionOpt<const float>(o, "absmax", nScales, where);
  auto* out = RegionOpt<float>(o, "out", static_cast<double>(n), where);
  Blockwise8Dequantize(codes, words, map, absmax, blockSize, offset, n, out);
  return info.Env().Undefined();
}

// nf4Dequantize({ codes [words] (uint32), words, table [16], absmax [ceil(inF·outF / blockSize)],
// inF, outF, blockSize, inOutOrder, out [inF·outF] }): Nf4Dequantize (kernels/nf4.h).
Napi::Value Nf4DequantizeBinding(const Napi::CallbackInfo& info) {
  const std::string where = "nf4Dequantize";
  const Napi::Object o = OptionsArg(info, where);
  const int64_t words = SizeOpt(o, "words", 0, where);
  const int64_t inF = SizeOpt(o, "inF", 0, where);
  const int64_t outF = SizeOpt(o, "outF", 0, where);
  const int64_t bs = SizeOpt(o, "blockSize", 1, where);
  const bool inOutOrder = BoolOpt(o, "inOutOrder", false);
  const int64_t n = inF * outF;
  if (n > 8 * words) throw Napi::RangeError::New(info.Env(), where + ": inF·outF exceeds the 8 fields per word");
  if (inOutOrder && inF % bs != 0) throw Napi::RangeError::New(info.Env(), where + ": inOutOrder needs inF % blockSize = 0");
  const auto* codes = RegionOpt<const uint32_t>(o, "codes", static_cast<double>(words), where);
  const auto* table = RegionOpt<const float>(o, "table", 16, where);
  const auto* absmax = RegionOpt<const float>(o, "absmax", static_cast<double>((n + bs - 1) / bs), where);
  auto* out = RegionOpt<float>(o, "out", static_cast<double>(n), where);
  Nf4Dequantize(codes, words, table, absmax, inF, outF, bs, inOutOrder, out, CpuHasAvx2());
  return info.Env().Undefined();
}

// int8Dequantize({ codes [words] (uint32), words, table [256], rowAbsmax [outF], scale, inF, outF,
// out [inF·outF] }): Int8Dequantize (kernels/nf4.h).
Napi::Value Int8DequantizeBinding(const Napi::CallbackInfo& info) {
  const std::string where = "int8Dequantize";
  const Napi::Object o = OptionsArg(info, where);
  const int64_t words = SizeOpt(o, "words", 0, where);
  const float scale = static_cast<float>(NumberOpt(o, "scale", where));
  const int64_t inF = SizeOpt(o, "inF", 0, where);
  const int64_t outF = SizeOpt(o, "outF", 0, where);
  const int64_t n = inF * outF;
  if (n > 4 * words) throw Napi::RangeError::New(info.Env(), where + ": inF·outF exceeds the 4 fields per word");
  const auto* codes = RegionOpt<const uint32_t>(o, "codes", static_cast<double>(words), where);
  const auto* table = RegionOpt<const float>(o, "table", 256, where);
  const auto* rowAbsmax = RegionOpt<const float>(o, "rowAbsmax", static_cast<double>(outF), where);
  auto* out = RegionOpt<float>(o, "out", static_cast<double>(n), where);
  Int8Dequantize(codes, words, table, rowAbsmax, scale, inF, outF, out, CpuHasAvx2());
  return info.Env().Undefined();
}

}  // namespace

void InitNf4(Napi::Env env, Napi::Object exports) {
  exports.Set("blockwise8Dequantize", Napi::Function::New(env, Blockwise8DequantizeBinding, "blockwise8Dequantize"));
  exports.Set("nf4Dequantize", Napi::Function::New(env, Nf4DequantizeBinding, "nf4Dequantize"));
  exports.Set("int8Dequantize", Napi::Function::New(env, Int8DequantizeBinding, "int8Dequantize"));
}

}  // namespace grpojs
