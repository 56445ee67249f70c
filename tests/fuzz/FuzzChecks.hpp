#ifndef KTCONV_TESTS_FUZZ_CHECKS_HPP
#define KTCONV_TESTS_FUZZ_CHECKS_HPP

// The fuzz target's expectations: PyTorch's validity and output extents computed here without
// overflow, the data budget, the tensors, and the comparison with a double reference written
// as the textbook gather (a modulo per tap, 64-bit), independent of ktconv's phase arithmetic.

#include "FuzzCase.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace ktconv::fuzz
{

[[noreturn]] inline void fail(Case const &c, std::string const &what)
{
  std::fprintf(stderr, "ktconv fuzz: %s\n  case: %s\n", what.c_str(), describe(c).c_str());
  std::abort();
}

template <class T>
T sentinel()
{
  return T(1.2345e30);
}
template <class T>
bool same_bits(T a, T b)
{
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

// Every rejection must name what is wrong.
inline void expect_names_parameter(Case const &c, std::string const &what)
{
  static char const *const names[] = {
      "in_channels", "out_channels", "groups",    "kernel_size", "stride",   "padding",          "dilation",
      "x",           "weight",       "conv_bias", "y",           "epilogue", "options.algorithm"};
  for (char const *n : names)
    if (what.find(n) != std::string::npos)
      return;
  fail(c, "a rejection that names no parameter: " + what);
}

// A PyTorch-valid call may be rejected only for one of ktconv's documented limits.
inline bool names_ktconv_limit(std::string const &what)
{
  return what.find("32-bit") != std::string::npos || what.find("2^60") != std::string::npos ||
         what.find("options.algorithm") != std::string::npos;
}

// The epilogue's parameters as ktconv receives them (in T).
template <class T>
bool epilogue_valid(Case const &c)
{
  T const s = T(c.scale);
  return !c.epilogue || (std::isfinite(s) && s != T(0) && !std::isnan(c.lower) && !std::isnan(c.upper));
}

struct Extents
{
  bool torch_valid = false; // PyTorch accepts the parameters and the input extents
  bool impossible = false;  // x or weight has more than 2^60 elements (views over no real memory)
  bool fits_budget = false; // every tensor is small enough to allocate and check here
  std::int64_t x[4] = {}, w[4] = {}, y[4] = {};
};

inline bool torch_params_valid(ConvTranspose2dParams const &p)
{
  auto pos = [](Size2 s) { return s.h > 0 && s.w > 0; };
  auto nonneg = [](Size2 s) { return s.h >= 0 && s.w >= 0; };
  return p.in_channels > 0 && p.out_channels > 0 && p.groups > 0 && p.in_channels % p.groups == 0 &&
         p.out_channels % p.groups == 0 && pos(p.kernel_size) && pos(p.stride) && pos(p.dilation) &&
         nonneg(p.padding) && nonneg(p.output_padding) &&
         (p.output_padding.h < p.stride.h || p.output_padding.h < p.dilation.h) &&
         (p.output_padding.w < p.stride.w || p.output_padding.w < p.dilation.w);
}

// Product of the extents (negative ones as 0), saturated at 2^100.
inline int128 product(std::int64_t const (&e)[4])
{
  int128 const cap = int128(1) << 100;
  for (std::int64_t v : e)
    if (v <= 0)
      return 0;
  int128 r = 1;
  for (std::int64_t v : e)
    r = r > cap / v ? cap : r * v;
  return r;
}

// Kokkos refuses (aborts on) a LayoutRight view unless its mapping's running products (extents
// 0..3 in order; the last extent, then extents 0, 1, 2) fit its index type at every step: the
// fuzzer builds only views whose every step stays within 2^62.
inline bool representable(std::int64_t const (&e)[4])
{
  for (std::int64_t v : e)
    if (v < 0 || v > (std::int64_t(1) << 62))
      return false;
  for (std::array<int, 4> const &order : {std::array<int, 4>{0, 1, 2, 3}, std::array<int, 4>{3, 0, 1, 2}})
  {
    int128 prod = 1;
    for (int i : order)
      if ((prod *= e[i]) > (int128(1) << 62))
        return false;
  }
  return true;
}

// Multiply-adds the direct kernel does: per output, the taps of its phase times the group's
// input channels.
inline int128 work(Case const &c, Extents const &e)
{
  auto taps = [](int k, int s, int d) {
    if (k <= 0 || s <= 0 || d <= 0)
      return int128(1);
    int const step = s / std::gcd(s, d);
    return int128((std::int64_t(k) + step - 1) / step);
  };
  int const cig = c.p.groups > 0 ? std::max(c.p.in_channels / c.p.groups, 1) : 1;
  return product(e.y) * cig * taps(c.p.kernel_size.h, c.p.stride.h, c.p.dilation.h) *
         taps(c.p.kernel_size.w, c.p.stride.w, c.p.dilation.w);
}

// Computes the extents and checks output_extents against PyTorch's rules.
inline Extents check_output_extents(Case const &c)
{
  auto const &p = c.p;
  Extents e;
  int128 const ho = torch_extent(c.h, p.kernel_size.h, p.stride.h, p.padding.h, p.output_padding.h, p.dilation.h);
  int128 const wo = torch_extent(c.w, p.kernel_size.w, p.stride.w, p.padding.w, p.output_padding.w, p.dilation.w);
  e.torch_valid = torch_params_valid(p) && c.n >= 0 && c.h > 0 && c.w > 0 && ho > 0 && wo > 0;
  try
  {
    auto const got = output_extents(p, c.n, p.in_channels, c.h, c.w);
    if (!e.torch_valid || got[0] != c.n || got[1] != p.out_channels || got[2] != ho || got[3] != wo)
      fail(c, "output_extents accepted invalid parameters or computed other extents");
  }
  catch (InvalidArgument const &err)
  {
    expect_names_parameter(c, err.what());
    if (e.torch_valid && !names_ktconv_limit(err.what()))
      fail(c, std::string("output_extents rejected a valid call: ") + err.what());
  }
  int const cog = p.groups > 0 ? p.out_channels / p.groups : p.out_channels;
  std::int64_t const xe[4] = {c.n, p.in_channels, c.h, c.w};
  std::int64_t const we[4] = {p.in_channels, cog, p.kernel_size.h, p.kernel_size.w};
  auto small = [](int128 v) { return v >= 1 && v <= (1 << 20) ? std::int64_t(v) : std::int64_t(1); };
  std::int64_t const ye[4] = {c.n, p.out_channels, small(ho), small(wo)};
  std::copy(xe, xe + 4, e.x);
  std::copy(we, we + 4, e.w);
  std::copy(ye, ye + 4, e.y);
  auto nonneg = [](std::int64_t const(&v)[4]) { return std::all_of(v, v + 4, [](std::int64_t a) { return a >= 0; }); };
  // More than 2^60 elements (ktconv's limit) is beyond any allocation.
  std::int64_t const y_fake[4] = {c.n, p.out_channels, 1, 1};
  e.impossible = (product(e.x) > (int128(1) << 60) || product(e.w) > (int128(1) << 60)) && representable(e.x) &&
                 representable(e.w) && representable(y_fake);
  bool const y_exact = !e.torch_valid || (ho <= (1 << 20) && wo <= (1 << 20)); // else y would be mis-sized
  e.fits_budget = y_exact && p.out_channels <= (1 << 16) && representable(e.x) && representable(e.w) &&
                  representable(e.y) && nonneg(e.x) && nonneg(e.w) && nonneg(e.y) && product(e.x) <= (1 << 18) &&
                  product(e.w) <= (1 << 16) && product(e.y) <= (1 << 21) && work(c, e) <= (1 << 24);
  return e;
}

} // namespace ktconv::fuzz

#include "FuzzTensors.hpp"

#endif
