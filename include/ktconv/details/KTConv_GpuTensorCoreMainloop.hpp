#ifndef KTCONV_DETAILS_GPU_TENSOR_CORE_MAINLOOP_HPP
#define KTCONV_DETAILS_GPU_TENSOR_CORE_MAINLOOP_HPP

// clang-format off: clang-format takes KTCONV_UNROLL (a #pragma unroll) for a statement and
// flattens the loop nests it precedes, which would hide their structure.
// clang-format off

// Main loop of the CUDA tiled kernel on tensor cores: MathMode::tf32 and tf32x3.

#include <ktconv/details/KTConv_GpuTileConfig.hpp>

#include <Kokkos_Core.hpp>

#if defined(KOKKOS_ENABLE_CUDA)

namespace ktconv::Details
{

// ---- main loop 2: tensor cores (TF32 mma.sync m16n8k8), optional 3xTF32 split ----------------
// An implicit GEMM per block position (vh, vw): M = the tile's output blocks (pixels),
// N = channels, K = (input channel, tap of that phase). Warp w owns pixels of tile row
// w % 4 (for S = 2; a quarter of the tile in general) as MT m-tiles of 16, and channels
// 16*(w / 4) + [0, 16) as 2 n-tiles of 8, for every block position: acc = S*S*MT*2*4 floats.
// Fragments come straight from the staged patch and weights (scratch padded so the loads are
// conflict-free). Split = 3 adds the small parts (a - tf32(a)) for about fp32 accuracy.
// TF32 keeps the top 19 bits of an fp32 value. Tensor cores ignore the low 13 bits of their
// operands (truncation, as cuBLAS/cuDNN feed fp32 data); masking them explicitly makes the
// split exact: x = big + small with big = tf32(x) and small = x - big exactly representable.
KOKKOS_FORCEINLINE_FUNCTION unsigned tf32_bits(float f) { return Kokkos::bit_cast<unsigned>(f) & 0xffffe000u; }

KOKKOS_FORCEINLINE_FUNCTION void mma_tf32(float (&d)[4], unsigned const (&a)[4], unsigned const (&b)[2])
{
  KOKKOS_IF_ON_DEVICE((asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 "
                                    "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                                    : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                                    : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));))
  KOKKOS_IF_ON_HOST(((void)d; (void)a; (void)b;))
}

template <class Config, int Split>
struct TensorCoreMainloop
{
  static constexpr int K = Config::kernel, S = Config::stride, OFF = Config::max_offset;
  static constexpr int PH = Config::pad_phase_h, PW = Config::pad_phase_w;
  static constexpr int pixels_per_warp = Config::tile_qh * Config::tile_qw / 4;
  static constexpr int MT = pixels_per_warp / 16, NT = 2;
  static constexpr bool transposed_weights = false;
  static constexpr bool needs_aligned_window = false;
  static_assert(Config::block_co == 32 && Config::warps == 8 && Config::tile_qw % 16 == 0, "warp layout");

  float acc[S][S][MT][NT][4];
  int warp, gid, tig, col_shift;

  KOKKOS_FORCEINLINE_FUNCTION TensorCoreMainloop(int warp_, int lane, int col_shift_)
      : warp(warp_), gid(lane / 4), tig(lane % 4), col_shift(col_shift_)
  {
    KTCONV_UNROLL
    for (int a = 0; a < S; ++a)
      KTCONV_UNROLL
      for (int b = 0; b < S; ++b)
        KTCONV_UNROLL
        for (int m = 0; m < MT; ++m)
          KTCONV_UNROLL
          for (int nt = 0; nt < NT; ++nt)
            KTCONV_UNROLL
            for (int e = 0; e < 4; ++e)
              acc[a][b][m][nt][e] = 0.f;
  }

  // pixel index (within the tile, row-major over tile_qh x tile_qw) of m-tile m, row r
  KOKKOS_FORCEINLINE_FUNCTION int pixel(int m, int r) const { return (warp % 4) * pixels_per_warp + m * 16 + r; }

  KOKKOS_FORCEINLINE_FUNCTION void compute(float const *patch, float const *w, int nci)
  {
    int const n_base = 16 * (warp / 4);
    for (int c8 = 0; c8 < nci; c8 += 8) // nci is a multiple of 8 or the tail is zero-filled
    {
      float const *pa = patch + (c8 + tig) * Config::patch_size + col_shift;
      float const *pb = w + (c8 + tig) * Config::weights_per_ci + (n_base + gid) * Config::taps;
      for_each_phase_tap<Config>([&](auto index) {
        constexpr PhaseTap tap = PhaseTaps<Config>::list.tap[decltype(index)::value];
        constexpr int kh = tap.kh, kw = tap.kw, dh = tap.dh, dw = tap.dw, vh = tap.vh, vw = tap.vw;
        // B (k = channel c8 + tig (+4), n = n_base + nt*8 + gid) for this tap
        float bf[NT][2];
        KTCONV_UNROLL
        for (int nt = 0; nt < NT; ++nt)
        {
          float const *b = pb + (kh * K + kw) + nt * 8 * Config::taps;
          bf[nt][0] = b[0];
          bf[nt][1] = b[4 * Config::weights_per_ci];
        }
        unsigned bb[NT][2], bs[NT][2];
        KTCONV_UNROLL
        for (int nt = 0; nt < NT; ++nt)
          KTCONV_UNROLL
          for (int e = 0; e < 2; ++e)
          {
            if constexpr (Split == 3)
            {
              bb[nt][e] = tf32_bits(bf[nt][e]);
              bs[nt][e] = Kokkos::bit_cast<unsigned>(bf[nt][e] - Kokkos::bit_cast<float>(bb[nt][e]));
            }
            else
              bb[nt][e] = Kokkos::bit_cast<unsigned>(bf[nt][e]); // the hardware truncates
          }
        KTCONV_UNROLL
        for (int m = 0; m < MT; ++m)
        {
          // A (m = pixel gid (+8), k = channel tig (+4)) at this tap's window offset
          int const p0 = pixel(m, gid);
          int const row = p0 / Config::tile_qw, col = p0 % Config::tile_qw;
          float const *a = pa + (row + dh) * Config::patch_pitch + col + dw;
          float const af[4] = {a[0], a[8], a[4 * Config::patch_size], a[4 * Config::patch_size + 8]};
          unsigned ab[4], as[4];
          KTCONV_UNROLL
          for (int e = 0; e < 4; ++e)
          {
            if constexpr (Split == 3)
            {
              ab[e] = tf32_bits(af[e]);
              as[e] = Kokkos::bit_cast<unsigned>(af[e] - Kokkos::bit_cast<float>(ab[e]));
            }
            else
              ab[e] = Kokkos::bit_cast<unsigned>(af[e]);
          }
          KTCONV_UNROLL
          for (int nt = 0; nt < NT; ++nt)
          {
            if constexpr (Split == 3)
            {
              mma_tf32(acc[vh][vw][m][nt], as, bb[nt]);
              mma_tf32(acc[vh][vw][m][nt], ab, bs[nt]);
            }
            mma_tf32(acc[vh][vw][m][nt], ab, bb[nt]);
          }
        }
      });
    }
  }

  KOKKOS_FORCEINLINE_FUNCTION void write_tile(float *tile, int cg) const
  {
    // channels of this warp: n_base + nt*8 + 2*tig + (e & 1); group cg covers [8cg, 8cg + 8)
    int const n_base = 16 * (warp / 4);
    KTCONV_UNROLL
    for (int nt = 0; nt < NT; ++nt)
    {
      if (n_base + nt * 8 != cg * 8)
        continue;
      KTCONV_UNROLL
      for (int vh = 0; vh < S; ++vh)
        KTCONV_UNROLL
        for (int vw = 0; vw < S; ++vw)
          KTCONV_UNROLL
          for (int m = 0; m < MT; ++m)
            KTCONV_UNROLL
            for (int e = 0; e < 4; ++e)
            {
              int const p = pixel(m, gid + 8 * (e >> 1));
              int const row = p / Config::tile_qw, col = p % Config::tile_qw;
              int const c = 2 * tig + (e & 1);
              tile[c * Config::out_plane + (S * row + vh) * Config::out_pitch + S * col + vw] = acc[vh][vw][m][nt][e];
            }
    }
  }
};

} // namespace ktconv::Details

#endif // KOKKOS_ENABLE_CUDA

#endif
