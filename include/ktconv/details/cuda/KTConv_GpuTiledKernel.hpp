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
//   staging    : on sm_90+ the TMA pipeline here (run_tma): one thread issues each chunk of input
//                channels (the patch as a tensor-map box, the weights, packed per call in the
//                main loop's read order, as a bulk copy) into up to 4 stages, each released
//                through a named barrier and refilled by the warps in turn; otherwise cp.async
//                by every thread (KTConv_GpuStaging.hpp), double-buffered with team barriers.
//   main loop  : SimtMainloop (FFMA, IEEE fp32), TensorCoreMainloop<Split> (TF32 mma.sync,
//                Split = 3 for 3xTF32) or, for TF32 on Hopper, WgmmaMainloop (warpgroup MMA),
//                chosen by MathMode and the tile (Tf32Mainloop); all accumulate in registers.
//   epilogue   : here (store_tile). Straight from the accumulators: per channel slot, conv bias
//                and the Epilogue functor's per-channel form, then stores of whole row runs;
//                every output is written exactly once.
//
// Shapes outside the compiled set fall back to the direct kernel (AlgorithmSelection).

#include <ktconv/KTConv_Params.hpp>
#include <ktconv/details/common/KTConv_DeviceEpilogue.hpp>
#include <ktconv/details/common/KTConv_Geometry.hpp>
#include <ktconv/details/common/KTConv_Views.hpp>

#include <Kokkos_Core.hpp>

