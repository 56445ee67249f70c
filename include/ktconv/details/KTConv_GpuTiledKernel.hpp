#ifndef KTCONV_DETAILS_GPU_TILED_KERNEL_HPP
#define KTCONV_DETAILS_GPU_TILED_KERNEL_HPP

// clang-format off: clang-format takes KTCONV_UNROLL (a #pragma unroll) for a statement and
// flattens the loop nests it precedes, which would hide their structure.
// clang-format off

// The CUDA kernel (Algorithm::gpu_tiled): a register-tiled implicit GEMM over the stride
// phases, written as a Kokkos TeamPolicy kernel with team scratch memory, structured like a
// CUTLASS kernel so a new main loop or epilogue touches nothing else:
//
//   tile       : GpuTileConfig (KTConv_GpuTileConfig.hpp). A team owns an output tile aligned in
//                output coordinates, for a block of 32 channels, and computes all stride^2
//                phases of it, because they read the same input patch. Kernel size, stride and
//                padding parity are template parameters, so the phase/tap structure unrolls.
//   staging    : KTConv_GpuStaging.hpp. Chunks of input channels are copied to scratch with
//                cp.async, double-buffered.
//   main loop  : SimtMainloop (FFMA, IEEE fp32) or TensorCoreMainloop<Split> (TF32 mma.sync,
//                Split = 3 for 3xTF32), chosen by MathMode; both accumulate in registers and
//                write their accumulators into a scratch output tile.
//   epilogue   : here. Per 8 channels, each warp takes one channel and stores whole float4
//                rows, applying conv bias and the Epilogue functor (its per-channel form) on
//                the way; every output is written exactly once.
//
// Shapes outside the compiled set fall back to the direct kernel (AlgorithmSelection).

#include <ktconv/KTConv_Params.hpp>
#include <ktconv/details/KTConv_DeviceEpilogue.hpp>
#include <ktconv/details/KTConv_Geometry.hpp>
#include <ktconv/details/KTConv_Views.hpp>

#include <Kokkos_Core.hpp>

#if defined(KOKKOS_ENABLE_CUDA)
#include <ktconv/details/KTConv_GpuSimtMainloop.hpp>
#include <ktconv/details/KTConv_GpuStaging.hpp>
#include <ktconv/details/KTConv_GpuTensorCoreMainloop.hpp>
#include <ktconv/details/KTConv_GpuTileConfig.hpp>
#endif

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <type_traits>

namespace ktconv::Details
{

inline char const *gpu_tiled_requirements()
{
  return "needs the CUDA backend, float, dilation 1, equal padding parity on both axes, and a "
         "square kernel/stride pair among (3,2), (4,2), (2,2), (3,1)";
}

// Kernel/stride pairs compiled for the tiled kernel. Returns a dispatch id, or -1.
inline int gpu_tiled_variant(ConvGeometry const &g)
{
  if (g.h.dilation != 1 || g.w.dilation != 1 || g.h.kernel != g.w.kernel || g.h.stride != g.w.stride)
    return -1;
  int const k = g.h.kernel, s = g.h.stride;
  int const phase = g.h.padding % s;
  if (g.w.padding % s != phase)
    return -1;
  // id = 2*pair + padding phase
  if (k == 3 && s == 2)
    return 0 + phase;
  if (k == 4 && s == 2)
    return 2 + phase;
  if (k == 2 && s == 2)
    return 4 + phase;
  if (k == 3 && s == 1)
    return 6;
  return -1;
}

template <class ExecutionSpace, class T>
bool gpu_tiled_supports(ConvGeometry const &g)
{
#if defined(KOKKOS_ENABLE_CUDA)
  if constexpr (std::is_same_v<ExecutionSpace, Kokkos::Cuda> && std::is_same_v<T, float>)
    return gpu_tiled_variant(g) >= 0;
#endif
  (void)g;
  return false;
}

#if defined(KOKKOS_ENABLE_CUDA)

// ---- the kernel: pipeline + epilogue, main loop as a parameter -------------------------------
template <class Config, class Mainloop, class Epilogue>
struct GpuTiledKernel
{
  using MemorySpace = Kokkos::CudaSpace;
  using Team = typename Kokkos::TeamPolicy<Kokkos::Cuda>::member_type;
  static constexpr int S = Config::stride, OFF = Config::max_offset;

