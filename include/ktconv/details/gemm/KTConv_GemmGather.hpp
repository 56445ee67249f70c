#ifndef KTCONV_DETAILS_GEMM_GATHER_HPP
#define KTCONV_DETAILS_GEMM_GATHER_HPP

// The two passes of Algorithm::gemm around its product: the channel-major copy of a chunk of
// images (so that they sit side by side as the product's columns), and the gather that sums
// each output's taps from col, adds the conv bias, applies the epilogue and stores once.

#include <ktconv/details/common/KTConv_DeviceEpilogue.hpp>
#include <ktconv/details/common/KTConv_Geometry.hpp>
#include <ktconv/details/common/KTConv_Views.hpp>

#include <Kokkos_Core.hpp>

#include <climits>
#include <cstdint>

namespace ktconv::Details
{

// xc[ci][j*hw + p] = x[n0 + j][ci][p] for every input channel ci, image j < images, pixel p.
// A thread copies `per_thread` elements a quarter of the copy apart (several loads in flight,
// each warp access still coalesced), with 32-bit index arithmetic where the chunk allows.
template <class T>
struct GemmCopyInput
{
  static constexpr int per_thread = 4;
  T const *src; // image n0
  T *xc;
  std::int64_t channels, hw, images, count, items; // items = ceil(count / per_thread)

  template <class Index>
  KOKKOS_FORCEINLINE_FUNCTION void at(Index item) const
  {
    T v[per_thread] = {};
    Index e[per_thread];
    for (int k = 0; k < per_thread; ++k)
    {
      e[k] = item + Index(k) * Index(items);
      if (e[k] < Index(count))
      {
        Index const rest = e[k] / Index(hw), p = e[k] - rest * Index(hw);
        Index const ci = rest / Index(images), j = rest - ci * Index(images);
        v[k] = src[(std::int64_t(j) * channels + ci) * hw + p];
      }
    }
    for (int k = 0; k < per_thread; ++k)
      if (e[k] < Index(count))
        xc[e[k]] = v[k];
  }
};

template <class ExecutionSpace, class T>
void gemm_copy_input(ExecutionSpace const &space, Input4<T, typename ExecutionSpace::memory_space> x, std::int64_t n0,
                     std::int64_t images, T *xc)
{
  std::int64_t const channels = std::int64_t(x.extent(1)), hw = std::int64_t(x.extent(2) * x.extent(3));
  std::int64_t const count = channels * images * hw;
  std::int64_t const items = (count + GemmCopyInput<T>::per_thread - 1) / GemmCopyInput<T>::per_thread;
  GemmCopyInput<T> const copy{x.data() + n0 * channels * hw, xc, channels, hw, images, count, items};
  if (count <= std::int64_t(INT_MAX) - GemmCopyInput<T>::per_thread) // item + k * items stays an int
    Kokkos::parallel_for("ktconv::gemm_copy_input",
                         Kokkos::RangePolicy<ExecutionSpace, Kokkos::IndexType<int>>(space, 0, int(items)),
                         KOKKOS_LAMBDA(int i) { copy.at(i); });
  else
    Kokkos::parallel_for("ktconv::gemm_copy_input",
                         Kokkos::RangePolicy<ExecutionSpace, Kokkos::IndexType<std::int64_t>>(space, 0, items),
                         KOKKOS_LAMBDA(std::int64_t i) { copy.at(i); });
}

// Per phase r of one axis: its first tap and that tap's input offset (AxisGeometry::first_tap,
// first_offset), tabled once per call for strides up to max_phases so that the gather's threads
// do one division per axis instead of a loop of them; larger strides compute them per thread.
struct GatherPhaseTable
{
  static constexpr int max_phases = 8;
  bool tabled = false;
  int tap0[max_phases] = {};
  int offset0[max_phases] = {};

  static GatherPhaseTable make(AxisGeometry const &a)
  {
    GatherPhaseTable t;
    t.tabled = a.stride <= max_phases;
    for (int r = 0; t.tabled && r < a.stride; ++r)
    {
      t.tap0[r] = a.first_tap(r);
      t.offset0[r] = t.tap0[r] < 0 ? 0 : a.first_offset(t.tap0[r], r);
    }
    return t;
  }
  // For output o of axis a: q with o + padding = q*stride + r, the phase's first tap (-1: none)
  // and the input index that tap reads.
  KOKKOS_FORCEINLINE_FUNCTION void first(AxisGeometry const &a, int o, int &tap, int &input) const
  {
    int const shifted = o + a.padding;
    int const q = shifted / a.stride, r = shifted - q * a.stride;
    tap = tabled ? tap0[r] : a.first_tap(r);
    input = q - (tabled ? offset0[r] : (tap < 0 ? 0 : a.first_offset(tap, r)));
  }
};

// One product's outputs: images [n0, n0 + images), output channels co0 + [0, channels) (of one
// group). col[(c*kh + th)*kw + tw][j*hw + ih*w + iw] holds channel c0 + c's tap (th, tw) applied
// to image j's input pixel (ih, iw), summed over the group's input channels. Each output adds
// its phase's taps in a fixed order (height tap, then width tap; see AxisGeometry): no atomics,
// the same result for any chunking.
//
// A thread computes one pixel of `channels_per_thread` channels: its loads of one tap are
// independent (several in flight per thread: one at a time left the pass latency-bound at a
// third of the memory bandwidth) and the phase arithmetic is shared. Consecutive threads take
// consecutive columns, so each load and store of a warp is coalesced. The index is split with
// 32-bit divisions wherever the chunk allows (64-bit ones are subroutine calls on GPUs).
template <class ExecutionSpace, class T, class Epilogue>
struct GemmGather
{
  using MemorySpace = typename ExecutionSpace::memory_space;
  static constexpr int channels_per_thread = 4;
  T const *col;
  Input1<T, MemorySpace> conv_bias;
  Output4<T, MemorySpace> y;
  ConvGeometry g;
  Epilogue epilogue;
  std::int64_t n0, hw, ld; // first image, input pixels per image, col's row length
  int co0, channels;
  GatherPhaseTable phase_h, phase_w; // set by gemm_gather