#if defined(KOKKOS_ENABLE_CUDA)
#include <cuda.h> // CUtensorMap (types only: the encoder is fetched from the driver at run time)
#include <cudaTypedefs.h>
#include <ktconv/details/cuda/KTConv_GpuSimtMainloop.hpp>
#include <ktconv/details/cuda/KTConv_GpuStaging.hpp>
#include <ktconv/details/cuda/KTConv_GpuTensorCoreMainloop.hpp>
#include <ktconv/details/cuda/KTConv_GpuTileConfig.hpp>
#include <ktconv/details/cuda/KTConv_GpuWgmmaMainloop.hpp>
#endif

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <map>
#include <mutex>
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
  using Plan = PlannedStaging<Config, Mainloop::transposed_weights>;
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
  int co_blocks{};         // ceil(out_per_group / block_co)
  std::int64_t num_tiles{}; // batch * groups * tiles_h * tiles_w * co_blocks
  bool small_tiles{};      // num_tiles fits in int
  bool small_planes{};     // an output plane's offsets fit in int
  bool vector_stores{};    // a row run of outputs can be stored as float4 (or float2) pieces
  bool vector_input{};     // input rows are 16-byte aligned: stage them 16 bytes at a time
  bool vector_weights{};   // every channel block's weight slice is 16-byte aligned
  int col_shift{};         // columns between patch column 0 and the tile's first input column
  bool small_offsets{};    // a group's input and weight offsets fit in int (PlannedStaging)

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

  // Teams are persistent: team r computes tiles r, r + league, r + 2*league, ... as one stream
  // of (tile, chunk of input channels) steps, double-buffered. The first chunk of a team's
  // next tile is issued before the last chunk of the current one is computed, so its copies
  // land while the current tile's epilogue stores. Registers hold the accumulators, the
  // staging plan; a tile's record is in scratch (written by thread 0, read after a barrier by
  // the staging of the tile's later chunks and by the epilogue).
  KOKKOS_FUNCTION void operator()(Team const &team) const
  {
    // 128-byte aligned: TMA boxes land at 128-byte boundaries; windows and weights are read as
    // float4.
    float *const scratch =
        static_cast<float *>(team.team_scratch(0).get_shmem_aligned(Config::scratch_floats * sizeof(float), 128));
    if constexpr (Config::tma)
      run_tma(team, scratch);
    else
      run_cp_async(team, scratch);
  }

  // One thread issues chunk c0 of tile t into `stage`, completing on `full`: its input patch as a
  // TMA box and, unless the main loop reads them from global memory, its packed weights as one
  // bulk copy.
  KOKKOS_FORCEINLINE_FUNCTION void issue_tma(GpuTeamTile const &t, float *stage, std::uint64_t *full, int c0) const
  {
    constexpr unsigned patch_bytes = Config::chunk_ci * Config::patch_size * sizeof(float);
    constexpr unsigned weight_bytes = Config::weights_in_global ? 0 : Config::chunk_ci * Config::weights_per_ci * sizeof(float);
    static_assert(weight_bytes % 16 == 0 && (Config::weights_offset * sizeof(float)) % 16 == 0, "bulk copy alignment");
    mbarrier_expect_bytes(full, patch_bytes + weight_bytes);
    // (the box's first column must be at a 16-byte boundary: iw_patch0, see col_shift)
    tma_load_5d(stage, &x_map, full, t.iw_patch0, t.ih_base, c0, t.group, t.n);
    if constexpr (!Config::weights_in_global)
      bulk_load(stage + Config::weights_offset, chunk_weights(t, c0), weight_bytes, full);
  }
  // The packed weights of chunk c0 of tile t (blocks hold whole chunks: packed_block_floats).
  KOKKOS_FORCEINLINE_FUNCTION static float const *chunk_weights(GpuTeamTile const &t, int c0)
  {
    return t.w + (c0 / Mainloop::pack_ci) * Mainloop::pack_unit_floats;
  }

  // The TMA pipeline: the team's stream of (tile, chunk) steps flows through the stages. Step k
  // uses stage k % stages; its "full" mbarrier (phase k / stages) is armed with the chunk's
  // bytes by the thread that issues the step and completed by the copies. When a warp has
  // computed a stage it releases it (`refill` below): warp k % warps waits on the stage's named
  // barrier and then issues step k + stages into it; the other warps arrive and go on. The
  // refilling warp rotates, so each warp waits for the others once in `warps` steps and the
  // rest of the time only arrives. H200, seed shape, one machine instance (docs/PERFORMANCE.md):
  // ieee 3.87-3.90 ms, TF32 1.37, 3xTF32 2.48, against 3.93 / 1.34-1.35 / 2.52 for the form
  // before (the last warp done refilled, elected and ordered by an acquire-release counter,
  // which compute-sanitizer's racecheck does not follow: it reported the refills as hazards) and
  // 3.97-3.98 / 1.38 / 2.56-2.59 for that election ordered by the named barrier instead.
  // With three stages or more (Config::deferred_release) the refilling warp first computes one
  // more step and only then waits and refills: by then the others have almost always arrived,
  // so it seldom waits, and the refill still lands a step or more ahead of its use.
  // No team barrier in the loop: warps drift by up to a stage.
  KOKKOS_FUNCTION void run_tma(Team const &team, float *const scratch) const
  {
    constexpr int S = Config::stages;
    GpuTeamTile *const records = reinterpret_cast<GpuTeamTile *>(scratch + Config::tile_records_offset);
    std::uint64_t *const full = reinterpret_cast<std::uint64_t *>(scratch + Config::barriers_offset);
    int const rank = team.team_rank();
    int const warp = rank / 32, lane = rank % 32;
    int const cig = g.in_per_group;
    int const chunks = (cig + Config::chunk_ci - 1) / Config::chunk_ci;
    std::int64_t const league = team.league_size();

    std::int64_t tile = team.league_rank();
    if (tile >= num_tiles)
      return;
    if (rank == 0)
      for (int b = 0; b < S; ++b)
        mbarrier_init(full + b, 1);
    team.team_barrier();

    // Issues step k (chunk k % chunks of the team's tile number k / chunks) into stage k % S, if
    // the team has that tile. A tile's record is written when its first chunk is issued (the
    // chunk's barrier publishes it) and read back from scratch for its later chunks and the
    // epilogue (no registers held across the loop).
    auto issue_step = [&](int k) {
      int const iteration = k / chunks, chunk = k - iteration * chunks;
      std::int64_t const index = team.league_rank() + iteration * league;
      if (index >= num_tiles)
        return;
      GpuTeamTile *const record = records + iteration % Config::tile_records;
      if (chunk == 0)
        *record = tile_at(index);
      issue_tma(*record, scratch + (k % S) * Config::stage_floats, full + k % S, chunk * Config::chunk_ci);
    };
    if (rank == 0)
      for (int k = 0; k < S; ++k)
        issue_step(k);

    // Stage release. Warp k % warps refills the stage of step k: it waits on the stage's named
    // barrier (id 1 + k % stages, over the team) and issues step k + stages into it; every other
    // warp arrives on that barrier and goes on. When the barrier completes, every thread's reads
    // of the stage are performed before the refill (PTX ISA, barrier{.cta}). No warp can arrive
    // for the stage's next use before this use completes: that needs the refill, issued after
    // it. (compute-sanitizer's racecheck does not reliably follow bar.arrive -> bar.sync: where
    // teams run several tiles it reports accesses this orders, as it does on
    // benchmarks/probes/stage_release_racecheck.cu; docs/DESIGN.md, "Staging".)
    auto refill = [&](int k) {
      named_barrier_sync(stage_barrier(k), Config::threads);
      if (lane == 0)
      {
        fence_proxy_async(); // the warps' reads of the stage (generic proxy) before the copies' writes
        issue_step(k + S);
      }
    };
    int step = 0;
    int iteration = 0;
    int deferred = -1; // deferred_release: the step whose stage this warp refills after this one
    for (;;)
    {
      GpuTeamTile const *const record = records + iteration % Config::tile_records;
      Mainloop mainloop(warp, lane, col_shift);
      for (int chunk = 0; chunk < chunks; ++chunk)
      {
        int const b = step % S;
        mbarrier_wait(full + b, unsigned((step / S) & 1)); // the chunk (and the tile's record) landed
        float const *const stage = scratch + b * Config::stage_floats;
        int const c0 = chunk * Config::chunk_ci;
        int const nci = cig - c0 < Config::chunk_ci ? cig - c0 : Config::chunk_ci;
        mainloop.compute(stage, Config::weights_in_global ? chunk_weights(*record, c0) : stage + Config::weights_offset,
                         nci);
        // The warp is done with the stage: its refilling warp refills it at once, or
        // (deferred_release) after computing its next step.
        bool const refills = warp == step % Config::warps;
        if constexpr (!Config::deferred_release)
        {
          if (refills)
            refill(step);
          else
            named_barrier_arrive(stage_barrier(step), Config::threads);
        }
        else
        {
          if (deferred >= 0) // the stage this warp computed one step ago
            refill(deferred);
          // Arrive only after that refill: the warp that waits on this step's barrier may issue
          // the next chunk of a tile whose record the refill wrote.
          if (!refills)
            named_barrier_arrive(stage_barrier(step), Config::threads);
          deferred = refills ? step : -1;
        }
        ++step;
      }
      store_tile(*record, mainloop);
      tile += league;
      if (tile >= num_tiles)
        break;
      ++iteration;
    }
    if (deferred >= 0) // the last step: nothing to refill, but its barrier completes
      named_barrier_sync(stage_barrier(deferred), Config::threads);
  }
  KOKKOS_FORCEINLINE_FUNCTION static int stage_barrier(int step)
  {
    static_assert(Config::stages < 16, "named barriers 1..stages (0 is the team barrier)");
    return 1 + step % Config::stages;
  }

  // The cp.async pipeline (GPUs before sm_90, and shapes TMA cannot serve).
  KOKKOS_FUNCTION void run_cp_async(Team const &team, float *const scratch) const
  {
    GpuTeamTile *const records = reinterpret_cast<GpuTeamTile *>(scratch + Config::tile_records_offset);
    int const rank = team.team_rank();
    int const warp = rank / 32, lane = rank % 32;
    int const cig = g.in_per_group;
    int const chunks = (cig + Config::chunk_ci - 1) / Config::chunk_ci;
    std::int64_t const plane = std::int64_t(g.h.in) * g.w.in;
    std::int64_t const w_ci_stride = std::int64_t(g.out_per_group) * Config::taps;
    std::int64_t const league = team.league_size();

    // Issues the copies of chunk c0 of tile t into stage `buf` (planned where the layout allows).
    auto issue = [&](GpuTeamTile const &t, Plan const &plan, int buf, int c0) {
      float *const stage = scratch + buf * Config::stage_floats;
      bool const vw = vector_weights && t.co_valid == Config::block_co;
      if (vector_input && small_offsets && (Mainloop::transposed_weights || vw))
        plan.issue(stage, t.x, t.w, int(plane), int(w_ci_stride), c0, cig);
      else
        stage_chunk_async<Config, Mainloop::transposed_weights>(stage, t, g, t.x, t.w, c0, vector_input, vw, warp,
                                                                 lane, rank);
    };

    // Starts tile `index`: its record into `slot`, its plan, and (two stages) its first chunk.
    auto start_tile = [&](std::int64_t index, int slot, Plan &plan, int buf) {
      GpuTeamTile const t = tile_at(index);
      if (rank == 0)
        records[slot] = t;
      plan = Plan(t, g, rank);
      if constexpr (Config::stages == 2)
      {
        issue(t, plan, buf, 0);
        copy_async_commit();
      }
    };

    std::int64_t tile = team.league_rank();
    if (tile >= num_tiles)
      return;
    int slot = 0; // the record of the current tile
    int buf = 0;  // the stage that holds the chunk computed next
    Plan plan;
    start_tile(tile, slot, plan, buf);
    team.team_barrier(); // the record is visible before chunk 1 is issued from it
    for (;;)
    {
      std::int64_t const next_tile = tile + league;
      Mainloop mainloop(warp, lane, col_shift);
      for (int chunk = 0; chunk < chunks; ++chunk)
      {
        int const c0 = chunk * Config::chunk_ci;
        if constexpr (Config::stages == 2)
        {
          // The next step of the stream goes into the other stage while this one is computed.
          if (chunk + 1 < chunks)
          {
            issue(records[slot], plan, buf ^ 1, c0 + Config::chunk_ci);
            copy_async_commit();
          }
          else if (next_tile < num_tiles)
            start_tile(next_tile, slot ^ 1, plan, buf ^ 1); // the current tile has no copies left
          else
            copy_async_commit(); // an empty group keeps the count uniform
          copy_async_wait<1>(); // this thread's copies of `chunk` have landed
        }
        else
        {
          issue(records[slot], plan, 0, c0);
          copy_async_commit();
          copy_async_wait<0>();
        }
        team.team_barrier(); // every thread's copies (and the tile record) have landed
        float const *const stage = scratch + buf * Config::stage_floats;
        int const nci = cig - c0 < Config::chunk_ci ? cig - c0 : Config::chunk_ci;
        mainloop.compute(stage, stage + Config::weights_offset, nci);
        team.team_barrier(); // the stage is consumed before it is refilled
        if constexpr (Config::stages == 2)
          buf ^= 1;
      }
      store_tile(records[slot], mainloop);
      if (next_tile >= num_tiles)
        break;
      tile = next_tile;
      slot ^= 1;
      if constexpr (Config::stages == 1)
      {
        start_tile(tile, slot, plan, buf);
        team.team_barrier(); // the record is visible before the tile's copies are issued from it
      }
    }
  }

  // Epilogue: straight from the accumulators. Per channel slot, the conv bias and the Epilogue
  // functor's per-channel form are applied to all the slot's values as one batch (constants
  // loaded once, no per-element branches); then each run of consecutive outputs of a row is
  // stored, as float4/float2 pieces where aligned. Each output is written once. Tiles wholly
  // inside the output take a path without bounds checks, with 32-bit offsets in the plane.
  // TMA kernels (per_tile) do the work that does not depend on the slot once per tile (TF32 on
  // the seed shape spent as long in its epilogue as in its main loop): every slot's bias loads
  // are issued together (one memory latency, not one per slot), the record's fields are read
  // from scratch once (the compiler cannot keep them across the global stores), and a run's
  // offset in the plane, the same for every slot (Mainloop::for_each_row), is computed once.
  // The cp.async kernels, which spill already, read the record and each slot's constants where
  // they use them: holding them in registers made them 2-10% slower (H200 with TMA disabled,
  // seed ieee 4.53 -> 4.73 ms; docs/PERFORMANCE.md).
  KOKKOS_FORCEINLINE_FUNCTION void store_tile(GpuTeamTile const &record, Mainloop &mainloop) const
  {
    constexpr bool per_tile = Config::tma;
    // the record's fields: copied (read once) or referenced (read from scratch where used)
    std::conditional_t<per_tile, GpuTeamTile const, GpuTeamTile const &> t = record;
    int const co0 = t.group * g.out_per_group + t.co0; // the block's first channel
    std::int64_t const out_plane = std::int64_t(g.h.out) * g.w.out;
    int const w_out = g.w.out;
    constexpr int N = Mainloop::channels_per_thread;
    auto const channel_of = [&](int s) { // slots past co_valid (skipped below) read channel co0
      int const local = mainloop.channel(s);
      return co0 + (local < t.co_valid ? local : 0);
    };
    // conv bias first, then the epilogue: PyTorch's order (conv(x) + b, then the tail);
    // x + (-0.0) == x for every x, so a missing bias adds -0.0 (no branch)
    auto const cbias_of = [&](int s) { return g.has_conv_bias ? conv_bias(channel_of(s)) : -0.0f; };
    auto const op_of = [&](int s) { return channel_op(epilogue, channel_of(s)); };
    constexpr int W = Mainloop::row_width;
    float *const y0 = y.data() + (std::int64_t(t.n) * g.out_channels + co0) * out_plane; // channel co0, (0, 0)
    bool const interior =
        vector_stores && small_planes && t.oh0 + Config::out_rows <= g.h.out && t.ow0 + Config::out_cols <= w_out;
    // The slots, given each slot's conv bias and per-channel op.
    auto const store_slots = [&](auto const &cbias_at, auto const &op_at) {
      auto const transform = [&](int s) {
        float const cbias = cbias_at(s);
        transform_slot(mainloop, s, [&](auto &v) {
          KTCONV_UNROLL
          for (int e = 0; e < Mainloop::values_per_channel; ++e)
            v[e] += cbias;
          apply_channel_op(op_at(s), v);
        });
      };
      // Transforms each slot whose channel exists and calls store(slot, its tile-local channel).
      auto const for_each_valid_slot = [&](auto const &store) {
        KTCONV_UNROLL
        for (int s = 0; s < N; ++s)
        {
          int const local = mainloop.channel(s);
          if (local >= t.co_valid)
            continue;
          transform(s);
          store(s, local);
        }
      };
      if (interior)
      {
        constexpr int runs = Mainloop::values_per_channel / W;
        [[maybe_unused]] int offset[runs]; // of each run from the tile's corner (fits in int: small_planes)
        int k = 0;
        if constexpr (per_tile)
          mainloop.for_each_row(0, [&](int r, int c, float const(&)[W]) { offset[k++] = r * w_out + c; });
        float *const corner = y0 + (t.oh0 * w_out + t.ow0);
        for_each_valid_slot([&](int s, int local) {
          float *const yt = corner + local * out_plane;
          k = 0;
          mainloop.for_each_row(s, [&](int r, int c, float const(&v)[W]) {
            if constexpr (per_tile)
              store_run<true>(yt + offset[k++], v, W);
            else
              store_run<true>(yt + (r * w_out + c), v, W);
          });
        });
        return;
      }
      for_each_valid_slot([&](int s, int local) {
        float *const yc = y0 + local * out_plane;
        mainloop.for_each_row(s, [&](int r, int c, float const(&v)[W]) {
          int const oh = t.oh0 + r, ow = t.ow0 + c;
          if (oh < g.h.out && ow < w_out)
          {
            float *const dst = yc + std::int64_t(oh) * w_out + ow;
            if (vector_stores && ow + W <= w_out)
              store_run<true>(dst, v, W);
            else
              store_run<false>(dst, v, w_out - ow);
          }
        });
      });
    };
    // per_tile: every slot's constants loaded before any is used (one memory latency per tile)
    if constexpr (per_tile)
    {
      auto const cbiases = per_slot<N>(cbias_of);
      auto const ops = per_slot<N>(op_of);
      store_slots([&](int s) { return cbiases[s]; }, [&](int s) -> auto const & { return ops[s]; });
    }
    else
      store_slots(cbias_of, op_of);
  }

  // {f(0), ..., f(N - 1)} as a Kokkos::Array (built in place: f's result type need not be
  // default-constructible, as a user's epilogue functor need not be).
  template <int N, class F>
  KOKKOS_FORCEINLINE_FUNCTION static auto per_slot(F &&f)
  {
    return [&]<int... I>(std::integer_sequence<int, I...>) {
      return Kokkos::Array<decltype(f(0)), N>{{f(I)...}};
    }(std::make_integer_sequence<int, N>{});
  }

  // Stores the first min(n, W) values of a run; Vector: all W, in float4/float2 pieces.
  template <bool Vector, int W>
  KOKKOS_FORCEINLINE_FUNCTION static void store_run(float *dst, float const (&v)[W], int n)
  {
    if constexpr (Vector && W % 4 == 0)
    {
      KTCONV_UNROLL
      for (int e = 0; e < W; e += 4)
        store_output(reinterpret_cast<float4 *>(dst + e), make_float4(v[e], v[e + 1], v[e + 2], v[e + 3]));
    }
    else if constexpr (Vector && W == 2)
      store_output(reinterpret_cast<float2 *>(dst), make_float2(v[0], v[1]));
    else
    {
      KTCONV_UNROLL
      for (int e = 0; e < W; ++e)
        if (Vector || e < n)
          store_output(dst + e, v[e]);
    }
  }
  // One store of outputs: streaming (st.global.cs, evict-first) where the main loop asks for it
  // (the outputs are written once and not read again by this kernel). Measured on the H100, seed
  // shape: the CUDA-core loop's TMA kernels 3-4% faster with it, its cp.async kernels slower
  // (more spills: 4.83 against 4.57 ms), the tensor-core loops 1-3% slower; why is not
  // established, so it is a per-loop choice (Mainloop::streaming_stores).
  template <class V>
  KOKKOS_FORCEINLINE_FUNCTION static void store_output(V *dst, V const &v)
  {
    if constexpr (Mainloop::streaming_stores)
    {
      KOKKOS_IF_ON_DEVICE((__stcs(dst, v);))
      KOKKOS_IF_ON_HOST((*dst = v;))
    }
    else
      *dst = v;
  }
};

