// The LayerNorm kernels of the addon (native/layernorm.cc). Registered on the exports by accel.cc's Init.
#pragma once
#include <napi.h>

namespace grpojs {
void InitLayerNorm(Napi::Env env, Napi::Object exports);
}  // namespace grpojs
