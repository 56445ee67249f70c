#ifndef KTCONV_DETAILS_HOST_ROW_LAYOUT_HPP
#define KTCONV_DETAILS_HOST_ROW_LAYOUT_HPP

// The host kernel's tiling constants and the sizes of its buffers (staged input rows, the row
// buffer, packed weights), and the bound that keeps them proportional to the data: the
// selection runs host_rows only within it (HostRowLayout::within_data_bound).

#include <ktconv/details/common/KTConv_FirstTap.hpp>
#include <ktconv/details/common/KTConv_Geometry.hpp>

#include <Kokkos_Core.hpp>
#include <Kokkos_SIMD.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace ktconv::Details
{

template <class T>
struct HostRowTiling
{
  using simd = Kokkos::Experimental::simd<T>; // the host's native vector (AVX-512: 512 bits)
  static constexpr int vector = int(simd::size());
  // AVX-512 (64-byte vectors) has 32 vector registers: 8 x 2 tiles (16 accumulators) fit and
  // divide the usual channel counts; 16 registers (AVX2) hold 6 x 2.
  static constexpr int block_c = vector * sizeof(T) >= 64 ? 8 : 6; // output channels per register tile
  static constexpr int block_v = 2;                                // vectors of outputs per register tile
  static constexpr int block_q = vector * block_v;                 // outputs per register tile
};

// The per-call constants of the staged layout and the per-worker buffer sizes (elements).
struct HostRowLayout
{
  int col_lo = 0;     // input column of staged column 0 (may be negative: zero padding)
  int stage_w = 0;    // staged columns per (tap, ci) row
  int max_taps_h = 0; // most height taps of any phase that has outputs
  // Staged input rows: a task runs consecutive output rows, whose taps read overlapping input
  // rows (k3 s1: 3 per output row, 1 new); with reuse_rows, row ih lives in slot ih % stage_rows,
  // stage_rows covering the rows one output row reads, and is copied once per task. Without
  // (a dilation so large that the span would be far more than the taps), slots in tap order.
  int stage_rows = 0;
  bool reuse_rows = false;
  std::int64_t ring_ints = 0; // per worker: stage_rows staged ih, then max_taps_h tap offsets
  int blocks = 0;             // channel blocks per group
  int tiles_per_block = 1;    // register tiles of a channel block in one output row (all phases)
  // The row buffer holds a channel's outputs by output phase: [c][r][m] for output column
  // ow = stride*m + r, each (c, r) row padded by a whole tile (tiles store full vectors).
  int rowbuf_m = 0;
  std::int64_t rowbuf_channel = 0; // stride * rowbuf_m
  std::int64_t stage_elems = 0;    // stage_rows * in_per_group * stage_w, rounded up to 16
  std::int64_t worker_elems = 0;   // stage + block_c row-buffer channels, rounded up to 16
  std::int64_t packed_elems = 0;   // packed weights: [group][block][kh][kw][ci][block_c]
  bool within_data_bound = false;  // the selection runs host_rows only where this holds
  FirstTap taps_h, taps_w;         // first tap of a phase in O(1)
};

// Phases with outputs: the first min(out, stride) outputs have distinct phases, and every phase
// with an output is among them. Loops that visit phases visit only these (a stride of 2^30
// over a 7-wide output has 7), so no loop or buffer grows with the stride's value.
template <class F>
void for_each_output_phase(AxisGeometry const &a, F &&f)
{
  int const n = std::min(a.out, a.stride);
  for (int o = 0; o < n; ++o)
    f(int((std::int64_t(o) + a.padding) % a.stride));
}

template <class T>
HostRowLayout host_row_layout(ConvGeometry const &g)
{
  constexpr int BC = HostRowTiling<T>::block_c, BQ = HostRowTiling<T>::block_q;
  HostRowLayout l;
  l.taps_h = FirstTap::of(g.h);
  l.taps_w = FirstTap::of(g.w);
  l.blocks = (g.out_per_group + BC - 1) / BC;
  std::int64_t lo = 0, hi = 0, tiles = 0; // staged input columns [lo, hi), tiles per block
  bool any = false;
  for_each_output_phase(g.w, [&](int rw) {
    int const tw0 = l.taps_w.first_tap(rw);
    int const qb = std::max(g.w.q_begin(rw), 0);
    int const qe = g.w.q_end(rw);
    if (tw0 < 0 || qe <= qb)
      return;
    std::int64_t const qe_tiles = qb + std::int64_t(qe - qb + BQ - 1) / BQ * BQ; // tiles compute full width
    int const off0 = g.w.first_offset(tw0, rw);
    std::int64_t const off_last = off0 + std::int64_t(g.w.num_taps(tw0) - 1) * g.w.off_step;
    std::int64_t const a = qb - off_last, b = qe_tiles - off0;
    tiles += (qe - qb + BQ - 1) / BQ;
    lo = any ? std::min(lo, a) : a;
    hi = any ? std::max(hi, b) : b;
    any = true;
  });
  // Beyond 2^30 columns the kernel's int indexing would not hold; such a layout also fails the
  // data bound below, so the selection never runs it.
  std::int64_t const width = any ? hi - lo : 0;
  l.tiles_per_block = int(std::clamp<std::int64_t>(tiles, 1, 1 << 30));
  l.col_lo = int(std::clamp<std::int64_t>(lo, -(std::int64_t(1) << 30), std::int64_t(1) << 30));
  l.stage_w = int(std::min<std::int64_t>(width, std::int64_t(1) << 30));
  for_each_output_phase(g.h,
                        [&](int rh) { l.max_taps_h = std::max(l.max_taps_h, g.h.num_taps(l.taps_h.first_tap(rh))); });
  // The rows one output row reads span (taps - 1) * off_step + 1 input rows.
  std::int64_t const span = l.max_taps_h > 0 ? std::int64_t(l.max_taps_h - 1) * g.h.off_step + 1 : 0;
  l.reuse_rows = l.max_taps_h > 0 && span <= 2 * std::int64_t(l.max_taps_h) + 1;
  l.stage_rows = l.reuse_rows ? int(span) : l.max_taps_h;
  l.ring_ints = std::int64_t(l.stage_rows) + l.max_taps_h;
  l.rowbuf_m = (g.w.out + g.w.stride - 1) / g.w.stride + BQ;
  l.rowbuf_channel = std::int64_t(g.w.stride) * l.rowbuf_m;
  l.packed_elems = std::int64_t(g.groups) * l.blocks * g.h.kernel * g.w.kernel * std::int64_t(g.in_per_group) * BC;

  // The bound (in double: the unbounded sizes may not fit in 64 bits). host_rows runs only
  // where each worker's buffer is within a constant factor of what one task touches (the input
  // rows its height taps read and a channel block's output row), plus a floor for tiny
  // problems, where whole-tile padding dominates. Stride, dilation or padding values far beyond
  // the image make the staged width and the row buffer (a row per phase) grow with the values,
  // not the data: those problems go to `direct`.
  constexpr double factor = 4, floor_elems = double(256 << 10) / sizeof(T);
  double const stage = double(l.stage_rows) * g.in_per_group * double(width);
  double const touched = double(std::max(l.max_taps_h, 1)) * g.in_per_group * g.w.in + double(BC) * g.w.out;
  l.within_data_bound = stage + double(2 * BC + 1) * double(l.rowbuf_channel) <= factor * touched + floor_elems;
  if (l.within_data_bound)
  {
    l.stage_elems = (std::int64_t(l.stage_rows) * g.in_per_group * l.stage_w + 15) / 16 * 16;
    l.worker_elems = (l.stage_elems + (2 * BC + 1) * l.rowbuf_channel + 15) / 16 * 16;
  }
  return l;
}

// Bytes host_rows allocates for a call run by `workers` workers: packed weights, one buffer and
// one ring per worker, the task counter.
template <class T>
std::size_t host_rows_workspace_bytes(HostRowLayout const &l, int workers)
{
  return std::size_t(l.packed_elems) * sizeof(T) + std::size_t(workers) * std::size_t(l.worker_elems) * sizeof(T) +
         std::size_t(workers) * std::size_t(l.ring_ints) * sizeof(std::int64_t) + 64;
}

} // namespace ktconv::Details

#endif
