// The phase geometry every kernel loops over (Details::AxisGeometry: taps and offsets per
// output phase, the q range of a phase), checked against brute force over many kernels,
// strides, dilations, paddings, output paddings and input extents: for each output, the
// (input, tap) pairs the phase decomposition visits are exactly those with
// o = i*stride - padding + t*dilation.
#include <ktconv/KTConv_Errors.hpp>
#include <ktconv/details/common/KTConv_ArgumentCheck.hpp>

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <tuple>
#include <utility>

using namespace ktconv;

namespace
{

// One axis: kernel, stride, dilation, padding, output_padding.
struct AxisCase
{
  int kernel, stride, dilation, padding, output_padding;
};

std::string describe(AxisCase const &c, int in)
{
  return "kernel " + std::to_string(c.kernel) + " stride " + std::to_string(c.stride) + " dilation " +
         std::to_string(c.dilation) + " padding " + std::to_string(c.padding) + " output_padding " +
         std::to_string(c.output_padding) + " in " + std::to_string(in);
}

// The axis geometry the argument check derives (height axis; width 1x1 kernel).
Details::AxisGeometry axis_of(AxisCase const &c, int in)
{
  ConvTranspose2dParams p;
  p.in_channels = 1;
  p.out_channels = 1;
  p.kernel_size = {c.kernel, 1};
  p.stride = {c.stride, 1};
  p.dilation = {c.dilation, 1};
  p.padding = {c.padding, 0};
  p.output_padding = {c.output_padding, 0};
  return Details::check_params(p, 1, 1, in, 1).h;
}

// (input, tap) pairs of output o, by definition.
std::set<std::pair<int, int>> brute_force(AxisCase const &c, int in, int o)
{
  std::set<std::pair<int, int>> s;
  for (int i = 0; i < in; ++i)
    for (int t = 0; t < c.kernel; ++t)
      if (o == i * c.stride - c.padding + t * c.dilation)
        s.insert({i, t});
  return s;
}

// (input, tap) pairs of output o as the kernels enumerate them: phase r, q, then the phase's
// taps t0, t0 + tap_step, ... with offsets first_offset, + off_step, ...
std::set<std::pair<int, int>> by_phase(Details::AxisGeometry const &a, int o, int &max_offset_seen)
{
  std::set<std::pair<int, int>> s;
  int const r = (o + a.padding) % a.stride, q = (o + a.padding) / a.stride;
  int const t0 = a.first_tap(r);
  if (t0 < 0)
    return s;
  int off = a.first_offset(t0, r);
  for (int n = 0, t = t0; n < a.num_taps(t0); ++n, t += a.tap_step, off += a.off_step)
  {
    max_offset_seen = off > max_offset_seen ? off : max_offset_seen;
    int const i = q - off;
    if (i >= 0 && i < a.in)
      s.insert({i, t});
  }
  return s;
}

} // namespace

TEST(PhaseGeometry, MatchesBruteForce)
{
  int cases = 0;
  for (int k = 1; k <= 6; ++k)
    for (int s = 1; s <= 5; ++s)
      for (int d = 1; d <= 4; ++d)
        for (int pad = 0; pad <= d * (k - 1); ++pad)
          for (int op = 0; op < (s > d ? s : d); ++op)
            for (int in = 1; in <= 7; in += 3)
            {
              AxisCase const c{k, s, d, pad, op};
              Details::AxisGeometry a;
              try
              {
                a = axis_of(c, in);
              }
              catch (InvalidArgument const &)
              {
                continue; // an empty output, say: nothing to decompose
              }
              ++cases;
              int max_offset_seen = 0;
              for (int o = 0; o < a.out; ++o)
                ASSERT_EQ(by_phase(a, o, max_offset_seen), brute_force(c, in, o)) << describe(c, in) << " output " << o;
              ASSERT_LE(max_offset_seen, a.max_offset()) << describe(c, in);
            }
  EXPECT_GT(cases, 2000);
}

// Each phase's q range [q_begin, q_end) maps (output_of) onto exactly the outputs of that phase.
TEST(PhaseGeometry, PhaseRangesCoverTheOutput)
{
  for (int k = 1; k <= 5; ++k)
    for (int s = 1; s <= 5; ++s)
      for (int d = 1; d <= 3; ++d)
        for (int pad = 0; pad <= d * (k - 1); ++pad)
        {
          AxisCase const c{k, s, d, pad, 0};
          Details::AxisGeometry a;
          try
          {
            a = axis_of(c, 5);
          }
          catch (InvalidArgument const &)
          {
            continue;
          }
          std::multiset<int> seen;
          for (int r = 0; r < s; ++r)
            for (int q = a.q_begin(r); q < a.q_end(r); ++q)
            {
              int const o = a.output_of(r, q);
              ASSERT_TRUE(o >= 0 && o < a.out) << describe(c, 5) << " phase " << r << " q " << q;
              ASSERT_EQ((o + pad) % s, r) << describe(c, 5);
              seen.insert(o);
            }
          ASSERT_EQ(int(seen.size()), a.out) << describe(c, 5);
          for (int o = 0; o < a.out; ++o)
            ASSERT_EQ(seen.count(o), 1u) << describe(c, 5) << " output " << o;
        }
}
