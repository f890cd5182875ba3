// expf for the addon's elementwise loops: Cody-Waite range reduction plus cephes' degree-5
// polynomial, written with plain arithmetic and bit casts so that GCC/Clang vectorise the loops
// that call it (libm's expf is a scalar call). Relative error < 2e-7 over [-87, 88]; inputs below
// -87.3 (including -inf) give 0, above 88.7 give +inf; NaN stays NaN.
#pragma once
#include <cstdint>
#include <cstring>

namespace grpojs {

inline float FastExp(float x) {
  const float kLog2e = 1.44269504088896341f;
  const float kLn2Hi = 0.693359375f;
  const float kLn2Lo = -2.12194440e-4f;
  // Round to nearest by adding 1.5 * 2^23: the low mantissa bits then hold n (no floorf call).
  const float kShift = 12582912.0f;
  const float xc = x < -87.33f ? -87.33f : (x > 88.72f ? 88.72f : x);
  const float t = xc * kLog2e + kShift;
  const float n = t - kShift;
  float r = xc - n * kLn2Hi;
  r = r - n * kLn2Lo;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float e = (p * r) * r + r + 1.0f;
  int32_t ti;
  std::memcpy(&ti, &t, sizeof ti);
  // 2^n as a float: n + 127 in the exponent field (n in [-126, 128], so 2^n may need two steps:
  // split as 2^(n/2) * 2^(n - n/2) to reach both ends of the range without overflow).
  const int32_t ni = ti - 0x4B400000;
  const int32_t half = ni >> 1;
  const int32_t b1 = (half + 127) << 23;
  const int32_t b2 = (ni - half + 127) << 23;
  float s1;
  float s2;
  std::memcpy(&s1, &b1, sizeof s1);
  std::memcpy(&s2, &b2, sizeof s2);
  float y = e * s1 * s2;
  y = x < -87.33f ? 0.0f : y;
  y = x > 88.72f ? __builtin_inff() : y;
  return x != x ? x : y;
}

}  // namespace grpojs

namespace grpojs {

// exp(x) for x <= 0 in double arithmetic with the same reduction and float-accuracy polynomial
// (relative error < 2e-7), 0 below -87.33. Its JS twin, @grpojs/model's expSampling
// (src/fast-exp.ts), does the same double operations in the same order, so the two agree bit for
// bit (the build turns FMA contraction off): the native sampler and the JS one draw the same token.
inline double ExpSampling(double x) {
  const double kShift = 6755399441055744.0;  // 1.5 * 2^52: adding it rounds to an integer
  const double t = x * 1.4426950408889634 + kShift;
  const double n = t - kShift;
  double r = x - n * 0.693359375;
  r = r - n * -2.12194440e-4;
  double p = 1.9875691500e-4;
  p = p * r + 1.3981999507e-3;
  p = p * r + 8.3334519073e-3;
  p = p * r + 4.1665795894e-2;
  p = p * r + 1.6666665459e-1;
  p = p * r + 5.0000001201e-1;
  const double e = (p * r) * r + r + 1.0;
  // t's bits are those of 1.5 * 2^52 plus n (integer ops only, so SSE2 can vectorise them).
  int64_t tb;
  std::memcpy(&tb, &t, sizeof tb);
  // n in [-126, 0] where the result is used; unsigned, so other inputs (NaN) shift without UB.
  const uint64_t bits = static_cast<uint64_t>(tb - 0x4338000000000000LL + 1023) << 52;
  double s;
  std::memcpy(&s, &bits, sizeof s);
  return x < -87.33 ? 0.0 : e * s;
}

}  // namespace grpojs
