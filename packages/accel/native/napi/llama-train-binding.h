// The N-API bindings of the Llama family's training-step kernels (native/napi/llama-train.cc; the math
// is in kernels/rms-norm.h, kernels/rotary.h and kernels/swiglu.h). Registered on the exports by accel.cc's Init.
#pragma once
#include <napi.h>

namespace grpojs {
void InitLlamaTrain(Napi::Env env, Napi::Object exports);
}  // namespace grpojs
