// The CUDA tiled kernel (Algorithm::gpu_tiled), GpuTiledKernel: a register-tiled implicit GEMM
// over the stride phases as a Kokkos TeamPolicy functor with team scratch. It holds the launch's
// data and composes the parts, each in its own folder:
//
//   tile      kernel/KTConv_GpuTileConfig.hpp: a team owns an output tile aligned in output
//             coordinates, for a block of 32 channels, and computes all stride^2 phases of it
//             (they read the same input patch). Kernel size, stride and padding phase are
//             template parameters, so the phase/tap structure (kernel/KTConv_PhaseTaps.hpp)
//             unrolls.
//   pipeline  pipeline/: TmaPipeline on sm_90+ (one thread issues each chunk of input channels
//             as a tensor-map box and a bulk copy into up to 4 stages), else CpAsyncPipeline
//             (every thread copies, double-buffered with team barriers).
//   main loop mainloop/: SimtMainloop (FFMA, IEEE fp32), TensorCoreMainloop<Split> (TF32
//             mma.sync; Split = 3 for 3xTF32) or WgmmaMainloop (TF32 warpgroup MMA on Hopper);
//             all accumulate in registers.
//   epilogue  epilogue/KTConv_EpilogueStore.hpp: straight from the accumulators, conv bias and
//             the Epilogue functor's per-channel form, then stores of whole row runs.
//   launch    launch/: tensor maps, the workspace pool, weight packing, the launch and the
//             dispatch over the shape table (KTConv_GpuTiledShapes.hpp).
//   arch      arch/: every inline-PTX wrapper, by what it wraps.
#ifndef KTCONV_DETAILS_CUDA_KERNEL_GPU_TILED_KERNEL_HPP
#define KTCONV_DETAILS_CUDA_KERNEL_GPU_TILED_KERNEL_HPP

#include <ktconv/KTConv_Epilogue.hpp>
#include <ktconv/details/common/KTConv_Geometry.hpp>
#include <ktconv/details/common/KTConv_Views.hpp>

#include <Kokkos_Core.hpp>

#if defined(KOKKOS_ENABLE_CUDA)
#include <cuda.h> // CUtensorMap (types only: the encoder is fetched from the driver at run time)
#include <ktconv/details/cuda/epilogue/KTConv_EpilogueStore.hpp>
#include <ktconv/details/cuda/kernel/KTConv_GpuTeamTile.hpp>
#include <ktconv/details/cuda/kernel/KTConv_GpuTileConfig.hpp>
#include <ktconv/details/cuda/mainloop/KTConv_Mainloop.hpp>
#include <ktconv/details/cuda/pipeline/KTConv_CpAsyncPipeline.hpp>
#include <ktconv/details/cuda/pipeline/KTConv_TmaPipeline.hpp>

#include <cstdint>

namespace ktconv::Details
{

template <class Config, class Mainloop, class Epilogue>
struct GpuTiledKernel
{
  static_assert(TiledMainloop<Mainloop>,
                "GpuTiledKernel: Mainloop must model TiledMainloop (mainloop/KTConv_Mainloop.hpp)");
  static_assert(EpilogueFor<Epilogue, float>, "GpuTiledKernel: Epilogue must model ktconv::EpilogueFor<float>");
  using MemorySpace = Kokkos::CudaSpace;
  using Team = typename Kokkos::TeamPolicy<Kokkos::Cuda>::member_type;
  static constexpr int S = Config::stride;

