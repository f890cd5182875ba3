// The decode engines' KV cache layout: one layer holds [rows · heads, capacity, headDim] floats,
// the layers one after another. Binding-free.
#pragma once

#include <cstddef>
#include <cstring>

namespace grpojs {

// Copies the first `length` positions of one layer of a prefill cache laid out
// [rowHeads, srcCapacity, headDim] into layer `layer` of an engine cache of `capacity` positions.
inline void CopyLayerIntoKvCache(const float* srcKeys, const float* srcValues, int layer, int rowHeads, int srcCapacity,
                                 int capacity, int headDim, int length, float* keys, float* values) {
  const size_t bytes = sizeof(float) * static_cast<size_t>(length) * headDim;
  for (int rh = 0; rh < rowHeads; ++rh) {
    const size_t src = static_cast<size_t>(rh) * srcCapacity * headDim;
    const size_t dst = (static_cast<size_t>(layer) * rowHeads + rh) * capacity * headDim;
    std::memcpy(keys + dst, srcKeys + src, bytes);
    std::memcpy(values + dst, srcValues + src, bytes);
  }
}

}  // namespace grpojs
