// The N-API binding (native/napi/llama-decode.cc) of the Llama-family decode engine
// (kernels/llama-decode-engine.h: Llama, Qwen2, Qwen3 as flags) and the N-API bindings of its math
// kernels for tests (native/napi/llama-kernels.cc).
// Registered on the exports as the class `LlamaDecodeEngine` and the object `llamaKernels` by
// accel.cc's Init.
#pragma once
#include <napi.h>

#include <string>

#include "../kernels/rotary.h"

namespace grpojs {
void InitLlamaDecode(Napi::Env env, Napi::Object exports);
void InitLlamaKernels(Napi::Env env, Napi::Object exports);

// options.ropeScaling: null/undefined (no scaling) or { factor, lowFreqFactor, highFreqFactor,
// originalMaxPositionEmbeddings } (Llama 3).
RopeScaling RopeScalingOpt(const Napi::Object& options, const std::string& where);
}  // namespace grpojs
