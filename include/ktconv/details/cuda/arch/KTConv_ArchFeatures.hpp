// What the device code being compiled has, for the CUDA tiled kernel: KTCONV_UNROLL (a
// #pragma unroll on device), KTCONV_DEVICE_HAS_TMA (sm_90+: TMA, mbarrier transaction
// counts), KTCONV_DEVICE_HAS_WGMMA (sm_90a code: warpgroup MMA), and shared_address (the
// shared-memory address PTX instructions take).
#ifndef KTCONV_DETAILS_CUDA_ARCH_FEATURES_HPP
#define KTCONV_DETAILS_CUDA_ARCH_FEATURES_HPP

#include <Kokkos_Core.hpp>

#if defined(KOKKOS_ENABLE_CUDA)

// Unrolled loops keep the accumulator and window arrays in registers (compile-time indices).
#if defined(__CUDA_ARCH__)
#define KTCONV_UNROLL _Pragma("unroll")
#else
#define KTCONV_UNROLL
#endif

// Tensor Memory Accelerator and mbarrier transaction counts (sm_90+). Where absent, the TMA
// wrappers compile to traps (the launch never selects the TMA kernels there).
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
#define KTCONV_DEVICE_HAS_TMA 1
#endif

// wgmma exists in sm_90a code only. The library's own kernels are compiled for sm_90a beside
// Kokkos' sm_90 (CMake option KTCONV_ENABLE_SM90A, which also defines KTCONV_COMPILES_SM90A for
// them, the condition under which the TF32 launch picks the wgmma loop: Tf32Mainloop), and the
// driver runs the sm_90a code on CC 9.0 devices. The sm_90 copy of the same kernel runs the
// same loop with mma.sync on the same scratch layout (KTCONV_DISABLE_WGMMA forces that path in
// sm_90a code too, to test it).
#if defined(__CUDA_ARCH_FEAT_SM90_ALL) && !defined(KTCONV_DISABLE_WGMMA)
#define KTCONV_DEVICE_HAS_WGMMA 1
#endif

namespace ktconv::Details
{

// The shared-memory (state space) address of a generic pointer into shared memory.
KOKKOS_FORCEINLINE_FUNCTION unsigned shared_address(void const *p)
{
  KOKKOS_IF_ON_DEVICE((return static_cast<unsigned>(__cvta_generic_to_shared(p));))
  KOKKOS_IF_ON_HOST(((void)p; return 0u;))
}

} // namespace ktconv::Details

#endif // KOKKOS_ENABLE_CUDA

#endif
