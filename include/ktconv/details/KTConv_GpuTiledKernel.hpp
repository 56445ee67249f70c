#ifndef KTCONV_DETAILS_GPU_TILED_KERNEL_HPP
#define KTCONV_DETAILS_GPU_TILED_KERNEL_HPP

// clang-format off: clang-format takes KTCONV_UNROLL (a #pragma unroll) for a statement and
// flattens the loop nests it precedes, which would hide their structure.
// clang-format off

// The CUDA kernel: a register-tiled implicit GEMM over the stride phases, written as a Kokkos
// TeamPolicy kernel with team scratch (shared) memory.
//
// A team owns one image, one block of output channels and a tile of q positions, where an
// output o = r - padding + stride*q belongs to phase r (see AxisGeometry). It computes the
// outputs of *all* stride^2 phases of that tile, because they read the same input patch: each
// input element staged in shared memory feeds kernel^2 taps, and each thread keeps a small
// window of inputs in registers that feeds every tap of every phase.
//
//   main loop  : for each chunk of input channels: stage the input patch and the weights in
//                scratch; each thread loads its input window (registers) and, per tap, the
//                weights of its output channels (one 16-byte broadcast), and accumulates
//                acc[phase_h][phase_w][row][col][channel] += window * weight.
//   epilogue   : per output channel, each warp writes its accumulators (conv bias and the
//                Epilogue functor applied) to a per-warp scratch tile laid out like the
//                output, then stores whole rows coalesced. Every output is written once.
//
// Tile sizes are compile-time, and so are kernel size and stride (dilation 1), so the tap and
// phase loops unroll and the accumulators stay in registers. Shapes outside the instantiated
// set fall back to the direct kernel (AlgorithmSelection).

#include <ktconv/KTConv_Params.hpp>
#include <ktconv/details/KTConv_DeviceEpilogue.hpp>
#include <ktconv/details/KTConv_Geometry.hpp>
#include <ktconv/details/KTConv_Views.hpp>

#include <Kokkos_Core.hpp>

#include <cstdint>
#include <type_traits>

