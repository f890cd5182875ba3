// The N-API bindings of the training attention kernels (native/napi/attention.cc; the math is in
// kernels/attention.h): the masked softmax and the split of the fused q|k|v projection into heads.
// Registered on the exports by accel.cc's Init.
#pragma once
#include <napi.h>

namespace grpojs {
void InitAttention(Napi::Env env, Napi::Object exports);
}  // namespace grpojs
