// CPU features the addon's kernels dispatch on at run time. The build targets the baseline ISA
// (SSE2 on x86-64) so that one binary runs everywhere; a kernel compiled a second time for AVX2 is
// chosen here once, after __builtin_cpu_init (required before __builtin_cpu_supports when called
// from a static initializer or another library's constructor). Non-x86 builds take the portable loops.
#pragma once

#if defined(__x86_64__) || defined(__i386__)
#define GRPOJS_X86 1
// A function compiled for AVX2 (+FMA available): the binding-free loops of native/math inline into it.
#define GRPOJS_TARGET_AVX2 __attribute__((target("avx2,fma")))
#else
#define GRPOJS_X86 0
#define GRPOJS_TARGET_AVX2
#endif

// Forces a header kernel into its caller, so that an AVX2-target caller compiles it for AVX2.
#if defined(__GNUC__)
#define GRPOJS_INLINE inline __attribute__((always_inline))
#else
#define GRPOJS_INLINE inline
#endif

namespace grpojs {

// True when the CPU has AVX2 and FMA (always false off x86).
inline bool CpuHasAvx2() {
#if GRPOJS_X86
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
