// The Hopper tensor-core main loop of the tiled kernel (WgmmaMainloop: warpgroup MMA, sm_90a,
// MathMode::tf32 where the weights are staged by TMA): A from registers, B read by the tensor
// cores straight from the staged weights; mma.sync on the same layout in code without wgmma.
#ifndef KTCONV_DETAILS_CUDA_MAINLOOP_WGMMA_MAINLOOP_HPP
#define KTCONV_DETAILS_CUDA_MAINLOOP_WGMMA_MAINLOOP_HPP

#include <ktconv/details/cuda/arch/KTConv_ArchFeatures.hpp>
#include <ktconv/details/cuda/arch/KTConv_MmaSync.hpp>
#include <ktconv/details/cuda/arch/KTConv_Wgmma.hpp>
#include <ktconv/details/cuda/kernel/KTConv_PhaseTaps.hpp>
#include <ktconv/details/cuda/mainloop/KTConv_Fragments.hpp>
#include <ktconv/details/cuda/mainloop/KTConv_Mainloop.hpp>

#include <Kokkos_Core.hpp>

#include <cstdint>

#if defined(KOKKOS_ENABLE_CUDA)

// clang-format off

namespace ktconv::Details
{

// ---- main loop 3: warpgroup MMA (wgmma.m64n32k8, TF32), A from registers, B from scratch ------
// An implicit GEMM per block position as in TensorCoreMainloop, but each warpgroup (4 warps)
// issues one wgmma per tap for 64 pixels x 32 channels: warp w owns the 16 pixels
// [16w, 16w + 16) of the tile (row-major over tile_qh x tile_qw) for all 32 channels. A
// fragments come from the staged patch (registers, the m16n8k8 layout); B is read by the tensor
// cores straight from the staged weights, packed per 8 input channels as [tap][8-channel
// block][4-input-channel block][8][4] (K-major core matrices of 8 x 16 bytes, no swizzle:
// 128 bytes apart along K, 256 along N), so no thread loads B at all. The warpgroup waits for
// its step's MMAs before releasing the stage (two stages leave no room to hold one longer).
// Against TensorCoreMainloop it is faster on the seed shape (docs/EXPERIMENTS.md); warpgroup
// MMA's peak is above mma.sync's (benchmarks/probes/mma_peak.cu). A operands are read from
// scratch as floats and bit-cast in registers: bit-casting the shared-memory value by
// reference compiled to four byte loads per operand.
template <class Config>
struct WgmmaMainloop
{
  static constexpr int K = Config::kernel, S = Config::stride;
  static constexpr int NT = 4; // n-tiles of 8 channels (the m16n8 accumulator layout, per warp)
  static constexpr bool transposed_weights = false;
  static_assert(Config::tma && !Config::weights_in_global, "B must be staged in scratch");
  static_assert(Config::block_co == 32 && Config::warps == 8 && Config::tile_qw % 16 == 0 &&
                    Config::tile_qh * Config::tile_qw == 16 * Config::warps,
                "warp layout: 16 pixels per warp, two warpgroups");
  static constexpr int pack_ci = 8, pack_parts = 1, pack_unit_floats = Config::taps * 256;
  KOKKOS_FUNCTION static constexpr PackedWeightSource packed_source(int e)
  {
    int const c = e % 4, r = (e / 4) % 8, kb = (e / 32) % 2, nb = (e / 64) % 4;
    return {4 * kb + c, 8 * nb + r, e / 256, 0};
  }

  float acc[S][S][1][NT][4]; // one m-tile per warp (the fragment layout of TensorCoreMainloop)
  int warp, gid, tig, col_shift;

  KOKKOS_FORCEINLINE_FUNCTION WgmmaMainloop(int warp_, int lane, int col_shift_)
      : warp(warp_), gid(lane / 4), tig(lane % 4), col_shift(col_shift_)
  {
    zero_accumulators(*this);
  }

  // pixel index (within the tile, row-major over tile_qh x tile_qw) of accumulator row r
  KOKKOS_FORCEINLINE_FUNCTION int pixel(int r) const { return warp * 16 + r; }

