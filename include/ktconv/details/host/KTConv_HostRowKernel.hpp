#ifndef KTCONV_DETAILS_HOST_ROW_KERNEL_HPP
#define KTCONV_DETAILS_HOST_ROW_KERNEL_HPP

#include <ktconv/details/common/KTConv_DeviceEpilogue.hpp>
#include <ktconv/details/common/KTConv_Geometry.hpp>
#include <ktconv/details/common/KTConv_Views.hpp>
#include <ktconv/details/common/KTConv_Workspace.hpp>
#include <ktconv/details/host/KTConv_HostRowLayout.hpp>
#include <ktconv/details/host/KTConv_HostStreamingStore.hpp>

#include <Kokkos_Core.hpp>
#include <Kokkos_SIMD.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace ktconv::Details
{

// Host kernel. One task = a run of consecutive output rows (n, group, oh .. oh + rows_per_task)
// computed in order. Workers (one per thread of the execution space instance) take tasks from a
// shared counter; each has its own buffer in the call's workspace (staged input rows, the row
// buffer), so the buffers are ktconv's own allocation: bounded (HostRowLayout), limited
// (Options::workspace_limit), and freed after the call. Every output is computed by one task in
// a fixed order: results do not depend on the number of threads or on which worker runs a task.
//
// Staging: a row's height taps read input rows, all the group's input channels of each, which
// are copied into the worker's buffer [slot][ci][column] with columns padded with zeros on both
// sides far enough that every tile of every width phase reads inside it. This (a) removes all
// bounds tests from the inner loop (every tile is "interior"), and (b) turns the plane stride
// of NCHW between input channels (h*w floats: 64 KiB for 128x128, which maps every channel to
// the same L1/L2 set) into a short, cache-friendly stride. Consecutive output rows read
// overlapping input rows, so a staged row stays in its slot (ih % stage_rows) for the rest of
// the task and is copied once (HostRowLayout::reuse_rows).
//
// Along the row the outputs split by width phase; within a phase consecutive q read consecutive
// input columns, so the register tile is block_c output channels x block_q outputs (block_v
// SIMD vectors of Kokkos SIMD's native width), updated by outer products: per (tap, ci),
// block_v vector loads of inputs and block_c broadcasts of weights feed block_c * block_v FMAs.
// AVX-512: 8 x 2 (16 accumulators of the 32 zmm registers, 10 loads per 16 FMAs); AVX2: 6 x 2
// (12 of the 16 ymm registers; 4 x 3 needed fewer loads but GCC re-loaded the inputs per channel).
// Where one vector covers what is left of a phase (narrow images, a row's tail), the tile is
// block_c x 1 vector: an 8-wide phase of a 16 x 16 output then wastes half its lanes, not 3/4.
//
// Loop order: channel block outer, then width phase, then q tile. A block's outputs of all
// phases land in a row-buffer slot laid out by output phase ([c][ow % stride][ow / stride],
// whole-vector stores from the tile); the epilogue then runs over each whole output row (for
// stride 2 an interleave of two buffer rows), vectorized, and streams it to y once (non-temporal
// stores: y is not read again). The stores of block b - 1 go out between the tiles of block b
// (two slots). (q tile outer with all blocks inner, to keep a q tile's inputs in L1, measured
// no faster on Zen 3 and Zen 4.)
//
// The weights are packed once per call as [group][channel block][kh][kw][ci][block_c] (zero-
// padded channels) so a tile's weights are contiguous. No division in any inner loop: taps come
// from the phase arithmetic (AxisGeometry).
template <class ExecutionSpace, class T, class Epilogue>
struct HostRowKernel
{
  using MemorySpace = typename ExecutionSpace::memory_space;
  static constexpr int BC = HostRowTiling<T>::block_c;
  static constexpr int BV = HostRowTiling<T>::block_v;
  static constexpr int VL = HostRowTiling<T>::vector;
  static constexpr int BQ = HostRowTiling<T>::block_q;

  Input4<T, MemorySpace> x;
  Kokkos::View<T *, MemorySpace> packed; // packed weights, see pack_offset
  Input1<T, MemorySpace> conv_bias;
  Output4<T, MemorySpace> y;
  ConvGeometry g;
  Epilogue epilogue;
  HostRowLayout l;
  Kokkos::View<T *, MemorySpace> workspace;            // [worker][worker_elems]
  Kokkos::View<std::int64_t *, MemorySpace> rings;     // [worker][ring_ints]: staged rows' ih, taps' offsets
  Kokkos::View<std::int64_t *, MemorySpace> next_task; // the shared task counter
  int rows_per_task = 1;
  std::int64_t tasks = 0;

  std::int64_t pack_offset(int group, int block, int kh, int kw) const
  {
    return (((std::int64_t(group) * l.blocks + block) * g.h.kernel + kh) * g.w.kernel + kw) *
           std::int64_t(g.in_per_group) * BC;
  }

  // One register tile: out[c * out_stride_c + j] = sum over (valid h tap s, w tap t, ci) of
  // w[s][t][ci][c] * staged row of s [ci][col0 - t*off_step + j]. `xs` points at staged column
  // col0 of the stage, tap_offset[s] is where h tap s's staged row starts, `w0` points at the
  // packed weights of (first valid kh, tw0) of the channel block.
  // Accumulators are local SIMD values (never addressable), so they live in registers.
  template <int NV>
  void tile(T *out, std::int64_t out_stride_c, T const *xs, std::int64_t const *tap_offset, T const *w0, int ntaps_h,
            int ntaps_w) const
  {
    using V = typename HostRowTiling<T>::simd;
    using Kokkos::Experimental::simd_unchecked_load;
    V acc[BC][NV];
    for (int c = 0; c < BC; ++c)
      for (int v = 0; v < NV; ++v)
        acc[c][v] = V(T(0));
    int const cig = g.in_per_group;
    std::int64_t const sw = l.stage_w;
    std::int64_t const wstep_w = std::int64_t(g.w.tap_step) * cig * BC;
    std::int64_t const wstep_h = std::int64_t(g.h.tap_step) * g.w.kernel * cig * BC;
    for (int s = 0; s < ntaps_h; ++s)
    {
      T const *xt = xs + tap_offset[s];
      T const *wt = w0 + s * wstep_h;
      for (int t = 0; t < ntaps_w; ++t, xt -= g.w.off_step, wt += wstep_w)
      {
        T const *xr = xt;
        T const *wp = wt;
        for (int ci = 0; ci < cig; ++ci, xr += sw, wp += BC)
        {
          V xv[NV];
          for (int v = 0; v < NV; ++v)
            xv[v] = simd_unchecked_load<V>(xr + v * VL, Kokkos::Experimental::simd_flag_default);
          for (int c = 0; c < BC; ++c)
          {
            V const wv(wp[c]);
            for (int v = 0; v < NV; ++v)
              acc[c][v] = Kokkos::fma(wv, xv[v], acc[c][v]);
          }
        }
      }
    }
    for (int c = 0; c < BC; ++c)
      for (int v = 0; v < NV; ++v)
        Kokkos::Experimental::simd_unchecked_store(acc[c][v], out + c * out_stride_c + v * VL,
                                                   Kokkos::Experimental::simd_flag_default);
  }

  // y[ow] = epilogue(rb[r][m] + cb, co) for ow = stride*m + r < count, rb rows bm apart, in
  // three passes over `line` (in L1): the phases' rows into output order with the conv bias
  // (stride 2: an interleave of two rows), the epilogue in whole tiles of a channel (loops the
  // compiler vectorizes where the epilogue is a pure per-channel function, see
  // BiasClampScaleDeviceEpilogue), and the streaming copy to y.
  void store_row(T *yr, T *line, T const *rb, int bm, int count, T cb, int co) const
  {
    int const sy = g.w.stride;
    if (sy == 1)
    {
      for (int j = 0; j < count; ++j)
        line[j] = rb[j] + cb;
    }
    else if (sy == 2)
    {
      T const *const r0 = rb, *const r1 = rb + bm;
      int const pairs = count / 2;
      for (int m = 0; m < pairs; ++m)
      {
        line[2 * m] = r0[m] + cb;
        line[2 * m + 1] = r1[m] + cb;
      }
      if (count % 2)
        line[count - 1] = r0[pairs] + cb;
    }
    else
    {
      for (int r = 0; r < sy && r < count; ++r)
      {
        T const *const rr = rb + std::int64_t(r) * bm;
        for (int m = 0, ow = r; ow < count; ++m, ow += sy)
          line[ow] = rr[m] + cb;
      }
    }
    int const padded = (count + BQ - 1) / BQ * BQ; // the line holds a row and a tile
    for (int j = count; j < padded; ++j)
      line[j] = T(0); // defined values in the padding the epilogue also transforms
    auto const op = channel_op(epilogue, co);
    for (int j = 0; j < padded; j += BQ)
      apply_channel_op(op, *reinterpret_cast<T(*)[BQ]>(line + j));
    stream_copy(yr, line, count);
  }

  // Prefetches `rows` rows of `count` elements, `stride` apart, into L2.
  static void prefetch_rows([[maybe_unused]] T const *p, [[maybe_unused]] int rows,
                            [[maybe_unused]] std::int64_t stride, [[maybe_unused]] int count)
  {
#if defined(__GNUC__)
    constexpr int line = 64 / int(sizeof(T));
    for (int r = 0; r < rows; ++r)
      for (int j = 0; j < count; j += line)
        __builtin_prefetch(p + r * stride + j, 0, 2);
#endif
  }

  // One worker: takes tasks until none are left.
  void operator()(int worker) const
  {
    T *const buffer = workspace.data() + std::int64_t(worker) * l.worker_elems;
    std::int64_t *const ring = rings.data() + std::int64_t(worker) * l.ring_ints;
    std::int64_t *const counter = next_task.data();
    for (std::int64_t task = Kokkos::atomic_fetch_add(counter, std::int64_t(1)); task < tasks;
         task = Kokkos::atomic_fetch_add(counter, std::int64_t(1)))
    {
      // A task: rows_per_task consecutive output rows of one (n, group), in increasing order,
      // so that input rows staged for one output row serve the next ones (see HostRowLayout).
      std::int64_t const runs = (g.h.out + rows_per_task - 1) / rows_per_task;
      int const run = int(task % runs);
      std::int64_t const ng = task / runs;
      int const group = int(ng % g.groups);
      std::int64_t const n = ng / g.groups;
      for (int i = 0; i < l.stage_rows; ++i)
        ring[i] = -1; // no input row staged yet
      ConstantRow constant;
      int const oh_end = int(std::min<std::int64_t>(g.h.out, (std::int64_t(run) + 1) * rows_per_task));
      for (int oh = run * rows_per_task; oh < oh_end; ++oh)
        row(buffer, ring, constant, n, group, oh);
      fill_constant_row(constant, n, group, g.out_per_group);
    }
    stream_fence();
  }

  // An output row no height tap reaches (a stride-2 dilation-2 layer has one in two): every
  // output of channel co is epilogue(0 + conv_bias[co]). Its stores are compulsory but need no
  // arithmetic, so they wait and go out between the tiles of the next row that has taps.
  struct ConstantRow
  {
    int oh = -1;     // the waiting row, -1: none
    int channel = 0; // its next channel (within the group) to fill
  };
  void fill_constant_row(ConstantRow &r, std::int64_t n, int group, int channels) const
  {
    if (r.oh < 0)
      return;
    std::int64_t const ystride_c = std::int64_t(g.h.out) * g.w.out;
    T *const yrow0 = y.data() + ((n * g.out_channels + std::int64_t(group) * g.out_per_group) * g.h.out + r.oh) *
                                    std::int64_t(g.w.out);
    for (int const end = std::min(g.out_per_group, r.channel + channels); r.channel < end; ++r.channel)
    {
      int const co = group * g.out_per_group + r.channel;
      T const cb = g.has_conv_bias ? conv_bias(co) : T(0);
      stream_fill(yrow0 + r.channel * ystride_c, channel_op(epilogue, co)(T(0) + cb), g.w.out);
    }
    if (r.channel >= g.out_per_group)
      r = ConstantRow{};
  }

  // One output row (n, group, oh): all output channels of the group, all columns.
  void row(T *const stage, std::int64_t *const ring, ConstantRow &constant, std::int64_t n, int group, int oh) const
  {
    int const cig = g.in_per_group;
    int const rh = (oh + g.h.padding) % g.h.stride;
    int const th0 = l.taps_h.first_tap(rh);

    // Stage the valid height taps' input rows (all ci of the group), zero-padded columns, each
    // in slot ih % stage_rows (reuse: a row already there is not copied again) or in tap order.
    // The valid taps form a run kh_first, kh_first + tap_step, ... (ih decreases monotonically).
    std::int64_t *const staged_ih = ring, *const tap_offset = ring + l.stage_rows;
    std::int64_t const row_elems = std::int64_t(cig) * l.stage_w;
    int kh_first = 0, ntaps_h = 0;
    if (th0 >= 0 && l.stage_w > 0)
    {
      std::int64_t const plane = std::int64_t(g.h.in) * g.w.in;
      T const *const xg = x.data() + (n * g.in_channels + std::int64_t(group) * cig) * plane;
      int const ih0 = (oh + g.h.padding - rh) / g.h.stride - g.h.first_offset(th0, rh);
      int const c_begin = std::clamp(-l.col_lo, 0, l.stage_w);       // first staged column inside
      int const c_end = std::clamp(g.w.in - l.col_lo, 0, l.stage_w); // one past the last inside
      for (int kh = th0, ih = ih0; kh < g.h.kernel; kh += g.h.tap_step, ih -= g.h.off_step)
      {
        if (ih < 0 || ih >= g.h.in)
          continue;
        int const slot = l.reuse_rows ? ih % l.stage_rows : ntaps_h;
        tap_offset[ntaps_h] = slot * row_elems;
        if (!l.reuse_rows || staged_ih[slot] != ih)
        {
          staged_ih[slot] = ih;
          T *dst = stage + slot * row_elems;
          T const *src = xg + std::int64_t(ih) * g.w.in + l.col_lo;
          for (int ci = 0; ci < cig; ++ci, dst += l.stage_w, src += plane)
          {
            for (int c = 0; c < c_begin; ++c)
              dst[c] = T(0);
            if (c_end > c_begin)
              std::memcpy(dst + c_begin, src + c_begin, std::size_t(c_end - c_begin) * sizeof(T));
            for (int c = std::max(c_end, c_begin); c < l.stage_w; ++c)
              dst[c] = T(0);
          }
        }
        if (ntaps_h == 0)
          kh_first = kh;
        ++ntaps_h;
      }
      // Staging reads x from memory once, as cig short rows a plane apart: latency-bound. Ask
      // for the input row that later rows of this run will stage (two rows ahead) while this
      // row computes.
      int const ahead = ih0 + 2;
      if (l.reuse_rows && ahead >= 0 && ahead < g.h.in && c_end > c_begin)
        prefetch_rows(xg + std::int64_t(ahead) * g.w.in + l.col_lo + c_begin, cig, plane, c_end - c_begin);
    }

    if (ntaps_h == 0)
    {
      fill_constant_row(constant, n, group, g.out_per_group); // one waiting row at most
      constant = ConstantRow{oh, 0};
      return;
    }

    // Channel block outer: each block's outputs of all width phases go to a row-buffer slot (in
    // L1); the epilogue then runs over whole contiguous output rows and streams each to y once.
    // Software pipeline: block b's tiles fill slot b % 2 while block b - 1's rows are stored a
    // few channels between tiles, so the stores to y overlap the FMAs instead of following them.
    T *const rowbuf = stage + l.stage_elems;
    std::int64_t const bc = l.rowbuf_channel, slot = BC * bc;
    T *const line = rowbuf + 2 * slot;
    std::int64_t const ystride_c = std::int64_t(g.h.out) * g.w.out;
    T *const yrow0 = y.data() + ((n * g.out_channels + std::int64_t(group) * g.out_per_group) * g.h.out + oh) *
                                    std::int64_t(g.w.out);
    int const wout = g.w.out, sy = g.w.stride, bm = l.rowbuf_m;
    int pending_block = -1, pending_c = 0, pending_nc = 0; // the stored block's next channel
    auto store_pending = [&](int channels) {
      for (; channels > 0 && pending_c < pending_nc; --channels, ++pending_c)
      {
        int const c = pending_block * BC + pending_c; // channel within the group
        int const co = group * g.out_per_group + c;
        T const cb = g.has_conv_bias ? conv_bias(co) : T(0);
        store_row(yrow0 + c * ystride_c, line, rowbuf + (pending_block % 2) * slot + pending_c * bc, bm, wout, cb, co);
      }
    };
    int const per_tile = (BC + l.tiles_per_block - 1) / l.tiles_per_block;
    int const tiles = l.blocks * l.tiles_per_block;
    int const fills_per_tile = (g.out_per_group + tiles - 1) / tiles;
    for (int block = 0; block < l.blocks; ++block)
    {
      T *const blockbuf = rowbuf + (block % 2) * slot;
      for (int rw = 0; rw < g.w.stride; ++rw)
      {
        int const qb = g.w.q_begin(rw) > 0 ? g.w.q_begin(rw) : 0; // q_begin may be negative only if padding < 0
        int const qe = g.w.q_end(rw);
        if (qe <= qb)
          continue;
        int const tw0 = l.taps_w.first_tap(rw);
        int const off0 = tw0 < 0 ? 0 : g.w.first_offset(tw0, rw);
        int const ntaps_w = g.w.num_taps(tw0);
        bool const empty = ntaps_h == 0 || ntaps_w == 0;
        T const *const w0 = empty ? nullptr : packed.data() + pack_offset(group, block, kh_first, tw0);
        // This phase's outputs ow = output_of(rw, q) >= 0 all have ow % stride == r, and
        // m = (ow - r) / stride = q - (qb's m offset): one row of the buffer, consecutive.
        int const ow_b = g.w.output_of(rw, qb);
        int const r = ow_b % sy;
        T *const rb = blockbuf + std::int64_t(r) * bm + (ow_b - r) / sy - qb;
        for (int q = qb; q < qe; q += BQ)
        {
          if (empty)
          {
            for (int c = 0; c < BC; ++c)
              for (int j = 0; j < BQ; ++j)
                rb[c * bc + q + j] = T(0);
          }
          else if (qe - q <= VL) // one vector covers the rest: a narrow image or a row's tail
            tile<1>(rb + q, bc, stage + (q - off0 - l.col_lo), tap_offset, w0, ntaps_h, ntaps_w);
          else
            tile<BV>(rb + q, bc, stage + (q - off0 - l.col_lo), tap_offset, w0, ntaps_h, ntaps_w);
          store_pending(per_tile);
          fill_constant_row(constant, n, group, fills_per_tile);
        }
      }
      store_pending(BC);
      pending_block = block;
      pending_c = 0;
      pending_nc = std::min(BC, g.out_per_group - block * BC);
    }
    store_pending(BC);
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
  auto packed = allocate_workspace<T>(space, "ktconv::packed_weights", std::size_t(size));
  int const kh_n = g.h.kernel, kw_n = g.w.kernel, cig = g.in_per_group, cog = g.out_per_group;
  // One work item per (group, block, kh, kw): the index arithmetic is per item, the inner
  // loops over (ci, c) only add.
  std::int64_t const items = std::int64_t(g.groups) * blocks_per_group * kh_n * kw_n;
  Kokkos::parallel_for("ktconv::pack_weights",
                       Kokkos::RangePolicy<ExecutionSpace, Kokkos::IndexType<std::int64_t>>(space, 0, items),
                       [=](std::int64_t item) {
                         int const kw = int(item % kw_n);
                         std::int64_t r = item / kw_n;
                         int const kh = int(r % kh_n);
                         r /= kh_n;
                         int const block = int(r % blocks_per_group);
                         int const group = int(r / blocks_per_group);
                         T *dst = packed.data() + item * cig * BC;
                         for (int ci = 0; ci < cig; ++ci)
                           for (int c = 0; c < BC; ++c)
                           {
                             int const col = block * BC + c;
                             *dst++ = col < cog ? weight(group * cig + ci, col, kh, kw) : T(0);
                           }
                       });
  return packed;
}

// Workers for a call: the instance's threads, at most one per task.
template <class ExecutionSpace>
int host_rows_workers(ExecutionSpace const &space, std::int64_t tasks)
{
  return int(std::max<std::int64_t>(1, std::min<std::int64_t>(space.concurrency(), tasks)));
}

// Runs host_rows; the selection has checked HostRowLayout::within_data_bound. Allocates (and
// checks against `workspace_limit`) everything before the first kernel is enqueued.
template <class ExecutionSpace, class T, class Epilogue>
void run_host_rows(ExecutionSpace const &space, ConvGeometry const &g,
                   Input4<T, typename ExecutionSpace::memory_space> x,
                   Input4<T, typename ExecutionSpace::memory_space> weight,
                   Input1<T, typename ExecutionSpace::memory_space> conv_bias,
                   Output4<T, typename ExecutionSpace::memory_space> y, Epilogue const &epilogue,
                   std::size_t workspace_limit)
{
  auto const fast = device_epilogue(epilogue); // the same function, cheaper per element
  using Kernel = HostRowKernel<ExecutionSpace, T, std::remove_cvref_t<decltype(fast)>>;
  HostRowLayout const l = host_row_layout<T>(g);
  // Runs of output rows: long enough to reuse staged input rows, short enough for about 8
  // tasks per worker.
  std::int64_t const rows = g.batch * g.groups * g.h.out;
  int const workers = host_rows_workers(space, rows);
  int const rows_per_task = int(std::clamp<std::int64_t>(rows / (std::int64_t(workers) * 8), 1, 16));
  std::int64_t const tasks = g.batch * g.groups * ((g.h.out + rows_per_task - 1) / rows_per_task);
  check_workspace_limit("ktconv::host_rows workspace", host_rows_workspace_bytes<T>(l, workers), workspace_limit);
  auto workspace = allocate_workspace<T>(space, "ktconv::host_rows_workspace",
                                         std::size_t(workers) * std::size_t(l.worker_elems));
  auto rings = allocate_workspace<std::int64_t>(space, "ktconv::host_rows_rings",
                                                std::size_t(workers) * std::size_t(l.ring_ints));
  auto next_task = allocate_workspace<std::int64_t>(space, "ktconv::host_rows_counter", 1);
  auto packed = pack_weights_for_host_rows<ExecutionSpace, T>(space, g, weight, l.blocks);
  Kokkos::deep_copy(space, next_task, std::int64_t(0));
  Kernel k{x, packed, conv_bias, y, g, fast, l, workspace, rings, next_task, rows_per_task, tasks};
  Kokkos::parallel_for("ktconv::host_rows",
                       Kokkos::RangePolicy<ExecutionSpace, Kokkos::Schedule<Kokkos::Static>>(space, 0, workers), k);
}

} // namespace ktconv::Details

#endif