template <class Config, class Mainloop, class Epilogue>
void launch_gpu_tiled_kernel(Kokkos::Cuda const &space, ConvGeometry const &g, Input4<float, Kokkos::CudaSpace> x,
                             Input4<float, Kokkos::CudaSpace> weight, Input1<float, Kokkos::CudaSpace> conv_bias,
                             Output4<float, Kokkos::CudaSpace> y, Epilogue const &epilogue,
                             CUtensorMap const *x_map, float const *packed_weights)
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
  Kokkos::TeamPolicy<Kokkos::Cuda, Kokkos::LaunchBounds<Config::threads, Config::teams_per_sm>> policy(
      space, league, Config::threads);
  policy.set_scratch_size(0, Kokkos::PerTeam(Config::scratch_floats * sizeof(float) + 128));
  // The occupancy we run at, stated, so that Kokkos sets the kernel's shared-memory carveout for
  // exactly teams_per_sm teams' scratch and leaves the rest of each SM's L1/shared array to L1,
  // where the tensor-core loop may read its weights from (left to the driver, the carveout could
  // leave L1 too small for them). On the seed shape, with weights staged, it measured the same
  // either way.
  int const occupancy = int(100 * Config::teams_per_sm * Config::threads /
                            std::max(1, space.cuda_device_prop().maxThreadsPerMultiProcessor));
  Kokkos::parallel_for("ktconv::gpu_tiled",
                       Kokkos::Experimental::prefer(policy, Kokkos::Experimental::DesiredOccupancy(
                                                                std::clamp(occupancy, 1, 100))),
                       k);
}

