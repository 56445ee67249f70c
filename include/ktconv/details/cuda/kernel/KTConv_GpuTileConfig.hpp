// The CUDA tiled kernel's compile-time tile shape (GpuTileConfig): for a kernel size, stride
// and padding phase, the team's output tile, its input patch, the stages of team scratch and
// their layout (patch, weights, tile records, barriers), and the chunk of input channels a
// stage holds.
#ifndef KTCONV_DETAILS_CUDA_KERNEL_GPU_TILE_CONFIG_HPP
#define KTCONV_DETAILS_CUDA_KERNEL_GPU_TILE_CONFIG_HPP

#include <Kokkos_Core.hpp>

#include <cstddef>

#if defined(KOKKOS_ENABLE_CUDA)

namespace ktconv::Details
{

// Compile-time shape of the tiled kernel for kernel size K, stride S, dilation D and padding
// phase P = padding mod S (per axis).
//
// Tiles are aligned in *output* coordinates: a team owns output rows [oh0, oh0 + S*tile_qh)
// and columns [ow0, ow0 + S*tile_qw), oh0 and ow0 multiples of the tile, for block_co output
// channels. Output o = o0 + S*u + v (v in [0, S), the "block position") is in phase
// r_v = (v + P) mod S and reads input o0/S + a + u + (v + P - k*D)/S through every tap k with
// k*D = v + P (mod S), where padding = a*S + P (with D = 1: taps k = r_v + j*S, offsets c_v - j,
// c_v = (v + P) div S). So the phase structure (the taps and their offsets) is known at compile
// time and only a is a run-time offset. The patch spans exactly the offsets
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
// nothing from them (docs/EXPERIMENTS.md). DeepStaging (tensor cores): a third stage rather
// than the extra rows where only one of the two fits (3xTF32; see max_tma_stages_staged).
template <int Kernel, int Stride, int PadPhaseH, int PadPhaseW, bool Tma = false, bool TensorCores = true,
          bool DeepStaging = false, int Dilation = 1>
struct GpuTileConfig
{
  static constexpr int kernel = Kernel;
  static constexpr int stride = Stride;
  static constexpr int dilation = Dilation;
  // Whether tap k serves block position v of pad phase P (k*D = v + P mod S), and its offset.
  static constexpr bool tap_serves(int v, int P, int k)
  {
    return ((v + P - k * Dilation) % Stride + Stride) % Stride == 0;
  }
  static constexpr int tap_input_offset(int v, int P, int k) { return (v + P - k * Dilation) / Stride; }
  static constexpr bool tma = Tma;
  static constexpr int pad_phase_h = PadPhaseH, pad_phase_w = PadPhaseW;
  // The least and greatest input offset over the taps of pad phase P (one axis).
  static constexpr int tap_offset(int P, bool greatest)
  {
    int lo = Kernel * Dilation, hi = -Kernel * Dilation;
    for (int v = 0; v < Stride; ++v)
      for (int k = 0; k < Kernel; ++k)
        if (tap_serves(v, P, k))
        {
          int const o = tap_input_offset(v, P, k);
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
  static constexpr int block_co = 32;                  // output channels per team
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
  // the warps done with the stage; kept so that the stage counts below stay as they are).
  static constexpr int tail_floats(int stages) { return (stages + 2 < 4 ? 4 : stages + 2) * 16 + 4 * stages; }
  static constexpr bool fits(int stages, int stage_floats)
  {
    return stages * stage_floats + tail_floats(stages) <= scratch_limit_floats;
  }
  // Weights. cp.async stages them in scratch: transposed [ci][tap][channel] (tap_pitch apart:
  // spreads the transposing copies over banks) for the CUDA-core loop, or as in global memory
  // [ci][channel][tap] for the tensor-core loop. TMA configurations use weights packed per call
  // by the main loop in the order its threads read them (taps*block_co floats per input
  // channel, whole float4 per thread): bulk-copied into each stage beside the patch, or, where
  // that leaves room for a single stage only and reading them from global memory (through L1:
  // a team's channel block is the same for all its tiles) gives two or more, read from there
  // by the tensor-core loop (much faster for k4 s2; slower than staging them where both fit:
  // docs/EXPERIMENTS.md).
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
  // before releasing a stage; a third, bought with dense rows, was slower), 3xTF32 takes a
  // third where dense rows make room for it. The CUDA-core loop takes up to four, and chunks of
  // 4 where 8 leave room for one stage only but 4 give three (k4 s2 with padding 1). With three
  // or more stages a stage is refilled a step late (deferred_release), so that the refilling
  // warp seldom waits for the others. (Each choice was measured: docs/EXPERIMENTS.md.)
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
  static constexpr int stages_weights_staged = tma_stages(staged_stage_floats(patch_rows, tma_chunk),
                                                          max_tma_stages_staged);
  static constexpr int max_tma_stages_global = 4;
  static constexpr int stages_weights_global = tma_stages(align32(tma_chunk * patch_size), max_tma_stages_global);
  static constexpr bool weights_in_global = Tma && TensorCores && stages_weights_staged == 1 &&
                                            stages_weights_global >= 2;
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

} // namespace ktconv::Details

#endif // KOKKOS_ENABLE_CUDA

#endif
