// The N-API binding (native/napi/decode.cc) of the GPT-2 decode engine (kernels/gpt2-decode-engine.h):
// one decode step (embedding, every block, final LayerNorm, LM head) on weights packed in native
// memory, for GRPO rollouts. Registered on the exports as the class `DecodeEngine` by accel.cc's Init.
#pragma once
#include <napi.h>

namespace grpojs {
void InitDecode(Napi::Env env, Napi::Object exports);
}  // namespace grpojs
