// The tensor-core main loop of the tiled kernel (TensorCoreMainloop: TF32 mma.sync m16n8k8,
// MathMode::tf32; Split = 3 for 3xTF32, MathMode::tf32x3): an implicit GEMM per stride phase
// with fragments loaded straight from the staged patch and weights.
#ifndef KTCONV_DETAILS_CUDA_MAINLOOP_TENSOR_CORE_MAINLOOP_HPP
#define KTCONV_DETAILS_CUDA_MAINLOOP_TENSOR_CORE_MAINLOOP_HPP

#include <ktconv/details/cuda/arch/KTConv_ArchFeatures.hpp>
#include <ktconv/details/cuda/arch/KTConv_GlobalMemory.hpp>
#include <ktconv/details/cuda/arch/KTConv_MmaSync.hpp>
#include <ktconv/details/cuda/kernel/KTConv_PhaseTaps.hpp>
#include <ktconv/details/cuda/mainloop/KTConv_Fragments.hpp>
#include <ktconv/details/cuda/mainloop/KTConv_Mainloop.hpp>

#include <Kokkos_Core.hpp>

#if defined(KOKKOS_ENABLE_CUDA)

// clang-format off

namespace ktconv::Details
{

// ---- main loop 2: tensor cores (TF32 mma.sync m16n8k8), optional 3xTF32 split ----------------
// An implicit GEMM per block position (vh, vw): M = the tile's output blocks (pixels),
// N = channels, K = (input channel, tap of that phase). Warp w owns pixels of tile row
// w % 4 (for S = 2; a quarter of the tile in general) as MT m-tiles of 16, and channels
// 16*(w / 4) + [0, 16) as 2 n-tiles of 8, for every block position: acc = S*S*MT*2*4 floats.
// Fragments come straight from the staged patch and weights (scratch padded so the loads are
// conflict-free). Split = 3 adds the small parts (a - tf32(a)) for about fp32 accuracy.

template <class Config, int Split>
struct TensorCoreMainloop
{
  static constexpr int K = Config::kernel, S = Config::stride;
  static constexpr int PH = Config::pad_phase_h, PW = Config::pad_phase_w;
  static constexpr int pixels_per_warp = Config::tile_qh * Config::tile_qw / 4;
  static constexpr int MT = pixels_per_warp / 16, NT = 2;
  static constexpr bool transposed_weights = false;
  // TMA configurations read B packed per channel block in units of 8 input channels as
  // [tap][warp's channel half][part][lane][4]: per tap a thread loads its whole B fragment for
  // both n-tiles, {b[0][0], b[0][1], b[1][0], b[1][1]}, as one float4 (a warp reads 512
  // contiguous bytes: conflict-free from scratch, coalesced from global memory). Where B is
  // read from global memory, 3xTF32 packs it split (part 0: tf32 big, part 1: small), so the
  // loop does not split B; staged in scratch there is no room for that, and it splits B itself.
  static constexpr int pack_ci = 8, pack_parts = Split == 3 && Config::weights_in_global ? 2 : 1;
  static constexpr bool split_b = Split == 3 && pack_parts == 1;
  static constexpr int pack_unit_floats = Config::taps * 2 * pack_parts * 32 * 4;
  KOKKOS_FUNCTION static constexpr PackedWeightSource packed_source(int e)
  {
    int const j = e % 4, lane = (e / 4) % 32, part = (e / 128) % pack_parts, half = (e / (128 * pack_parts)) % 2;
    int const tap = e / (256 * pack_parts);
    int const gid_ = lane / 4, tig_ = lane % 4, nt = j / 2, k = j % 2;
    return {tig_ + 4 * k, 16 * half + 8 * nt + gid_, tap, part};
  }

  float acc[S][S][MT][NT][4];
  int warp, gid, tig, col_shift;

  KOKKOS_FORCEINLINE_FUNCTION TensorCoreMainloop(int warp_, int lane, int col_shift_)
      : warp(warp_), gid(lane / 4), tig(lane % 4), col_shift(col_shift_)
  {
    zero_accumulators(*this);
  }

