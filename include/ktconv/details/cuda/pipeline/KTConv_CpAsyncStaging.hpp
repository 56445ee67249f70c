// cp.async staging of the tiled kernel: the copies of one chunk of input channels (the input
// patch of the team's tile, and the weights of its channel block) from global memory into one
// stage of team scratch, made by every thread of the team, either computed per chunk
// (stage_chunk_async) or planned once per tile (PlannedStaging).
#ifndef KTCONV_DETAILS_CUDA_PIPELINE_CP_ASYNC_STAGING_HPP
#define KTCONV_DETAILS_CUDA_PIPELINE_CP_ASYNC_STAGING_HPP

#include <ktconv/details/common/KTConv_Geometry.hpp>
#include <ktconv/details/cuda/arch/KTConv_ArchFeatures.hpp>
#include <ktconv/details/cuda/arch/KTConv_CpAsync.hpp>
#include <ktconv/details/cuda/kernel/KTConv_GpuTeamTile.hpp>

#include <Kokkos_Core.hpp>

#include <cstdint>

#if defined(KOKKOS_ENABLE_CUDA)

// clang-format off

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
  float *const wdst = stage + Config::weights_offset;
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

// The copies of stage_chunk_async, planned once per tile: each thread's source and destination
// offsets do not depend on the chunk, so a chunk costs one add and one copy per slot instead
// of the index arithmetic per row. The input is copied 16 bytes at a time; the weights 16
// bytes at a time as they are ([ci][channel][tap]) or 4 bytes at a time into the transposed
// layout ([ci][tap][channel], the CUDA-core loop's). For aligned inputs (and, untransposed,
// aligned weight slices) whose per-group offsets fit in 32 bits, the common case; otherwise
// the kernel stages with stage_chunk_async.
template <class Config, bool TransposedWeights>
struct PlannedStaging
{
  // With TMA (Config::tma) the input and the weights are copied by the Tensor Memory
  // Accelerator: no slots for them here.
  static constexpr int input_copies = Config::tma ? 0 : Config::chunk_ci * Config::patch_h * (Config::patch_pitch / 4);
  static constexpr int input_slots = (input_copies + Config::threads - 1) / Config::threads;
  // untransposed: 16-byte copies over the chunk; transposed: (channel, tap) slots of one
  // input channel, each copied for every channel of the chunk
  static constexpr int per_ci = Config::taps * Config::block_co;
  static constexpr int weight_copies = Config::tma ? 0 : (TransposedWeights ? per_ci : Config::chunk_ci * (per_ci / 4));
  static constexpr int weight_slots = (weight_copies + Config::threads - 1) / Config::threads;
  static_assert(Config::stage_floats < (1 << 16) && per_ci < (1 << 10) && Config::taps * Config::tap_pitch < (1 << 10),
                "packed plan fields");

  // The plan lives in registers through the main loop, so it is packed: per input slot the
  // source offset and (destination | bytes << 16 | chunk channel << 21); per weight slot
  // (chunk channel << 16 | 4*q), or transposed (slot | destination << 10 | state << 20),
  // state 0: copy, 1: zero-fill (channel past the group), 2: no slot. A chunk channel of
  // chunk_ci means the thread has no copy in that slot.
  int in_src[input_slots > 0 ? input_slots : 1], in_meta[input_slots > 0 ? input_slots : 1];
  int w_meta[weight_slots > 0 ? weight_slots : 1];

  PlannedStaging() = default;
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
      int const bytes = ok ? (left >= 4 ? 16 : 4 * left) : 0;
      int const dst = ci * Config::patch_size + r * Config::patch_pitch + 4 * c4;
      in_meta[k] = (e < input_copies ? dst | bytes << 16 | ci << 21 : Config::chunk_ci << 21);
      in_src[k] = ok ? ci * plane + ih * g.w.in + iw : 0;
    }
    KTCONV_UNROLL
    for (int k = 0; k < weight_slots; ++k)
    {
      int const e = rank + k * Config::threads;
      if constexpr (TransposedWeights)
      {
        int const co = e / Config::taps, tap = e - co * Config::taps;
        int const state = e >= weight_copies ? 2 : (co < t.co_valid ? 0 : 1);
        w_meta[k] = (e & 1023) | (tap * Config::tap_pitch + co) << 10 | state << 20;
      }
      else
      {
        int const ci = e / (per_ci / 4), q = e - ci * (per_ci / 4);
        w_meta[k] = e < weight_copies ? ci << 16 | 4 * q : Config::chunk_ci << 16;
      }
    }
  }

  // Offsets from the group's first input channel (xg) and weight (wg) in int: the kernel plans
  // only where they fit (small_offsets).
  KOKKOS_FORCEINLINE_FUNCTION void issue(float *stage, float const *xg, float const *wg, int plane, int w_ci_stride,
                                         int c0, int cig) const
  {
    int const x0 = c0 * plane;
    KTCONV_UNROLL
    for (int k = 0; k < input_slots; ++k)
    {
      int const ci = in_meta[k] >> 21;
      if (ci >= Config::chunk_ci) // this thread has no copy in this slot (warp-uniform)
        continue;
      int const bytes = c0 + ci < cig ? (in_meta[k] >> 16) & 31 : 0;
      copy_async_16(stage + (in_meta[k] & 0xffff), xg + (bytes > 0 ? x0 + in_src[k] : 0), bytes);
    }
    int const w0 = c0 * w_ci_stride;
    float *const wdst = stage + Config::weights_offset;
    KTCONV_UNROLL
    for (int k = 0; k < weight_slots; ++k)
    {
      if constexpr (TransposedWeights)
      {
        int const state = w_meta[k] >> 20;
        if (state == 2)
          continue;
        int const dst = (w_meta[k] >> 10) & 1023;
        int off = w0 + (w_meta[k] & 1023);
        KTCONV_UNROLL
        for (int ci = 0; ci < Config::chunk_ci; ++ci, off += w_ci_stride)
        {
          bool const ok = state == 0 && c0 + ci < cig;
          copy_async_4(wdst + ci * Config::weights_per_ci + dst, wg + (ok ? off : 0), ok);
        }
      }
      else
      {
        int const ci = w_meta[k] >> 16, q4 = w_meta[k] & 0xffff;
        if (ci >= Config::chunk_ci)
          continue;
        bool const ok = c0 + ci < cig;
        copy_async_16(wdst + ci * Config::weights_per_ci + q4, wg + (ok ? w0 + ci * w_ci_stride + q4 : 0), ok ? 16 : 0);
      }
    }
  }
};

} // namespace ktconv::Details

#endif // KOKKOS_ENABLE_CUDA

#endif
