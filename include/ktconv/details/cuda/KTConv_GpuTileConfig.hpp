#ifndef KTCONV_DETAILS_GPU_TILE_CONFIG_HPP
#define KTCONV_DETAILS_GPU_TILE_CONFIG_HPP

// clang-format off: clang-format takes KTCONV_UNROLL (a #pragma unroll) for a statement and
// flattens the loop nests it precedes, which would hide their structure.
// clang-format off

// The CUDA tiled kernel's compile-time tile shape (GpuTileConfig), what a team works on
// (GpuTeamTile), and the asynchronous copy primitives its staging uses. The pieces of the
// kernel: KTConv_GpuStaging.hpp (global -> scratch), KTConv_GpuSimtMainloop.hpp,
// KTConv_GpuTensorCoreMainloop.hpp and KTConv_GpuWgmmaMainloop.hpp (the main loops),
// KTConv_GpuTiledKernel.hpp (pipeline, epilogue, launch, dispatch).

#include <ktconv/details/common/KTConv_Geometry.hpp>

#include <Kokkos_Core.hpp>

#include <cstdint>
#include <type_traits>
#include <utility>

#if defined(KOKKOS_ENABLE_CUDA)

// Unrolled loops keep the accumulator and window arrays in registers (compile-time indices).
#if defined(__CUDA_ARCH__)
#define KTCONV_UNROLL _Pragma("unroll")
#else
#define KTCONV_UNROLL
#endif

namespace ktconv::Details
{

// Asynchronous global -> shared copies (sm_80+): the next chunk's data lands in shared memory
// while the current one is computed, without passing through registers. A copy whose `valid`
// is false writes zero (the source is not read).
KOKKOS_FORCEINLINE_FUNCTION void copy_async_4(float *shared_dst, float const *global_src, bool valid)
{
  KOKKOS_IF_ON_DEVICE((unsigned const d = static_cast<unsigned>(__cvta_generic_to_shared(shared_dst));
                       asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(d), "l"(global_src),
                                    "r"(valid ? 4 : 0));))
  KOKKOS_IF_ON_HOST((*shared_dst = valid ? *global_src : 0.f;))
}
// 16-byte variant (both addresses 16-byte aligned); copies `bytes` (0..16) and zero-fills the rest.
KOKKOS_FORCEINLINE_FUNCTION void copy_async_16(float *shared_dst, float const *global_src, int bytes)
{
  KOKKOS_IF_ON_DEVICE((unsigned const d = static_cast<unsigned>(__cvta_generic_to_shared(shared_dst));
                       asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(d), "l"(global_src),
                                    "r"(bytes));))
  KOKKOS_IF_ON_HOST((for (int i = 0; i < 4; ++i) shared_dst[i] = 4 * i < bytes ? global_src[i] : 0.f;))
}
KOKKOS_FORCEINLINE_FUNCTION void copy_async_commit() { KOKKOS_IF_ON_DEVICE((asm volatile("cp.async.commit_group;\n" ::);)) }
template <int Pending>
KOKKOS_FORCEINLINE_FUNCTION void copy_async_wait()
{
  KOKKOS_IF_ON_DEVICE((asm volatile("cp.async.wait_group %0;\n" ::"n"(Pending));))
}

// A float4 of weights packed in global memory (16-byte aligned), through the read-only path:
// the packed weights are written by an earlier kernel on the stream and only read here.
KOKKOS_FORCEINLINE_FUNCTION float4 load_weights4(float const *p)
{
  KOKKOS_IF_ON_DEVICE((return __ldg(reinterpret_cast<float4 const *>(p));))
  KOKKOS_IF_ON_HOST((return *reinterpret_cast<float4 const *>(p);))
}

// Where element e of a main loop's packed weight unit (the weights of pack_ci input channels
// for one channel block) comes from: input channel ci of the unit, channel co of the block,
// tap, and part (0: the value, or its TF32 "big" part; 1: the rest, "small", for 3xTF32).
struct PackedWeightSource
{
  int ci, co, tap, part;
};