namespace ktconv::Details
{

inline char const *gpu_tiled_requirements()
{
  return "needs the CUDA backend, float, dilation 1, equal padding parity on both axes, and a "
         "square kernel/stride pair among (3,2), (4,2), (2,2), (3,1)";
}

// Kernel/stride pairs compiled for the tiled kernel. Returns a dispatch id, or -1.
inline int gpu_tiled_variant(ConvGeometry const &g)
{
  if (g.h.dilation != 1 || g.w.dilation != 1 || g.h.kernel != g.w.kernel || g.h.stride != g.w.stride)
    return -1;
  int const k = g.h.kernel, s = g.h.stride;
  int const phase = g.h.padding % s;
  if (g.w.padding % s != phase)
    return -1;
  // id = 2*pair + padding phase
  if (k == 3 && s == 2)
    return 0 + phase;
  if (k == 4 && s == 2)
    return 2 + phase;
  if (k == 2 && s == 2)
    return 4 + phase;
  if (k == 3 && s == 1)
    return 6;
  return -1;
}

template <class ExecutionSpace, class T>
bool gpu_tiled_supports(ConvGeometry const &g)
{
#if defined(KOKKOS_ENABLE_CUDA)
  if constexpr (std::is_same_v<ExecutionSpace, Kokkos::Cuda> && std::is_same_v<T, float>)
    return gpu_tiled_variant(g) >= 0;
#endif
  (void)g;
  return false;
}

#if defined(KOKKOS_ENABLE_CUDA)

// Unrolled loops keep the accumulator and window arrays in registers (compile-time indices).
#if defined(__CUDA_ARCH__)
#define KTCONV_UNROLL _Pragma("unroll")
#else
#define KTCONV_UNROLL
#endif

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

// Compile-time shape of the tiled kernel for kernel size K, stride S and padding phase
// P = padding mod S (per axis), dilation 1.
//
// Tiles are aligned in *output* coordinates: a team owns output rows [oh0, oh0 + S*tile_qh)
// and columns [ow0, ow0 + S*tile_qw), oh0 and ow0 multiples of the tile, for block_co output
// channels. Output o = o0 + S*u + v (v in [0, S), the "block position") is in phase
// r_v = (v + P) mod S and reads input o0/S + a + u + c_v - j through tap k = r_v + j*S, where
// padding = a*S + P and c_v = (v + P) div S. So the phase structure (r_v, c_v, the taps) is
// known at compile time and only a is a run-time offset. In the staged input patch, whose
// row 0 is input row o0/S + a - max_offset, output row u of block position v and tap j reads
// patch row u + c_v - j + max_offset.
template <int Kernel, int Stride, int PadPhaseH, int PadPhaseW>
struct GpuTileConfig
{
  static constexpr int kernel = Kernel;
  static constexpr int stride = Stride;
  static constexpr int pad_phase_h = PadPhaseH, pad_phase_w = PadPhaseW;
  static constexpr int max_offset = (Kernel - 1) / Stride; // input rows/cols a tap reaches back
  static constexpr int extra_h = PadPhaseH > 0 ? 1 : 0;    // c_v reaches 1 for some v
  static constexpr int extra_w = PadPhaseW > 0 ? 1 : 0;
  static constexpr int warps = 8;
  static constexpr int threads = 32 * warps;
  static constexpr int block_co = 32;                 // output channels per team
  static constexpr int tile_qh = Stride == 1 ? 16 : 4; // output blocks per team, per axis
  static constexpr int tile_qw = 32;
  static constexpr int out_rows = Stride * tile_qh; // the team's output tile
  static constexpr int out_cols = Stride * tile_qw;
  static constexpr int patch_h = tile_qh + max_offset + extra_h;
  static constexpr int patch_w = tile_qw + max_offset + extra_w;
  // Patch rows start at an input column rounded down to a multiple of 4 (so they are copied
  // 16 bytes at a time); `col_shift` in [0, 4) columns of slack precede the tile's first column.
  static constexpr int patch_pitch = (patch_w + 3 + 3) / 4 * 4;
  // Per-channel sizes padded to 8 mod 32 floats: a tensor-core fragment load (channels tig,
  // pixels gid) then touches 32 different banks.
  static constexpr int pad_to_8_mod_32(int n) { return n + ((8 - n % 32) + 32) % 32; }
  static constexpr int patch_size = pad_to_8_mod_32(patch_h * patch_pitch);
  static constexpr int taps = Kernel * Kernel;
  // Weights in scratch: transposed [ci][tap][channel] (tap_pitch apart: spreads the transposing
  // copies over banks) for the CUDA-core loop, or as in global memory [ci][channel][tap].
  static constexpr int tap_pitch = block_co + 4;
  static constexpr int weights_per_ci_transposed = pad_to_8_mod_32(taps * tap_pitch);
  static constexpr int weights_per_ci_plain = pad_to_8_mod_32(taps * block_co);
  static constexpr int weights_per_ci = weights_per_ci_transposed; // room for either layout
  // Epilogue: the output tile of `epilogue_channels` channels at a time, in scratch.
  static constexpr int out_pitch = out_cols + 4;
  static constexpr int out_plane = out_rows * out_pitch + 4;
  static constexpr int epilogue_channels = 8;
  // Kokkos launches a CUDA team with at most sharedMemPerBlock (48 KB) of shared memory, of
  // which it keeps 8*(team size + 2) bytes, so tiles are sized for 46800 bytes of scratch.
  // Two stages of input channels are in flight (cp.async double buffering); the epilogue's
  // output tile reuses the staging area after the main loop.
  static constexpr int scratch_limit_floats = (46800 - 16) / 4;
  static constexpr int out_floats = epilogue_channels * out_plane;
  static constexpr int per_ci_floats = patch_size + weights_per_ci;
  static constexpr int stages = 2 * 8 * per_ci_floats <= scratch_limit_floats ? 2 : 1; // chunks of >= 8 channels
  static constexpr int chunk_ci = stages * 16 * per_ci_floats <= scratch_limit_floats ? 16 : 8;
  static constexpr int stage_floats = chunk_ci * (patch_size + weights_per_ci);
  static constexpr int staging_floats = stages * stage_floats;
  static constexpr std::size_t scratch_floats = staging_floats > out_floats ? staging_floats : out_floats;
  static_assert(scratch_floats <= scratch_limit_floats, "tile too large for Kokkos' level-0 scratch");
  static_assert(patch_w <= 64, "input staging assumes at most two columns per lane");
};

// What a team works on, decoded once from its league rank.
struct GpuTeamTile
{
  int n, group;
  int oh0, ow0;         // first output row/column of the tile
  int ih_base, iw_base; // input row/column of the tile's first patch row/column
  int iw_patch0;        // input column of patch column 0 (iw_base - col_shift)
  int co0, co_valid;    // first channel (within the group) and how many exist
};

// Stages chunk c0 of input channels into one stage of scratch, asynchronously: the input patch
// (zero outside the image and past the group's channels) and the weights, either transposed
// from [ci][channel][tap] (global) to [ci][tap][channel] or kept as they are.
template <class Config, bool TransposedWeights>
KOKKOS_FORCEINLINE_FUNCTION void stage_chunk_async(float *stage, GpuTeamTile const &t, ConvGeometry const &g,
                                                   float const *xg, float const *wg, int c0, bool vector_input,
                                                   bool vector_weights, int warp, int lane, int rank)
{
  std::int64_t const plane = std::int64_t(g.h.in) * g.w.in;
  int const cig = g.in_per_group;
  float *const wdst = stage + Config::chunk_ci * Config::patch_size;
  for (int row = warp; row < Config::chunk_ci * Config::patch_h; row += Config::warps)
  {
    int const ci = row / Config::patch_h, r = row - ci * Config::patch_h;
    int const ih = t.ih_base + r;
    bool const row_ok = c0 + ci < cig && ih >= 0 && ih < g.h.in;
    float const *src = xg + std::int64_t(c0 + ci) * plane + std::int64_t(ih) * g.w.in;
    float *dst = stage + ci * Config::patch_size + r * Config::patch_pitch;
    if (vector_input) // rows start 16-byte aligned: 4 columns per copy, a copy is all in or all out on the left
      for (int c4 = lane; c4 < Config::patch_pitch / 4; c4 += 32)
      {
        int const iw = t.iw_patch0 + 4 * c4;
        int const left = g.w.in - iw;
        int const bytes = (!row_ok || iw < 0 || left <= 0) ? 0 : (left >= 4 ? 16 : 4 * left);
        copy_async_16(dst + 4 * c4, bytes > 0 ? src + iw : xg, bytes);
      }
    else
      for (int c = lane; c < Config::patch_pitch; c += 32)
      {
        int const iw = t.iw_patch0 + c;
        bool const ok = row_ok && iw >= 0 && iw < g.w.in;
        copy_async_4(dst + c, ok ? src + iw : xg, ok);
      }
  }
  std::int64_t const w_ci_stride = std::int64_t(g.out_per_group) * Config::taps;
  constexpr int per_ci = Config::taps * Config::block_co; // the block's slice of one input channel
  if constexpr (TransposedWeights)
  {
    // One (channel, tap) slot per thread, all chunk channels: the division is per slot.
    for (int slot = rank; slot < per_ci; slot += Config::threads)
    {
      int const co = slot / Config::taps, tap = slot - co * Config::taps;
      float *d = wdst + tap * Config::tap_pitch + co;
      float const *src = wg + slot;
      for (int ci = 0; ci < Config::chunk_ci; ++ci)
      {
        bool const ok = c0 + ci < cig && co < t.co_valid;
        copy_async_4(d + ci * Config::weights_per_ci, ok ? src + (c0 + ci) * w_ci_stride : wg, ok);
      }
    }
  }
  else if (vector_weights) // the whole slice exists and is 16-byte aligned
  {
    constexpr int per_ci4 = per_ci / 4;
    for (int e = rank; e < Config::chunk_ci * per_ci4; e += Config::threads)
    {
      int const ci = e / per_ci4, q = e - ci * per_ci4;
      bool const ok = c0 + ci < cig;
      copy_async_16(wdst + ci * Config::weights_per_ci + 4 * q, ok ? wg + (c0 + ci) * w_ci_stride + 4 * q : wg,
                    ok ? 16 : 0);
    }
  }
  else
  {
    for (int slot = rank; slot < per_ci; slot += Config::threads)
    {
      bool const co_ok = slot / Config::taps < t.co_valid;
      for (int ci = 0; ci < Config::chunk_ci; ++ci)
      {
        bool const ok = co_ok && c0 + ci < cig;
        copy_async_4(wdst + ci * Config::weights_per_ci + slot, ok ? wg + (c0 + ci) * w_ci_stride + slot : wg, ok);
      }
    }
  }
}

// The same copies as stage_chunk_async's 16-byte paths, planned once per team: each thread's
// source and destination offsets do not depend on the chunk, so a chunk costs one add and
// one copy per slot instead of the index arithmetic per row. For aligned inputs and weight
// slices whose per-group offsets fit in 32 bits (the common case); otherwise the kernel
// stages with stage_chunk_async.
template <class Config>
struct PlannedStaging
{
  static constexpr int input_copies = Config::chunk_ci * Config::patch_h * (Config::patch_pitch / 4);
  static constexpr int weight_copies = Config::chunk_ci * (Config::taps * Config::block_co / 4);
  static constexpr int input_slots = (input_copies + Config::threads - 1) / Config::threads;
  static constexpr int weight_slots = (weight_copies + Config::threads - 1) / Config::threads;