// The driver's cuTensorMapEncodeTiled, fetched through the runtime (no link to libcuda), or
// null where the driver has none.
inline PFN_cuTensorMapEncodeTiled_v12000 tensor_map_encoder()
{
  static PFN_cuTensorMapEncodeTiled_v12000 const encoder = [] {
    void *fn = nullptr;
    cudaDriverEntryPointQueryResult found{};
    if (cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &fn, 12000, cudaEnableDefault, &found) !=
            cudaSuccess ||
        found != cudaDriverEntryPointSuccess)
      return PFN_cuTensorMapEncodeTiled_v12000(nullptr);
    return reinterpret_cast<PFN_cuTensorMapEncodeTiled_v12000>(fn);
  }();
  return encoder;
}

// Floats of one (group, channel block) of a main loop's packed weights: whole chunks of input
// channels (zero-padded), so a stage's bulk copy never reads past the block.
template <class Config, class Mainloop>
std::int64_t packed_block_floats(ConvGeometry const &g)
{
  static_assert(Config::chunk_ci % Mainloop::pack_ci == 0);
  int const chunks = (g.in_per_group + Config::chunk_ci - 1) / Config::chunk_ci;
  return std::int64_t(chunks) * (Config::chunk_ci / Mainloop::pack_ci) * Mainloop::pack_unit_floats;
}

