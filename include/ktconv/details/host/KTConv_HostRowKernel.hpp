#ifndef KTCONV_DETAILS_HOST_ROW_KERNEL_HPP
#define KTCONV_DETAILS_HOST_ROW_KERNEL_HPP

#include <ktconv/details/common/KTConv_Geometry.hpp>
#include <ktconv/details/common/KTConv_Views.hpp>
#include <ktconv/details/common/KTConv_Workspace.hpp>
#include <ktconv/details/host/KTConv_HostRowLayout.hpp>

#include <Kokkos_Core.hpp>
#include <Kokkos_SIMD.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace ktconv::Details
{

// Host kernel. One task = one output row (n, group, oh). Workers (one per thread of the
// execution space instance) take tasks from a shared counter; each has its own buffer in the
// call's workspace (staged input rows, then the row buffer), so the buffers are ktconv's own
// allocation: bounded (HostRowLayout), limited (Options::workspace_limit), and freed after
// the call. Every output is computed by one task in a fixed order: results do not depend on
// the number of threads or on which worker runs a task.
//
// Staging: the task first copies the input rows its height taps read, for all the group's input
// channels, into a per-thread buffer [h tap][ci][column] whose columns are padded with zeros
// on both sides far enough that every tile of every width phase reads inside it. This (a)
// removes all bounds tests from the inner loop (every tile is "interior"), and (b) turns the
// plane stride of NCHW between input channels (h*w floats: 64 KiB for 128x128, which maps every
// channel to the same L1/L2 set) into a short, cache-friendly stride.
//
// Along the row the outputs split by width phase; within a phase consecutive q read consecutive
// input columns, so the register tile is block_c output channels x block_q outputs (block_v
// SIMD vectors, Kokkos SIMD: AVX2 where the build targets it), updated by outer products: per
// (tap, ci), block_v vector loads of inputs and block_c broadcasts of weights feed
// block_c * block_v FMAs. 6 x 2 (6 channels x 16 floats) keeps 12 accumulators, 2 input vectors
// and a broadcast in the 16 ymm registers: 8 loads per 12 FMAs (4 x 3 needed 7 loads but GCC
// then re-loaded the inputs per channel, 16 loads per 12 FMAs).
//
// Loop order: channel block outer, then width phase, then q tile. A block's outputs of all
// phases land in a per-thread row buffer laid out by output phase ([c][ow % stride][ow /
// stride], whole-vector stores from the tile); then the epilogue runs over each whole output
// row, vectorized (for stride 2 as an interleave of two buffer rows), and stores it once,
// contiguously. The block's output rows are prefetched for writing before it is computed.
// (q tile outer with all blocks inner, to keep a q tile's inputs in L1, measured the same.)
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
  Kokkos::View<std::int64_t *, MemorySpace> next_task; // the shared task counter
  std::int64_t tasks = 0;

  std::int64_t pack_offset(int group, int block, int kh, int kw) const
  {
    return (((std::int64_t(group) * l.blocks + block) * g.h.kernel + kh) * g.w.kernel + kw) *
           std::int64_t(g.in_per_group) * BC;
  }

  // One register tile: out[c * out_stride_c + j] = sum over (staged h tap s, w tap t, ci) of
  // w[s][t][ci][c] * stage[s][ci][col0 - t*off_step + j]. `xs` points at staged column col0 of
  // h tap 0, `w0` at the packed weights of (first staged kh, tw0) of the channel block.
  // Accumulators are local SIMD values (never addressable), so they live in registers.
  void tile(T *out, std::int64_t out_stride_c, T const *xs, T const *w0, int ntaps_h, int ntaps_w) const
  {
    using V = typename HostRowTiling<T>::simd;
    using Kokkos::Experimental::simd_unchecked_load;
    V acc[BC][BV];
    for (int c = 0; c < BC; ++c)
      for (int v = 0; v < BV; ++v)
        acc[c][v] = V(T(0));
    int const cig = g.in_per_group;
    std::int64_t const sw = l.stage_w, tap_stride = std::int64_t(cig) * sw;
    std::int64_t const wstep_w = std::int64_t(g.w.tap_step) * cig * BC;
    std::int64_t const wstep_h = std::int64_t(g.h.tap_step) * g.w.kernel * cig * BC;
    for (int s = 0; s < ntaps_h; ++s)
    {
      T const *xt = xs + s * tap_stride;
      T const *wt = w0 + s * wstep_h;
      for (int t = 0; t < ntaps_w; ++t, xt -= g.w.off_step, wt += wstep_w)
      {
        T const *xr = xt;
        T const *wp = wt;
        for (int ci = 0; ci < cig; ++ci, xr += sw, wp += BC)
        {
          V xv[BV];
          for (int v = 0; v < BV; ++v)
            xv[v] = simd_unchecked_load<V>(xr + v * VL, Kokkos::Experimental::simd_flag_default);
          for (int c = 0; c < BC; ++c)
          {
            V const wv(wp[c]);
            for (int v = 0; v < BV; ++v)
              acc[c][v] = Kokkos::fma(wv, xv[v], acc[c][v]);
          }
        }
      }
    }
    for (int c = 0; c < BC; ++c)
      for (int v = 0; v < BV; ++v)
        Kokkos::Experimental::simd_unchecked_store(acc[c][v], out + c * out_stride_c + v * VL,
                                                   Kokkos::Experimental::simd_flag_default);
  }

  // y[ow] = epilogue(rb[r][m] + cb, co) for ow = stride*m + r < count, rb rows bm apart. An
  // epilogue that offers for_channel (a pure per-channel function, see BiasClampScaleEpilogue)
  // gets loops the compiler vectorizes (stride 2: an interleave of two rows); otherwise (it
  // may read memory the compiler cannot prove distinct from y) scalar loops.
  void store_row(T *yr, T const *rb, int bm, int count, T cb, int co) const
  {
    int const sy = g.w.stride;
    auto run = [&](auto const &f) {
      if (sy == 1)
      {
        for (int j = 0; j < count; ++j)
          yr[j] = f(rb[j] + cb);
      }
      else if (sy == 2)
      {
        T const *const r0 = rb, *const r1 = rb + bm;
        int const pairs = count / 2;
        for (int m = 0; m < pairs; ++m)
        {
          yr[2 * m] = f(r0[m] + cb);
          yr[2 * m + 1] = f(r1[m] + cb);
        }
        if (count % 2)
          yr[count - 1] = f(r0[pairs] + cb);
      }
      else
      {
        for (int r = 0; r < sy && r < count; ++r)
        {
          T const *const rr = rb + std::int64_t(r) * bm;
          for (int m = 0, ow = r; ow < count; ++m, ow += sy)
            yr[ow] = f(rr[m] + cb);
        }
      }
    };
    if constexpr (requires { epilogue.for_channel(co)(cb); })
      run(epilogue.for_channel(co));
    else
      run([&](T v) { return epilogue(v, co); });
  }

  // Asks for the block's output rows (cache lines, for writing) before the block is computed,
  // so the epilogue's stores do not each wait for a line to come from memory.
  static void prefetch_for_write([[maybe_unused]] T *y0, [[maybe_unused]] int rows,
                                 [[maybe_unused]] std::int64_t stride, [[maybe_unused]] int count)
  {
#if defined(__GNUC__)
    constexpr int line = 64 / int(sizeof(T));
    for (int c = 0; c < rows; ++c)
      for (int j = 0; j < count; j += line)
        __builtin_prefetch(y0 + c * stride + j, 1, 3);
#endif
  }

  // One worker: takes tasks until none are left.
  void operator()(int worker) const
  {
    T *const buffer = workspace.data() + std::int64_t(worker) * l.worker_elems;
    std::int64_t *const counter = next_task.data();
    for (std::int64_t task = Kokkos::atomic_fetch_add(counter, std::int64_t(1)); task < tasks;
         task = Kokkos::atomic_fetch_add(counter, std::int64_t(1)))
      row(buffer, task);
  }

  void row(T *const stage, std::int64_t task) const
  {
    int const oh = int(task % g.h.out);
    std::int64_t const ng = task / g.h.out;
    int const group = int(ng % g.groups);
    std::int64_t const n = ng / g.groups;
    int const cig = g.in_per_group;
    int const rh = (oh + g.h.padding) % g.h.stride;
    int const th0 = l.taps_h.first_tap(rh);

    // Stage the valid height taps' input rows (all ci of the group), zero-padded columns.
    // The valid taps form a run kh_first, kh_first + tap_step, ... (ih decreases monotonically).
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
        T *dst = stage + std::int64_t(ntaps_h) * cig * l.stage_w;
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
        if (ntaps_h == 0)
          kh_first = kh;
        ++ntaps_h;
      }
    }

    // Channel block outer: each block's outputs of all width phases go to the row buffer (in
    // L1), then the epilogue runs over whole contiguous output rows and stores each once.
    T *const rowbuf = stage + l.stage_elems;
    std::int64_t const ystride_c = std::int64_t(g.h.out) * g.w.out;
    T *const yrow0 = y.data() + ((n * g.out_channels + std::int64_t(group) * g.out_per_group) * g.h.out + oh) *
                                    std::int64_t(g.w.out);
    int const wout = g.w.out, sy = g.w.stride, bm = l.rowbuf_m;
    std::int64_t const bc = l.rowbuf_channel;
    for (int block = 0; block < l.blocks; ++block)
    {
      int const c0 = block * BC;
      int const nc = (g.out_per_group - c0) < BC ? (g.out_per_group - c0) : BC;
      prefetch_for_write(yrow0 + c0 * ystride_c, nc, ystride_c, wout);
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
        T *const rb = rowbuf + std::int64_t(r) * bm + (ow_b - r) / sy - qb;
        for (int q = qb; q < qe; q += BQ)
        {
          if (empty)
          {
            for (int c = 0; c < BC; ++c)
              for (int j = 0; j < BQ; ++j)
                rb[c * bc + q + j] = T(0);
          }
          else
            tile(rb + q, bc, stage + (q - off0 - l.col_lo), w0, ntaps_h, ntaps_w);
        }
      }
      for (int c = 0; c < nc; ++c)
      {
        int const co = group * g.out_per_group + c0 + c;
        T const cb = g.has_conv_bias ? conv_bias(co) : T(0);
        store_row(yrow0 + (c0 + c) * ystride_c, rowbuf + c * bc, bm, wout, cb, co);
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
  using Kernel = HostRowKernel<ExecutionSpace, T, Epilogue>;
  HostRowLayout const l = host_row_layout<T>(g);
  std::int64_t const tasks = g.batch * g.groups * g.h.out;
  int const workers = host_rows_workers(space, tasks);
  check_workspace_limit("ktconv::host_rows workspace", host_rows_workspace_bytes<T>(l, workers), workspace_limit);
  auto workspace = allocate_workspace<T>(space, "ktconv::host_rows_workspace",
                                         std::size_t(workers) * std::size_t(l.worker_elems));
  auto next_task = allocate_workspace<std::int64_t>(space, "ktconv::host_rows_counter", 1);
  auto packed = pack_weights_for_host_rows<ExecutionSpace, T>(space, g, weight, l.blocks);
  Kokkos::deep_copy(space, next_task, std::int64_t(0));
  Kernel k{x, packed, conv_bias, y, g, epilogue, l, workspace, next_task, tasks};
  Kokkos::parallel_for("ktconv::host_rows",
                       Kokkos::RangePolicy<ExecutionSpace, Kokkos::Schedule<Kokkos::Static>>(space, 0, workers), k);
}

} // namespace ktconv::Details

#endif
