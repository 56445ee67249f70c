// The m16n8 accumulator fragments of the tensor-core main loops as the epilogue sees them:
// for_each_fragment_value (a channel slot's values) and for_each_fragment_row (its runs of
// consecutive outputs of a row).
#ifndef KTCONV_DETAILS_CUDA_MAINLOOP_FRAGMENTS_HPP
#define KTCONV_DETAILS_CUDA_MAINLOOP_FRAGMENTS_HPP

#include <ktconv/details/cuda/arch/KTConv_ArchFeatures.hpp>

#include <Kokkos_Core.hpp>

#if defined(KOKKOS_ENABLE_CUDA)

// clang-format off

namespace ktconv::Details
{

// ---- what the epilogue sees of m16n8 accumulator fragments ----------------------------------
// mma.sync m16n8 tiles and each warp's share of a wgmma m64nN tile have the same layout: element
// e of n-tile nt is pixel gid + 8*(e / 2) of the m-tile, channel 8*nt + 2*tig + e % 2. Both
// tensor-core loops keep acc[vh][vw][m][nt][4] (block position, m-tile, n-tile) and describe it
// to the epilogue through these two functions. Slot s = 2*nt + e1 is that channel for e1 = e % 2.
// Calls f(float &) on each of slot s's accumulators (transform_slot batches them).
template <int S, int MT, int NT, class F>
KOKKOS_FORCEINLINE_FUNCTION void for_each_fragment_value(float (&acc)[S][S][MT][NT][4], int s, F &&f)
{
  KTCONV_UNROLL
  for (int a = 0; a < S; ++a)
    KTCONV_UNROLL
    for (int b = 0; b < S; ++b)
      KTCONV_UNROLL
      for (int m = 0; m < MT; ++m)
        KTCONV_UNROLL
        for (int half = 0; half < 2; ++half)
          f(acc[a][b][m][s / 2][2 * half + s % 2]);
}
// Calls f(tile row, tile column, float (&)[S]) for each run of slot s's outputs: the S outputs of
// one pixel (its block positions vw), consecutive in the output row. first_pixel(m) is m-tile m's
// first pixel (row-major over the tile's tile_qw columns; an m-tile is 16 pixels of one row).
// The runs come in the same order at the same places for every slot (store_tile relies on it).
template <int TileQw, int S, int MT, int NT, class FirstPixel, class F>
KOKKOS_FORCEINLINE_FUNCTION void for_each_fragment_row(float const (&acc)[S][S][MT][NT][4], int s, int gid,
                                                       FirstPixel &&first_pixel, F &&f)
{
  KTCONV_UNROLL
  for (int vh = 0; vh < S; ++vh)
    KTCONV_UNROLL
    for (int m = 0; m < MT; ++m)
      KTCONV_UNROLL
      for (int half = 0; half < 2; ++half)
      {
        int const p0 = first_pixel(m);
        int const row = p0 / TileQw, col = p0 % TileQw + gid + 8 * half;
        float v[S];
        KTCONV_UNROLL
        for (int vw = 0; vw < S; ++vw)
          v[vw] = acc[vh][vw][m][s / 2][2 * half + s % 2];
        f(S * row + vh, S * col, v);
      }
}

} // namespace ktconv::Details

#endif // KOKKOS_ENABLE_CUDA

#endif
