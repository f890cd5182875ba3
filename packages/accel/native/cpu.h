// CPU features the addon's kernels dispatch on at run time: the one place that asks. The build targets
// the baseline ISA (SSE2 on x86-64) so that one binary runs everywhere; a kernel compiled a second time
// for AVX2 (inside `#if GRPOJS_AVX2`) is chosen by CpuHasAvx2(), which runs __builtin_cpu_init first
// (required before __builtin_cpu_supports when called from a static initializer or another library's
// constructor) and is only called at run time, never from a static initializer.
// Non-x86 builds, and builds with GRPOJS_PORTABLE defined (GRPOJS_ACCEL_PORTABLE=1 at build time, see
// binding.gyp), compile no AVX2 code and take the portable loops.
#pragma once

#if defined(__x86_64__) || defined(_M_X64)
#define GRPOJS_X86 1
#else
#define GRPOJS_X86 0
#endif

// AVX2 code needs GCC's or Clang's target attribute and CPU builtins.
#if GRPOJS_X86 && (defined(__GNUC__) || defined(__clang__)) && !defined(GRPOJS_PORTABLE)
#define GRPOJS_AVX2 1
// A function compiled for AVX2 (+FMA available): the binding-free loops of native/kernels inline into it.
#define GRPOJS_TARGET_AVX2 __attribute__((target("avx2,fma")))
#else
#define GRPOJS_AVX2 0
#endif

// A spin-wait hint (SSE2's PAUSE, baseline on x86-64) for the kernel pool's busy loops.
#if GRPOJS_X86
#include <immintrin.h>
#define GRPOJS_CPU_PAUSE() _mm_pause()
#else
#define GRPOJS_CPU_PAUSE() ((void)0)
#endif

// Forces a header kernel into its caller, so that an AVX2-target caller compiles it for AVX2.
#if defined(__GNUC__)
#define GRPOJS_INLINE inline __attribute__((always_inline))
#else
#define GRPOJS_INLINE inline
#endif

namespace grpojs {

// True when this build has AVX2 kernels and the CPU has AVX2 and FMA (always false off x86 and in a
// GRPOJS_PORTABLE build). Asked once, on first use.
inline bool CpuHasAvx2() {
#if GRPOJS_AVX2
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  return has;
#else
  return false;
#endif
}

}  // namespace grpojs
