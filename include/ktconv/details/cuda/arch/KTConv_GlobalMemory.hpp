// Global-memory accesses with a cache policy: a float4 load through the read-only path
// (ld.global.nc) and streaming stores (st.global.cs, evict-first).
#ifndef KTCONV_DETAILS_CUDA_ARCH_GLOBAL_MEMORY_HPP
#define KTCONV_DETAILS_CUDA_ARCH_GLOBAL_MEMORY_HPP

#include <Kokkos_Core.hpp>

#if defined(KOKKOS_ENABLE_CUDA)

namespace ktconv::Details
{

// A float4 of weights packed in global memory (16-byte aligned), through the read-only path:
// the packed weights are written by an earlier kernel on the stream and only read here.
KOKKOS_FORCEINLINE_FUNCTION float4 load_weights4(float const *p)
{
  KOKKOS_IF_ON_DEVICE((return __ldg(reinterpret_cast<float4 const *>(p));))
  KOKKOS_IF_ON_HOST((return *reinterpret_cast<float4 const *>(p);))
}

// A store of data written once and not read again by this kernel (evict-first).
template <class V>
KOKKOS_FORCEINLINE_FUNCTION void store_streaming(V *dst, V const &v)
{
  KOKKOS_IF_ON_DEVICE((__stcs(dst, v);))
  KOKKOS_IF_ON_HOST((*dst = v;))
}

} // namespace ktconv::Details

#endif // KOKKOS_ENABLE_CUDA

#endif