// Packs the weights per call in the order a main loop's threads read them
// (Mainloop::packed_source), per (group, channel block of block_co), zero for channels past
// the group's last; for 3xTF32 as the split (tf32 big part, small part).
template <class Mainloop>
struct PackWeights
{
  Input4<float, Kokkos::CudaSpace> weight; // [cin][cog][kh][kw]
  float *packed;
  int cig, cog, co_blocks, block_co, units, kw;
  KOKKOS_FUNCTION void operator()(std::int64_t i) const
  {
    int const e = int(i % Mainloop::pack_unit_floats);
    std::int64_t rest = i / Mainloop::pack_unit_floats;
    int const unit = int(rest % units);
    rest /= units;
    int const cb = int(rest % co_blocks);
    int const group = int(rest / co_blocks);
    PackedWeightSource const src = Mainloop::packed_source(e);
    int const ci = unit * Mainloop::pack_ci + src.ci, co = cb * block_co + src.co;
    float const v = ci < cig && co < cog ? weight(group * cig + ci, co, src.tap / kw, src.tap % kw) : 0.f;
    if constexpr (Mainloop::pack_parts == 2)
    {
      float const big = Kokkos::bit_cast<float>(tf32_bits(v));
      packed[i] = src.part == 0 ? big : v - big;
    }
    else
      packed[i] = v;
  }
};

