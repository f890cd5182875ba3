// Checked views into the ArrayBuffers JS hands to the kernels: the wasm heap (a tensor's bytes at
// its heap offset) or a cpu-backend tensor's own buffer. Every kernel takes its tensors as
// { buffer, byteOffset } regions (napi-options.h's RegionOpt) and must not read or write past the
// buffer, so one check serves them all.
#pragma once

#include <napi.h>

#include <cmath>
#include <cstdint>
#include <string>

namespace grpojs {

// `count` elements of T starting `offset` bytes into the ArrayBuffer `buffer`. Throws a TypeError
// when `buffer` is not an ArrayBuffer and a RangeError when the region does not fit in it or the
// offset is not a multiple of sizeof(T), naming the field as "where: options.name" (joined only then:
// a kernel call on the success path allocates no message).
template <typename T>
T* BufferRegion(const Napi::Env& env, const Napi::Value& buffer, const Napi::Value& offset, double count, const std::string& where,
                const char* name) {
  if (!buffer.IsArrayBuffer()) throw Napi::TypeError::New(env, where + ": options." + name + ": expected an ArrayBuffer");
  Napi::ArrayBuffer ab = buffer.As<Napi::ArrayBuffer>();
  constexpr double kBytes = sizeof(T);
  const double byteOffset = offset.As<Napi::Number>().DoubleValue();
  const double byteLength = static_cast<double>(ab.ByteLength());
  // `count` comes from the caller's sizes: a negative or NaN one (a product of bad sizes) is refused
  // rather than passing the fit test.
  if (!(count >= 0) || !(byteOffset >= 0) || std::fmod(byteOffset, kBytes) != 0 || byteOffset + kBytes * count > byteLength) {
    throw Napi::RangeError::New(env, where + ": options." + name + ": region of " + std::to_string(static_cast<int64_t>(count)) + " " +
                                         std::to_string(sizeof(T)) + "-byte values at byte " +
                                         std::to_string(static_cast<int64_t>(byteOffset)) + " does not fit in a buffer of " +
                                         std::to_string(static_cast<int64_t>(byteLength)) + " bytes (or is misaligned)");
  }
  return reinterpret_cast<T*>(static_cast<uint8_t*>(ab.Data()) + static_cast<size_t>(byteOffset));
}

}  // namespace grpojs
