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

// On a GPU with Kokkos Kernels: whether Algorithm::gemm beats the alternative. Its product
// writes and reads col once per (output channel, tap, input pixel), in_per_group multiply-adds
// each (docs/DESIGN.md, "Algorithm::gemm"), so it pays off where in_per_group is large enough.
// Measured on an H100 (docs/perf-data/h100-2026-12-06-suite-*):
// - where gpu_tiled does not compile (fp64, non-square, shapes outside its table),
//   against the direct kernel (one thread per output): gemm was 3-9x faster from 64 input
//   channels per group; it is taken from 8 (below, e.g. depthwise, direct stays);
// - where it compiles, the tiled kernel's team tile (32 output channels x S*tile_qh rows x S*32
//   columns of outputs) must be poorly filled, with in_per_group >= 128 (the DCGAN layers). In
//   IEEE fp32 gemm won on all four DCGAN rows, where the tile is at most half filled by channels
//   and extents together. With TF32 (and tf32x3, which gemm computes in IEEE fp32) the tiled
//   kernel's tensor cores won or tied wherever the output extents fill at least half the tile
//   (DCGAN 256->128 16x16: 0.92 against 0.94-1.01 ms; 128->3 32x32: 0.26 against 0.44 ms, with
//   gemm's faster gather, docs/perf-data/h100-2026-12-06-s4-gather-v2.txt), so there gemm is
//   taken only where they fill at most a quarter (1024->512 4x4, 512->256 8x8).
inline bool gemm_wins_on_gpu(ConvGeometry const &g, bool tiled, MathMode math = MathMode::ieee)
{
  if (!tiled)
    return g.in_per_group >= 8;
  auto fill = [](double used, double tile) { return used / (std::ceil(used / tile) * tile); };
  int const s = g.h.stride, tile_rows = s == 1 ? 16 : 4 * s, tile_cols = 32 * s;
  double const extents = fill(g.h.out, tile_rows) * fill(g.w.out, tile_cols);
  if (g.in_per_group < 128)
    return false;
  if (math != MathMode::ieee)
    return extents <= 0.25;
  return fill(g.out_per_group, 32) * extents <= 0.5;
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
    if (gemm_available && gemm_wins_on_gpu(g, tiled, options.math))
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
