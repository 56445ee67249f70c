// The TMA pipeline of the tiled kernel (sm_90+, TmaPipeline): one thread issues each chunk of
// input channels of the team's stream of tiles (the input patch as a tensor-map box, the
// packed weights as a bulk copy) into up to four stages of team scratch, each completing on a
// "full" mbarrier; warps release a stage through a named barrier and refill it in turn.
#ifndef KTCONV_DETAILS_CUDA_PIPELINE_TMA_PIPELINE_HPP
#define KTCONV_DETAILS_CUDA_PIPELINE_TMA_PIPELINE_HPP

#include <ktconv/details/cuda/arch/KTConv_Fence.hpp>
#include <ktconv/details/cuda/arch/KTConv_Mbarrier.hpp>
#include <ktconv/details/cuda/arch/KTConv_NamedBarrier.hpp>
#include <ktconv/details/cuda/arch/KTConv_Tma.hpp>
#include <ktconv/details/cuda/kernel/KTConv_GpuTeamTile.hpp>
#include <ktconv/details/cuda/mainloop/KTConv_Mainloop.hpp>

#include <Kokkos_Core.hpp>

#include <cstdint>

#if defined(KOKKOS_ENABLE_CUDA)

namespace ktconv::Details
{

// The pipeline: the team's stream of (tile, chunk) steps flows through the stages. Step k uses
// stage k % stages; its "full" mbarrier (phase k / stages) is armed with the chunk's bytes by
// the thread that issues the step and completed by the copies. When a warp has computed a
// stage it releases it (`refill` in run): warp k % warps waits on the stage's named barrier and
// then issues step k + stages into it; the other warps arrive and go on. The refilling warp
// rotates, so each warp waits for the others once in `warps` steps and the rest of the time
// only arrives (docs/EXPERIMENTS.md has the forms this replaced, measured). With three stages
// or more (Config::deferred_release) the refilling warp first computes one more step and only
// then waits and refills: by then the others have almost always arrived, so it seldom waits,
// and the refill still lands a step or more ahead of its use. No team barrier in the loop:
// warps drift by up to a stage.
//
// Kernel (GpuTiledKernel) provides the tensor map x_map, g, num_tiles, col_shift, tile_at and
// store_tile (the epilogue).
template <class Config, class Mainloop>
struct TmaPipeline
{
  static_assert(TiledMainloop<Mainloop>, "TmaPipeline: Mainloop must model TiledMainloop");
  using Team = typename Kokkos::TeamPolicy<Kokkos::Cuda>::member_type;

  // One thread issues chunk c0 of tile t into `stage`, completing on `full`: its input patch as
  // a TMA box and, unless the main loop reads them from global memory, its packed weights as
  // one bulk copy.
  template <class Kernel>
  KOKKOS_FORCEINLINE_FUNCTION static void issue(Kernel const &k, GpuTeamTile const &t, float *stage,
                                                std::uint64_t *full, int c0)
  {
    constexpr unsigned patch_bytes = Config::chunk_ci * Config::patch_size * sizeof(float);
    constexpr unsigned weight_bytes = Config::weights_in_global
                                          ? 0
                                          : Config::chunk_ci * Config::weights_per_ci * sizeof(float);
    static_assert(weight_bytes % 16 == 0 && (Config::weights_offset * sizeof(float)) % 16 == 0, "bulk copy alignment");
    mbarrier_expect_bytes(full, patch_bytes + weight_bytes);
    // (the box's first column must be at a 16-byte boundary: iw_patch0, see col_shift)
    tma_load_5d(stage, &k.x_map, full, t.iw_patch0, t.ih_base, c0, t.group, t.n);
    if constexpr (!Config::weights_in_global)
      bulk_load(stage + Config::weights_offset, chunk_weights(t, c0), weight_bytes, full);
  }
  // The packed weights of chunk c0 of tile t (blocks hold whole chunks: packed_block_floats).
  KOKKOS_FORCEINLINE_FUNCTION static float const *chunk_weights(GpuTeamTile const &t, int c0)
  {
    return t.w + (c0 / Mainloop::pack_ci) * Mainloop::pack_unit_floats;
  }
  // The named barrier that releases the stage of `step`.
  KOKKOS_FORCEINLINE_FUNCTION static int stage_barrier(int step)
  {
    static_assert(Config::stages < 16, "named barriers 1..stages (0 is the team barrier)");
    return 1 + step % Config::stages;
  }

