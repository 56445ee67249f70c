// mbarrier (sm_90+): initialisation, arming a phase with an expected byte count (the TMA
// copies complete it), and waiting for a phase by parity.
#ifndef KTCONV_DETAILS_CUDA_ARCH_MBARRIER_HPP
#define KTCONV_DETAILS_CUDA_ARCH_MBARRIER_HPP

#include <ktconv/details/cuda/arch/KTConv_ArchFeatures.hpp>

#include <Kokkos_Core.hpp>

#include <cstdint>

#if defined(KOKKOS_ENABLE_CUDA)

namespace ktconv::Details
{

// Initialises the barrier for `count` arrivals and makes that visible to the async proxy.
KOKKOS_FORCEINLINE_FUNCTION void mbarrier_init(std::uint64_t *bar, unsigned count)
{
#if defined(KTCONV_DEVICE_HAS_TMA)
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(shared_address(bar)), "r"(count) : "memory");
  asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
#else
  (void)bar;
  (void)count;
#endif
}
// Arms the barrier for one phase that completes when `bytes` have landed.
KOKKOS_FORCEINLINE_FUNCTION void mbarrier_expect_bytes(std::uint64_t *bar, unsigned bytes)
{
#if defined(KTCONV_DEVICE_HAS_TMA)
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(shared_address(bar)), "r"(bytes)
               : "memory");
#else
  (void)bar;
  (void)bytes;
#endif
}
// Waits until the barrier's phase with the given parity has completed.
KOKKOS_FORCEINLINE_FUNCTION void mbarrier_wait(std::uint64_t *bar, unsigned parity)
{
#if defined(KTCONV_DEVICE_HAS_TMA)
  asm volatile("{\n"
               ".reg .pred done;\n"
               "wait_again:\n"
               "mbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n"
               "@!done bra wait_again;\n"
               "}\n" ::"r"(shared_address(bar)),
               "r"(parity)
               : "memory");
#else
  (void)bar;
  (void)parity;
#endif
}

} // namespace ktconv::Details

#endif // KOKKOS_ENABLE_CUDA

#endif
