// The gelu_new kernels of the addon (native/gelu.cc). Registered on the exports by accel.cc's Init.
#pragma once
#include <napi.h>

namespace grpojs {
void InitGelu(Napi::Env env, Napi::Object exports);
}  // namespace grpojs
