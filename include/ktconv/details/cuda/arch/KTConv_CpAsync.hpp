// cp.async (sm_80+): asynchronous global -> shared copies of 4 and 16 bytes, their commit
// groups and waits. The next chunk's data lands in shared memory while the current one is
// computed, without passing through registers.
#ifndef KTCONV_DETAILS_CUDA_ARCH_CP_ASYNC_HPP
#define KTCONV_DETAILS_CUDA_ARCH_CP_ASYNC_HPP

#include <Kokkos_Core.hpp>

#if defined(KOKKOS_ENABLE_CUDA)

namespace ktconv::Details
{

// A copy whose `valid` is false writes zero (the source is not read).
KOKKOS_FORCEINLINE_FUNCTION void copy_async_4(float *shared_dst, float const *global_src, bool valid)
{
  KOKKOS_IF_ON_DEVICE(
      (unsigned const d = static_cast<unsigned>(__cvta_generic_to_shared(shared_dst));
       asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(d), "l"(global_src), "r"(valid ? 4 : 0));))
  KOKKOS_IF_ON_HOST((*shared_dst = valid ? *global_src : 0.f;))
}
// 16-byte variant (both addresses 16-byte aligned); copies `bytes` (0..16) and zero-fills the rest.
KOKKOS_FORCEINLINE_FUNCTION void copy_async_16(float *shared_dst, float const *global_src, int bytes)
{
  KOKKOS_IF_ON_DEVICE((unsigned const d = static_cast<unsigned>(__cvta_generic_to_shared(shared_dst)); asm volatile(
                           "cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(d), "l"(global_src), "r"(bytes));))
  KOKKOS_IF_ON_HOST((for (int i = 0; i < 4; ++i) shared_dst[i] = 4 * i < bytes ? global_src[i] : 0.f;))
}
// Closes this thread's group of copies issued since the last commit.
KOKKOS_FORCEINLINE_FUNCTION void copy_async_commit()
{
  KOKKOS_IF_ON_DEVICE((asm volatile("cp.async.commit_group;\n" ::);))
}
// Waits until at most Pending of this thread's committed groups are still in flight.
template <int Pending>
KOKKOS_FORCEINLINE_FUNCTION void copy_async_wait()
{
  KOKKOS_IF_ON_DEVICE((asm volatile("cp.async.wait_group %0;\n" ::"n"(Pending));))
}

} // namespace ktconv::Details

#endif // KOKKOS_ENABLE_CUDA

#endif
