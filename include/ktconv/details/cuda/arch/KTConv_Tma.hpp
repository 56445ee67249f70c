// Tensor Memory Accelerator copies (sm_90+): a 5-D box of a tensor map, and a contiguous bulk
// copy, into shared memory, each completing on an mbarrier by bytes. Traps where compiled for
// an older architecture (the launch never selects the TMA kernels there).
#ifndef KTCONV_DETAILS_CUDA_ARCH_TMA_HPP
#define KTCONV_DETAILS_CUDA_ARCH_TMA_HPP

#include <ktconv/details/cuda/arch/KTConv_ArchFeatures.hpp>

#include <Kokkos_Core.hpp>

#include <cstdint>

#if defined(KOKKOS_ENABLE_CUDA)

namespace ktconv::Details
{

// The box at coordinates (c0, ..., c4) of the tensor map `map` (a CUtensorMap in global,
// constant or parameter memory) copied to `dst`, completing on `bar`.
KOKKOS_FORCEINLINE_FUNCTION void tma_load_5d(float *dst, void const *map, std::uint64_t *bar, int c0, int c1, int c2,
                                             int c3, int c4)
{
#if defined(KTCONV_DEVICE_HAS_TMA)
  asm volatile("cp.async.bulk.tensor.5d.shared::cluster.global.tile.mbarrier::complete_tx::bytes"
               " [%0], [%1, {%2, %3, %4, %5, %6}], [%7];\n" ::"r"(shared_address(dst)),
               "l"(map), "r"(c0), "r"(c1), "r"(c2), "r"(c3), "r"(c4), "r"(shared_address(bar))
               : "memory");
#else
  (void)dst, (void)map, (void)bar, (void)c0, (void)c1, (void)c2, (void)c3, (void)c4;
  KOKKOS_IF_ON_DEVICE((__trap();))
#endif
}
// `bytes` (a multiple of 16; both addresses 16-byte aligned) copied contiguously to shared
// memory by the TMA unit, completing on an mbarrier like the boxes.
KOKKOS_FORCEINLINE_FUNCTION void bulk_load(float *dst, float const *src, unsigned bytes, std::uint64_t *bar)
{
#if defined(KTCONV_DEVICE_HAS_TMA)
  asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];\n" ::"r"(
                   shared_address(dst)),
               "l"(src), "r"(bytes), "r"(shared_address(bar))
               : "memory");
#else
  (void)dst, (void)src, (void)bytes, (void)bar;
  KOKKOS_IF_ON_DEVICE((__trap();))
#endif
}

} // namespace ktconv::Details

#endif // KOKKOS_ENABLE_CUDA

#endif
