// The CUDA-core main loop of the tiled kernel (SimtMainloop: FFMA, IEEE fp32, MathMode::ieee):
// per input channel, each thread's input window in registers, used for every tap of every
// block position.
#ifndef KTCONV_DETAILS_CUDA_MAINLOOP_SIMT_MAINLOOP_HPP
#define KTCONV_DETAILS_CUDA_MAINLOOP_SIMT_MAINLOOP_HPP

#include <ktconv/details/cuda/arch/KTConv_ArchFeatures.hpp>
#include <ktconv/details/cuda/arch/KTConv_GlobalMemory.hpp>
#include <ktconv/details/cuda/kernel/KTConv_PhaseTaps.hpp>
#include <ktconv/details/cuda/mainloop/KTConv_Mainloop.hpp>

#include <Kokkos_Core.hpp>

#if defined(KOKKOS_ENABLE_CUDA)

// clang-format off

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
  static constexpr int K = Config::kernel, S = Config::stride;
  static constexpr int CO = 4, QW = 4, QH = Config::tile_qh / 4;
  static constexpr int window_h = QH + Config::reach_h, window_w = QW + Config::reach_w;
  static constexpr bool transposed_weights = true;
  // TMA configurations use weights packed per channel block as [ci][tap][block channel] (a
  // warp's float4, its 4 channels, is a broadcast); cp.async ones the transposed staging layout.
  static constexpr int pack_ci = 1, pack_parts = 1, pack_unit_floats = Config::taps * Config::block_co;
  KOKKOS_FUNCTION static constexpr PackedWeightSource packed_source(int e)
  {
    return {0, e % Config::block_co, e / Config::block_co, 0};
  }
  static constexpr int w_tap_stride = Config::tma ? Config::block_co : Config::tap_pitch;
  static constexpr int w_ci_stride = Config::tma ? pack_unit_floats : Config::weights_per_ci;

  float acc[S][S][QH][QW][CO];
  int warp, lr, lc, col_shift;

  KOKKOS_FORCEINLINE_FUNCTION SimtMainloop(int warp_, int lane, int col_shift_)
      : warp(warp_), lr(lane / 8), lc(lane % 8), col_shift(col_shift_)
  {
    zero_accumulators(*this);
  }

  // The patch's rows start at a 16-byte boundary `col_shift` columns before the tile's first
  // input column. Windows are read as float4 from the boundary at or before them, so the
  // shift is a template parameter (one copy of the loop per shift): the selection of the
  // window's columns is then register renaming, not instructions.
  KOKKOS_FORCEINLINE_FUNCTION void compute(float const *patch, float const *w, int nci)
  {
    switch (col_shift)
    {
    case 0: compute_shifted<0>(patch, w, nci); break;
    case 1: compute_shifted<1>(patch, w, nci); break;
    case 2: compute_shifted<2>(patch, w, nci); break;
    default: compute_shifted<3>(patch, w, nci); break;
    }
  }

  template <int Shift>
  KOKKOS_FORCEINLINE_FUNCTION void compute_shifted(float const *patch, float const *w, int nci)
  {
    constexpr int vecs = (Shift + window_w + 3) / 4; // float4 per window row
    // Pointers stepped per channel: their addresses are then IADDs, not IMADs of the channel
    // index, which the FFMAs keep the FMA pipe too busy for (math pipe throttle).
    float const *pp = patch + (lr * QH) * Config::patch_pitch + lc * QW;
    float const *wp = w + warp * CO;
    for (int ci = 0; ci < nci; ++ci, pp += Config::patch_size, wp += w_ci_stride)
    {
      // The thread's input window: patch rows lr*QH + [0, window_h), columns
      // Shift + lc*QW + [0, window_w), read as float4 (conflict-free: a quarter warp reads one
      // contiguous row).
      float win[window_h][4 * vecs];
      KTCONV_UNROLL
      for (int i = 0; i < window_h; ++i)
        KTCONV_UNROLL
        for (int h = 0; h < vecs; ++h)
        {
          float4 const v = *reinterpret_cast<float4 const *>(pp + i * Config::patch_pitch + 4 * h);
          win[i][4 * h] = v.x;
          win[i][4 * h + 1] = v.y;
          win[i][4 * h + 2] = v.z;
          win[i][4 * h + 3] = v.w;
        }
      for_each_phase_tap<Config>([&](auto index) {
        constexpr PhaseTap tap = PhaseTaps<Config>::list.tap[decltype(index)::value];
        float const *const wt = wp + (tap.kh * K + tap.kw) * w_tap_stride;
        float4 const wv = Config::weights_in_global ? load_weights4(wt) : *reinterpret_cast<float4 const *>(wt);
        float const wc[4] = {wv.x, wv.y, wv.z, wv.w};
        KTCONV_UNROLL
        for (int i = 0; i < QH; ++i)
          KTCONV_UNROLL
          for (int j = 0; j < QW; ++j)
          {
            float const xv = win[i + tap.dh][Shift + j + tap.dw];
            KTCONV_UNROLL
            for (int c = 0; c < CO; ++c)
              acc[tap.vh][tap.vw][i][j][c] += xv * wc[c];
          }
      });
    }
  }

  // ---- what the epilogue sees: per channel slot, runs of consecutive outputs of a row ----
  static constexpr int channels_per_thread = CO;
  static constexpr bool streaming_stores = Config::tma; // see GpuTiledKernel::store_output
  static constexpr int row_width = S * QW;
  // tile-local output channel of slot s
  KOKKOS_FORCEINLINE_FUNCTION int channel(int s) const { return warp * CO + s; }
  // Calls f(float &) on each of slot s's accumulators (transform_slot batches them).
  static constexpr int values_per_channel = S * S * QH * QW;
  template <class F>
  KOKKOS_FORCEINLINE_FUNCTION void for_each_value(int s, F &&f)
  {
    KTCONV_UNROLL
    for (int a = 0; a < S; ++a)
      KTCONV_UNROLL
      for (int b = 0; b < S; ++b)
        KTCONV_UNROLL
        for (int i = 0; i < QH; ++i)
          KTCONV_UNROLL
          for (int j = 0; j < QW; ++j)
            f(acc[a][b][i][j][s]);
  }
  // Calls f(tile row, tile column, float (&)[row_width]) for each run of slot s's outputs; the
  // runs come in the same order at the same places for every slot (store_tile relies on it).
  template <class F>
  KOKKOS_FORCEINLINE_FUNCTION void for_each_row(int s, F &&f) const
  {
    KTCONV_UNROLL
    for (int vh = 0; vh < S; ++vh)
      KTCONV_UNROLL
      for (int i = 0; i < QH; ++i)
      {
        float v[row_width];
        KTCONV_UNROLL
        for (int j = 0; j < QW; ++j)
          KTCONV_UNROLL
          for (int vw = 0; vw < S; ++vw)
            v[S * j + vw] = acc[vh][vw][i][j][s];
        f(S * (lr * QH + i) + vh, lc * row_width, v);
      }
  }
};

} // namespace ktconv::Details

#endif // KOKKOS_ENABLE_CUDA

#endif
