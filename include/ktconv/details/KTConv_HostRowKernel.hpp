#ifndef KTCONV_DETAILS_HOST_ROW_KERNEL_HPP
#define KTCONV_DETAILS_HOST_ROW_KERNEL_HPP

#include <ktconv/details/KTConv_Geometry.hpp>
#include <ktconv/details/KTConv_Views.hpp>

#include <Kokkos_Core.hpp>

#include <cstdint>

namespace ktconv::Details
{

// Host kernel. One task = one output row (n, group, oh). Along the row the outputs split by
// width phase; within a phase consecutive q read consecutive input columns, so the inner
// block is a register tile of kBlockQ outputs (one SIMD vector) x kBlockC output channels,
// updated by outer products of kBlockQ inputs with kBlockC weights. The weights are packed
// once per call as [group][channel block][kh][kw][ci][kBlockC] so the tile's weights are
// contiguous. No division in any inner loop: taps come from the phase arithmetic.
template <class T>
struct HostRowTiling
{
  static constexpr int block_c = 8;              // output channels per register tile
  static constexpr int block_q = 32 / sizeof(T); // outputs per tile: one 256-bit vector
};

template <class ExecutionSpace, class T, class Epilogue>
struct HostRowKernel
{
  using MemorySpace = typename ExecutionSpace::memory_space;
  static constexpr int BC = HostRowTiling<T>::block_c;
  static constexpr int BQ = HostRowTiling<T>::block_q;

  Input4<T, MemorySpace> x;
  Kokkos::View<T *, MemorySpace> packed; // packed weights, see pack_offset
  Input1<T, MemorySpace> conv_bias;
  Output4<T, MemorySpace> y;
  ConvGeometry g;
  Epilogue epilogue;
  int blocks_per_group; // ceil(out_per_group / BC)

  std::int64_t pack_offset(int group, int block, int kh, int kw) const
  {
    return (((std::int64_t(group) * blocks_per_group + block) * g.h.kernel + kh) * g.w.kernel + kw) *
           std::int64_t(g.in_per_group) * BC;
  }

  // One register tile: outputs q in [q, q + BQ) of width phase (rw, tw0) in row oh, channels
  // [block*BC, block*BC + nc) of `group`. Interior: every tap's input column is in range.
  template <bool Interior>
  void tile(T *acc_out, int n, int group, int block, int th0, int ih0, int tw0, int iw0, int nq) const
  {
    T acc[BC][BQ];
    for (int c = 0; c < BC; ++c)
      for (int j = 0; j < BQ; ++j)
        acc[c][j] = T(0);
    std::int64_t const plane = std::int64_t(g.h.in) * g.w.in;
    T const *const xn = x.data() + (std::int64_t(n) * g.in_channels + std::int64_t(group) * g.in_per_group) * plane;
    for (int kh = th0, ih = ih0; kh < g.h.kernel; kh += g.h.tap_step, ih -= g.h.off_step)
    {
      if (ih < 0 || ih >= g.h.in)
        continue;
      for (int kw = tw0, iw = iw0; kw < g.w.kernel; kw += g.w.tap_step, iw -= g.w.off_step)
      {
        // input column of output j of the tile is iw + j
        T const *xr = xn + std::int64_t(ih) * g.w.in + iw;
        T const *wp = packed.data() + pack_offset(group, block, kh, kw);
        for (int ci = 0; ci < g.in_per_group; ++ci, xr += plane, wp += BC)
        {
          T xv[BQ];
          for (int j = 0; j < BQ; ++j)
          {
            if constexpr (Interior)
              xv[j] = xr[j];
            else
              xv[j] = (j < nq && iw + j >= 0 && iw + j < g.w.in) ? xr[j] : T(0);
          }
          for (int c = 0; c < BC; ++c)
          {
            T const wv = wp[c];
            for (int j = 0; j < BQ; ++j)
              acc[c][j] += wv * xv[j];
          }
        }
      }
    }
    for (int c = 0; c < BC; ++c)
      for (int j = 0; j < BQ; ++j)
        acc_out[c * BQ + j] = acc[c][j];
  }

