// Warpgroup MMA (wgmma, sm_90a code only: KTCONV_DEVICE_HAS_WGMMA): the shared-memory matrix
// descriptor of an unswizzled K-major B tile, wgmma.mma_async m64n32k8 TF32 with A from
// registers, and the fence / commit / wait that bracket a group of them.
#ifndef KTCONV_DETAILS_CUDA_ARCH_WGMMA_HPP
#define KTCONV_DETAILS_CUDA_ARCH_WGMMA_HPP

#include <ktconv/details/cuda/arch/KTConv_ArchFeatures.hpp>

#include <Kokkos_Core.hpp>

#include <cstdint>

#if defined(KOKKOS_ENABLE_CUDA) && defined(KTCONV_DEVICE_HAS_WGMMA)

namespace ktconv::Details
{

// Shared-memory matrix descriptor of a K-major, unswizzled B tile at `b` (16-byte aligned):
// core matrices of 8 x 16 bytes, 128 bytes apart along K and 256 along N.
KOKKOS_FORCEINLINE_FUNCTION std::uint64_t wgmma_b_descriptor(float const *b)
{
  std::uint64_t const address = shared_address(b);
  constexpr std::uint64_t leading = 128 >> 4, stride = 256 >> 4; // bytes between core matrices: K, N
  return ((address & 0x3FFFF) >> 4) | (leading << 16) | (stride << 32);
}
// d += a * B for the warpgroup's m64n32k8 tile: a is this warp's A fragment (the m16n8k8
// layout), B the tile the descriptor `b` points to, d this warp's 4 n-tiles of 8 channels.
KOKKOS_FORCEINLINE_FUNCTION void wgmma_m64n32k8_tf32(float (&d)[4][4], unsigned const (&a)[4], std::uint64_t b)
{
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, 1, 0;\n"
               "wgmma.mma_async.sync.aligned.m64n32k8.f32.tf32.tf32 "
               "{%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15}, {%16,%17,%18,%19}, %20, p, 1, 1;\n}\n"
               : "+f"(d[0][0]), "+f"(d[0][1]), "+f"(d[0][2]), "+f"(d[0][3]), "+f"(d[1][0]), "+f"(d[1][1]),
                 "+f"(d[1][2]), "+f"(d[1][3]), "+f"(d[2][0]), "+f"(d[2][1]), "+f"(d[2][2]), "+f"(d[2][3]),
                 "+f"(d[3][0]), "+f"(d[3][1]), "+f"(d[3][2]), "+f"(d[3][3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b));
}
// Orders the registers' earlier writes (A, accumulators) before the wgmma that read them.
KOKKOS_FORCEINLINE_FUNCTION void wgmma_fence()
{
  asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
}
// Closes the group of wgmma issued since the last commit.
KOKKOS_FORCEINLINE_FUNCTION void wgmma_commit_group()
{
  asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
}
// Waits until at most Pending committed groups are still running.
template <int Pending>
KOKKOS_FORCEINLINE_FUNCTION void wgmma_wait_group()
{
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(Pending) : "memory");
}

} // namespace ktconv::Details

#endif // KOKKOS_ENABLE_CUDA && KTCONV_DEVICE_HAS_WGMMA

#endif
