// Proxy fences (sm_90+): ordering generic-proxy shared-memory accesses before async-proxy
// ones (TMA writes).
#ifndef KTCONV_DETAILS_CUDA_ARCH_FENCE_HPP
#define KTCONV_DETAILS_CUDA_ARCH_FENCE_HPP

#include <ktconv/details/cuda/arch/KTConv_ArchFeatures.hpp>

#include <Kokkos_Core.hpp>

#if defined(KOKKOS_ENABLE_CUDA)

namespace ktconv::Details
{

// Orders this thread's generic-proxy shared-memory accesses, and those of other threads that
// happen before them, before its later async-proxy ones (TMA writes into a reused stage).
KOKKOS_FORCEINLINE_FUNCTION void fence_proxy_async()
{
#if defined(KTCONV_DEVICE_HAS_TMA)
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
#endif
}

} // namespace ktconv::Details

#endif // KOKKOS_ENABLE_CUDA

#endif