  void operator()(std::int64_t task) const
  {
    int const oh = int(task % g.h.out);
    std::int64_t const ng = task / g.h.out;
    int const group = int(ng % g.groups);
    int const n = int(ng / g.groups);
    int const rh = (oh + g.h.padding) % g.h.stride;
    int const th0 = g.h.first_tap(rh);
    int const ih0 = th0 < 0 ? 0 : (oh + g.h.padding - rh) / g.h.stride - g.h.first_offset(th0, rh);
    T tile_out[BC * BQ];
    for (int rw = 0; rw < g.w.stride; ++rw)
    {
      int const qb = g.w.q_begin(rw) > 0 ? g.w.q_begin(rw) : 0; // q_begin may be negative only if padding < 0
      int const qe = g.w.q_end(rw);
      if (qe <= qb)
        continue;
      int const tw0 = g.w.first_tap(rw);
      int const off0 = tw0 < 0 ? 0 : g.w.first_offset(tw0, rw);
      int const off_last = tw0 < 0 ? 0 : off0 + (g.w.num_taps(tw0) - 1) * g.w.off_step;
      for (int q = qb; q < qe; q += BQ)
      {
        int const nq = (qe - q) < BQ ? (qe - q) : BQ;
        // Interior when every tap's columns [q - off, q - off + BQ) are inside the input.
        bool const interior = nq == BQ && q - off_last >= 0 && q + BQ - 1 - off0 < g.w.in;
        for (int block = 0; block < blocks_per_group; ++block)
        {
          int const c0 = block * BC;
          int const nc = (g.out_per_group - c0) < BC ? (g.out_per_group - c0) : BC;
          if (th0 < 0 || tw0 < 0)
          {
            for (int i = 0; i < BC * BQ; ++i)
              tile_out[i] = T(0);
          }
          else if (interior)
            tile<true>(tile_out, n, group, block, th0, ih0, tw0, q - off0, nq);
          else
            tile<false>(tile_out, n, group, block, th0, ih0, tw0, q - off0, nq);
          for (int c = 0; c < nc; ++c)
          {
            int const co = group * g.out_per_group + c0 + c;
            T const cb = g.has_conv_bias ? conv_bias(co) : T(0);
            T *yr = &y(n, co, oh, 0);
            for (int j = 0; j < nq; ++j)
            {
              T v = tile_out[c * BQ + j];
              if (g.has_conv_bias)
                v += cb;
              yr[g.w.output_of(rw, q + j)] = epilogue(v, co);
            }
          }
        }
      }
    }
  }
};

// Packs weight (ci, col, kh, kw) as [group][block][kh][kw][ci][c in block] (zero-padded).
template <class ExecutionSpace, class T>
Kokkos::View<T *, typename ExecutionSpace::memory_space>
pack_weights_for_host_rows(ExecutionSpace const &space, ConvGeometry const &g,
                           Input4<T, typename ExecutionSpace::memory_space> weight, int blocks_per_group)
{
  constexpr int BC = HostRowTiling<T>::block_c;
  std::int64_t const size = std::int64_t(g.groups) * blocks_per_group * g.h.kernel * g.w.kernel *
                            std::int64_t(g.in_per_group) * BC;
  Kokkos::View<T *, typename ExecutionSpace::memory_space> packed(
      Kokkos::view_alloc(space, Kokkos::WithoutInitializing, "ktconv::packed_weights"), size);
  int const kh_n = g.h.kernel, kw_n = g.w.kernel, cig = g.in_per_group, cog = g.out_per_group;
  Kokkos::parallel_for(
      "ktconv::pack_weights", Kokkos::RangePolicy<ExecutionSpace, Kokkos::IndexType<std::int64_t>>(space, 0, size),
      [=](std::int64_t i) {
        int const c = int(i % BC);
        std::int64_t r = i / BC;
        int const ci = int(r % cig);
        r /= cig;
        int const kw = int(r % kw_n);
        r /= kw_n;
        int const kh = int(r % kh_n);
        r /= kh_n;
        int const block = int(r % blocks_per_group);
        int const group = int(r / blocks_per_group);
        int const col = block * BC + c;
        packed(i) = col < cog ? weight(group * cig + ci, col, kh, kw) : T(0);
      });
  return packed;
}

template <class ExecutionSpace, class T, class Epilogue>
void run_host_rows(ExecutionSpace const &space, ConvGeometry const &g,
                   Input4<T, typename ExecutionSpace::memory_space> x,
                   Input4<T, typename ExecutionSpace::memory_space> weight,
                   Input1<T, typename ExecutionSpace::memory_space> conv_bias,
                   Output4<T, typename ExecutionSpace::memory_space> y, Epilogue const &epilogue)
{
  constexpr int BC = HostRowTiling<T>::block_c;
  int const blocks = (g.out_per_group + BC - 1) / BC;
  auto packed = pack_weights_for_host_rows<ExecutionSpace, T>(space, g, weight, blocks);
  HostRowKernel<ExecutionSpace, T, Epilogue> k{x, packed, conv_bias, y, g, epilogue, blocks};
  std::int64_t const tasks = g.batch * g.groups * g.h.out;
  Kokkos::parallel_for(
      "ktconv::host_rows",
      Kokkos::RangePolicy<ExecutionSpace, Kokkos::IndexType<std::int64_t>, Kokkos::Schedule<Kokkos::Dynamic>>(space, 0,
                                                                                                       tasks),
      k);
}

} // namespace ktconv::Details

#endif
