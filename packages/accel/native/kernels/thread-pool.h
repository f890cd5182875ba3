// A small persistent thread pool for the addon's training-step kernels (batched attention matmuls,
// gelu_new, the vocab log-softmax). Those run one after another from the JS thread, each a few
// milliseconds; starting threads per call would cost more than it saves. The decode engines
// (decode-engine-base.h) own an instance each, sized by their `threads` option.
//
// Work is split into items handed out from a shared counter (a descheduled thread's share is
// taken by the other on this shared machine), and what an item computes never depends on which
// thread takes it: 1 and N threads give bit-identical results.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "../cpu.h"

namespace grpojs {

class KernelPool {
 public:
  // `spinMicros`: how long an idle worker (and a caller waiting for the workers) spins before
  // sleeping on a condition variable.
  explicit KernelPool(int threads, int spinMicros = 50) : size_(std::max(1, threads)), spin_(spinMicros) {
    for (int t = 1; t < size_; ++t) workers_.emplace_back([this, t] { Loop(t); });
  }
  ~KernelPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
      state_.store(((state_.load() >> 8) + 1) << 8);
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
  }
  KernelPool(const KernelPool&) = delete;
  KernelPool& operator=(const KernelPool&) = delete;

  int size() const { return size_; }

  // Calls fn(lo, hi) on runs [lo, hi) of [0, n), `per` items at a time, on up to size() threads
  // (the caller is one). Returns when all are done. A second caller while a run is in flight (two
  // worker_threads using the addon) does its whole range itself, which gives the same results.
  template <class F>
  void For(int64_t n, int64_t per, F&& fn) {
    ForIndexed(n, per, [&](int64_t lo, int64_t hi, int) { fn(lo, hi); });
  }

  // For, with fn(lo, hi, thread): `thread` in [0, size()) is the calling thread's index (0 = the
  // caller), for per-thread scratch; no two threads of one run share an index. A second caller
  // while a run is in flight runs its whole range as index 0 too, so scratch indexed by `thread`
  // must belong to the caller (the decode engines: one pool and one scratch set per engine, which
  // one JS thread drives); the shared Kernels() pool is used through For only.
  template <class F>
  void ForIndexed(int64_t n, int64_t per, F&& fn) {
    per = std::max<int64_t>(1, per);
    std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
    if (size_ == 1 || n <= per || !busy.owns_lock()) {
      for (int64_t lo = 0; lo < n; lo += per) fn(lo, std::min(n, lo + per), 0);
      return;
    }
    std::atomic<int64_t> next{0};
    auto body = [&](int thread) {
      for (;;) {
        const int64_t lo = next.fetch_add(per, std::memory_order_relaxed);
        if (lo >= n) return;
        fn(lo, std::min(n, lo + per), thread);
      }
    };
    const int helpers = static_cast<int>(std::min<int64_t>(size_ - 1, (n + per - 1) / per - 1));
    task_ = [](void* f, int thread) { (*static_cast<decltype(body)*>(f))(thread); };
    arg_ = &body;
    pending_.store(helpers);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      // One word holds the generation and how many helpers it wants, read by a worker in one load.
      state_.store(((state_.load() >> 8) + 1) << 8 | static_cast<uint64_t>(helpers));
    }
    wake_.notify_all();
    body(0);
    if (!SpinUntil([this] { return pending_.load() == 0; })) {
      std::unique_lock<std::mutex> lock(mutex_);
      done_.wait(lock, [this] { return pending_.load() == 0; });
    }
  }

 private:
  template <class P>
  bool SpinUntil(P ready) const {
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(spin_);
    for (int i = 0;; ++i) {
      if (ready()) return true;
      if ((i & 63) == 63 && std::chrono::steady_clock::now() > until) return false;
      GRPOJS_CPU_PAUSE();
    }
  }

  void Loop(int index) {
    uint64_t seen = 0;
    for (;;) {
      if (!SpinUntil([&] { return (state_.load() >> 8) != seen; })) {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return (state_.load() >> 8) != seen; });
      }
      const uint64_t state = state_.load();
      seen = state >> 8;
      if (stop_) return;
      if (static_cast<uint64_t>(index) > (state & 0xff)) continue;  // fewer items than threads: sit out
      task_(arg_, index);
      if (pending_.fetch_sub(1) == 1) {
        std::lock_guard<std::mutex> lock(mutex_);
        done_.notify_one();
      }
    }
  }

  const int size_;
  const int spin_;
  std::vector<std::thread> workers_;
  std::mutex busy_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  std::atomic<uint64_t> state_{0};  // generation << 8 | helpers wanted (< 64)
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  void (*task_)(void*, int) = nullptr;
  void* arg_ = nullptr;
};

// The addon's shared pool: the CPU count capped at 4 (the kernels are memory- or small-GEMM-bound;
// more threads add wake-up cost) until SetKernelThreads replaces it (1 turns the splitting off; the
// JS side passes its runtime option, the environment is read there). The slot is shared by every
// JS thread of the process (worker_threads load the same addon), so it is guarded by a mutex and
// handed out as a shared_ptr: a pool replaced while another thread runs on it lives until that
// run ends, and its workers are joined by whoever lets go of it last.
inline int DefaultKernelThreads() {
  return static_cast<int>(std::min(4u, std::max(1u, std::thread::hardware_concurrency())));
}

inline std::mutex& KernelPoolMutex() {
  static std::mutex mutex;
  return mutex;
}

inline std::shared_ptr<KernelPool>& KernelPoolSlot() {
  static std::shared_ptr<KernelPool> pool;
  return pool;
}

// The pool to run on, kept alive by the returned pointer (`Kernels()->For(...)` holds it for the
// whole call).
inline std::shared_ptr<KernelPool> Kernels() {
  std::lock_guard<std::mutex> lock(KernelPoolMutex());
  auto& pool = KernelPoolSlot();
  if (!pool) pool = std::make_shared<KernelPool>(DefaultKernelThreads());
  return pool;
}

// Sets the pool's size (n > 0) and returns the size in effect.
inline int SetKernelThreads(int n) {
  std::shared_ptr<KernelPool> replaced;  // released after the lock: its destructor joins threads
  std::lock_guard<std::mutex> lock(KernelPoolMutex());
  auto& pool = KernelPoolSlot();
  if (n > 0 && (!pool || pool->size() != std::min(n, 64))) {
    replaced = std::move(pool);
    pool = std::make_shared<KernelPool>(std::min(n, 64));
  }
  if (!pool) pool = std::make_shared<KernelPool>(DefaultKernelThreads());
  return pool->size();
}

}  // namespace grpojs
