// The N-API bindings of the LayerNorm kernels (native/napi/layernorm.cc; the math is in
// kernels/layer-norm.h). Registered on the exports by accel.cc's Init.
#pragma once
#include <napi.h>

namespace grpojs {
void InitLayerNorm(Napi::Env env, Napi::Object exports);
}  // namespace grpojs