  int in_src[input_slots], in_dst[input_slots], in_ci[input_slots], in_bytes[input_slots];
  int w_src[weight_slots], w_dst[weight_slots], w_ci[weight_slots];

  KOKKOS_FORCEINLINE_FUNCTION PlannedStaging(GpuTeamTile const &t, ConvGeometry const &g, int rank)
  {
    constexpr int p4 = Config::patch_pitch / 4;
    int const plane = g.h.in * g.w.in;
    KTCONV_UNROLL
    for (int k = 0; k < input_slots; ++k)
    {
      int const e = rank + k * Config::threads;
      int const ci = e / (Config::patch_h * p4), rem = e - ci * (Config::patch_h * p4);
      int const r = rem / p4, c4 = rem - r * p4;
      int const ih = t.ih_base + r, iw = t.iw_patch0 + 4 * c4, left = g.w.in - iw;
      bool const ok = e < input_copies && ih >= 0 && ih < g.h.in && iw >= 0 && left > 0;
      in_ci[k] = e < input_copies ? ci : Config::chunk_ci; // past the copies: no copy at all
      in_bytes[k] = ok ? (left >= 4 ? 16 : 4 * left) : 0;
      in_src[k] = ok ? ci * plane + ih * g.w.in + iw : 0;
      in_dst[k] = ci * Config::patch_size + r * Config::patch_pitch + 4 * c4;
    }
    constexpr int per_ci4 = Config::taps * Config::block_co / 4;
    int const w_ci_stride = g.out_per_group * Config::taps;
    KTCONV_UNROLL
    for (int k = 0; k < weight_slots; ++k)
    {
      int const e = rank + k * Config::threads;
      int const ci = e / per_ci4, q = e - ci * per_ci4;
      w_ci[k] = e < weight_copies ? ci : Config::chunk_ci; // past the copies: no copy at all
      w_src[k] = ci * w_ci_stride + 4 * q;
      w_dst[k] = ci * Config::weights_per_ci + 4 * q;
    }
  }

