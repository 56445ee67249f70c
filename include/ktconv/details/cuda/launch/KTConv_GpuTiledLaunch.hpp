// Launch and dispatch of the tiled kernel: the kernel's launch data and policy
// (launch_gpu_tiled_kernel), the choice between the TMA and cp.async forms with the weights
// packed per call (launch_gpu_tiled_with), the main loop per MathMode (launch_gpu_tiled), and
// run_gpu_tiled, which dispatches a shape-table entry to its compiled kernels.
#ifndef KTCONV_DETAILS_CUDA_LAUNCH_GPU_TILED_LAUNCH_HPP
#define KTCONV_DETAILS_CUDA_LAUNCH_GPU_TILED_LAUNCH_HPP

#include <ktconv/KTConv_Params.hpp>
#include <ktconv/details/common/KTConv_DeviceEpilogue.hpp>
#include <ktconv/details/common/KTConv_Geometry.hpp>
#include <ktconv/details/common/KTConv_Views.hpp>
#include <ktconv/details/cuda/KTConv_GpuTiledShapes.hpp>

#include <Kokkos_Core.hpp>

#if defined(KOKKOS_ENABLE_CUDA)
#include <cuda.h>
#include <ktconv/details/common/KTConv_WorkspacePool.hpp>
#include <ktconv/details/cuda/kernel/KTConv_GpuTileConfig.hpp>
#include <ktconv/details/cuda/kernel/KTConv_GpuTiledKernel.hpp>
#include <ktconv/details/cuda/launch/KTConv_PackWeights.hpp>
#include <ktconv/details/cuda/launch/KTConv_TensorMap.hpp>
#include <ktconv/details/cuda/mainloop/KTConv_SimtMainloop.hpp>
#include <ktconv/details/cuda/mainloop/KTConv_TensorCoreMainloop.hpp>
#include <ktconv/details/cuda/mainloop/KTConv_WgmmaMainloop.hpp>
#endif

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace ktconv::Details
{

#if defined(KOKKOS_ENABLE_CUDA)

template <class Config, class Mainloop, class Epilogue>
void launch_gpu_tiled_kernel(Kokkos::Cuda const &space, ConvGeometry const &g, Input4<float, Kokkos::CudaSpace> x,
                             Input4<float, Kokkos::CudaSpace> weight, Input1<float, Kokkos::CudaSpace> conv_bias,
                             Output4<float, Kokkos::CudaSpace> y, Epilogue const &epilogue, CUtensorMap const *x_map,
                             float const *packed_weights)
{
  // (the epilogue is initialized, not assigned: a user's functor need not be default-constructible;
  // the other members have default initializers, assigned below)
  GpuTiledKernel<Config, Mainloop, Epilogue> k{.epilogue = epilogue};
  k.x = x;
  k.weight = weight;
  k.conv_bias = conv_bias;
  k.y = y;
  k.g = g;
  if (x_map)
    k.x_map = *x_map;
  k.packed_weights = packed_weights;
  k.packed_block_floats = packed_block_floats<Config, Mainloop>(g);
  k.tiles_h = (g.h.out + Config::out_rows - 1) / Config::out_rows;
  k.tiles_w = (g.w.out + Config::out_cols - 1) / Config::out_cols;
  k.co_blocks = (g.out_per_group + Config::block_co - 1) / Config::block_co;
  k.num_tiles = g.batch * g.groups * std::int64_t(k.tiles_h) * k.tiles_w * k.co_blocks;
  k.small_tiles = k.num_tiles <= std::numeric_limits<int>::max();
  k.small_planes = std::int64_t(g.h.out) * g.w.out <= std::numeric_limits<int>::max();
  // Runs start at a multiple of row_width columns; pieces of up to 4 floats need the row
  // length and the base address aligned to the piece.
  constexpr int piece = Mainloop::row_width % 4 == 0 ? 4 : (Mainloop::row_width % 2 == 0 ? 2 : 1);
  k.vector_stores = g.w.out % piece == 0 && reinterpret_cast<std::uintptr_t>(y.data()) % (4 * piece) == 0;
  k.vector_input = g.w.in % 4 == 0 && reinterpret_cast<std::uintptr_t>(x.data()) % 16 == 0;
  // Every team's weight slice starts at (group*cig*cog + block*block_co) * taps floats.
  k.vector_weights = (std::int64_t(g.in_per_group) * g.out_per_group * Config::taps) % 4 == 0 &&
                     (std::int64_t(Config::block_co) * Config::taps) % 4 == 0 &&
                     (std::int64_t(g.out_per_group) * Config::taps) % 4 == 0 &&
                     reinterpret_cast<std::uintptr_t>(weight.data()) % 16 == 0;
  // Tiles start at input column ow0/S + padding div S + lowest_offset_w, with ow0/S a multiple of 4;
  // rounding that down to a multiple of 4 leaves the same shift for every tile.
  int const iw0 = g.w.padding / Config::stride + Config::lowest_offset_w;
  k.col_shift = k.vector_input ? ((iw0 % 4) + 4) % 4 : 0;
  std::int64_t const int_max = std::numeric_limits<int>::max();
  k.small_offsets = std::int64_t(g.in_per_group + Config::chunk_ci) * g.h.in * g.w.in < int_max &&
                    std::int64_t(g.in_per_group + Config::chunk_ci) * g.out_per_group * Config::taps < int_max;
  // Persistent teams: as many as run at once (teams_per_sm on every SM), each looping over tiles.
  std::int64_t const resident = std::int64_t(Config::teams_per_sm) * space.cuda_device_prop().multiProcessorCount;
  int const league = int(k.num_tiles < resident ? k.num_tiles : resident);
  Kokkos::TeamPolicy<Kokkos::Cuda, Kokkos::LaunchBounds<Config::threads, Config::teams_per_sm>> policy(space, league,
                                                                                                       Config::threads);
  policy.set_scratch_size(0, Kokkos::PerTeam(Config::scratch_floats * sizeof(float) + 128));
  // The occupancy we run at, stated, so that Kokkos sets the kernel's shared-memory carveout for
  // exactly teams_per_sm teams' scratch and leaves the rest of each SM's L1/shared array to L1,
  // where the tensor-core loop may read its weights from (left to the driver, the carveout could
  // leave L1 too small for them).
  int const occupancy = int(100 * Config::teams_per_sm * Config::threads /
                            std::max(1, space.cuda_device_prop().maxThreadsPerMultiProcessor));
  Kokkos::parallel_for(
      "ktconv::gpu_tiled",
      Kokkos::Experimental::prefer(policy, Kokkos::Experimental::DesiredOccupancy(std::clamp(occupancy, 1, 100))), k);
}

// Launches the main loop family Mainloop<Config> with TMA staging where the shape and device
// allow (unless KTCONV_DISABLE_TMA is set in the environment, to compare the two staging
// paths), else with cp.async staging. The TMA form reads weights packed per call
// (PackWeights) into a buffer from the stream-ordered allocator (workspace_pool; allocated and
// freed on the execution space's stream: no device synchronization, the launch stays
// asynchronous).
template <template <class> class Mainloop, bool TensorCores, bool DeepStaging, int Kernel, int Stride, int PadPhase,
          int Dilation, class Epilogue>
void launch_gpu_tiled_with(Kokkos::Cuda const &space, ConvGeometry const &g, Input4<float, Kokkos::CudaSpace> x,
                           Input4<float, Kokkos::CudaSpace> weight, Input1<float, Kokkos::CudaSpace> conv_bias,
                           Output4<float, Kokkos::CudaSpace> y, Epilogue const &epilogue)
{
  using TmaConfig = GpuTileConfig<Kernel, Stride, PadPhase, PadPhase, true, TensorCores, DeepStaging, Dilation>;
  using CopyConfig = GpuTileConfig<Kernel, Stride, PadPhase, PadPhase, false, true, false, Dilation>;
  using TmaLoop = Mainloop<TmaConfig>;
  static bool const disabled = std::getenv("KTCONV_DISABLE_TMA") != nullptr;
  CUtensorMap x_map{};
  bool const tma = !disabled && encode_input_tma_map<TmaConfig>(space, g, x, x_map);
  float *packed = nullptr;
  if (tma)
  {
    int const co_blocks = (g.out_per_group + TmaConfig::block_co - 1) / TmaConfig::block_co;
    std::int64_t const block = packed_block_floats<TmaConfig, TmaLoop>(g);
    std::int64_t const n = std::int64_t(g.groups) * co_blocks * block;
    void *p = nullptr;
    std::size_t const bytes = std::size_t(n) * sizeof(float);
    cudaMemPool_t const pool = workspace_pool(space.cuda_device());
    if ((pool ? cudaMallocFromPoolAsync(&p, bytes, pool, space.cuda_stream())
              : cudaMallocAsync(&p, bytes, space.cuda_stream())) == cudaSuccess)
    {
      packed = static_cast<float *>(p);
      int const units = int(block / TmaLoop::pack_unit_floats);
      Kokkos::parallel_for("ktconv::pack_weights",
                           Kokkos::RangePolicy<Kokkos::Cuda, Kokkos::IndexType<std::int64_t>>(space, 0, n),
                           PackWeights<TmaLoop>{weight, packed, g.in_per_group, g.out_per_group, co_blocks,
                                                TmaConfig::block_co, units, TmaConfig::kernel});
    }
    else
      (void)cudaGetLastError(); // clear the failed allocation; stage with cp.async instead
  }
  if (packed)
    launch_gpu_tiled_kernel<TmaConfig, TmaLoop>(space, g, x, weight, conv_bias, y, epilogue, &x_map, packed);
  else
    launch_gpu_tiled_kernel<CopyConfig, Mainloop<CopyConfig>>(space, g, x, weight, conv_bias, y, epilogue, nullptr,
                                                              nullptr);
  if (packed && cudaFreeAsync(packed, space.cuda_stream()) != cudaSuccess) // after the kernel, in stream order
    throw std::runtime_error("ktconv: cudaFreeAsync of the packed weights failed");
}

// TF32: warpgroup MMA (wgmma, B read from scratch by the tensor cores) where the weights are
// staged by TMA, the tile gives each warp 16 pixels, and this translation unit is compiled for
// sm_90a (the library's own; a user's TU that instantiates kernels itself gets mma.sync);
// mma.sync otherwise (docs/EXPERIMENTS.md has the comparison).
#if defined(KTCONV_COMPILES_SM90A)
inline constexpr bool compiles_sm90a = true;
#else
inline constexpr bool compiles_sm90a = false;
#endif
template <class Config>
using Tf32Mainloop = std::conditional_t<compiles_sm90a && Config::tma && !Config::weights_in_global &&
                                            Config::tile_qh * Config::tile_qw == 16 * Config::warps,
                                        WgmmaMainloop<Config>, TensorCoreMainloop<Config, 1>>;
template <class Config>
using Tf32x3Mainloop = TensorCoreMainloop<Config, 3>;

template <int Kernel, int Stride, int PadPhase, int Dilation, class Epilogue>
void launch_gpu_tiled(Kokkos::Cuda const &space, ConvGeometry const &g, Input4<float, Kokkos::CudaSpace> x,
                      Input4<float, Kokkos::CudaSpace> weight, Input1<float, Kokkos::CudaSpace> conv_bias,
                      Output4<float, Kokkos::CudaSpace> y, Epilogue const &epilogue, MathMode math)
{
  switch (math)
  {
  case MathMode::tf32:
    launch_gpu_tiled_with<Tf32Mainloop, true, false, Kernel, Stride, PadPhase, Dilation>(space, g, x, weight, conv_bias,
                                                                                         y, epilogue);
    break;
  case MathMode::tf32x3:
    launch_gpu_tiled_with<Tf32x3Mainloop, true, true, Kernel, Stride, PadPhase, Dilation>(space, g, x, weight,
                                                                                          conv_bias, y, epilogue);
    break;
  default:
    launch_gpu_tiled_with<SimtMainloop, false, false, Kernel, Stride, PadPhase, Dilation>(space, g, x, weight,
                                                                                          conv_bias, y, epilogue);
    break;
  }
}

// The kernels of table entry I (gpu_tiled_shapes[I]), if I == index; true if it launched.
template <std::size_t I, class Epilogue>
bool launch_gpu_tiled_entry(int index, Kokkos::Cuda const &space, ConvGeometry const &g,
                            Input4<float, Kokkos::CudaSpace> x, Input4<float, Kokkos::CudaSpace> weight,
                            Input1<float, Kokkos::CudaSpace> conv_bias, Output4<float, Kokkos::CudaSpace> y,
                            Epilogue const &epilogue, MathMode math)
{
  if (index != int(I))
    return false;
  constexpr GpuTiledShape shape = gpu_tiled_shapes[I];
  launch_gpu_tiled<shape.kernel, shape.stride, shape.pad_phase, shape.dilation>(space, g, x, weight, conv_bias, y,
                                                                                epilogue, math);
  return true;
}

#endif // KOKKOS_ENABLE_CUDA

// Runs the tiled kernel of shape-table entry `shape` (gpu_tiled_shape_for, decided once by
// algorithm selection): one compiled kernel family per entry, none written by hand here.
template <class ExecutionSpace, class T, class Epilogue>
void run_gpu_tiled([[maybe_unused]] ExecutionSpace const &space, [[maybe_unused]] int shape,
                   [[maybe_unused]] ConvGeometry const &g,
                   [[maybe_unused]] Input4<T, typename ExecutionSpace::memory_space> x,
                   [[maybe_unused]] Input4<T, typename ExecutionSpace::memory_space> weight,
                   [[maybe_unused]] Input1<T, typename ExecutionSpace::memory_space> conv_bias,
                   [[maybe_unused]] Output4<T, typename ExecutionSpace::memory_space> y,
                   [[maybe_unused]] Epilogue const &epilogue, [[maybe_unused]] MathMode math)
{
#if defined(KOKKOS_ENABLE_CUDA)
  if constexpr (std::is_same_v<ExecutionSpace, Kokkos::Cuda> && std::is_same_v<T, float>)
  {
    auto const fast = device_epilogue(epilogue);
    bool const launched = [&]<std::size_t... I>(std::index_sequence<I...>)
    {
      return (launch_gpu_tiled_entry<I>(shape, space, g, x, weight, conv_bias, y, fast, math) || ...);
    }
    (std::make_index_sequence<gpu_tiled_shape_count>{});
    if (launched)
      return;
  }
#endif
  throw std::logic_error("ktconv: run_gpu_tiled called for an unsupported case");
}

} // namespace ktconv::Details

#endif
