// The N-API bindings of the dequantization kernels for @grpojs/model's quantized Conv1D layers
// (native/napi/nf4.cc; the math is in kernels/nf4.h): NF4 (with or without double-quantized block scales)
// and row-wise int8. Registered on the module's exports by accel.cc's Init.
#pragma once
#include <napi.h>

namespace grpojs {
void InitNf4(Napi::Env env, Napi::Object exports);
}  // namespace grpojs