  KOKKOS_FORCEINLINE_FUNCTION void issue(float *stage, float const *xg, float const *wg, std::int64_t plane,
                                         std::int64_t w_ci_stride, int c0, int cig) const
  {
    float const *const xc = xg + c0 * plane;
    KTCONV_UNROLL
    for (int k = 0; k < input_slots; ++k)
    {
      if (in_ci[k] >= Config::chunk_ci) // this thread has no copy in this slot
        continue;
      int const bytes = c0 + in_ci[k] < cig ? in_bytes[k] : 0;
      copy_async_16(stage + in_dst[k], bytes > 0 ? xc + in_src[k] : xg, bytes);
    }
    float const *const wc = wg + c0 * w_ci_stride;
    float *const wdst = stage + Config::chunk_ci * Config::patch_size;
    KTCONV_UNROLL
    for (int k = 0; k < weight_slots; ++k)
    {
      bool const ok = c0 + w_ci[k] < cig;
      if (w_ci[k] < Config::chunk_ci)
        copy_async_16(wdst + w_dst[k], ok ? wc + w_src[k] : wg, ok ? 16 : 0);
    }
  }
};

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
      KTCONV_UNROLL
      for (int vh = 0; vh < S; ++vh)
        KTCONV_UNROLL
        for (int jh = 0; (vh + PH) % S + jh * S < K; ++jh)
          KTCONV_UNROLL
          for (int vw = 0; vw < S; ++vw)
            KTCONV_UNROLL
            for (int jw = 0; (vw + PW) % S + jw * S < K; ++jw)
            {
              int const kh = (vh + PH) % S + jh * S, kw = (vw + PW) % S + jw * S;
              int const dh = (vh + PH) / S - jh + OFF, dw = (vw + PW) / S - jw + OFF;
              float4 const wv = *reinterpret_cast<float4 const *>(wp + (kh * K + kw) * Config::tap_pitch);
              float const wc[4] = {wv.x, wv.y, wv.z, wv.w};
              KTCONV_UNROLL
              for (int i = 0; i < QH; ++i)
                KTCONV_UNROLL
                for (int j = 0; j < QW; ++j)
                {
                  float const xv = win[i + dh][j + dw];
                  KTCONV_UNROLL
                  for (int c = 0; c < CO; ++c)
                    acc[vh][vw][i][j][c] += xv * wc[c];
                }
            }
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
      KTCONV_UNROLL
      for (int vh = 0; vh < S; ++vh)
        KTCONV_UNROLL
        for (int jh = 0; (vh + PH) % S + jh * S < K; ++jh)
          KTCONV_UNROLL
          for (int vw = 0; vw < S; ++vw)
            KTCONV_UNROLL
            for (int jw = 0; (vw + PW) % S + jw * S < K; ++jw)
            {
              int const kh = (vh + PH) % S + jh * S, kw = (vw + PW) % S + jw * S;
              int const dh = (vh + PH) / S - jh + OFF, dw = (vw + PW) / S - jw + OFF;
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
            }
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

// ---- the kernel: pipeline + epilogue, main loop as a parameter -------------------------------
template <class Config, class Mainloop, class Epilogue>
struct GpuTiledKernel
{
  using MemorySpace = Kokkos::CudaSpace;
  using Team = typename Kokkos::TeamPolicy<Kokkos::Cuda>::member_type;
  static constexpr int S = Config::stride, OFF = Config::max_offset;