  // pixel index (within the tile, row-major over tile_qh x tile_qw) of m-tile m, row r
  KOKKOS_FORCEINLINE_FUNCTION int pixel(int m, int r) const { return (warp % 4) * pixels_per_warp + m * 16 + r; }

  // An operand as tensor cores take it: the fp32 bits (the hardware truncates to TF32), or,
  // Split (3xTF32), its TF32 big part and the exact rest.
  template <bool Split3>
  KOKKOS_FORCEINLINE_FUNCTION static void to_tf32(float x, unsigned &big, [[maybe_unused]] unsigned &small)
  {
    if constexpr (Split3)
    {
      big = tf32_bits(x);
      small = Kokkos::bit_cast<unsigned>(x - Kokkos::bit_cast<float>(big));
    }
    else
      big = Kokkos::bit_cast<unsigned>(x);
  }

  // A (m = pixel gid (+8), k = channel tig (+4)) of every m-tile at window offset (DH, DW).
  template <int DH, int DW>
  KOKKOS_FORCEINLINE_FUNCTION void load_a(float const *pa, unsigned (&ab)[MT][4], unsigned (&as)[MT][4]) const
  {
    KTCONV_UNROLL
    for (int m = 0; m < MT; ++m)
    {
      int const p0 = pixel(m, gid);
      int const row = p0 / Config::tile_qw, col = p0 % Config::tile_qw;
      float const *a = pa + (row + DH) * Config::patch_pitch + col + DW;
      float const af[4] = {a[0], a[8], a[4 * Config::patch_size], a[4 * Config::patch_size + 8]};
      KTCONV_UNROLL
      for (int e = 0; e < 4; ++e)
        to_tf32<Split == 3>(af[e], ab[m][e], as[m][e]);
    }
  }

  // B of one tap from the packed weights (TMA configurations): this thread's fragments of both
  // n-tiles as one float4 at b, and for pack_parts == 2 the small parts 128 floats on.
  KOKKOS_FORCEINLINE_FUNCTION static void load_b_packed(float const *b, unsigned (&bb)[NT][2], unsigned (&bs)[NT][2])
  {
    float4 const big = Config::weights_in_global ? load_weights4(b) : *reinterpret_cast<float4 const *>(b);
    float const bv[NT][2] = {{big.x, big.y}, {big.z, big.w}};
    KTCONV_UNROLL
    for (int nt = 0; nt < NT; ++nt)
      KTCONV_UNROLL
      for (int e = 0; e < 2; ++e)
        to_tf32<split_b>(bv[nt][e], bb[nt][e], bs[nt][e]);
    if constexpr (pack_parts == 2)
    {
      float4 const small = load_weights4(b + 128);
      bs[0][0] = Kokkos::bit_cast<unsigned>(small.x), bs[0][1] = Kokkos::bit_cast<unsigned>(small.y);
      bs[1][0] = Kokkos::bit_cast<unsigned>(small.z), bs[1][1] = Kokkos::bit_cast<unsigned>(small.w);
    }
  }

  // B of tap `tap` from the cp.async layout [ci][channel][tap]: pb[nt] is this thread's column.
  KOKKOS_FORCEINLINE_FUNCTION static void load_b_staged(float const *const *pb, int tap, unsigned (&bb)[NT][2],
                                                        unsigned (&bs)[NT][2])
  {
    float bf[NT][2];
    KTCONV_UNROLL
    for (int nt = 0; nt < NT; ++nt)
    {
      float const *b = pb[nt] + tap;
      bf[nt][0] = b[0];
      bf[nt][1] = b[4 * Config::weight_ci_stride];
    }
    KTCONV_UNROLL
    for (int nt = 0; nt < NT; ++nt)
      KTCONV_UNROLL
      for (int e = 0; e < 2; ++e)
        to_tf32<Split == 3>(bf[nt][e], bb[nt][e], bs[nt][e]);
  }