// Encodes the TMA tensor map of the input for Config; false where TMA cannot serve the launch
// (GPU before sm_90, rows not a multiple of 16 bytes, unaligned data, no encoder, a shape the
// encoder rejects, a build whose Kokkos does not pass functors as __grid_constant__
// parameters).
template <class Config>
bool encode_input_tma_map(Kokkos::Cuda const &space, ConvGeometry const &g, Input4<float, Kokkos::CudaSpace> x,
                          CUtensorMap &x_map)
{
#if defined(KOKKOS_IMPL_CUDA_USE_GRID_CONSTANT)
  auto const encode = tensor_map_encoder();
  if (!encode || space.cuda_device_prop().major < 9 || g.w.in % 4 != 0 ||
      reinterpret_cast<std::uintptr_t>(x.data()) % 16 != 0)
    return false;
  using u64 = cuuint64_t;
  using u32 = cuuint32_t;
  u64 const cig = u64(g.in_per_group);
  u64 const plane_bytes = u64(g.h.in) * u64(g.w.in) * sizeof(float);
  u64 const x_dims[5] = {u64(g.w.in), u64(g.h.in), cig, u64(g.groups), u64(g.batch)};
  u64 const x_strides[4] = {u64(g.w.in) * sizeof(float), plane_bytes, cig * plane_bytes,
                            u64(g.in_channels) * plane_bytes};
  u32 const x_box[5] = {u32(Config::patch_pitch), u32(Config::patch_rows), u32(Config::chunk_ci), 1, 1};
  u32 const unit[5] = {1, 1, 1, 1, 1};
  return encode(&x_map, CU_TENSOR_MAP_DATA_TYPE_FLOAT32, 5, const_cast<float *>(x.data()), x_dims, x_strides, x_box,
                unit, CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_NONE,
                CU_TENSOR_MAP_L2_PROMOTION_L2_128B,
                CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE) == CUDA_SUCCESS;
#else
  (void)space, (void)g, (void)x, (void)x_map;
  return false;
#endif
}

