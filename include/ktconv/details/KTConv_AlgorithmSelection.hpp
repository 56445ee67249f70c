#ifndef KTCONV_DETAILS_ALGORITHM_SELECTION_HPP
#define KTCONV_DETAILS_ALGORITHM_SELECTION_HPP

#include <ktconv/KTConv_Config.hpp>
#include <ktconv/KTConv_Errors.hpp>
#include <ktconv/KTConv_Params.hpp>
#include <ktconv/details/common/KTConv_Geometry.hpp>
#include <ktconv/details/cuda/KTConv_GpuTiledShapes.hpp>
#include <ktconv/details/host/KTConv_HostRowLayout.hpp>

#include <Kokkos_Core.hpp>

#include <cmath>
#include <string>
#include <type_traits>

namespace ktconv::Details
{

template <class ExecutionSpace>
inline constexpr bool is_host_space_v =
    Kokkos::SpaceAccessibility<Kokkos::HostSpace, typename ExecutionSpace::memory_space>::accessible;

// On a GPU with Kokkos Kernels: whether Algorithm::gemm beats the alternative, by the traffic
// model of docs/DESIGN.md ("Algorithm::gemm"). Its product writes and reads col once per
// (output channel, tap, input pixel), in_per_group multiply-adds each, so it pays off where
// in_per_group is large enough:
// - where gpu_tiled does not compile (fp64, dilation, non-square, other kernel/stride pairs),
//   against the direct kernel (one thread per output): from 8 input channels per group (below,
//   e.g. depthwise, direct stays);
// - where it compiles, when the tiled kernel's team tile (32 output channels x S*tile_qh rows x
//   S*32 columns of outputs) is at most half filled by the group's output channels and the output
//   extents (the many-channel small-image layers, e.g. DCGAN's), and in_per_group >= 128.
inline bool gemm_wins_on_gpu(ConvGeometry const &g, bool tiled)
{
  if (!tiled)
    return g.in_per_group >= 8;
  auto fill = [](double used, double tile) { return used / (std::ceil(used / tile) * tile); };
  int const s = g.h.stride, tile_rows = s == 1 ? 16 : 4 * s, tile_cols = 32 * s;
  double const f = fill(g.out_per_group, 32) * fill(g.h.out, tile_rows) * fill(g.w.out, tile_cols);
  return f <= 0.5 && g.in_per_group >= 128;
}

// What selection decided: the kernel, and for gpu_tiled the entry of its shape table
// (gpu_tiled_shapes) that the dispatch launches, so support is decided once, here.
struct Selection
{
  Algorithm algorithm;
  int gpu_tiled_shape = -1;
  constexpr Selection(Algorithm a, int shape = -1) : algorithm(a), gpu_tiled_shape(shape) {}
};

// Algorithm::gemm needs Kokkos Kernels (KTCONV_ENABLE_KOKKOS_KERNELS).
inline constexpr bool gemm_available = KTCONV_HAVE_KOKKOS_KERNELS;

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
Selection select_algorithm(ConvGeometry const &g, Options const &options, int concurrency = 1)
{
  bool const host = is_host_space_v<ExecutionSpace>;
  int const shape = gpu_tiled_shape_for<ExecutionSpace, T>(g);
  bool const tiled = shape >= 0;
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
    if (gemm_available && gemm_wins_on_gpu(g, tiled))
      return Algorithm::gemm;
    return tiled ? Selection(Algorithm::gpu_tiled, shape) : Selection(Algorithm::direct);
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
    return {Algorithm::gpu_tiled, shape};
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