  // Config::tma: the input as (W, H, channel in group, group, image); boxes of one chunk. The
  // kernel reads it in place (Kokkos passes the functor as a __grid_constant__ parameter); first
  // in the functor, so it sits at the start of the parameter, which is aligned for it.
  CUtensorMap x_map{};
  // Config::tma: the weights packed by the main loop (PackWeights), one block of
  // packed_block_floats per (group, channel block).
  float const *packed_weights{};
  std::int64_t packed_block_floats{};
  Input4<float, MemorySpace> x{}, weight{};
  Input1<float, MemorySpace> conv_bias{};
  Output4<float, MemorySpace> y{};
  ConvGeometry g{};
  Epilogue epilogue;
  int tiles_h{}, tiles_w{}; // tiles per axis
  int co_blocks{};          // ceil(out_per_group / block_co)
  std::int64_t num_tiles{}; // batch * groups * tiles_h * tiles_w * co_blocks
  bool small_tiles{};       // num_tiles fits in int
  bool small_planes{};      // an output plane's offsets fit in int
  bool vector_stores{};     // a row run of outputs can be stored as float4 (or float2) pieces
  bool vector_input{};      // input rows are 16-byte aligned: stage them 16 bytes at a time
  bool vector_weights{};    // every channel block's weight slice is 16-byte aligned
  int col_shift{};          // columns between patch column 0 and the tile's first input column
  bool small_offsets{};     // a group's input and weight offsets fit in int (PlannedStaging)

  // Tile index -> (image*group, tile row, tile column, channel block); the channel block varies
  // fastest, so teams sharing an input patch run at the same time and hit L2.
  // (32-bit division where the index fits: the decode runs once per tile on every thread.)
  KOKKOS_FORCEINLINE_FUNCTION GpuTeamTile tile_at(std::int64_t index) const
  {
    if (small_tiles)
      return decode_tile(int(index));
    return decode_tile(index);
  }
  template <class Index>
  KOKKOS_FORCEINLINE_FUNCTION GpuTeamTile decode_tile(Index index) const
  {
    GpuTeamTile t;
    int const cb = int(index % co_blocks);
    index /= co_blocks;
    int const tw = int(index % tiles_w);
    index /= tiles_w;
    int const th = int(index % tiles_h);
    index /= tiles_h;
    t.group = int(index % g.groups);
    t.n = int(index / g.groups);
    t.oh0 = th * Config::out_rows;
    t.ow0 = tw * Config::out_cols;
    t.ih_base = t.oh0 / S + g.h.padding / S + Config::lowest_offset_h;
    t.iw_base = t.ow0 / S + g.w.padding / S + Config::lowest_offset_w;
    t.iw_patch0 = t.iw_base - col_shift;
    t.co0 = cb * Config::block_co;
    t.co_valid = g.out_per_group - t.co0 < Config::block_co ? g.out_per_group - t.co0 : Config::block_co;
    int const cig = g.in_per_group;
    std::int64_t const plane = std::int64_t(g.h.in) * g.w.in;
    t.x = x.data() + (std::int64_t(t.n) * g.in_channels + std::int64_t(t.group) * cig) * plane;
    if constexpr (Config::tma)
      t.w = packed_weights + (std::int64_t(t.group) * co_blocks + cb) * packed_block_floats;
    else
      t.w = weight.data() + (std::int64_t(t.group) * cig * g.out_per_group + t.co0) * Config::taps;
    return t;
  }

  // Teams are persistent, each looping over tiles through its pipeline (TMA or cp.async),
  // computing each tile's chunks with Mainloop and storing it through the epilogue.
  KOKKOS_FUNCTION void operator()(Team const &team) const
  {
    // 128-byte aligned: TMA boxes land at 128-byte boundaries; windows and weights are read as
    // float4.
    float *const scratch = static_cast<float *>(
        team.team_scratch(0).get_shmem_aligned(Config::scratch_floats * sizeof(float), 128));
    if constexpr (Config::tma)
      TmaPipeline<Config, Mainloop>::run(*this, team, scratch);
    else
      CpAsyncPipeline<Config, Mainloop>::run(*this, team, scratch);
  }

  // The epilogue of one tile, called by the pipelines once its last chunk is computed.
  KOKKOS_FORCEINLINE_FUNCTION void store_tile(GpuTeamTile const &record, Mainloop &mainloop) const
  {
    EpilogueStore<Config, Mainloop>::store_tile(*this, record, mainloop);
  }
};

} // namespace ktconv::Details

#endif // KOKKOS_ENABLE_CUDA

#endif
