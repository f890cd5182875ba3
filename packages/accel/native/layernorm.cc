// LayerNorm over the last axis of x [n, C] (mean and biased variance, as torch), forward and
// backward, one pass over each row in cache. They exist because the tfjs formula is about eight
// kernels forward and a dozen backward, each a full pass over [n, C] through the wasm heap, for 13
// LayerNorms per GPT-2 forward (docs/accel.md, "Fused LayerNorm").
//
// Row sums accumulate in double: a row of 768 floats is a few hundred nanoseconds either way, and
// it keeps rows of (nearly) constant values exact (mean = the value, variance 0).
#include "layernorm.h"
#include "napi-region.h"

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace grpojs {
namespace {

void CheckSizes(const Napi::Env& env, double n, double C, const char* fn) {
  if (!(n >= 0) || !(C >= 1) || std::floor(n) != n || std::floor(C) != C) {
    throw Napi::RangeError::New(env, std::string(fn) + ": n must be an integer >= 0 and C an integer >= 1");
  }
}

// layerNormForward(x, xOff, gamma, gOff, beta, bOff, out, outOff, mean, meanOff, rstd, rstdOff, n, C, eps):
// per row i of x [n, C]: mean[i], rstd[i] = 1/√(var + eps) with the biased variance, and
// out[i, j] = (x[i, j] − mean[i]) · rstd[i] · gamma[j] + beta[j] (the tfjs formula's order; the
// normalised value in double, rounded once).
Napi::Value LayerNormForward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 15) throw Napi::TypeError::New(env, "layerNormForward: expected 15 arguments");
  const double nd = info[12].As<Napi::Number>().DoubleValue();
  const double Cd = info[13].As<Napi::Number>().DoubleValue();
  const double eps = info[14].As<Napi::Number>().DoubleValue();
  CheckSizes(env, nd, Cd, "layerNormForward");
  const float* x = FloatRegion(env, info[0], info[1], nd * Cd, "x");
  const float* gamma = FloatRegion(env, info[2], info[3], Cd, "gamma");
  const float* beta = FloatRegion(env, info[4], info[5], Cd, "beta");
  float* out = FloatRegion(env, info[6], info[7], nd * Cd, "out");
  float* mean = FloatRegion(env, info[8], info[9], nd, "mean");
  float* rstd = FloatRegion(env, info[10], info[11], nd, "rstd");
  const int64_t n = static_cast<int64_t>(nd);
  const int64_t C = static_cast<int64_t>(Cd);
  for (int64_t i = 0; i < n; ++i) {
    const float* xr = x + i * C;
    float* yr = out + i * C;
    double sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int64_t j = 0; j < C; ++j) sum += xr[j];
    const double mu = sum / static_cast<double>(C);
    double sq = 0;
#pragma omp simd reduction(+ : sq)
    for (int64_t j = 0; j < C; ++j) {
      const double d = static_cast<double>(xr[j]) - mu;
      sq += d * d;
    }
    const double r = 1.0 / std::sqrt(sq / static_cast<double>(C) + eps);
    mean[i] = static_cast<float>(mu);
    rstd[i] = static_cast<float>(r);
    // x − mean in double: the float mean's rounding (half an ulp of |mean|) would otherwise be
    // amplified by rstd in rows with a large common offset.
#pragma omp simd
    for (int64_t j = 0; j < C; ++j) yr[j] = static_cast<float>((static_cast<double>(xr[j]) - mu) * r) * gamma[j] + beta[j];
  }
  return env.Undefined();
}

// layerNormBackward(x, xOff, gamma, gOff, mean, meanOff, rstd, rstdOff, dy, dyOff, dx, dxOff,
//                   dgamma|null, dgOff, dbeta|null, dbOff, n, C):
// with x̂ = (x − mean)·rstd and g = gamma·dy per row,
// dx = rstd · (g − mean_j(g) − x̂ · mean_j(g·x̂)); dgamma = Σ_rows dy·x̂; dbeta = Σ_rows dy.
// x̂ is recomputed from the float mean and rstd, so its error is about ulp(|mean|)·rstd: exact
// enough unless a row's common offset dwarfs its spread by ~10^4 or more.
Napi::Value LayerNormBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 18) throw Napi::TypeError::New(env, "layerNormBackward: expected 18 arguments");
  const double nd = info[16].As<Napi::Number>().DoubleValue();
  const double Cd = info[17].As<Napi::Number>().DoubleValue();
  CheckSizes(env, nd, Cd, "layerNormBackward");
  const float* x = FloatRegion(env, info[0], info[1], nd * Cd, "x");
  const float* gamma = FloatRegion(env, info[2], info[3], Cd, "gamma");
  const float* mean = FloatRegion(env, info[4], info[5], nd, "mean");
  const float* rstd = FloatRegion(env, info[6], info[7], nd, "rstd");
  const float* dy = FloatRegion(env, info[8], info[9], nd * Cd, "dy");
  float* dx = FloatRegion(env, info[10], info[11], nd * Cd, "dx");
  float* dgamma = info[12].IsNull() ? nullptr : FloatRegion(env, info[12], info[13], Cd, "dgamma");
  float* dbeta = info[14].IsNull() ? nullptr : FloatRegion(env, info[14], info[15], Cd, "dbeta");
  const int64_t n = static_cast<int64_t>(nd);
  const int64_t C = static_cast<int64_t>(Cd);
  const double invC = 1.0 / static_cast<double>(C);
  std::vector<double> dg(dgamma ? C : 0, 0.0);
  std::vector<double> db(dbeta ? C : 0, 0.0);
  std::vector<float> xhat(C);
  for (int64_t i = 0; i < n; ++i) {
    const float* xr = x + i * C;
    const float* dyr = dy + i * C;
    float* dxr = dx + i * C;
    const float m = mean[i];
    const float r = rstd[i];
    float* xh = xhat.data();
    double s1 = 0;
    double s2 = 0;
#pragma omp simd reduction(+ : s1, s2)
    for (int64_t j = 0; j < C; ++j) {
      xh[j] = (xr[j] - m) * r;
      const double g = static_cast<double>(gamma[j]) * dyr[j];
      s1 += g;
      s2 += g * xh[j];
    }
    const float a = static_cast<float>(s1 * invC);
    const float b = static_cast<float>(s2 * invC);
#pragma omp simd
    for (int64_t j = 0; j < C; ++j) dxr[j] = r * (gamma[j] * dyr[j] - a - xh[j] * b);
    if (dgamma) {
      double* d = dg.data();
#pragma omp simd
      for (int64_t j = 0; j < C; ++j) d[j] += static_cast<double>(dyr[j]) * xh[j];
    }
    if (dbeta) {
      double* d = db.data();
#pragma omp simd
      for (int64_t j = 0; j < C; ++j) d[j] += dyr[j];
    }
  }
  for (int64_t j = 0; dgamma && j < C; ++j) dgamma[j] = static_cast<float>(dg[j]);
  for (int64_t j = 0; dbeta && j < C; ++j) dbeta[j] = static_cast<float>(db[j]);
  return env.Undefined();
}

}  // namespace

void InitLayerNorm(Napi::Env env, Napi::Object exports) {
  exports.Set("layerNormForward", Napi::Function::New(env, LayerNormForward, "layerNormForward"));
  exports.Set("layerNormBackward", Napi::Function::New(env, LayerNormBackward, "layerNormBackward"));
}

}  // namespace grpojs
