// The N-API bindings of the gather kernels (native/napi/gather.cc; the math is in kernels/gather.h).
// Registered on the exports by accel.cc's Init.
#pragma once
#include <napi.h>

namespace grpojs {
void InitGather(Napi::Env env, Napi::Object exports);
}  // namespace grpojs
