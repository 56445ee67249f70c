// The one place where ktconv's arguments are checked (see details/common/KTConv_ArgumentCheck.hpp).
#include <ktconv/KTConv_ConvTranspose2d.hpp>
#include <ktconv/KTConv_Errors.hpp>
#include <ktconv/details/common/KTConv_ArgumentCheck.hpp>

#include <cmath>
#include <limits>
#include <numeric>
#include <sstream>
#include <string>

namespace ktconv
{

namespace
{

[[noreturn]] void fail(std::string const &what)
{
  throw InvalidArgument(what);
}

// Appended piece by piece: "(" + std::string&& makes GCC 12's -Wrestrict report a false
// positive inside libstdc++ at -O3 (seen in the CUDA preset's host compilation).
std::string str(Size2 s)
{
  std::string r = "(";
  r += std::to_string(s.h);
  r += ", ";
  r += std::to_string(s.w);
  r += ")";
  return r;
}

std::string str(Details::ViewFacts const &v)
{
  std::string s = "(";
  for (int i = 0; i < v.rank; ++i)
    s += (i ? ", " : "") + std::to_string(v.extent[i]);
  return s + ")";
}

void require_positive(char const *name, Size2 s)
{
  if (s.h <= 0 || s.w <= 0)
    fail(std::string(name) + " must be positive, got " + str(s));
}

void require_non_negative(char const *name, Size2 s)
{
  if (s.h < 0 || s.w < 0)
    fail(std::string(name) + " must be non-negative, got " + str(s));
}

bool overlap(Details::ViewFacts const &a, Details::ViewFacts const &b)
{
  if (a.bytes == 0 || b.bytes == 0 || a.data == nullptr || b.data == nullptr)
    return false;
  auto const a0 = reinterpret_cast<std::uintptr_t>(a.data), b0 = reinterpret_cast<std::uintptr_t>(b.data);
  return a0 < b0 + b.bytes && b0 < a0 + a.bytes;
}

constexpr std::int64_t int_max = std::numeric_limits<int>::max();

// The limits of ktconv's index arithmetic. Spatial positions are computed in 32 bits by every
// kernel (AxisGeometry): along each axis, output extent + padding + stride + kernel_size *
// dilation (the largest intermediates of the phase arithmetic, with a margin for tiles) must fit.
// Element counts of every tensor are 64-bit and must leave room for byte offsets.
constexpr std::int64_t axis_reach_margin = 1024;
constexpr std::int64_t max_elements = std::int64_t(1) << 60;

std::int64_t axis_reach(int kernel, int stride, int padding, int dilation)
{
  return std::int64_t(padding) + stride + std::int64_t(kernel - 1) * dilation + kernel + axis_reach_margin;
}

// a*b*c*d for non-negative factors, or -1 when the product exceeds max_elements.
std::int64_t checked_elements(std::int64_t a, std::int64_t b, std::int64_t c, std::int64_t d)
{
  std::int64_t r = 1;
  for (std::int64_t f : {a, b, c, d})
    if (__builtin_mul_overflow(r, f, &r) || r > max_elements)
      return -1;
  return r;
}

void require_elements(char const *what, std::int64_t a, std::int64_t b, std::int64_t c, std::int64_t d)
{
  if (checked_elements(a, b, c, d) < 0)
    fail(std::string(what) + " would have " + std::to_string(a) + " x " + std::to_string(b) + " x " +
         std::to_string(c) + " x " + std::to_string(d) + " elements, more than 2^60");
}

} // namespace

char const *to_string(Algorithm a)
{
  switch (a)
  {
  case Algorithm::automatic: return "automatic";
  case Algorithm::direct: return "direct";
  case Algorithm::host_rows: return "host_rows";
  case Algorithm::gpu_tiled: return "gpu_tiled";
  case Algorithm::gemm: return "gemm";
  }
  return "?";
}

char const *to_string(MathMode m)
{
  switch (m)
  {
  case MathMode::ieee: return "ieee";
  case MathMode::tf32: return "tf32";
  case MathMode::tf32x3: return "tf32x3";
  }
  return "?";
}

Kokkos::Array<std::int64_t, 4> output_extents(ConvTranspose2dParams const &params, std::int64_t n, std::int64_t c,
                                              std::int64_t h, std::int64_t w)
{
  auto const g = Details::check_params(params, n, c, h, w);
  return {g.batch, std::int64_t(g.out_channels), std::int64_t(g.h.out), std::int64_t(g.w.out)};
}

namespace Details
{

void check_hyperparameters(ConvTranspose2dParams const &p)
{
  if (p.in_channels <= 0)
    fail("in_channels must be positive, got " + std::to_string(p.in_channels));
  if (p.out_channels <= 0)
    fail("out_channels must be positive, got " + std::to_string(p.out_channels));
  if (p.groups <= 0)
    fail("groups must be positive, got " + std::to_string(p.groups));
  if (p.in_channels % p.groups != 0)
    fail("groups (" + std::to_string(p.groups) + ") must divide in_channels (" + std::to_string(p.in_channels) + ")");
  if (p.out_channels % p.groups != 0)
    fail("groups (" + std::to_string(p.groups) + ") must divide out_channels (" + std::to_string(p.out_channels) + ")");
  require_positive("kernel_size", p.kernel_size);
  require_positive("stride", p.stride);
  require_positive("dilation", p.dilation);
  require_non_negative("padding", p.padding);
  require_non_negative("output_padding", p.output_padding);
  // PyTorch: output padding must be smaller than either stride or dilation.
  if (!(p.output_padding.h < p.stride.h || p.output_padding.h < p.dilation.h) ||
      !(p.output_padding.w < p.stride.w || p.output_padding.w < p.dilation.w))
    fail("output_padding " + str(p.output_padding) + " must be smaller than either stride " + str(p.stride) +
         " or dilation " + str(p.dilation));
  std::int64_t const reach_h = axis_reach(p.kernel_size.h, p.stride.h, p.padding.h, p.dilation.h);
  std::int64_t const reach_w = axis_reach(p.kernel_size.w, p.stride.w, p.padding.w, p.dilation.w);
  if (reach_h > int_max || reach_w > int_max)
    fail("kernel_size " + str(p.kernel_size) + ", stride " + str(p.stride) + ", padding " + str(p.padding) +
         " and dilation " + str(p.dilation) +
         " exceed ktconv's 32-bit spatial indexing: padding + stride + (kernel_size - 1) * dilation + kernel_size + " +
         std::to_string(axis_reach_margin) + " must be at most 2^31 - 1 per axis");
  require_elements("weight", p.in_channels, p.out_channels / p.groups, p.kernel_size.h, p.kernel_size.w);
}

ConvGeometry check_params(ConvTranspose2dParams const &p, std::int64_t n, std::int64_t c, std::int64_t h,
                          std::int64_t w)
{
  check_hyperparameters(p);
  if (n < 0)
    fail("x: batch extent must be non-negative, got " + std::to_string(n));
  if (c != p.in_channels)
    fail("x has " + std::to_string(c) + " channels (extent 1) but in_channels is " + std::to_string(p.in_channels));
  if (h <= 0 || w <= 0)
    fail("x: spatial extents must be positive, got (" + std::to_string(h) + ", " + std::to_string(w) + ")");
  if (h > int_max || w > int_max)
    fail("x: spatial extents (" + std::to_string(h) + ", " + std::to_string(w) +
         ") exceed ktconv's 32-bit spatial indexing (at most 2^31 - 1)");
  require_elements("x", n, c, h, w);
  auto const ho = conv_transpose_output_extent(h, p.kernel_size.h, p.stride.h, p.padding.h, p.output_padding.h,
                                               p.dilation.h);
  auto const wo = conv_transpose_output_extent(w, p.kernel_size.w, p.stride.w, p.padding.w, p.output_padding.w,
                                               p.dilation.w);
  if (ho <= 0 || wo <= 0)
    fail("the output size (" + std::to_string(ho) + ", " + std::to_string(wo) + ") of input (" + std::to_string(h) +
         ", " + std::to_string(w) + ") with kernel_size " + str(p.kernel_size) + ", stride " + str(p.stride) +
         ", padding " + str(p.padding) + ", output_padding " + str(p.output_padding) + ", dilation " + str(p.dilation) +
         " is not positive");
  if (ho + axis_reach(p.kernel_size.h, p.stride.h, p.padding.h, p.dilation.h) > int_max ||
      wo + axis_reach(p.kernel_size.w, p.stride.w, p.padding.w, p.dilation.w) > int_max)
    fail("output spatial extents (" + std::to_string(ho) + ", " + std::to_string(wo) + ") with padding " +
         str(p.padding) + ", stride " + str(p.stride) +
         " exceed ktconv's 32-bit spatial indexing (output extent + padding + stride + (kernel_size - 1) * dilation + "
         "kernel_size "
         "+ " +
         std::to_string(axis_reach_margin) + " must be at most 2^31 - 1 per axis)");
  require_elements("y", n, p.out_channels, ho, wo);

  ConvGeometry g;
  g.batch = n;
  g.in_channels = p.in_channels;
  g.out_channels = p.out_channels;
  g.groups = p.groups;
  g.in_per_group = p.in_channels / p.groups;
  g.out_per_group = p.out_channels / p.groups;
  g.has_conv_bias = p.bias;
  auto axis = [](std::int64_t in, std::int64_t out, int k, int s, int pad, int d) {
    AxisGeometry a;
    a.in = int(in);
    a.out = int(out);
    a.kernel = k;
    a.stride = s;
    a.padding = pad;
    a.dilation = d;
    int const gcd = std::gcd(s, d);
    a.tap_step = s / gcd;
    a.off_step = d / gcd;
    return a;
  };
  g.h = axis(h, ho, p.kernel_size.h, p.stride.h, p.padding.h, p.dilation.h);
  g.w = axis(w, wo, p.kernel_size.w, p.stride.w, p.padding.w, p.dilation.w);
  return g;
}

ConvGeometry check_arguments(ConvTranspose2dParams const &p, ViewFacts const &x, ViewFacts const &weight,
                             ViewFacts const &conv_bias, ViewFacts const &y, EpilogueFacts const &epilogue)
{
  ConvGeometry g = check_params(p, x.extent[0], x.extent[1], x.extent[2], x.extent[3]);

  std::int64_t const want_w[4] = {p.in_channels, p.out_channels / p.groups, p.kernel_size.h, p.kernel_size.w};
  for (int i = 0; i < 4; ++i)
    if (weight.extent[i] != want_w[i])
      fail("weight has extents " + str(weight) +
           " but (in_channels, out_channels / groups, kernel_size.h, "
           "kernel_size.w) is (" +
           std::to_string(want_w[0]) + ", " + std::to_string(want_w[1]) + ", " + std::to_string(want_w[2]) + ", " +
           std::to_string(want_w[3]) + ")");
  if (p.bias && conv_bias.extent[0] != p.out_channels)
    fail("conv_bias has " + std::to_string(conv_bias.extent[0]) +
         " elements but params.bias is true and "
         "out_channels is " +
         std::to_string(p.out_channels));
  if (!p.bias && conv_bias.extent[0] != 0)
    fail("conv_bias has " + std::to_string(conv_bias.extent[0]) +
         " elements but params.bias is false "
         "(pass an empty view)");
  std::int64_t const want_y[4] = {g.batch, g.out_channels, g.h.out, g.w.out};
  for (int i = 0; i < 4; ++i)
    if (y.extent[i] != want_y[i])
      fail("y has extents " + str(y) + " but the output of x " + str(x) + " is (" + std::to_string(want_y[0]) + ", " +
           std::to_string(want_y[1]) + ", " + std::to_string(want_y[2]) + ", " + std::to_string(want_y[3]) + ")");
  if (g.output_size() > 0 && y.data == nullptr)
    fail("y has no data (an unallocated view)");
  if (g.batch > 0 && x.data == nullptr)
    fail("x has no data (an unallocated view)");
  if (weight.data == nullptr)
    fail("weight has no data (an unallocated view)");
  if (p.bias && conv_bias.data == nullptr)
    fail("conv_bias has no data (an unallocated view) but params.bias is true");

  if (epilogue.clamps)
  {
    if (epilogue.bias.extent[0] != 0 && epilogue.bias.extent[0] != p.out_channels)
      fail("epilogue bias has " + std::to_string(epilogue.bias.extent[0]) + " elements but out_channels is " +
           std::to_string(p.out_channels));
    if (!(std::isfinite(epilogue.scale) && epilogue.scale != 0))
      fail("epilogue scale must be finite and non-zero, got " + std::to_string(epilogue.scale));
    if (std::isnan(epilogue.lower) || std::isnan(epilogue.upper))
      fail("epilogue clamp bounds must not be NaN, got lower " + std::to_string(epilogue.lower) + ", upper " +
           std::to_string(epilogue.upper));
  }

  // y must not share memory with anything the kernel reads: it is written while they are read.
  if (overlap(y, x))
    fail("y aliases x: the output must not overlap the input");
  if (overlap(y, weight))
    fail("y aliases weight: the output must not overlap the weight");
  if (overlap(y, conv_bias))
    fail("y aliases conv_bias: the output must not overlap the bias");
  if (epilogue.clamps && overlap(y, epilogue.bias))
    fail("y aliases the epilogue bias: the output must not overlap it");
  return g;
}

} // namespace Details
} // namespace ktconv