// Tensor Memory Accelerator (sm_90+): a box of a tensor map copied to shared memory, its
// completion counted in bytes on an mbarrier. Compiled as traps for older architectures,
// where the launch never selects the TMA kernels.
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
#define KTCONV_DEVICE_HAS_TMA 1
#endif
KOKKOS_FORCEINLINE_FUNCTION unsigned shared_address(void const *p)
{
  KOKKOS_IF_ON_DEVICE((return static_cast<unsigned>(__cvta_generic_to_shared(p));))
  KOKKOS_IF_ON_HOST(((void)p; return 0u;))
}
KOKKOS_FORCEINLINE_FUNCTION void mbarrier_init(std::uint64_t *bar, unsigned count)
{
#if defined(KTCONV_DEVICE_HAS_TMA)
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(shared_address(bar)), "r"(count) : "memory");
  asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
#else
  (void)bar;
  (void)count;
#endif
}
// Arms the barrier for one phase that completes when `bytes` have landed.
KOKKOS_FORCEINLINE_FUNCTION void mbarrier_expect_bytes(std::uint64_t *bar, unsigned bytes)
{
#if defined(KTCONV_DEVICE_HAS_TMA)
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(shared_address(bar)), "r"(bytes)
               : "memory");
#else
  (void)bar;
  (void)bytes;
#endif
}
// Orders this thread's generic-proxy shared-memory accesses, and those of other threads that
// happen before them, before its later async-proxy ones (TMA writes into a reused stage).
KOKKOS_FORCEINLINE_FUNCTION void fence_proxy_async()
{
#if defined(KTCONV_DEVICE_HAS_TMA)
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
#endif
}
// Waits until the barrier's phase with the given parity has completed.
KOKKOS_FORCEINLINE_FUNCTION void mbarrier_wait(std::uint64_t *bar, unsigned parity)
{
#if defined(KTCONV_DEVICE_HAS_TMA)
  asm volatile("{\n"
               ".reg .pred done;\n"
               "wait_again:\n"
               "mbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n"
               "@!done bra wait_again;\n"
               "}\n" ::"r"(shared_address(bar)),
               "r"(parity)
               : "memory");
#else
  (void)bar;
  (void)parity;
#endif
}
// Named CTA barriers (ids 1..15; 0 is __syncthreads, Kokkos' team barrier) over `threads`
// threads, whole warps, each warp executing one of the two: arrive (and go on), or arrive and
// wait until all have arrived. When the barrier completes, each participant's earlier memory
// accesses are performed relative to all participants (PTX ISA, barrier{.cta}), so one waiter
// is ordered after everything the arrivers did before arriving.
KOKKOS_FORCEINLINE_FUNCTION void named_barrier_arrive(int id, int threads)
{
  KOKKOS_IF_ON_DEVICE((asm volatile("bar.arrive %0, %1;\n" ::"r"(id), "r"(threads) : "memory");))
  KOKKOS_IF_ON_HOST(((void)id, (void)threads;))
}
KOKKOS_FORCEINLINE_FUNCTION void named_barrier_sync(int id, int threads)
{
  KOKKOS_IF_ON_DEVICE((asm volatile("bar.sync %0, %1;\n" ::"r"(id), "r"(threads) : "memory");))
  KOKKOS_IF_ON_HOST(((void)id, (void)threads;))
}
KOKKOS_FORCEINLINE_FUNCTION void tma_load_5d(float *dst, void const *map, std::uint64_t *bar, int c0, int c1, int c2,
                                             int c3, int c4)
{
#if defined(KTCONV_DEVICE_HAS_TMA)
  asm volatile("cp.async.bulk.tensor.5d.shared::cluster.global.tile.mbarrier::complete_tx::bytes"
               " [%0], [%1, {%2, %3, %4, %5, %6}], [%7];\n" ::"r"(shared_address(dst)),
               "l"(map), "r"(c0), "r"(c1), "r"(c2), "r"(c3), "r"(c4), "r"(shared_address(bar))
               : "memory");
#else
  (void)dst, (void)map, (void)bar, (void)c0, (void)c1, (void)c2, (void)c3, (void)c4;
  KOKKOS_IF_ON_DEVICE((__trap();))
#endif
}
// `bytes` (a multiple of 16; both addresses 16-byte aligned) copied contiguously to shared
// memory by the TMA unit, completing on an mbarrier like the boxes.
KOKKOS_FORCEINLINE_FUNCTION void bulk_load(float *dst, float const *src, unsigned bytes, std::uint64_t *bar)
{
#if defined(KTCONV_DEVICE_HAS_TMA)
  asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];\n" ::"r"(
                   shared_address(dst)),
               "l"(src), "r"(bytes), "r"(shared_address(bar))
               : "memory");