  KOKKOS_FORCEINLINE_FUNCTION void compute(float const *patch, float const *w, int nci)
  {
    for (int c8 = 0; c8 < nci; c8 += 8) // nci is a multiple of 8 or the tail is zero-filled
    {
      float const *pa = patch + (c8 + tig) * Config::patch_size + col_shift;
      float const *const wu = w + (c8 / pack_ci) * pack_unit_floats;
      int const p0 = pixel(gid);
      int const row = p0 / Config::tile_qw, col = p0 % Config::tile_qw;
      // A of every input window (rows gid, gid + 8; channels tig, tig + 4), loaded before any
      // wgmma of the step reads them.
      unsigned a[Config::taps][4];
      for_each_phase_tap<Config>([&](auto index) {
        constexpr int I = decltype(index)::value;
        constexpr PhaseTap tap = PhaseTaps<Config>::list.tap[I];
        if constexpr (PhaseTaps<Config>::list.first_of_window[I])
        {
          float const *ap = pa + (row + tap.dh) * Config::patch_pitch + col + tap.dw;
          float const af[4] = {ap[0], ap[8], ap[4 * Config::patch_size], ap[4 * Config::patch_size + 8]};
          KTCONV_UNROLL
          for (int e = 0; e < 4; ++e)
            a[I][e] = Kokkos::bit_cast<unsigned>(af[e]);
        }
        else
          KTCONV_UNROLL
          for (int e = 0; e < 4; ++e)
            a[I][e] = a[I - 1][e]; // same window as the previous entry (taps come grouped)
      });
#if defined(KTCONV_DEVICE_HAS_WGMMA)
      wgmma_fence();
      std::uint64_t const base = wgmma_b_descriptor(wu); // taps are 1 KB apart: 64 in the address field
      for_each_phase_tap<Config>([&](auto index) {
        constexpr int I = decltype(index)::value;
        constexpr PhaseTap tap = PhaseTaps<Config>::list.tap[I];
        wgmma_m64n32k8_tf32(acc[tap.vh][tap.vw][0], a[I], base + std::uint64_t((tap.kh * K + tap.kw) * 64));
      });
      wgmma_commit_group();
      // the stage is read (and A may be overwritten) only once the group has completed
      wgmma_wait_group<0>();
#else
      // mma.sync on the same layout: b0 = B[k = tig][n = 8nt + gid] is core matrix (nt, 0),
      // row gid, column tig; b1 (k + 4) is core matrix (nt, 1).
      for_each_phase_tap<Config>([&](auto index) {
        constexpr int I = decltype(index)::value;
        constexpr PhaseTap tap = PhaseTaps<Config>::list.tap[I];
        float const *const b = wu + (tap.kh * K + tap.kw) * 256 + 4 * gid + tig;
        KTCONV_UNROLL
        for (int nt = 0; nt < NT; ++nt)
        {
          float const bf[2] = {b[64 * nt], b[64 * nt + 32]};
          unsigned const bb[2] = {Kokkos::bit_cast<unsigned>(bf[0]), Kokkos::bit_cast<unsigned>(bf[1])};
          mma_tf32(acc[tap.vh][tap.vw][0][nt], a[I], bb);
        }
      });
#endif
    }
  }

  // ---- what the epilogue sees: the m16n8 fragments (for_each_fragment_value/_row) ----
  static constexpr int channels_per_thread = 2 * NT;
  static constexpr bool streaming_stores = false; // see GpuTiledKernel::store_output
  static constexpr int row_width = S;
  KOKKOS_FORCEINLINE_FUNCTION int channel(int s) const { return 8 * (s / 2) + 2 * tig + s % 2; }
  static constexpr int values_per_channel = S * S * 2;
  template <class F>
  KOKKOS_FORCEINLINE_FUNCTION void for_each_value(int s, F &&f)
  {
    for_each_fragment_value(acc, s, f);
  }
  template <class F>
  KOKKOS_FORCEINLINE_FUNCTION void for_each_row(int s, F &&f) const
  {
    for_each_fragment_row<Config::tile_qw>(acc, s, gid, [&](int) { return pixel(0); }, f);
  }
};

} // namespace ktconv::Details

#endif // KOKKOS_ENABLE_CUDA

#endif
