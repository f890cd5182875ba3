// The column-gather kernel of the addon (native/gather.cc). Registered on the exports by accel.cc's Init.
#pragma once
#include <napi.h>

namespace grpojs {
void InitGather(Napi::Env env, Napi::Object exports);
}  // namespace grpojs
