#ifndef KTCONV_DETAILS_ALGORITHM_SELECTION_HPP
#define KTCONV_DETAILS_ALGORITHM_SELECTION_HPP

#include <ktconv/KTConv_Errors.hpp>
#include <ktconv/KTConv_Params.hpp>
#include <ktconv/details/common/KTConv_Geometry.hpp>
#include <ktconv/details/cuda/KTConv_GpuTiledKernel.hpp>
#include <ktconv/details/host/KTConv_HostRowLayout.hpp>

#include <Kokkos_Core.hpp>

#include <string>
#include <type_traits>

namespace ktconv::Details
{

template <class ExecutionSpace>
inline constexpr bool is_host_space_v =
    Kokkos::SpaceAccessibility<Kokkos::HostSpace, typename ExecutionSpace::memory_space>::accessible;

// host_rows' buffers stay within its data bound (HostRowLayout) for this problem.
template <class ExecutionSpace, class T>
bool host_rows_supports(ConvGeometry const &g)
{
  return is_host_space_v<ExecutionSpace> && host_row_layout<T>(g).within_data_bound;
}

// The one place that picks the kernel. Forced choices that cannot run are errors, not
// silent fallbacks, so a benchmark never measures something other than what it names.
// `concurrency`: the execution space instance's, for the host kernel's workspace size.
template <class ExecutionSpace, class T>
Algorithm select_algorithm(ConvGeometry const &g, Options const &options, int concurrency = 1)
{
  bool const host = is_host_space_v<ExecutionSpace>;
  bool const tiled = gpu_tiled_supports<ExecutionSpace, T>(g);
  auto host_rows_fits = [&] {
    HostRowLayout const l = host_row_layout<T>(g);
    return l.within_data_bound &&
           (options.workspace_limit == 0 || host_rows_workspace_bytes<T>(l, concurrency) <= options.workspace_limit);
  };
  switch (options.algorithm)
  {
  case Algorithm::automatic:
    if (host)
      return host_rows_fits() ? Algorithm::host_rows : Algorithm::direct;
    return tiled ? Algorithm::gpu_tiled : Algorithm::direct;
  case Algorithm::direct: return Algorithm::direct;
  case Algorithm::host_rows:
    if (!host)
      throw InvalidArgument(std::string("options.algorithm = host_rows needs a host execution space, got ") +
                            ExecutionSpace::name());
    if (!host_rows_supports<ExecutionSpace, T>(g))
      throw InvalidArgument("options.algorithm = host_rows: stride, dilation or padding values this far beyond the "
                            "image would make its buffers grow with the values rather than the data; use "
                            "automatic or direct");
    return Algorithm::host_rows;
  case Algorithm::gpu_tiled:
    if (!tiled)
      throw InvalidArgument(std::string("options.algorithm = gpu_tiled does not support this case (") +
                            gpu_tiled_requirements() + "; execution space " + ExecutionSpace::name() + ")");
    return Algorithm::gpu_tiled;
  }
  return Algorithm::direct;
}

} // namespace ktconv::Details

#endif