  int channel_blocks() const { return (channels + channels_per_thread - 1) / channels_per_thread; }

  // Outputs (n0 + j, co0 + c0 + [0, channels_per_thread) within channels, oh, ow).
  KOKKOS_FORCEINLINE_FUNCTION void gather_pixel(std::int64_t j, int c0, int oh, int ow) const
  {
    constexpr int CPT = channels_per_thread;
    int const nc = channels - c0 < CPT ? channels - c0 : CPT;
    int th0, ih0, tw0, iw0;
    phase_h.first(g.h, oh, th0, ih0);
    phase_w.first(g.w, ow, tw0, iw0);
    T acc[CPT];
    for (int k = 0; k < CPT; ++k)
      acc[k] = T(0);
    if (th0 >= 0 && tw0 >= 0)
    {
      std::int64_t const channel_step = std::int64_t(g.h.kernel) * g.w.kernel * ld;
      T const *const base = col + c0 * channel_step + j * hw;
      for (int kh = th0, ih = ih0; kh < g.h.kernel; kh += g.h.tap_step, ih -= g.h.off_step)
      {
        if (ih < 0 || ih >= g.h.in)
          continue;
        T const *const row = base + std::int64_t(kh * g.w.kernel) * ld + std::int64_t(ih) * g.w.in;
        for (int kw = tw0, iw = iw0; kw < g.w.kernel; kw += g.w.tap_step, iw -= g.w.off_step)
        {
          if (iw < 0 || iw >= g.w.in)
            continue;
          T const *const p = row + std::int64_t(kw) * ld + iw;
          for (int k = 0; k < CPT; ++k)
            if (k < nc)
              acc[k] += p[k * channel_step];
        }
      }
    }
    for (int k = 0; k < CPT; ++k)
      if (k < nc)
      {
        int const co = co0 + c0 + k;
        T v = acc[k];
        if (g.has_conv_bias)
          v += conv_bias(co);
        y(n0 + j, co, oh, ow) = channel_op(epilogue, co)(v);
      }
  }

  // Work item `index` of the chunk, in (image, channel block, row, column) order.
  template <class Index>
  KOKKOS_FORCEINLINE_FUNCTION void at(Index index) const
  {
    Index const plane_size = Index(g.h.out) * Index(g.w.out); // within Index: the item count is
    Index const plane = index / plane_size;
    Index const p = index - plane * plane_size;
    Index const oh = p / Index(g.w.out);
    Index const blocks = Index((channels + channels_per_thread - 1) / channels_per_thread);
    Index const j = plane / blocks;
    gather_pixel(std::int64_t(j), int(plane - j * blocks) * channels_per_thread, int(oh),
                 int(p - oh * Index(g.w.out)));
  }
};

template <class ExecutionSpace, class T, class Epilogue>
void gemm_gather(ExecutionSpace const &space, GemmGather<ExecutionSpace, T, Epilogue> gather, std::int64_t images)
{
  gather.phase_h = GatherPhaseTable::make(gather.g.h);
  gather.phase_w = GatherPhaseTable::make(gather.g.w);
  std::int64_t const count = images * gather.channel_blocks() * std::int64_t(gather.g.h.out) * gather.g.w.out;
  if (count <= std::int64_t(INT_MAX))
    Kokkos::parallel_for(
        "ktconv::gemm_gather", Kokkos::RangePolicy<ExecutionSpace, Kokkos::IndexType<int>>(space, 0, int(count)),
        KOKKOS_LAMBDA(int index) { gather.at(index); });
  else
    Kokkos::parallel_for(
        "ktconv::gemm_gather", Kokkos::RangePolicy<ExecutionSpace, Kokkos::IndexType<std::int64_t>>(space, 0, count),
        KOKKOS_LAMBDA(std::int64_t index) { gather.at(index); });
}

} // namespace ktconv::Details

#endif
