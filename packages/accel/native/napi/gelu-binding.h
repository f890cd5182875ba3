// The N-API bindings of the gelu_new kernels (native/napi/gelu.cc; the math is in kernels/gelu.h).
// Registered on the exports by accel.cc's Init.
#pragma once
#include <napi.h>

namespace grpojs {
void InitGelu(Napi::Env env, Napi::Object exports);
}  // namespace grpojs