  Input4<float, MemorySpace> x, weight;
  Input1<float, MemorySpace> conv_bias;
  Output4<float, MemorySpace> y;
  ConvGeometry g;
  Epilogue epilogue;
  int tiles_h, tiles_w; // tiles per axis
  int co_blocks;        // ceil(out_per_group / block_co)
  bool vector_stores;   // output rows are 16-byte aligned: store float4
  bool vector_input;    // input rows are 16-byte aligned: stage them 16 bytes at a time
  bool vector_weights;  // every channel block's weight slice is 16-byte aligned
  int col_shift;        // columns between patch column 0 and the tile's first input column
  bool small_offsets;   // a group's input and weight offsets fit in int (PlannedStaging)

  KOKKOS_FUNCTION void operator()(Team const &team) const
  {
    // league index -> (image*group, tile row, tile column, channel block); the channel block
    // varies fastest so teams sharing an input patch run together and hit L2.
    GpuTeamTile t;
    int league = team.league_rank();
    int const cb = league % co_blocks;
    league /= co_blocks;
    int const tw = league % tiles_w;
    league /= tiles_w;
    int const th = league % tiles_h;
    league /= tiles_h;
    t.group = league % g.groups;
    t.n = league / g.groups;
    t.oh0 = th * Config::out_rows;
    t.ow0 = tw * Config::out_cols;
    t.ih_base = t.oh0 / S + g.h.padding / S - OFF;
    t.iw_base = t.ow0 / S + g.w.padding / S - OFF;
    t.iw_patch0 = t.iw_base - col_shift;
    t.co0 = cb * Config::block_co;
    t.co_valid = g.out_per_group - t.co0 < Config::block_co ? g.out_per_group - t.co0 : Config::block_co;

    int const cig = g.in_per_group;
    std::int64_t const plane = std::int64_t(g.h.in) * g.w.in;
    float const *const xg = x.data() + (std::int64_t(t.n) * g.in_channels + std::int64_t(t.group) * cig) * plane;
    float const *const wg = weight.data() + (std::int64_t(t.group) * cig * g.out_per_group + t.co0) * Config::taps;

    // 16-byte aligned: windows, weights and the output tile are accessed as float4.
    float *const scratch =
        static_cast<float *>(team.team_scratch(0).get_shmem_aligned(Config::scratch_floats * sizeof(float), 16));
    int const rank = team.team_rank();
    int const warp = rank / 32, lane = rank % 32;

    Mainloop mainloop(warp, lane, col_shift);
    bool const vw = vector_weights && t.co_valid == Config::block_co;
    constexpr bool transposed = Mainloop::transposed_weights;
    int const chunks = (cig + Config::chunk_ci - 1) / Config::chunk_ci;
    std::int64_t const w_ci_stride = std::int64_t(g.out_per_group) * Config::taps;
    // Issues the copies of chunk c0 into stage `buf` (planned where the layout allows).
    auto issue = [&](PlannedStaging<Config> const *plan, int buf, int c0) {
      float *const stage = scratch + buf * Config::stage_floats;
      if (plan)
        plan->issue(stage, xg, wg, plane, w_ci_stride, c0, cig);
      else
        stage_chunk_async<Config, transposed>(stage, t, g, xg, wg, c0, vector_input, vw, warp, lane, rank);
    };
    bool const planned = !transposed && vector_input && vw && small_offsets;
    PlannedStaging<Config> const plan_storage(t, g, rank);
    PlannedStaging<Config> const *const plan = planned ? &plan_storage : nullptr;
    if constexpr (Config::stages == 2)
    {
      issue(plan, 0, 0);
      copy_async_commit();
    }
    for (int chunk = 0; chunk < chunks; ++chunk)
    {
      int const c0 = chunk * Config::chunk_ci;
      if constexpr (Config::stages == 2)
      {
        // Chunk + 1 streams into the other stage while this one is computed.
        if (chunk + 1 < chunks)
          issue(plan, (chunk + 1) % 2, c0 + Config::chunk_ci);
        copy_async_commit();  // possibly empty: keeps the group count uniform
        copy_async_wait<1>(); // this thread's copies of `chunk` have landed
      }
      else
      {
        issue(plan, 0, c0);
        copy_async_commit();
        copy_async_wait<0>();
      }
      team.team_barrier(); // every thread's copies have landed
      float const *const cur = scratch + (chunk % Config::stages) * Config::stage_floats;
      int const nci = cig - c0 < Config::chunk_ci ? cig - c0 : Config::chunk_ci;
      mainloop.compute(cur, cur + Config::chunk_ci * Config::patch_size, nci);
      team.team_barrier(); // the stage is consumed before it is refilled (or reused below)
    }

    // Epilogue: 8 channels at a time, the main loop writes its accumulators into the scratch
    // output tile (laid out like the output); then every thread applies the conv bias and the
    // Epilogue functor and stores whole float4 rows, coalesced. Each output is written once.
    // Store phase: warp w stores channel w of the group, its lanes whole float4 of output rows;
    // the channel's bias and epilogue constants are loaded once (channel_op).
    static_assert(Config::epilogue_channels == Config::warps, "one channel per warp in the store phase");
    constexpr int vecs_per_row = Config::out_cols / 4;
    for (int cg = 0; cg * Config::epilogue_channels < t.co_valid; ++cg)
    {
      mainloop.write_tile(scratch, cg);
      team.team_barrier();
      int const col = t.co0 + cg * Config::epilogue_channels + warp;
      if (col < g.out_per_group)
      {
        int const co = t.group * g.out_per_group + col;
        auto const op = channel_op(epilogue, co);
        float const cbias = g.has_conv_bias ? conv_bias(co) : 0.f;
        float *const yc = y.data() + (std::int64_t(t.n) * g.out_channels + co) * std::int64_t(g.h.out) * g.w.out;
        float const *const tile = scratch + warp * Config::out_plane;
        for (int e = lane; e < Config::out_rows * vecs_per_row; e += 32)
        {
          int const r = e / vecs_per_row, c4 = e - r * vecs_per_row;
          int const oh = t.oh0 + r, ow = t.ow0 + 4 * c4;
          if (oh >= g.h.out || ow >= g.w.out)
            continue;
          float4 v = *reinterpret_cast<float4 const *>(tile + r * Config::out_pitch + 4 * c4);
          // conv bias first, then the epilogue: PyTorch's order (conv(x) + b, then the tail)
          v.x = op(g.has_conv_bias ? v.x + cbias : v.x);
          v.y = op(g.has_conv_bias ? v.y + cbias : v.y);
          v.z = op(g.has_conv_bias ? v.z + cbias : v.z);
          v.w = op(g.has_conv_bias ? v.w + cbias : v.w);
          float *const dst = yc + std::int64_t(oh) * g.w.out + ow;
          if (vector_stores && ow + 3 < g.w.out)
            *reinterpret_cast<float4 *>(dst) = v;
          else
          {
            dst[0] = v.x; // ow < w.out was checked above
            if (ow + 1 < g.w.out)
              dst[1] = v.y;
            if (ow + 2 < g.w.out)
              dst[2] = v.z;
            if (ow + 3 < g.w.out)
              dst[3] = v.w;
          }
        }
      }
      team.team_barrier();
    }
  }
};

template <class Config, class Mainloop, class Epilogue>
void launch_gpu_tiled_kernel(Kokkos::Cuda const &space, ConvGeometry const &g, Input4<float, Kokkos::CudaSpace> x,
                             Input4<float, Kokkos::CudaSpace> weight, Input1<float, Kokkos::CudaSpace> conv_bias,
                             Output4<float, Kokkos::CudaSpace> y, Epilogue const &epilogue)
{
  GpuTiledKernel<Config, Mainloop, Epilogue> k{x, weight, conv_bias, y, g, epilogue, 0, 0, 0, false, false, false, 0, false};
  k.tiles_h = (g.h.out + Config::out_rows - 1) / Config::out_rows;
  k.tiles_w = (g.w.out + Config::out_cols - 1) / Config::out_cols;
  k.co_blocks = (g.out_per_group + Config::block_co - 1) / Config::block_co;
  k.vector_stores = g.w.out % 4 == 0 && reinterpret_cast<std::uintptr_t>(y.data()) % 16 == 0;
  k.vector_input = !Mainloop::needs_aligned_window && g.w.in % 4 == 0 &&
                   reinterpret_cast<std::uintptr_t>(x.data()) % 16 == 0;
  // Every team's weight slice starts at (group*cig*cog + block*block_co) * taps floats.
  k.vector_weights = (std::int64_t(g.in_per_group) * g.out_per_group * Config::taps) % 4 == 0 &&
                     (std::int64_t(Config::block_co) * Config::taps) % 4 == 0 &&
                     (std::int64_t(g.out_per_group) * Config::taps) % 4 == 0 &&
                     reinterpret_cast<std::uintptr_t>(weight.data()) % 16 == 0;
  // Tiles start at input column ow0/S + padding div S - max_offset, with ow0/S a multiple of 4;
  // rounding that down to a multiple of 4 leaves the same shift for every tile.
  int const iw0 = g.w.padding / Config::stride - Config::max_offset;
  k.col_shift = k.vector_input ? ((iw0 % 4) + 4) % 4 : 0;
  std::int64_t const int_max = std::numeric_limits<int>::max();
  k.small_offsets = std::int64_t(g.in_per_group + Config::chunk_ci) * g.h.in * g.w.in < int_max &&
                    std::int64_t(g.in_per_group + Config::chunk_ci) * g.out_per_group * Config::taps < int_max;
  std::int64_t const league = g.batch * g.groups * std::int64_t(k.tiles_h) * k.tiles_w * k.co_blocks;
  if (league > std::int64_t(std::numeric_limits<int>::max()))
    throw std::runtime_error("ktconv: problem too large for one launch of the tiled kernel");
  Kokkos::TeamPolicy<Kokkos::Cuda, Kokkos::LaunchBounds<Config::threads, 2>> policy(space, int(league),
                                                                                    Config::threads);
  policy.set_scratch_size(0, Kokkos::PerTeam(Config::scratch_floats * sizeof(float) + 16));
  Kokkos::parallel_for("ktconv::gpu_tiled", policy, k);
}

template <int Kernel, int Stride, int PadPhase, class Epilogue>
void launch_gpu_tiled(Kokkos::Cuda const &space, ConvGeometry const &g, Input4<float, Kokkos::CudaSpace> x,
                      Input4<float, Kokkos::CudaSpace> weight, Input1<float, Kokkos::CudaSpace> conv_bias,
                      Output4<float, Kokkos::CudaSpace> y, Epilogue const &epilogue, MathMode math)
{
  using Config = GpuTileConfig<Kernel, Stride, PadPhase, PadPhase>;
  switch (math)
  {
  case MathMode::tf32:
    launch_gpu_tiled_kernel<Config, TensorCoreMainloop<Config, 1>>(space, g, x, weight, conv_bias, y, epilogue);
    break;
  case MathMode::tf32x3:
    launch_gpu_tiled_kernel<Config, TensorCoreMainloop<Config, 3>>(space, g, x, weight, conv_bias, y, epilogue);
    break;
  default:
    launch_gpu_tiled_kernel<Config, SimtMainloop<Config>>(space, g, x, weight, conv_bias, y, epilogue);
    break;
  }
}

#endif // KOKKOS_ENABLE_CUDA

template <class ExecutionSpace, class T, class Epilogue>
void run_gpu_tiled([[maybe_unused]] ExecutionSpace const &space, [[maybe_unused]] ConvGeometry const &g,
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
    switch (gpu_tiled_variant(g))
    {
    case 0: launch_gpu_tiled<3, 2, 0>(space, g, x, weight, conv_bias, y, fast, math); return;
    case 1: launch_gpu_tiled<3, 2, 1>(space, g, x, weight, conv_bias, y, fast, math); return;
    case 2: launch_gpu_tiled<4, 2, 0>(space, g, x, weight, conv_bias, y, fast, math); return;
    case 3: launch_gpu_tiled<4, 2, 1>(space, g, x, weight, conv_bias, y, fast, math); return;
    case 4: launch_gpu_tiled<2, 2, 0>(space, g, x, weight, conv_bias, y, fast, math); return;
    case 5: launch_gpu_tiled<2, 2, 1>(space, g, x, weight, conv_bias, y, fast, math); return;
    case 6: launch_gpu_tiled<3, 1, 0>(space, g, x, weight, conv_bias, y, fast, math); return;
    default: break;
    }
  }
#endif
  throw std::logic_error("ktconv: run_gpu_tiled called for an unsupported case");
}

} // namespace ktconv::Details

#endif
