// The cp.async pipeline of the tiled kernel (CpAsyncPipeline: GPUs before sm_90, and shapes
// TMA cannot serve): every thread copies its part of each chunk of input channels into one of
// one or two stages of team scratch, double-buffered with team barriers.
#ifndef KTCONV_DETAILS_CUDA_PIPELINE_CP_ASYNC_PIPELINE_HPP
#define KTCONV_DETAILS_CUDA_PIPELINE_CP_ASYNC_PIPELINE_HPP

#include <ktconv/details/cuda/arch/KTConv_CpAsync.hpp>
#include <ktconv/details/cuda/kernel/KTConv_GpuTeamTile.hpp>
#include <ktconv/details/cuda/mainloop/KTConv_Mainloop.hpp>
#include <ktconv/details/cuda/pipeline/KTConv_CpAsyncStaging.hpp>

#include <Kokkos_Core.hpp>

#include <cstdint>

#if defined(KOKKOS_ENABLE_CUDA)

namespace ktconv::Details
{

// Teams are persistent: team r computes tiles r, r + league, r + 2*league, ... as one stream
// of (tile, chunk of input channels) steps. With two stages the first chunk of a team's next
// tile is issued before the last chunk of the current one is computed, so its copies land
// while the current tile's epilogue stores. Registers hold the accumulators and the staging
// plan; a tile's record is in scratch (written by thread 0, read after a barrier by the
// staging of the tile's later chunks and by the epilogue).
//
// Kernel (GpuTiledKernel) provides g, num_tiles, col_shift, the layout flags (vector_input,
// vector_weights, small_offsets), tile_at and store_tile (the epilogue).
template <class Config, class Mainloop>
struct CpAsyncPipeline
{
  static_assert(TiledMainloop<Mainloop>, "CpAsyncPipeline: Mainloop must model TiledMainloop");
  using Team = typename Kokkos::TeamPolicy<Kokkos::Cuda>::member_type;
  using Plan = PlannedStaging<Config, Mainloop::transposed_weights>;

  template <class Kernel>
  KOKKOS_FUNCTION static void run(Kernel const &k, Team const &team, float *const scratch)
  {
    GpuTeamTile *const records = reinterpret_cast<GpuTeamTile *>(scratch + Config::tile_records_offset);
    int const rank = team.team_rank();
    int const warp = rank / 32, lane = rank % 32;
    int const cig = k.g.in_per_group;
    int const chunks = (cig + Config::chunk_ci - 1) / Config::chunk_ci;
    std::int64_t const plane = std::int64_t(k.g.h.in) * k.g.w.in;
    std::int64_t const w_ci_stride = std::int64_t(k.g.out_per_group) * Config::taps;
    std::int64_t const league = team.league_size();

    // Issues the copies of chunk c0 of tile t into stage `buf` (planned where the layout allows).
    auto issue = [&](GpuTeamTile const &t, Plan const &plan, int buf, int c0) {
      float *const stage = scratch + buf * Config::stage_floats;
      bool const vw = k.vector_weights && t.co_valid == Config::block_co;
      if (k.vector_input && k.small_offsets && (Mainloop::transposed_weights || vw))
        plan.issue(stage, t.x, t.w, int(plane), int(w_ci_stride), c0, cig);
      else
        stage_chunk_async<Config, Mainloop::transposed_weights>(stage, t, k.g, t.x, t.w, c0, k.vector_input, vw, warp,
                                                                lane, rank);
    };

    // Starts tile `index`: its record into `slot`, its plan, and (two stages) its first chunk.
    auto start_tile = [&](std::int64_t index, int slot, Plan &plan, int buf) {
      GpuTeamTile const t = k.tile_at(index);
      if (rank == 0)
        records[slot] = t;
      plan = Plan(t, k.g, rank);
      if constexpr (Config::stages == 2)
      {
        issue(t, plan, buf, 0);
        copy_async_commit();
      }
    };

    std::int64_t tile = team.league_rank();
    if (tile >= k.num_tiles)
      return;
    int slot = 0; // the record of the current tile
    int buf = 0;  // the stage that holds the chunk computed next
    Plan plan;
    start_tile(tile, slot, plan, buf);
    team.team_barrier(); // the record is visible before chunk 1 is issued from it
    for (;;)
    {
      std::int64_t const next_tile = tile + league;
      Mainloop mainloop(warp, lane, k.col_shift);
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
          else if (next_tile < k.num_tiles)
            start_tile(next_tile, slot ^ 1, plan, buf ^ 1); // the current tile has no copies left
          else
            copy_async_commit(); // an empty group keeps the count uniform
          copy_async_wait<1>();  // this thread's copies of `chunk` have landed
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
      k.store_tile(records[slot], mainloop);
      if (next_tile >= k.num_tiles)
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
};

} // namespace ktconv::Details

#endif // KOKKOS_ENABLE_CUDA

#endif
