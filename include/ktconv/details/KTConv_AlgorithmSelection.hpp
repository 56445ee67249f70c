#ifndef KTCONV_DETAILS_ALGORITHM_SELECTION_HPP
#define KTCONV_DETAILS_ALGORITHM_SELECTION_HPP

#include <ktconv/KTConv_Errors.hpp>
#include <ktconv/KTConv_Params.hpp>
#include <ktconv/details/common/KTConv_Geometry.hpp>
#include <ktconv/details/cuda/KTConv_GpuTiledKernel.hpp>
#include <ktconv/details/gemm/KTConv_GemmAlgorithm.hpp>

#include <Kokkos_Core.hpp>

#include <string>
#include <type_traits>

namespace ktconv::Details
{

template <class ExecutionSpace>
inline constexpr bool is_host_space_v =
    Kokkos::SpaceAccessibility<Kokkos::HostSpace, typename ExecutionSpace::memory_space>::accessible;

// The one place that picks the kernel. Forced choices that cannot run are errors, not
// silent fallbacks, so a benchmark never measures something other than what it names.
template <class ExecutionSpace, class T>
Algorithm select_algorithm(ConvGeometry const &g, Options const &options)
{
  bool const host = is_host_space_v<ExecutionSpace>;
  bool const tiled = gpu_tiled_supports<ExecutionSpace, T>(g);
  switch (options.algorithm)
  {
  case Algorithm::automatic:
    if (host)
      return Algorithm::host_rows;
    return tiled ? Algorithm::gpu_tiled : Algorithm::direct;
  case Algorithm::direct: return Algorithm::direct;
  case Algorithm::host_rows:
    if (!host)
      throw InvalidArgument(std::string("options.algorithm = host_rows needs a host execution space, got ") +
                            ExecutionSpace::name());
    return Algorithm::host_rows;
  case Algorithm::gpu_tiled:
    if (!tiled)
      throw InvalidArgument(std::string("options.algorithm = gpu_tiled does not support this case (") +
                            gpu_tiled_requirements() + "; execution space " + ExecutionSpace::name() + ")");
    return Algorithm::gpu_tiled;
  case Algorithm::gemm:
    if (!gemm_available)
      throw InvalidArgument("options.algorithm = gemm needs ktconv built with Kokkos Kernels "
                            "(KTCONV_ENABLE_KOKKOS_KERNELS=ON); this build has none");
    return Algorithm::gemm;
  }
  return Algorithm::direct;
}

} // namespace ktconv::Details

#endif