#else
  (void)dst, (void)src, (void)bytes, (void)bar;
  KOKKOS_IF_ON_DEVICE((__trap();))
#endif
}

// Compile-time shape of the tiled kernel for kernel size K, stride S and padding phase
// P = padding mod S (per axis), dilation 1.
//
// Tiles are aligned in *output* coordinates: a team owns output rows [oh0, oh0 + S*tile_qh)
// and columns [ow0, ow0 + S*tile_qw), oh0 and ow0 multiples of the tile, for block_co output
// channels. Output o = o0 + S*u + v (v in [0, S), the "block position") is in phase
// r_v = (v + P) mod S and reads input o0/S + a + u + c_v - j through tap k = r_v + j*S, where
// padding = a*S + P and c_v = (v + P) div S. So the phase structure (r_v, c_v, the taps) is
// known at compile time and only a is a run-time offset. The patch spans exactly the offsets
// c_v - j the taps read, [lowest_offset, lowest_offset + reach] (k3 s2 with padding 1: [0, 1],
// two input rows per block where the textbook bound (k-1)/s back and c_v forward gives three):
// its row 0 is input row o0/S + a + lowest_offset, and output row u of block position v and
// tap j reads patch row u + c_v - j - lowest_offset.
//
// Tma selects how chunks are staged: false, cp.async by every thread (patch rows start at a
// 16-byte boundary, `col_shift` columns before the tile); true (sm_90+), one thread issues the
// chunk's input patch as a box of a tensor map (the Tensor Memory Accelerator, zero-filled
// outside the image) and its weights, pre-packed per call by the main loop, as one bulk copy.
// TensorCores: the tile is for the tensor-core loop, whose fragment loads want the TMA box's
// per-channel size conflict-free (extra rows); the CUDA-core loop reads rows as float4 and gains
// nothing from them (measured on the H100: without the extra row ieee is 2-3% faster, tf32 3%
// slower). DeepStaging (tensor cores): a third stage rather than the extra rows where only one
// of the two fits (3xTF32; see max_tma_stages_staged).
template <int Kernel, int Stride, int PadPhaseH, int PadPhaseW, bool Tma = false, bool TensorCores = true,
          bool DeepStaging = false>
