// Checked views into the ArrayBuffers JS hands to the kernels: the wasm heap (a tensor's bytes at
// its heap offset) or a cpu-backend tensor's own buffer. Every kernel takes (buffer, byteOffset)
// pairs and must not read or write past the buffer, so one check serves them all.
#pragma once

#include <napi.h>

#include <cmath>
#include <cstdint>
#include <string>

namespace grpojs {

// `count` elements of T starting `offset` bytes into the ArrayBuffer `buffer`. Throws a TypeError
// when `buffer` is not an ArrayBuffer and a RangeError, naming the argument `name`, when the region
// does not fit in it or the offset is not a multiple of sizeof(T).
template <typename T>
T* BufferRegion(const Napi::Env& env, const Napi::Value& buffer, const Napi::Value& offset, double count, const char* name) {
  if (!buffer.IsArrayBuffer()) throw Napi::TypeError::New(env, std::string(name) + ": expected an ArrayBuffer");
  Napi::ArrayBuffer ab = buffer.As<Napi::ArrayBuffer>();
  constexpr double kBytes = sizeof(T);
  const double byteOffset = offset.As<Napi::Number>().DoubleValue();
  const double byteLength = static_cast<double>(ab.ByteLength());
  if (!(byteOffset >= 0) || std::fmod(byteOffset, kBytes) != 0 || byteOffset + kBytes * count > byteLength) {
    throw Napi::RangeError::New(env, std::string(name) + ": region of " + std::to_string(static_cast<int64_t>(count)) + " " +
                                         std::to_string(sizeof(T)) + "-byte values at byte " +
                                         std::to_string(static_cast<int64_t>(byteOffset)) + " does not fit in a buffer of " +
                                         std::to_string(static_cast<int64_t>(byteLength)) + " bytes (or is misaligned)");
  }
  return reinterpret_cast<T*>(static_cast<uint8_t*>(ab.Data()) + static_cast<size_t>(byteOffset));
}

// The float32 case, which most kernels need.
inline float* FloatRegion(const Napi::Env& env, const Napi::Value& buffer, const Napi::Value& offset, double count,
                          const char* name) {
  return BufferRegion<float>(env, buffer, offset, count, name);
}

}  // namespace grpojs