  KOKKOS_FORCEINLINE_FUNCTION void compute(float const *patch, float const *w, int nci)
  {
    int const n_base = 16 * (warp / 4);
    for (int c8 = 0; c8 < nci; c8 += 8) // nci is a multiple of 8 or the tail is zero-filled
    {
      float const *pa = patch + (c8 + tig) * Config::patch_size + col_shift;
      [[maybe_unused]] float const *pb[NT]; // cp.async: this thread's B column (channel n_base + nt*8 + gid), tap 0
      if constexpr (!Config::tma)
        KTCONV_UNROLL
        for (int nt = 0; nt < NT; ++nt)
          pb[nt] = w + Config::weight_index(c8 + tig, n_base + nt * 8 + gid, 0);
      // TMA: this thread's packed B fragments of the unit, tap 0 (in scratch or global memory)
      [[maybe_unused]] float const *const pg = w + (c8 / pack_ci) * pack_unit_floats + (warp / 4) * (pack_parts * 128) + 4 * (4 * gid + tig);
      // Taps come grouped by input window (dh, dw): several taps (of different block
      // positions) read the same window, so its A fragments are loaded once for all of them.
      unsigned ab[MT][4];
      [[maybe_unused]] unsigned as[MT][4];
      for_each_phase_tap<Config>([&](auto index) {
        constexpr int I = decltype(index)::value;
        constexpr PhaseTap tap = PhaseTaps<Config>::list.tap[I];
        constexpr int kh = tap.kh, kw = tap.kw, vh = tap.vh, vw = tap.vw;
        if constexpr (PhaseTaps<Config>::list.first_of_window[I])
          load_a<tap.dh, tap.dw>(pa, ab, as);
        // B (k = channel c8 + tig (+4), n = n_base + nt*8 + gid) for this tap
        unsigned bb[NT][2];
        [[maybe_unused]] unsigned bs[NT][2];
        if constexpr (Config::tma)
          load_b_packed(pg + (kh * K + kw) * (2 * pack_parts * 128), bb, bs);
        else
          load_b_staged(pb, kh * K + kw, bb, bs);
        KTCONV_UNROLL
        for (int m = 0; m < MT; ++m)
          KTCONV_UNROLL
          for (int nt = 0; nt < NT; ++nt)
          {
            if constexpr (Split == 3)
            {
              mma_tf32(acc[vh][vw][m][nt], as[m], bb[nt]);
              mma_tf32(acc[vh][vw][m][nt], ab[m], bs[nt]);
            }
            mma_tf32(acc[vh][vw][m][nt], ab[m], bb[nt]);
          }
      });
    }
  }

  // ---- what the epilogue sees: per channel slot, runs of consecutive outputs of a row ----
  // Slot s = 2*nt + e1 is channel n_base + 8*nt + 2*tig + e1: accumulator elements e1 (pixel
  // gid) and 2 + e1 (pixel gid + 8) of n-tile nt. A run is the S outputs of one pixel (its
  // block positions vw), consecutive in the output row.
  static constexpr int channels_per_thread = 2 * NT;
  static constexpr bool streaming_stores = false; // see GpuTiledKernel::store_output
  static constexpr int row_width = S;
  KOKKOS_FORCEINLINE_FUNCTION int channel(int s) const { return 16 * (warp / 4) + 8 * (s / 2) + 2 * tig + s % 2; }
  static constexpr int values_per_channel = S * S * MT * 2;
  template <class F>
  KOKKOS_FORCEINLINE_FUNCTION void for_each_value(int s, F &&f)
  {
    for_each_fragment_value(acc, s, f);
  }
  template <class F>
  KOKKOS_FORCEINLINE_FUNCTION void for_each_row(int s, F &&f) const
  {
    for_each_fragment_row<Config::tile_qw>(acc, s, gid, [&](int m) { return pixel(m, 0); }, f);
  }
};

} // namespace ktconv::Details

#endif // KOKKOS_ENABLE_CUDA

#endif
