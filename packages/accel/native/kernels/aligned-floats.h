// AlignedFloats: a zero-filled float buffer aligned to 64 bytes, outside the JS heap, for the
// decode engines' panels, KV caches and step scratch. Binding-free.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

namespace grpojs {

// A zero-filled float buffer aligned to 64 bytes, outside the JS heap: panels (the AVX2 tiles and
// DecodeNf4PanelAvx2 use aligned loads and stores; a panel is in·32 bytes, so every panel of an
// aligned buffer starts aligned), KV caches and step scratch.
class AlignedFloats {
 public:
  AlignedFloats() = default;
  AlignedFloats(const AlignedFloats&) = delete;
  AlignedFloats& operator=(const AlignedFloats&) = delete;
  AlignedFloats(AlignedFloats&& o) noexcept : p_(o.p_), n_(o.n_), held_(o.held_) { o.p_ = nullptr, o.n_ = o.held_ = 0; }
  AlignedFloats& operator=(AlignedFloats&& o) noexcept {
    std::swap(p_, o.p_), std::swap(n_, o.n_), std::swap(held_, o.held_);
    return *this;
  }
  ~AlignedFloats() { std::free(p_); }
  // n zeros (n = 0 frees the buffer).
  void Reset(size_t n) {
    std::free(p_);
    p_ = nullptr;
    n_ = held_ = 0;
    if (n == 0) return;
    const size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
    p_ = static_cast<float*>(std::aligned_alloc(64, bytes));
    if (p_ == nullptr) throw std::bad_alloc();
    std::memset(p_, 0, bytes);
    n_ = held_ = n;
  }
  // n floats whose contents the caller overwrites before reading: the allocation is kept when it
  // is large enough (no fresh pages to fault in, no zeroing; a KV cache per rollout).
  void Reuse(size_t n) {
    if (n == 0 || n > held_) {
      Reset(n);
      return;
    }
    n_ = n;
  }
  // A copy of src[0, n).
  void Assign(const float* src, size_t n) {
    Reset(n);
    if (n > 0) std::memcpy(p_, src, n * sizeof(float));
  }
  float* data() const { return p_; }
  size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }

 private:
  float* p_ = nullptr;
  size_t n_ = 0;
  size_t held_ = 0;
};

}  // namespace grpojs
