#ifndef KTCONV_DETAILS_ALGORITHM_SELECTION_HPP
#define KTCONV_DETAILS_ALGORITHM_SELECTION_HPP

#include <ktconv/KTConv_Errors.hpp>
#include <ktconv/KTConv_Params.hpp>
#include <ktconv/details/common/KTConv_Geometry.hpp>
#include <ktconv/details/cuda/KTConv_GpuTiledShapes.hpp>

#include <Kokkos_Core.hpp>

#include <string>
#include <type_traits>

namespace ktconv::Details
{

template <class ExecutionSpace>
inline constexpr bool is_host_space_v =
    Kokkos::SpaceAccessibility<Kokkos::HostSpace, typename ExecutionSpace::memory_space>::accessible;

// What selection decided: the kernel, and for gpu_tiled the entry of its shape table
// (gpu_tiled_shapes) that the dispatch launches, so support is decided once, here.
struct Selection
{
  Algorithm algorithm;
  int gpu_tiled_shape = -1;
  constexpr Selection(Algorithm a, int shape = -1) : algorithm(a), gpu_tiled_shape(shape) {}
};

// The one place that picks the kernel. Forced choices that cannot run are errors, not
// silent fallbacks, so a benchmark never measures something other than what it names.
template <class ExecutionSpace, class T>
Selection select_algorithm(ConvGeometry const &g, Options const &options)
{
  bool const host = is_host_space_v<ExecutionSpace>;
  int const shape = gpu_tiled_shape_for<ExecutionSpace, T>(g);
  bool const tiled = shape >= 0;
  switch (options.algorithm)
  {
  case Algorithm::automatic:
    if (host)
      return Algorithm::host_rows;
    return tiled ? Selection(Algorithm::gpu_tiled, shape) : Selection(Algorithm::direct);
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
    return {Algorithm::gpu_tiled, shape};
  }
  return Algorithm::direct;
}

} // namespace ktconv::Details

#endif
