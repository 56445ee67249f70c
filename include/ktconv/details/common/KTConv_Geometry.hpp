#ifndef KTCONV_DETAILS_GEOMETRY_HPP
#define KTCONV_DETAILS_GEOMETRY_HPP

#include <Kokkos_Macros.hpp>

#include <cstdint>

namespace ktconv::Details
{

// One spatial axis of a transposed convolution, decomposed by output phase.
//
// Output o receives input i through tap t when o = i*stride - padding + t*dilation. Write
// o + padding = q*stride + r with the phase r in [0, stride). Then tap t contributes to o
// only if t*dilation = r (mod stride), and then i = q - off(t) with
// off(t) = (t*dilation - r) / stride, an exact division. The taps of phase r are
// t0(r), t0(r) + tap_step, ... with tap_step = stride / gcd(stride, dilation), and their
// offsets grow by off_step = dilation / gcd(stride, dilation). So every kernel loops over
// (phase, q, tap) with no division or modulo in its inner loops.
struct AxisGeometry
{
  int in = 0;  // input extent
  int out = 0; // output extent
  int kernel = 1;
  int stride = 1;
  int padding = 0;
  int dilation = 1;
  int tap_step = 1; // stride / gcd(stride, dilation)
  int off_step = 1; // dilation / gcd(stride, dilation)

  // First tap of phase r, or -1 if the phase has no tap (stride > kernel*dilation, e.g.).
  // Loops at most tap_step times: called once per tile or row, never in an inner loop.
  KOKKOS_INLINE_FUNCTION int first_tap(int r) const
  {
    int const n = tap_step < kernel ? tap_step : kernel;
    for (int t = 0; t < n; ++t)
      if ((t * dilation) % stride == r)
        return t;
    return -1;
  }
  KOKKOS_INLINE_FUNCTION int num_taps(int t0) const { return t0 < 0 ? 0 : (kernel - 1 - t0) / tap_step + 1; }
  // off(t0) of the first tap of a phase
  KOKKOS_INLINE_FUNCTION int first_offset(int t0, int r) const { return (t0 * dilation - r) / stride; }
  // q range of phase r: outputs o = r - padding + stride*q with 0 <= o < out.
  KOKKOS_INLINE_FUNCTION int q_begin(int r) const { return ceil_div(padding - r, stride); }
  KOKKOS_INLINE_FUNCTION int q_end(int r) const { return ceil_div(out + padding - r, stride); }
  KOKKOS_INLINE_FUNCTION int output_of(int r, int q) const { return r - padding + stride * q; }
  // largest offset of any tap: input rows needed for q are [q - max_offset, q]
  KOKKOS_INLINE_FUNCTION int max_offset() const { return ((kernel - 1) * dilation) / stride; }

  KOKKOS_INLINE_FUNCTION static int ceil_div(int a, int b) // b > 0, any sign of a
  {
    return a >= 0 ? (a + b - 1) / b : -((-a) / b);
  }
};

struct ConvGeometry
{
  std::int64_t batch = 0;
  int in_channels = 0;
  int out_channels = 0;
  int groups = 1;
  int in_per_group = 0;
  int out_per_group = 0;
  bool has_conv_bias = false;
  AxisGeometry h, w;

  std::int64_t output_size() const { return batch * out_channels * std::int64_t(h.out) * w.out; }
  // Multiply-adds of the convolution (each counted once): for FLOP counts, times 2.
  std::int64_t multiply_adds() const
  {
    return batch * std::int64_t(in_channels) * out_per_group * std::int64_t(h.in) * w.in * h.kernel * w.kernel;
  }
};

} // namespace ktconv::Details

#endif
