#ifndef KTCONV_DETAILS_GPU_SIMT_MAINLOOP_HPP
#define KTCONV_DETAILS_GPU_SIMT_MAINLOOP_HPP

// clang-format off: clang-format takes KTCONV_UNROLL (a #pragma unroll) for a statement and
// flattens the loop nests it precedes, which would hide their structure.
// clang-format off

// Main loop of the CUDA tiled kernel on CUDA cores (FFMA): MathMode::ieee.

#include <ktconv/details/KTConv_GpuTileConfig.hpp>

#include <Kokkos_Core.hpp>

#if defined(KOKKOS_ENABLE_CUDA)

namespace ktconv::Details
{

// ---- main loop 1: CUDA cores (FFMA), IEEE fp32 -----------------------------------------------
// Each warp owns 4 output channels (one float4 of weights per tap, a broadcast); its lanes, as
// 4 x 8, own QH x QW output blocks each. Per input channel a thread loads its input window
// into registers once and uses it for every tap of every block position:
// acc[vh][vw][i][j][c] is output (oh0 + S*(lr*QH + i) + vh, ow0 + S*(lc*QW + j) + vw) of
// channel 4*warp + c.
template <class Config>
struct SimtMainloop
{
  static constexpr int K = Config::kernel, S = Config::stride, OFF = Config::max_offset;
  static constexpr int PH = Config::pad_phase_h, PW = Config::pad_phase_w;
  static constexpr int CO = 4, QW = 4, QH = Config::tile_qh / 4;
  static constexpr int window_h = QH + OFF + Config::extra_h, window_w = QW + OFF + Config::extra_w;
  static constexpr bool transposed_weights = true;
  // Windows start at a float4 boundary only if patch column 0 is the tile's first column
  // (col_shift 0), so this loop takes the 4-byte input staging and reads windows as float4.
  static constexpr bool needs_aligned_window = true;
  static_assert(Config::block_co == Config::warps * CO && Config::tile_qw == 8 * QW, "warp layout");

  float acc[S][S][QH][QW][CO];
  int warp, lr, lc;

  KOKKOS_FORCEINLINE_FUNCTION SimtMainloop(int warp_, int lane, int /*col_shift: always 0 here*/)
      : warp(warp_), lr(lane / 8), lc(lane % 8)
  {
    KTCONV_UNROLL
    for (int a = 0; a < S; ++a)
      KTCONV_UNROLL
      for (int b = 0; b < S; ++b)
        KTCONV_UNROLL
        for (int i = 0; i < QH; ++i)
          KTCONV_UNROLL
          for (int j = 0; j < QW; ++j)
            KTCONV_UNROLL
            for (int c = 0; c < CO; ++c)
              acc[a][b][i][j][c] = 0.f;
  }

  KOKKOS_FORCEINLINE_FUNCTION void compute(float const *patch, float const *w, int nci)
  {
    for (int ci = 0; ci < nci; ++ci)
    {
      // The thread's input window: patch rows lr*QH + [0, window_h), columns lc*QW + [0, 8),
      // two float4 per row (conflict-free: a quarter warp reads one contiguous row).
      float win[window_h][8];
      float const *pp = patch + ci * Config::patch_size + (lr * QH) * Config::patch_pitch + lc * QW;
      KTCONV_UNROLL
      for (int i = 0; i < window_h; ++i)
        KTCONV_UNROLL
        for (int h = 0; h < (window_w + 3) / 4; ++h)
        {
          float4 const v = *reinterpret_cast<float4 const *>(pp + i * Config::patch_pitch + 4 * h);
          win[i][4 * h] = v.x;
          win[i][4 * h + 1] = v.y;
          win[i][4 * h + 2] = v.z;
          win[i][4 * h + 3] = v.w;
        }
      float const *wp = w + ci * Config::weights_per_ci + warp * CO;
      for_each_phase_tap<Config>([&](auto index) {
        constexpr PhaseTap tap = PhaseTaps<Config>::list.tap[decltype(index)::value];
        float4 const wv = *reinterpret_cast<float4 const *>(wp + (tap.kh * K + tap.kw) * Config::tap_pitch);
        float const wc[4] = {wv.x, wv.y, wv.z, wv.w};
        KTCONV_UNROLL
        for (int i = 0; i < QH; ++i)
          KTCONV_UNROLL
          for (int j = 0; j < QW; ++j)
          {
            float const xv = win[i + tap.dh][j + tap.dw];
            KTCONV_UNROLL
            for (int c = 0; c < CO; ++c)
              acc[tap.vh][tap.vw][i][j][c] += xv * wc[c];
          }
      });
    }
  }

  // Writes the accumulators of channels [cg*8, cg*8 + 8) into the scratch output tile.
  KOKKOS_FORCEINLINE_FUNCTION void write_tile(float *tile, int cg) const
  {
    if (warp / 2 != cg)
      return;
    KTCONV_UNROLL
    for (int c = 0; c < CO; ++c)
      KTCONV_UNROLL
      for (int vh = 0; vh < S; ++vh)
        KTCONV_UNROLL
        for (int i = 0; i < QH; ++i)
        {
          // S*QW consecutive outputs of tile row S*(lr*QH + i) + vh: float4 stores, swizzled
          // so that lanes lc and lc + 4 start on different halves (no bank conflict).
          float vals[S * QW];
          KTCONV_UNROLL
          for (int j = 0; j < QW; ++j)
            KTCONV_UNROLL
            for (int vw = 0; vw < S; ++vw)
              vals[S * j + vw] = acc[vh][vw][i][j][c];
          float *const dst = tile + ((warp % 2) * CO + c) * Config::out_plane +
                             (S * (lr * QH + i) + vh) * Config::out_pitch + lc * S * QW;
          constexpr int vecs = S * QW / 4;
          KTCONV_UNROLL
          for (int t = 0; t < vecs; ++t)
          {
            int const h = vecs == 2 ? (t ^ ((lc >> 2) & 1)) : t;
            *reinterpret_cast<float4 *>(dst + 4 * h) =
                make_float4(vals[4 * h], vals[4 * h + 1], vals[4 * h + 2], vals[4 * h + 3]);
          }
        }
  }
};

} // namespace ktconv::Details

#endif // KOKKOS_ENABLE_CUDA

#endif