  // Stage release (the lambda `refill` below). Warp k % warps refills the stage of step k: it
  // waits on the stage's named barrier (id 1 + k % stages, over the team) and issues step
  // k + stages into it; every other warp arrives on that barrier and goes on. When the barrier
  // completes, every thread's reads of the stage are performed before the refill (PTX ISA,
  // barrier{.cta}). No warp can arrive for the stage's next use before this use completes: that
  // needs the refill, issued after it. (compute-sanitizer's racecheck does not reliably follow
  // bar.arrive -> bar.sync: where teams run several tiles it reports accesses this orders, as
  // it does on benchmarks/probes/stage_release_racecheck.cu; docs/DESIGN.md, "Staging".)
  //
  // A tile's record is written when its first chunk is issued (the chunk's barrier publishes
  // it) and read back from scratch for its later chunks and the epilogue (no registers held
  // across the loop).
  template <class Kernel>
  KOKKOS_FUNCTION static void run(Kernel const &k, Team const &team, float *const scratch)
  {
    constexpr int S = Config::stages;
    GpuTeamTile *const records = reinterpret_cast<GpuTeamTile *>(scratch + Config::tile_records_offset);
    std::uint64_t *const full = reinterpret_cast<std::uint64_t *>(scratch + Config::barriers_offset);
    int const rank = team.team_rank();
    int const warp = rank / 32, lane = rank % 32;
    int const cig = k.g.in_per_group;
    int const chunks = (cig + Config::chunk_ci - 1) / Config::chunk_ci;
    std::int64_t const league = team.league_size();

    std::int64_t tile = team.league_rank();
    if (tile >= k.num_tiles)
      return;
    if (rank == 0)
      for (int b = 0; b < S; ++b)
        mbarrier_init(full + b, 1);
    team.team_barrier();

    // Issues step k (chunk k % chunks of the team's tile number k / chunks) into stage k % S, if
    // the team has that tile.
    auto issue_step = [&](int step) {
      int const iteration = step / chunks, chunk = step - iteration * chunks;
      std::int64_t const index = team.league_rank() + iteration * league;
      if (index >= k.num_tiles)
        return;
      GpuTeamTile *const record = records + iteration % Config::tile_records;
      if (chunk == 0)
        *record = k.tile_at(index);
      issue(k, *record, scratch + (step % S) * Config::stage_floats, full + step % S, chunk * Config::chunk_ci);
    };
    if (rank == 0)
      for (int step = 0; step < S; ++step)
        issue_step(step);

    auto refill = [&](int step) {
      named_barrier_sync(stage_barrier(step), Config::threads);
      if (lane == 0)
      {
        fence_proxy_async(); // the warps' reads of the stage (generic proxy) before the copies' writes
        issue_step(step + S);
      }
    };
    int step = 0;
    int iteration = 0;
    int deferred = -1; // deferred_release: the step whose stage this warp refills after this one
    for (;;)
    {
      GpuTeamTile const *const record = records + iteration % Config::tile_records;
      Mainloop mainloop(warp, lane, k.col_shift);
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
      k.store_tile(*record, mainloop);
      tile += league;
      if (tile >= k.num_tiles)
        break;
      ++iteration;
    }
    if (deferred >= 0) // the last step: nothing to refill, but its barrier completes
      named_barrier_sync(stage_barrier(deferred), Config::threads);
  }
};

} // namespace ktconv::Details

#endif // KOKKOS_ENABLE_CUDA

#endif
