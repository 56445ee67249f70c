// Named CTA barriers (bar.arrive, bar.sync): a subset of a team's warps synchronising without
// the whole-team barrier.
#ifndef KTCONV_DETAILS_CUDA_ARCH_NAMED_BARRIER_HPP
#define KTCONV_DETAILS_CUDA_ARCH_NAMED_BARRIER_HPP

#include <Kokkos_Core.hpp>

#if defined(KOKKOS_ENABLE_CUDA)

namespace ktconv::Details
{

// Named CTA barriers (ids 1..15; 0 is __syncthreads, Kokkos' team barrier) over `threads`
// threads, whole warps, each warp executing one of the two: arrive (and go on), or arrive and
// wait until all have arrived. When the barrier completes, each participant's earlier memory
// accesses are performed relative to all participants (PTX ISA, barrier{.cta}), so one waiter
// is ordered after everything the arrivers did before arriving.
KOKKOS_FORCEINLINE_FUNCTION void named_barrier_arrive(int id, int threads)
{
  KOKKOS_IF_ON_DEVICE((asm volatile("bar.arrive %0, %1;\n" ::"r"(id), "r"(threads) : "memory");))
  KOKKOS_IF_ON_HOST(((void)id, (void)threads;))
}
KOKKOS_FORCEINLINE_FUNCTION void named_barrier_sync(int id, int threads)
{
  KOKKOS_IF_ON_DEVICE((asm volatile("bar.sync %0, %1;\n" ::"r"(id), "r"(threads) : "memory");))
  KOKKOS_IF_ON_HOST(((void)id, (void)threads;))
}

} // namespace ktconv::Details

#endif // KOKKOS_ENABLE_CUDA

#endif