// ktconv's stream-ordered memory pool for per-call workspace (the packed weights), one per
// device, created on first use and kept for the process. Unlike the device's default pool
// (release threshold 0: memory goes back to the driver at every synchronization) it keeps
// up to 64 MiB reserved, so steady-state calls do not map memory again. Null where the device
// has no memory pools (then cudaMallocAsync's default pool serves).
inline cudaMemPool_t workspace_pool(int device)
{
  static std::mutex mutex;
  static std::map<int, cudaMemPool_t> pools;
  std::lock_guard<std::mutex> lock(mutex);
  auto const found = pools.find(device);
  if (found != pools.end())
    return found->second;
  cudaMemPool_t pool = nullptr;
  int supported = 0;
  if (cudaDeviceGetAttribute(&supported, cudaDevAttrMemoryPoolsSupported, device) == cudaSuccess && supported)
  {
    cudaMemPoolProps props{};
    props.allocType = cudaMemAllocationTypePinned;
    props.location.type = cudaMemLocationTypeDevice;
    props.location.id = device;
    std::uint64_t threshold = std::uint64_t(64) << 20;
    if (cudaMemPoolCreate(&pool, &props) != cudaSuccess ||
        cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &threshold) != cudaSuccess)
      pool = nullptr;
  }
  (void)cudaGetLastError(); // a failure above only means the default pool serves
  pools.emplace(device, pool);
  return pool;
}

