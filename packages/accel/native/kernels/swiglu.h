// SwiGLU's gate (Llama's MLP): out = silu(gate) · up = gate · sigmoid(gate) · up. Binding-free;
// exp is fast-exp.h's vectorisable FastExp (relative error < 2e-7).
#pragma once

#include "../cpu.h"
#include "fast-exp.h"

namespace grpojs {

// gate, up, out [n] (out may alias either).
GRPOJS_INLINE void SwiGlu(const float* gate, const float* up, int n, float* out) {
  for (int i = 0; i < n; ++i) {
    const float g = gate[i];
    out[i] = g * (1.0f / (1.0f + FastExp(-g))) * up[i];
  }
}

// The gradient of out = silu(gate) · up: with s = sigmoid(gate), dup = dy · gate · s and
// dgate = dy · up · s · (1 + gate · (1 − s)). All arrays [n].
GRPOJS_INLINE void SwiGluBackward(const float* gate, const float* up, const float* dy, int n, float* dgate, float* dup) {
  for (int i = 0; i < n; ++i) {
    const float g = gate[i];
    const float s = 1.0f / (1.0f + FastExp(-g));
    dup[i] = dy[i] * (g * s);
    dgate[i] = dy[i] * up[i] * (s * (1.0f + g * (1.0f - s)));
  }
}

}  // namespace grpojs
