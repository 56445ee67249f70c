// Per-call device workspace (the tiled kernel's packed weights, gemm's col and input copy) comes
// from this stream-ordered memory pool, one per device, kept for the process.
#ifndef KTCONV_DETAILS_WORKSPACE_POOL_HPP
#define KTCONV_DETAILS_WORKSPACE_POOL_HPP

#include <Kokkos_Core.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>

#if defined(KOKKOS_ENABLE_CUDA)

namespace ktconv::Details
{

// ktconv's stream-ordered memory pool for per-call workspace, one per device, created on first
// use and kept for the process. Unlike the device's default pool (release threshold 0: memory
// goes back to the driver at every synchronization) it keeps reserved at least 64 MiB, and as
// much as the largest workspace a call asked for (`reserve`; gemm's is bounded by
// Options::workspace_bytes), so steady-state calls do not map memory again. Null where the
// device has no memory pools (then cudaMallocAsync's default pool serves).
inline cudaMemPool_t workspace_pool(int device, std::size_t reserve = 0)
{
  static std::mutex mutex;
  static std::map<int, cudaMemPool_t> pools;
  static std::map<int, std::uint64_t> reserved;
  std::lock_guard<std::mutex> lock(mutex);
  auto const found = pools.find(device);
  if (found != pools.end())
  {
    if (found->second && reserve > reserved[device])
    {
      std::uint64_t threshold = reserve;
      if (cudaMemPoolSetAttribute(found->second, cudaMemPoolAttrReleaseThreshold, &threshold) == cudaSuccess)
        reserved[device] = threshold;
      (void)cudaGetLastError(); // a failure only means memory is mapped again per call
    }
    return found->second;
  }
  cudaMemPool_t pool = nullptr;
  int supported = 0;
  if (cudaDeviceGetAttribute(&supported, cudaDevAttrMemoryPoolsSupported, device) == cudaSuccess && supported)
  {
    cudaMemPoolProps props{};
    props.allocType = cudaMemAllocationTypePinned;
    props.location.type = cudaMemLocationTypeDevice;
    props.location.id = device;
    std::uint64_t threshold = std::max<std::uint64_t>(std::uint64_t(64) << 20, reserve);
    reserved[device] = threshold;
    if (cudaMemPoolCreate(&pool, &props) != cudaSuccess ||
        cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &threshold) != cudaSuccess)
      pool = nullptr;
  }
  (void)cudaGetLastError(); // a failure above only means the default pool serves
  pools.emplace(device, pool);
  return pool;
}

} // namespace ktconv::Details

#endif // KOKKOS_ENABLE_CUDA

#endif
