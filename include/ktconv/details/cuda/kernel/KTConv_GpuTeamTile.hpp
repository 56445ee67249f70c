// The record of one tile of work (GpuTeamTile): where its input, weights and outputs are. A
// team decodes it from the tile's index and keeps it in team scratch for its pipeline and
// epilogue.
#ifndef KTCONV_DETAILS_CUDA_KERNEL_GPU_TEAM_TILE_HPP
#define KTCONV_DETAILS_CUDA_KERNEL_GPU_TEAM_TILE_HPP

#include <Kokkos_Core.hpp>

#if defined(KOKKOS_ENABLE_CUDA)

namespace ktconv::Details
{

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
