// Warp-level tensor-core MMA (mma.sync m16n8k8, TF32 in, fp32 accumulate; sm_80+), and the
// TF32 rounding of an fp32 value that the 3xTF32 split uses.
#ifndef KTCONV_DETAILS_CUDA_ARCH_MMA_SYNC_HPP
#define KTCONV_DETAILS_CUDA_ARCH_MMA_SYNC_HPP

#include <Kokkos_Core.hpp>

#if defined(KOKKOS_ENABLE_CUDA)

namespace ktconv::Details
{

// TF32 keeps the top 19 bits of an fp32 value. Tensor cores ignore the low 13 bits of their
// operands (truncation, as cuBLAS/cuDNN feed fp32 data); masking them explicitly makes the
// split exact: x = big + small with big = tf32(x) and small = x - big exactly representable.
KOKKOS_FORCEINLINE_FUNCTION unsigned tf32_bits(float f)
{
  return Kokkos::bit_cast<unsigned>(f) & 0xffffe000u;
}

// d += a * b for one m16n8k8 tile: a is the warp's A fragment (4 TF32 registers), b its B
// fragment (2), d its accumulator fragment (4 floats).
KOKKOS_FORCEINLINE_FUNCTION void mma_tf32(float (&d)[4], unsigned const (&a)[4], unsigned const (&b)[2])
{
  KOKKOS_IF_ON_DEVICE((asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 "
                                    "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                                    : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                                    : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));))
  KOKKOS_IF_ON_HOST(((void)d; (void)a; (void)b;))
}

} // namespace ktconv::Details

#endif // KOKKOS_ENABLE_CUDA

#endif
