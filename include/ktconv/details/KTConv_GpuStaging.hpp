#ifndef KTCONV_DETAILS_GPU_STAGING_HPP
#define KTCONV_DETAILS_GPU_STAGING_HPP

// clang-format off: clang-format takes KTCONV_UNROLL (a #pragma unroll) for a statement and
// flattens the loop nests it precedes, which would hide their structure.
// clang-format off

// Staging for the CUDA tiled kernel: copies a chunk of input channels (the input patch of the
// team's tile, and the weights of its channel block) from global memory into one stage of team
// scratch with cp.async, so the next chunk lands while the current one is computed.

#include <ktconv/details/KTConv_Geometry.hpp>
#include <ktconv/details/KTConv_GpuTileConfig.hpp>

#include <Kokkos_Core.hpp>

#include <cstdint>

#if defined(KOKKOS_ENABLE_CUDA)

namespace ktconv::Details
{

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
    int const plane = int(std::int64_t(g.h.in) * g.w.in); // used only when small_offsets (fits in int)
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

} // namespace ktconv::Details

#endif // KOKKOS_ENABLE_CUDA

#endif
