#ifndef KTCONV_DETAILS_GEMM_CHUNKING_HPP
#define KTCONV_DETAILS_GEMM_CHUNKING_HPP

// How Algorithm::gemm splits a call so that its workspace stays within Options::workspace_bytes:
// how many images go side by side in one product, and how many of a group's output channels.

#include <ktconv/KTConv_Errors.hpp>
#include <ktconv/details/common/KTConv_Geometry.hpp>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <string>

namespace ktconv::Details
{

struct GemmChunking
{
  std::int64_t images = 1;     // images per product (their columns side by side)
  int channels = 1;            // output channels of a group per product
  bool copy_input = false;     // images > 1: the chunk's input is copied channel-major first
  std::int64_t copy_elems = 0; // workspace elements of that copy: in_channels x images*h*w
  std::int64_t col_elems = 0;  // workspace elements of col: channels*kh*kw x images*h*w
  std::size_t bytes(std::size_t value_bytes) const { return std::size_t(copy_elems + col_elems) * value_bytes; }
};

// Per (image chunk, group, channel chunk) the product is col[channels*kh*kw x images*h*w] =
// W^T[.. x in_per_group] * X[in_per_group x images*h*w]. Largest chunks within the cap: all of a
// group's output channels and as many images as fit (two or more need the channel-major copy);
// else one image read in place; else one image and as many output channels as fit. BLAS
// extents are int: chunks are also kept within INT_MAX rows and columns.
inline GemmChunking plan_gemm_chunks(ConvGeometry const &g, std::size_t value_bytes, std::size_t cap,
                                     char const *cap_name = "workspace_bytes")
{
  std::int64_t const hw = std::int64_t(g.h.in) * g.w.in;
  std::int64_t const taps = std::int64_t(g.h.kernel) * g.w.kernel;
  std::int64_t const rows = std::int64_t(g.out_per_group) * taps;
  std::int64_t const cap_elems = std::int64_t(std::min<std::size_t>(cap / value_bytes, std::size_t(INT64_MAX / 4)));
  if (hw > INT_MAX || taps > INT_MAX)
    throw InvalidArgument("options.algorithm = gemm: an input plane of " + std::to_string(hw) + " pixels or " +
                          std::to_string(taps) + " kernel taps exceeds a BLAS product's int extents");
  GemmChunking c;
  c.channels = g.out_per_group;
  std::int64_t const per_image = (rows + g.in_channels) * hw;
  std::int64_t const images = std::min({cap_elems / per_image, g.batch, std::int64_t(INT_MAX) / hw});
  if (images >= 2 && rows <= INT_MAX)
  {
    c.images = images;
    c.copy_input = true;
    c.copy_elems = std::int64_t(g.in_channels) * images * hw;
    c.col_elems = rows * images * hw;
    return c;
  }
  std::int64_t const channels = std::min<std::int64_t>({cap_elems / (taps * hw), g.out_per_group, INT_MAX / taps});
  if (channels < 1)
    throw InvalidArgument(std::string("options.") + cap_name + " = " + std::to_string(cap) +
                          " is too small for options.algorithm = gemm on this problem: it needs at least " +
                          std::to_string(std::size_t(taps * hw) * value_bytes) +
                          " bytes (one output channel of one image: kernel taps x input pixels)");
  c.channels = int(channels);
  c.col_elems = channels * taps * hw;
  return c;
}

} // namespace ktconv::Details

#endif
