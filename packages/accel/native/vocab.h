// The N-API bindings of the vocab-sized kernels (native/vocab.cc; the math is in math/vocab.h).
// Registered on the module's exports by accel.cc's Init.
#pragma once
#include <napi.h>

namespace grpojs {
void InitVocab(Napi::Env env, Napi::Object exports);
}  // namespace grpojs