struct GpuTileConfig
{
  static constexpr int kernel = Kernel;
  static constexpr int stride = Stride;
  static constexpr bool tma = Tma;
  static constexpr int pad_phase_h = PadPhaseH, pad_phase_w = PadPhaseW;
  // The least and greatest offset c_v - j over the taps of pad phase P (one axis).
  static constexpr int tap_offset(int P, bool greatest)
  {
    int lo = Kernel, hi = -Kernel;
    for (int v = 0; v < Stride; ++v)
      for (int j = 0; (v + P) % Stride + j * Stride < Kernel; ++j)
      {
        int const o = (v + P) / Stride - j;
        lo = o < lo ? o : lo;
        hi = o > hi ? o : hi;
      }
    return greatest ? hi : lo;
  }
  static constexpr int lowest_offset_h = tap_offset(PadPhaseH, false), lowest_offset_w = tap_offset(PadPhaseW, false);
  static constexpr int reach_h = tap_offset(PadPhaseH, true) - lowest_offset_h; // patch rows beyond the tile's
  static constexpr int reach_w = tap_offset(PadPhaseW, true) - lowest_offset_w;
  static constexpr int warps = 8;
  static constexpr int threads = 32 * warps;
  static constexpr int block_co = 32;                 // output channels per team
  static constexpr int tile_qh = Stride == 1 ? 16 : 4; // output blocks per team, per axis
  static constexpr int tile_qw = 32;
  static constexpr int out_rows = Stride * tile_qh; // the team's output tile
  static constexpr int out_cols = Stride * tile_qw;
  static constexpr int patch_h = tile_qh + reach_h;
  static constexpr int patch_w = tile_qw + reach_w;
  // A tensor-core fragment load reads channels tig (4 apart) x pixels gid (8 consecutive): it
  // touches 32 different banks when the per-channel size is 8 or 24 mod 32 floats.
  static constexpr bool conflict_free(int n) { return n % 32 == 8 || n % 32 == 24; }
  static constexpr int pad_to_8_mod_32(int n) { return n + ((8 - n % 32) + 32) % 32; }
  // Patch rows start at an input column rounded down to a multiple of 4 (cp.async copies 16
  // bytes at a time; a TMA box must start at a 16-byte boundary of the row), so `col_shift` in
  // [0, 4) columns of slack precede the tile's first column. cp.async: channels padded to
  // 8 mod 32; TMA (dense boxes): for the tensor-core loop, rows added to the box until its size
  // is conflict-free.
  static constexpr int patch_pitch = (patch_w + 3 + 3) / 4 * 4;
  static constexpr int tma_box_rows()
  {
    for (int h = patch_h; h < patch_h + 8; ++h)
      if (conflict_free(h * patch_pitch))
        return h;
    return patch_h;
  }
  static constexpr int taps = Kernel * Kernel;
  // Kokkos launches a CUDA team with at most sharedMemPerBlock (48 KB) of shared memory, of
  // which it keeps 8*(team size + 2) bytes, so tiles are sized for 46800 bytes of scratch.
  // The epilogue needs no scratch: it stores from the accumulators. Regions start at 128-byte
  // boundaries (TMA).
  static constexpr int align32(int n) { return (n + 31) / 32 * 32; }
  static constexpr int scratch_limit_floats = (46800 - 128) / 4;
  // After the stages: the records of the team's recent tiles (GpuTeamTile, 64 bytes each), which
  // the epilogue reads from scratch rather than keeping them in registers (a ring: warps may be
  // up to a tile apart, and the issuing thread writes a record as it issues the tile's first
  // chunk), then per stage a "full" mbarrier and 8 bytes no longer used (they held a counter of
  // the warps done with the stage; kept so that the stage counts below stay as measured).
  static constexpr int tail_floats(int stages) { return (stages + 2 < 4 ? 4 : stages + 2) * 16 + 4 * stages; }
  static constexpr bool fits(int stages, int stage_floats) { return stages * stage_floats + tail_floats(stages) <= scratch_limit_floats; }
  // Weights. cp.async stages them in scratch: transposed [ci][tap][channel] (tap_pitch apart:
  // spreads the transposing copies over banks) for the CUDA-core loop, or as in global memory
  // [ci][channel][tap] for the tensor-core loop. TMA configurations use weights packed per call
  // by the main loop in the order its threads read them (taps*block_co floats per input
  // channel, whole float4 per thread): bulk-copied into each stage beside the patch, or, where
  // that leaves room for a single stage only and reading them from global memory (through L1:
  // a team's channel block is the same for all its tiles) gives two or more, read from there
  // by the tensor-core loop (k4 s2, batch 32, TF32 on the H100: 1.65 -> 0.56 ms; on the seed
  // shape that way was 2% (TF32) and 5% (3xTF32) slower than staging them, the CUDA-core loop
  // 20% slower).
  static constexpr int tap_pitch = block_co + 4;
  static constexpr int weights_per_ci_transposed = pad_to_8_mod_32(taps * tap_pitch);
  static constexpr int packed_per_ci = taps * block_co;
  static constexpr int tma_stages(int stage_floats, int max_stages)
  {
    int s = max_stages;
    while (s > 1 && !fits(s, stage_floats))
      --s;
    return s;
  }
  // TMA stages with weights staged beside the patch. Chunks of 8 input channels (the tensor-core
  // loops' k-step). The TF32 loops keep at most two stages (the wgmma loop waits for its MMAs
  // before releasing a stage; a third, bought with dense rows, measured 2.5% slower), 3xTF32
  // takes a third where dense rows make room for it (seed shape: 2.37-2.39 against 2.47 ms,
  // H200). The CUDA-core loop takes up to four, and chunks of 4 where 8 leave room for one
  // stage only but 4 give three (k4 s2 with padding 1). With three or more stages a stage is
  // refilled a step late (deferred_release), so that the refilling warp seldom waits for the
  // others. H200, ieee, batch 32 (docs/PERFORMANCE.md): k3 s2 with padding 0 or 2 and k2 s2,
  // 3-4 stages of 8 against 2, 9-10% faster; k4 s2 with padding 1, 3 stages of 4 against 1 of
  // 8, 1.66 against 1.78 ms; the seed shape, 3 stages against 2, 1% faster.
  static constexpr int max_tma_stages_staged = !TensorCores ? 4 : (DeepStaging ? 3 : 2);
  static constexpr int staged_stage_floats(int rows, int ci)
  {
    return align32(ci * rows * patch_pitch) + align32(ci * packed_per_ci);
  }
  // Tensor cores: conflict-free rows, unless DeepStaging gets a third stage by dense ones (only
  // then: with one staged stage the weights are read from global memory instead, below).
  static constexpr bool dense_rows_for_stages =
      DeepStaging && tma_stages(staged_stage_floats(patch_h, 8), max_tma_stages_staged) == 3 &&
      tma_stages(staged_stage_floats(tma_box_rows(), 8), max_tma_stages_staged) < 3;
  static constexpr int patch_rows = Tma && TensorCores && !dense_rows_for_stages ? tma_box_rows() : patch_h;
  static constexpr int patch_size = Tma ? patch_rows * patch_pitch : pad_to_8_mod_32(patch_h * patch_pitch);
  static constexpr int tma_chunk = !TensorCores &&
                                           tma_stages(staged_stage_floats(patch_rows, 8), max_tma_stages_staged) < 2 &&
                                           tma_stages(staged_stage_floats(patch_rows, 4), max_tma_stages_staged) >= 3
                                       ? 4
                                       : 8;
  static constexpr int stages_weights_staged = tma_stages(staged_stage_floats(patch_rows, tma_chunk), max_tma_stages_staged);
  static constexpr int max_tma_stages_global = 4;
  static constexpr int stages_weights_global = tma_stages(align32(tma_chunk * patch_size), max_tma_stages_global);
  static constexpr bool weights_in_global = Tma && TensorCores && stages_weights_staged == 1 && stages_weights_global >= 2;
  static constexpr int weights_per_ci = !Tma ? weights_per_ci_transposed : (weights_in_global ? 0 : packed_per_ci);
  static constexpr int stage_size(int ci) { return align32(ci * patch_size) + align32(ci * weights_per_ci); }
  // cp.async: two stages if chunks of at least 8 fit, else one; chunks of 16 where such stages fit.
  static constexpr int stages = Tma ? (weights_in_global ? stages_weights_global : stages_weights_staged)
                                    : (fits(2, stage_size(8)) ? 2 : 1);
  static constexpr int chunk_ci = Tma ? tma_chunk : (fits(stages, stage_size(16)) ? 16 : 8);
  // TMA: the refilling warp waits for the others and refills a stage one step after computing
  // it, not at once (GpuTiledKernel::run_tma); two stages would lose their one step of prefetch.
  static constexpr bool deferred_release = Tma && stages >= 3;
  static constexpr int stage_floats = stage_size(chunk_ci);
  static constexpr int weights_offset = align32(chunk_ci * patch_size); // within a stage
  static constexpr int tile_records = stages + 2 < 4 ? 4 : stages + 2;
  static constexpr int tile_records_offset = stages * stage_floats;
  static constexpr int barriers_offset = tile_records_offset + tile_records * 16;
  static constexpr std::size_t scratch_floats = barriers_offset + 4 * stages; // full (2 floats), 2 unused
  // Teams are persistent (each loops over tiles); this many run on one SM at a time (the
  // launch bound, which the scratch size above also allows).
  static constexpr int teams_per_sm = 2;
  static_assert(scratch_floats <= scratch_limit_floats, "tile too large for Kokkos' level-0 scratch");
  static_assert(patch_w <= 64, "input staging assumes at most two columns per lane");