  Input4<float, MemorySpace> x, weight;
  Input1<float, MemorySpace> conv_bias;
  Output4<float, MemorySpace> y;
  ConvGeometry g;
  Epilogue epilogue;
  int tiles_h, tiles_w; // tiles per axis
  int co_blocks;        // ceil(out_per_group / block_co)
  bool vector_stores;   // output rows are 16-byte aligned: store float4
  bool vector_input;    // input rows are 16-byte aligned: stage them 16 bytes at a time
  bool vector_weights;  // every channel block's weight slice is 16-byte aligned
  int col_shift;        // columns between patch column 0 and the tile's first input column
  bool small_offsets;   // a group's input and weight offsets fit in int (PlannedStaging)

  KOKKOS_FUNCTION void operator()(Team const &team) const
  {
    // league index -> (image*group, tile row, tile column, channel block); the channel block
    // varies fastest so teams sharing an input patch run together and hit L2.
    GpuTeamTile t;
    int league = team.league_rank();
    int const cb = league % co_blocks;
    league /= co_blocks;
    int const tw = league % tiles_w;
    league /= tiles_w;
    int const th = league % tiles_h;
    league /= tiles_h;
    t.group = league % g.groups;
    t.n = league / g.groups;
    t.oh0 = th * Config::out_rows;
    t.ow0 = tw * Config::out_cols;
    t.ih_base = t.oh0 / S + g.h.padding / S - OFF;
    t.iw_base = t.ow0 / S + g.w.padding / S - OFF;
    t.iw_patch0 = t.iw_base - col_shift;
    t.co0 = cb * Config::block_co;
    t.co_valid = g.out_per_group - t.co0 < Config::block_co ? g.out_per_group - t.co0 : Config::block_co;

    int const cig = g.in_per_group;
    std::int64_t const plane = std::int64_t(g.h.in) * g.w.in;
    float const *const xg = x.data() + (std::int64_t(t.n) * g.in_channels + std::int64_t(t.group) * cig) * plane;
    float const *const wg = weight.data() + (std::int64_t(t.group) * cig * g.out_per_group + t.co0) * Config::taps;

    // 16-byte aligned: windows, weights and the output tile are accessed as float4.
    float *const scratch =
        static_cast<float *>(team.team_scratch(0).get_shmem_aligned(Config::scratch_floats * sizeof(float), 16));
    int const rank = team.team_rank();
    int const warp = rank / 32, lane = rank % 32;

    Mainloop mainloop(warp, lane, col_shift);
    bool const vw = vector_weights && t.co_valid == Config::block_co;
    constexpr bool transposed = Mainloop::transposed_weights;
    int const chunks = (cig + Config::chunk_ci - 1) / Config::chunk_ci;
    std::int64_t const w_ci_stride = std::int64_t(g.out_per_group) * Config::taps;
    // Issues the copies of chunk c0 into stage `buf` (planned where the layout allows).
    auto issue = [&](PlannedStaging<Config> const *plan, int buf, int c0) {
      float *const stage = scratch + buf * Config::stage_floats;
      if (plan)
        plan->issue(stage, xg, wg, plane, w_ci_stride, c0, cig);
      else
        stage_chunk_async<Config, transposed>(stage, t, g, xg, wg, c0, vector_input, vw, warp, lane, rank);
    };
    bool const planned = !transposed && vector_input && vw && small_offsets;
    PlannedStaging<Config> const plan_storage(t, g, rank);
    PlannedStaging<Config> const *const plan = planned ? &plan_storage : nullptr;
    if constexpr (Config::stages == 2)
    {
      issue(plan, 0, 0);
      copy_async_commit();
    }
    for (int chunk = 0; chunk < chunks; ++chunk)
    {
      int const c0 = chunk * Config::chunk_ci;
      if constexpr (Config::stages == 2)
      {
        // Chunk + 1 streams into the other stage while this one is computed.
        if (chunk + 1 < chunks)
          issue(plan, (chunk + 1) % 2, c0 + Config::chunk_ci);
        copy_async_commit();  // possibly empty: keeps the group count uniform
        copy_async_wait<1>(); // this thread's copies of `chunk` have landed
      }
      else
      {
        issue(plan, 0, c0);
        copy_async_commit();
        copy_async_wait<0>();
      }
      team.team_barrier(); // every thread's copies have landed
      float const *const cur = scratch + (chunk % Config::stages) * Config::stage_floats;
      int const nci = cig - c0 < Config::chunk_ci ? cig - c0 : Config::chunk_ci;
      mainloop.compute(cur, cur + Config::chunk_ci * Config::patch_size, nci);
      team.team_barrier(); // the stage is consumed before it is refilled (or reused below)
    }

    // Epilogue: 8 channels at a time, the main loop writes its accumulators into the scratch
    // output tile (laid out like the output); then every thread applies the conv bias and the
    // Epilogue functor and stores whole float4 rows, coalesced. Each output is written once.
    // Store phase: warp w stores channel w of the group, its lanes whole float4 of output rows;
    // the channel's bias and epilogue constants are loaded once (channel_op).
    static_assert(Config::epilogue_channels == Config::warps, "one channel per warp in the store phase");
    constexpr int vecs_per_row = Config::out_cols / 4;
    for (int cg = 0; cg * Config::epilogue_channels < t.co_valid; ++cg)
    {
      mainloop.write_tile(scratch, cg);
      team.team_barrier();
      int const col = t.co0 + cg * Config::epilogue_channels + warp;
      if (col < g.out_per_group)
      {
        int const co = t.group * g.out_per_group + col;
        auto const op = channel_op(epilogue, co);
        float const cbias = g.has_conv_bias ? conv_bias(co) : 0.f;
        float *const yc = y.data() + (std::int64_t(t.n) * g.out_channels + co) * std::int64_t(g.h.out) * g.w.out;
        float const *const tile = scratch + warp * Config::out_plane;
        for (int e = lane; e < Config::out_rows * vecs_per_row; e += 32)
        {
          int const r = e / vecs_per_row, c4 = e - r * vecs_per_row;
          int const oh = t.oh0 + r, ow = t.ow0 + 4 * c4;
          if (oh >= g.h.out || ow >= g.w.out)
            continue;
          float4 v = *reinterpret_cast<float4 const *>(tile + r * Config::out_pitch + 4 * c4);
          // conv bias first, then the epilogue: PyTorch's order (conv(x) + b, then the tail)
          v.x = op(g.has_conv_bias ? v.x + cbias : v.x);
          v.y = op(g.has_conv_bias ? v.y + cbias : v.y);
          v.z = op(g.has_conv_bias ? v.z + cbias : v.z);
          v.w = op(g.has_conv_bias ? v.w + cbias : v.w);
          float *const dst = yc + std::int64_t(oh) * g.w.out + ow;
          if (vector_stores && ow + 3 < g.w.out)
            *reinterpret_cast<float4 *>(dst) = v;
          else
          {
            dst[0] = v.x; // ow < w.out was checked above
            if (ow + 1 < g.w.out)
              dst[1] = v.y;
            if (ow + 2 < g.w.out)
              dst[2] = v.z;
            if (ow + 3 < g.w.out)
              dst[3] = v.w;
          }
        }
      }
      team.team_barrier();
    }
  }
};

template <class Config, class Mainloop, class Epilogue>
void launch_gpu_tiled_kernel(Kokkos::Cuda const &space, ConvGeometry const &g, Input4<float, Kokkos::CudaSpace> x,
                             Input4<float, Kokkos::CudaSpace> weight, Input1<float, Kokkos::CudaSpace> conv_bias,
                             Output4<float, Kokkos::CudaSpace> y, Epilogue const &epilogue)
{
  GpuTiledKernel<Config, Mainloop, Epilogue> k{x, weight, conv_bias, y, g, epilogue, 0, 0, 0, false, false, false, 0, false};
  k.tiles_h = (g.h.out + Config::out_rows - 1) / Config::out_rows;
  k.tiles_w = (g.w.out + Config::out_cols - 1) / Config::out_cols;
  k.co_blocks = (g.out_per_group + Config::block_co - 1) / Config::block_co;
  k.vector_stores = g.w.out % 4 == 0 && reinterpret_cast<std::uintptr_t>(y.data()) % 16 == 0;
  k.vector_input = !Mainloop::needs_aligned_window && g.w.in % 4 == 0 &&
                   reinterpret_cast<std::uintptr_t>(x.data()) % 16 == 0;
  // Every team's weight slice starts at (group*cig*cog + block*block_co) * taps floats.
  k.vector_weights = (std::int64_t(g.in_per_group) * g.out_per_group * Config::taps) % 4 == 0 &&
                     (std::int64_t(Config::block_co) * Config::taps) % 4 == 0 &&
                     (std::int64_t(g.out_per_group) * Config::taps) % 4 == 0 &&
                     reinterpret_cast<std::uintptr_t>(weight.data()) % 16 == 0;
  // Tiles start at input column ow0/S + padding div S - max_offset, with ow0/S a multiple of 4;
  // rounding that down to a multiple of 4 leaves the same shift for every tile.
  int const iw0 = g.w.padding / Config::stride - Config::max_offset;
  k.col_shift = k.vector_input ? ((iw0 % 4) + 4) % 4 : 0;
  std::int64_t const int_max = std::numeric_limits<int>::max();
  k.small_offsets = std::int64_t(g.in_per_group + Config::chunk_ci) * g.h.in * g.w.in < int_max &&
                    std::int64_t(g.in_per_group + Config::chunk_ci) * g.out_per_group * Config::taps < int_max;
  std::int64_t const league = g.batch * g.groups * std::int64_t(k.tiles_h) * k.tiles_w * k.co_blocks;
  if (league > std::int64_t(std::numeric_limits<int>::max()))
    throw std::runtime_error("ktconv: problem too large for one launch of the tiled kernel");
  Kokkos::TeamPolicy<Kokkos::Cuda, Kokkos::LaunchBounds<Config::threads, 2>> policy(space, int(league),
                                                                                    Config::threads);
  policy.set_scratch_size(0, Kokkos::PerTeam(Config::scratch_floats * sizeof(float) + 16));
  Kokkos::parallel_for("ktconv::gpu_tiled", policy, k);
}

template <int Kernel, int Stride, int PadPhase, class Epilogue>
void launch_gpu_tiled(Kokkos::Cuda const &space, ConvGeometry const &g, Input4<float, Kokkos::CudaSpace> x,
                      Input4<float, Kokkos::CudaSpace> weight, Input1<float, Kokkos::CudaSpace> conv_bias,
                      Output4<float, Kokkos::CudaSpace> y, Epilogue const &epilogue, MathMode math)
{
  using Config = GpuTileConfig<Kernel, Stride, PadPhase, PadPhase>;
  switch (math)
  {
  case MathMode::tf32:
    launch_gpu_tiled_kernel<Config, TensorCoreMainloop<Config, 1>>(space, g, x, weight, conv_bias, y, epilogue);
    break;
  case MathMode::tf32x3:
    launch_gpu_tiled_kernel<Config, TensorCoreMainloop<Config, 3>>(space, g, x, weight, conv_bias, y, epilogue);
    break;
  default:
    launch_gpu_tiled_kernel<Config, SimtMainloop<Config>>(space, g, x, weight, conv_bias, y, epilogue);
    break;
  }
}

#endif // KOKKOS_ENABLE_CUDA

template <class ExecutionSpace, class T, class Epilogue>
void run_gpu_tiled([[maybe_unused]] ExecutionSpace const &space, [[maybe_unused]] ConvGeometry const &g,
                   [[maybe_unused]] Input4<T, typename ExecutionSpace::memory_space> x,
                   [[maybe_unused]] Input4<T, typename ExecutionSpace::memory_space> weight,
                   [[maybe_unused]] Input1<T, typename ExecutionSpace::memory_space> conv_bias,
                   [[maybe_unused]] Output4<T, typename ExecutionSpace::memory_space> y,
                   [[maybe_unused]] Epilogue const &epilogue, [[maybe_unused]] MathMode math)
{
#if defined(KOKKOS_ENABLE_CUDA)
  if constexpr (std::is_same_v<ExecutionSpace, Kokkos::Cuda> && std::is_same_v<T, float>)
  {
    auto const fast = device_epilogue(epilogue);
    switch (gpu_tiled_variant(g))
    {
    case 0: launch_gpu_tiled<3, 2, 0>(space, g, x, weight, conv_bias, y, fast, math); return;
    case 1: launch_gpu_tiled<3, 2, 1>(space, g, x, weight, conv_bias, y, fast, math); return;
    case 2: launch_gpu_tiled<4, 2, 0>(space, g, x, weight, conv_bias, y, fast, math); return;
    case 3: launch_gpu_tiled<4, 2, 1>(space, g, x, weight, conv_bias, y, fast, math); return;
    case 4: launch_gpu_tiled<2, 2, 0>(space, g, x, weight, conv_bias, y, fast, math); return;
    case 5: launch_gpu_tiled<2, 2, 1>(space, g, x, weight, conv_bias, y, fast, math); return;
    case 6: launch_gpu_tiled<3, 1, 0>(space, g, x, weight, conv_bias, y, fast, math); return;
    default: break;
    }
  }
#endif
  throw std::logic_error("ktconv: run_gpu_tiled called for an unsupported case");
}

} // namespace ktconv::Details

#endif
