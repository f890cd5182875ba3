// Vocab-sized kernels of the addon (native/vocab.cc): the fused log-softmax + gather of the
// log-probs and its gradient. Registered on the module's exports by accel.cc's Init.
#pragma once
#include <napi.h>

namespace grpojs {
void InitVocab(Napi::Env env, Napi::Object exports);
}  // namespace grpojs