  // cp.async: where the CUDA-core loop's transposed weights [ci][tap][channel] and the
  // tensor-core loop's [ci][channel][tap] sit in a stage's weight region.
  static constexpr int transposed_tap_stride = tap_pitch;
  static constexpr int transposed_ci_stride = weights_per_ci;
  static constexpr int weight_ci_stride = weights_per_ci;
  KOKKOS_FORCEINLINE_FUNCTION static constexpr int weight_index(int ci, int co, int tap)
  {
    return ci * weights_per_ci + co * taps + tap;
  }
};

// One tap of one output block position (vh, vw) of the tile: the kernel tap (kh, kw) and the
// input window offset (dh, dw) it reads, all compile-time (see GpuTileConfig's comment).
struct PhaseTap
{
  int vh, vw, kh, kw, dh, dw;
};

// Every (block position, tap) pair of a config, in the order the main loops visit them: grouped
// by input window (dh, dw), since taps of different block positions share windows (k3 s2:
// 9 taps, 4 windows). With dilation 1 each kernel tap belongs to exactly one block position
// per axis: kernel^2 entries.
template <class Config>
struct PhaseTaps
{
  struct List
  {
    PhaseTap tap[Config::taps];
    bool first_of_window[Config::taps]; // entry i is the first of its window
  };
  static constexpr bool same_window(PhaseTap const &a, PhaseTap const &b) { return a.dh == b.dh && a.dw == b.dw; }
  static constexpr bool window_before(PhaseTap const &a, PhaseTap const &b)
  {
    return a.dh < b.dh || (a.dh == b.dh && a.dw < b.dw);
  }
  static constexpr List make()
  {
    constexpr int K = Config::kernel, S = Config::stride;
    constexpr int PH = Config::pad_phase_h, PW = Config::pad_phase_w;
    List l{};
    int n = 0;
    for (int vh = 0; vh < S; ++vh)
      for (int jh = 0; (vh + PH) % S + jh * S < K; ++jh)
        for (int vw = 0; vw < S; ++vw)
          for (int jw = 0; (vw + PW) % S + jw * S < K; ++jw)
            l.tap[n++] = PhaseTap{vh, vw, (vh + PH) % S + jh * S, (vw + PW) % S + jw * S,
                                  (vh + PH) / S - jh - Config::lowest_offset_h, (vw + PW) / S - jw - Config::lowest_offset_w};
    for (int i = 1; i < n; ++i) // stable insertion sort by window
      for (int j = i; j > 0 && window_before(l.tap[j], l.tap[j - 1]); --j)
      {
        PhaseTap const t = l.tap[j];
        l.tap[j] = l.tap[j - 1];
        l.tap[j - 1] = t;
      }
    for (int i = 0; i < n; ++i)
      l.first_of_window[i] = i == 0 || !same_window(l.tap[i - 1], l.tap[i]);
    return l;
  }
  static constexpr List list = make();
};