// Launches the main loop family Mainloop<Config> with TMA staging where the shape and device
// allow (unless KTCONV_DISABLE_TMA is set in the environment, to compare the two staging
// paths), else with cp.async staging. The TMA form reads weights packed per call
// (PackWeights) into a buffer from the stream-ordered allocator (workspace_pool; allocated and
// freed on the execution space's stream: no device synchronization, the launch stays
// asynchronous).
template <template <class> class Mainloop, bool TensorCores, bool DeepStaging, int Kernel, int Stride, int PadPhase,
          class Epilogue>
void launch_gpu_tiled_with(Kokkos::Cuda const &space, ConvGeometry const &g, Input4<float, Kokkos::CudaSpace> x,
                           Input4<float, Kokkos::CudaSpace> weight, Input1<float, Kokkos::CudaSpace> conv_bias,
                           Output4<float, Kokkos::CudaSpace> y, Epilogue const &epilogue)
{
  using TmaConfig = GpuTileConfig<Kernel, Stride, PadPhase, PadPhase, true, TensorCores, DeepStaging>;
  using CopyConfig = GpuTileConfig<Kernel, Stride, PadPhase, PadPhase, false>;
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
// mma.sync otherwise. Seed shape, H100: 1.52 ms against 1.59 ms (docs/PERFORMANCE.md).
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

template <int Kernel, int Stride, int PadPhase, class Epilogue>
void launch_gpu_tiled(Kokkos::Cuda const &space, ConvGeometry const &g, Input4<float, Kokkos::CudaSpace> x,
                      Input4<float, Kokkos::CudaSpace> weight, Input1<float, Kokkos::CudaSpace> conv_bias,
                      Output4<float, Kokkos::CudaSpace> y, Epilogue const &epilogue, MathMode math)
{
  switch (math)
  {
  case MathMode::tf32:
    launch_gpu_tiled_with<Tf32Mainloop, true, false, Kernel, Stride, PadPhase>(space, g, x, weight, conv_bias, y,
                                                                              epilogue);
    break;
  case MathMode::tf32x3:
    launch_gpu_tiled_with<Tf32x3Mainloop, true, true, Kernel, Stride, PadPhase>(space, g, x, weight, conv_bias, y,
                                                                               epilogue);
    break;
  default:
    launch_gpu_tiled_with<SimtMainloop, false, false, Kernel, Stride, PadPhase>(space, g, x, weight, conv_bias, y,
                                                                               epilogue);
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
