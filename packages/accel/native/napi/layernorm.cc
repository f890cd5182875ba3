// N-API bindings of LayerNorm over the last axis of x [rows, C], forward and backward
// (kernels/layer-norm.h), one pass over each row in cache. They exist because the tfjs formula is
// about eight kernels forward and a dozen backward, each a full pass over [rows, C] through the
// wasm heap, for 13 LayerNorms per GPT-2 forward (docs/accel.md, "Fused LayerNorm").
#include "layernorm-binding.h"

#include <cstdint>
#include <string>
#include <vector>

#include "../kernels/layer-norm.h"
#include "napi-options.h"

namespace grpojs {
namespace {

// layerNormForward({ x [rows·C], gamma [C], beta [C], out [rows·C], mean [rows], rstd [rows], rows,
// C, eps }), arrays as { buffer, byteOffset } regions: LayerNormRow per row.
Napi::Value LayerNormForward(const Napi::CallbackInfo& info) {
  const std::string where = "layerNormForward";
  const Napi::Object o = OptionsArg(info, where);
  const int64_t n = SizeOpt(o, "rows", 0, where);
  const int64_t C = SizeOpt(o, "C", 1, where);
  const double eps = NumberOpt(o, "eps", where);
  const double total = static_cast<double>(n) * static_cast<double>(C);
  const float* x = RegionOpt<const float>(o, "x", total, where);
  const float* gamma = RegionOpt<const float>(o, "gamma", static_cast<double>(C), where);
  const float* beta = RegionOpt<const float>(o, "beta", static_cast<double>(C), where);
  float* out = RegionOpt<float>(o, "out", total, where);
  float* mean = RegionOpt<float>(o, "mean", static_cast<double>(n), where);
  float* rstd = RegionOpt<float>(o, "rstd", static_cast<double>(n), where);
  for (int64_t i = 0; i < n; ++i) LayerNormRow(x + i * C, gamma, beta, C, eps, out + i * C, mean + i, rstd + i);
  return info.Env().Undefined();
}

// layerNormBackward({ x [rows·C], gamma [C], mean [rows], rstd [rows], dy [rows·C], dx [rows·C],
// dgamma [C] | null, dbeta [C] | null, rows, C }): LayerNormBackwardRow per row; dgamma = Σ_rows dy·x̂,
// dbeta = Σ_rows dy, summed in double and rounded once.
Napi::Value LayerNormBackward(const Napi::CallbackInfo& info) {
  const std::string where = "layerNormBackward";
  const Napi::Object o = OptionsArg(info, where);
  const int64_t n = SizeOpt(o, "rows", 0, where);
  const int64_t C = SizeOpt(o, "C", 1, where);
  const double total = static_cast<double>(n) * static_cast<double>(C);
  const float* x = RegionOpt<const float>(o, "x", total, where);
  const float* gamma = RegionOpt<const float>(o, "gamma", static_cast<double>(C), where);
  const float* mean = RegionOpt<const float>(o, "mean", static_cast<double>(n), where);
  const float* rstd = RegionOpt<const float>(o, "rstd", static_cast<double>(n), where);
  const float* dy = RegionOpt<const float>(o, "dy", total, where);
  float* dx = RegionOpt<float>(o, "dx", total, where);
  float* dgamma = RegionOpt<float>(o, "dgamma", static_cast<double>(C), where, true);
  float* dbeta = RegionOpt<float>(o, "dbeta", static_cast<double>(C), where, true);
  std::vector<double> dg(dgamma ? C : 0, 0.0);
  std::vector<double> db(dbeta ? C : 0, 0.0);
  std::vector<float> xhat(C);
  for (int64_t i = 0; i < n; ++i) {
    LayerNormBackwardRow(x + i * C, gamma, mean[i], rstd[i], dy + i * C, C, dx + i * C, dgamma ? dg.data() : nullptr,
                         dbeta ? db.data() : nullptr, xhat.data());
  }
  for (int64_t j = 0; dgamma && j < C; ++j) dgamma[j] = static_cast<float>(dg[j]);
  for (int64_t j = 0; dbeta && j < C; ++j) dbeta[j] = static_cast<float>(db[j]);
  return info.Env().Undefined();
}

}  // namespace

void InitLayerNorm(Napi::Env env, Napi::Object exports) {
  exports.Set("layerNormForward", Napi::Function::New(env, LayerNormForward, "layerNormForward"));
  exports.Set("layerNormBackward", Napi::Function::New(env, LayerNormBackward, "layerNormBackward"));
}

}  // namespace grpojs