// Calls f(std::integral_constant<int, I>{}) for every entry I of PhaseTaps<Config>, unrolled at
// compile time, so the main loops index their register arrays with constants only.
template <class Config, class F>
KOKKOS_FORCEINLINE_FUNCTION void for_each_phase_tap(F &&f)
{
  [&]<int... I>(std::integer_sequence<int, I...>) {
    (f(std::integral_constant<int, I>{}), ...);
  }(std::make_integer_sequence<int, Config::taps>{});
}

// Sets every accumulator of a main loop to zero (its channel slots cover all of them).
template <class Mainloop>
KOKKOS_FORCEINLINE_FUNCTION void zero_accumulators(Mainloop &mainloop)
{
  KTCONV_UNROLL
  for (int s = 0; s < Mainloop::channels_per_thread; ++s)
    mainloop.for_each_value(s, [](float &a) { a = 0.f; });
}

// Calls f(float (&)[values_per_channel]) on the accumulators of a main loop's channel slot s,
// gathered into one array, and writes back what f leaves there: the epilogue transforms a
// channel's values as one batch.
template <class Mainloop, class F>
KOKKOS_FORCEINLINE_FUNCTION void transform_slot(Mainloop &mainloop, int s, F &&f)
{
  float v[Mainloop::values_per_channel];
  int n = 0;
  mainloop.for_each_value(s, [&](float &a) { v[n++] = a; });
  f(v);
  n = 0;
  mainloop.for_each_value(s, [&](float &a) { a = v[n++]; });
}

// One tile of work: a team decodes it from the tile's index (teams loop over tiles).
struct alignas(16) GpuTeamTile
{
  float const *x; // the tile's image and group: input channel 0 of the group
  float const *w; // weight[group's first input channel][co0][0][0]
  int n, group;
  int oh0, ow0;         // first output row/column of the tile
  int ih_base, iw_base; // input row/column of the tile's first patch row/column
  int iw_patch0;        // input column of patch column 0 (iw_base - col_shift)
  int co0, co_valid;    // first channel (within the group) and how many exist
};
static_assert(sizeof(GpuTeamTile) <= 64, "a tile record takes 16 floats of scratch");

} // namespace ktconv::Details

#endif // KOKKOS_ENABLE_CUDA

#endif
