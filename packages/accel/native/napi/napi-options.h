// Reading a named options object ({ layer: 0, weight: Float32Array, … }) in the addon's N-API
// bindings: every field is looked up by name and a missing or ill-typed one throws a TypeError
// (a RangeError for a wrong size) naming `where` and the field, so a call site reads like its
// TypeScript declaration and no argument can be passed in the wrong position.
#pragma once

#include <napi.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "napi-region.h"

namespace grpojs {

inline Napi::Object OptionsArg(const Napi::CallbackInfo& info, const std::string& where) {
  if (info.Length() != 1 || !info[0].IsObject()) throw Napi::TypeError::New(info.Env(), where + ": expected one options object");
  return info[0].As<Napi::Object>();
}

inline double NumberOpt(const Napi::Object& o, const char* name, const std::string& where) {
  const Napi::Value v = o.Get(name);
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), where + ": options." + name + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

inline int IntOpt(const Napi::Object& o, const char* name, const std::string& where) {
  const double d = NumberOpt(o, name, where);
  if (d != static_cast<double>(static_cast<int32_t>(d))) throw Napi::TypeError::New(o.Env(), where + ": options." + name + " must be an int32");
  return static_cast<int>(d);
}

// An integer field in [min, 2^53] (a size or count).
inline int64_t SizeOpt(const Napi::Object& o, const char* name, int64_t min, const std::string& where) {
  const double d = NumberOpt(o, name, where);
  if (!(d >= static_cast<double>(min)) || d != std::floor(d) || d > 9007199254740992.0) {
    throw Napi::RangeError::New(o.Env(), where + ": options." + name + " must be an integer >= " + std::to_string(min));
  }
  return static_cast<int64_t>(d);
}

inline bool BoolOpt(const Napi::Object& o, const char* name, bool fallback) {
  const Napi::Value v = o.Get(name);
  return v.IsBoolean() ? v.As<Napi::Boolean>().Value() : fallback;
}

inline std::string StringOpt(const Napi::Object& o, const char* name, const std::string& where) {
  const Napi::Value v = o.Get(name);
  if (!v.IsString()) throw Napi::TypeError::New(o.Env(), where + ": options." + name + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

// A typed array field of element type T (napi type `kind`) holding exactly `count` elements
// (count < 0: any length, returned in *length).
template <typename T>
T* ArrayOpt(const Napi::Object& o, const char* name, napi_typedarray_type kind, const char* kindName, int64_t count,
            const std::string& where, size_t* length = nullptr) {
  const Napi::Value v = o.Get(name);
  // One napi_get_typedarray_info call gives the type, length and first element (a call per
  // accessor would be four).
  napi_typedarray_type type = napi_int8_array;
  size_t n = 0;
  void* data = nullptr;
  if (!v.IsTypedArray() || napi_get_typedarray_info(o.Env(), v, &type, &n, &data, nullptr, nullptr) != napi_ok || type != kind) {
    throw Napi::TypeError::New(o.Env(), where + ": options." + name + " must be a " + kindName);
  }
  if (count >= 0 && n != static_cast<size_t>(count)) {
    throw Napi::RangeError::New(o.Env(), where + ": options." + name + " has " + std::to_string(n) + " values; expected " + std::to_string(count));
  }
  if (length != nullptr) *length = n;
  return static_cast<T*>(data);
}

inline float* FloatsOpt(const Napi::Object& o, const char* name, int64_t count, const std::string& where) {
  return ArrayOpt<float>(o, name, napi_float32_array, "Float32Array", count, where);
}

inline int32_t* IntsOpt(const Napi::Object& o, const char* name, int64_t count, const std::string& where) {
  return ArrayOpt<int32_t>(o, name, napi_int32_array, "Int32Array", count, where);
}

// A tensor's memory as a region field { buffer: ArrayBuffer, byteOffset } (the wasm heap at the
// tensor's offset, or a cpu-backend tensor's own buffer) holding `count` values of T, checked by
// napi-region.h's BufferRegion (nothing is copied). `optional`: null or undefined gives nullptr.
template <typename T>
T* RegionOpt(const Napi::Object& o, const char* name, double count, const std::string& where, bool optional = false) {
  const Napi::Value v = o.Get(name);
  if (optional && (v.IsNull() || v.IsUndefined())) return nullptr;
  if (!v.IsObject()) throw Napi::TypeError::New(o.Env(), where + ": options." + name + " must be a { buffer, byteOffset } region");
  const Napi::Object r = v.As<Napi::Object>();
  const Napi::Value offset = r.Get("byteOffset");
  if (!offset.IsNumber()) throw Napi::TypeError::New(o.Env(), where + ": options." + name + ".byteOffset must be a number");
  return BufferRegion<T>(o.Env(), r.Get("buffer"), offset, count, where, name);
}

}  // namespace grpojs
