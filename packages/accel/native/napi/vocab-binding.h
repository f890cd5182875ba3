// The N-API bindings of the vocab-sized kernels (native/napi/vocab.cc; the math is in kernels/vocab.h).
// Registered on the module's exports by accel.cc's Init.
#pragma once
#include <napi.h>

namespace grpojs {
void InitVocab(Napi::Env env, Napi::Object exports);
}  // namespace grpojs
