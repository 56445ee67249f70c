#ifndef KTCONV_DETAILS_DISTRIBUTED_GEOMETRY_HPP
#define KTCONV_DETAILS_DISTRIBUTED_GEOMETRY_HPP

// The arithmetic of the distributed layer, free of MPI: which blocks a rank owns, its halos,
// and the local ktconv calls (their padding, output_padding and crop) whose outputs are exactly
// the global outputs of a window. The derivation is in docs/DISTRIBUTED.md.

#include <ktconv/KTConv_Params.hpp>

#include <cstdint>
#include <vector>

namespace ktconv::Details
{

// One axis of the global problem (height or width).
struct AxisSpec
{
  std::int64_t in = 0, out = 0; // global input and output extents
  int kernel = 1, stride = 1, padding = 0, output_padding = 0, dilation = 1;
  // rows of input before a block that its outputs read: floor((kernel - 1) * dilation / stride)
  int halo() const { return int((std::int64_t(kernel - 1) * dilation) / stride); }
};

// One local ktconv call along one axis: the local input is global inputs [in_begin, in_end);
// with `padding` and `output_padding` it produces global outputs [out_begin, out_begin +
// out_count), of which the window [out_begin + crop_lo, out_begin + out_count - crop_hi) is
// kept. Every kept output has exactly the global problem's terms (docs/DISTRIBUTED.md).
struct LocalAxisCall
{
  std::int64_t in_begin = 0, in_end = 0;
  int padding = 0, output_padding = 0;
  std::int64_t out_begin = 0, out_count = 0;
  std::int64_t crop_lo = 0, crop_hi = 0;
  bool exact() const { return crop_lo == 0 && crop_hi == 0; }
};

// Global inputs [lo, hi) (clipped to [0, in)) that the outputs [u, v) read; lo == hi if none.
void inputs_read(AxisSpec const &a, std::int64_t u, std::int64_t v, std::int64_t &lo, std::int64_t &hi);

// A local call for the output window [u, v) whose input lies within the available global
// inputs [avail_begin, avail_end). With fixed_input the call's input is all of them (no copy
// of a sub-block); otherwise the smallest range that serves. Prefers no crop, then the least.
// parity >= 0: only calls whose padding % stride is `parity`.
LocalAxisCall solve_local_axis(AxisSpec const &a, std::int64_t u, std::int64_t v, std::int64_t avail_begin,
                               std::int64_t avail_end, bool fixed_input, int parity = -1);

// A rank's share of one spatial axis.
struct AxisPlan
{
  AxisSpec spec;
  int coord = 0, dims = 1;
  std::int64_t in_begin = 0, in_end = 0;   // its block of x
  std::int64_t out_begin = 0, out_end = 0; // its block of y
  int halo = 0;                            // inputs received from the preceding rank (0 for the first)
  std::int64_t border = 0;                 // leading owned outputs that read the halo
  LocalAxisCall whole;                     // the owned outputs, from the halo-extended block
  LocalAxisCall head, tail;                // the first `border` owned outputs, and the rest
  std::int64_t ext_begin() const { return in_begin - halo; } // first input of the extended block
};

// Block boundaries of an axis of `extent` split into `parts`: the caller's sizes, or near-even
// (the first extent % parts blocks one larger). Throws InvalidArgument naming `what`.
std::vector<std::int64_t> block_starts(std::int64_t extent, int parts, std::vector<std::int64_t> const &sizes,
                                       char const *what);

// The plan of one axis for the rank at `coord`; validates the split (every block but the last
// at least the halo, every rank owning at least one output). Throws InvalidArgument.
AxisPlan plan_axis(AxisSpec const &spec, std::vector<std::int64_t> const &starts, int coord, char const *what);

// Output ownership of rank `coord` along an axis: [begin, end) (no validation).
void owned_outputs(AxisSpec const &spec, std::vector<std::int64_t> const &starts, int coord, std::int64_t &begin,
                   std::int64_t &end);

AxisSpec axis_spec_h(ConvTranspose2dParams const &p, std::int64_t in);
AxisSpec axis_spec_w(ConvTranspose2dParams const &p, std::int64_t in);

} // namespace ktconv::Details

#endif
