#ifndef KTCONV_DETAILS_FIRST_TAP_HPP
#define KTCONV_DETAILS_FIRST_TAP_HPP

// First tap of an output phase in O(1), for kernels that need it per output element
// (AxisGeometry::first_tap loops up to min(stride, kernel) times: fine per row or tile, not
// per element when stride and kernel are both large). Tap t serves phase r when
// t*dilation = r (mod stride): with g = gcd(stride, dilation), r must be a multiple of g, and
// then t = (r/g) * inverse(dilation/g) mod (stride/g) is the smallest such t.

#include <ktconv/details/common/KTConv_Geometry.hpp>

#include <Kokkos_Macros.hpp>

#include <cstdint>
#include <numeric>

namespace ktconv::Details
{

struct FirstTap
{
  int gcd = 1;              // gcd(stride, dilation)
  int tap_step = 1;         // stride / gcd
  std::int64_t inverse = 0; // (dilation / gcd)^-1 mod tap_step
  int kernel = 1;

  static FirstTap of(AxisGeometry const &a)
  {
    FirstTap p;
    p.gcd = std::gcd(a.stride, a.dilation);
    p.tap_step = a.stride / p.gcd;
    p.kernel = a.kernel;
    // extended Euclid on (dilation/gcd mod tap_step, tap_step), coprime
    std::int64_t r0 = (a.dilation / p.gcd) % p.tap_step, r1 = p.tap_step, s0 = 1, s1 = 0;
    while (r1 != 0)
    {
      std::int64_t const q = r0 / r1, r2 = r0 - q * r1, s2 = s0 - q * s1;
      r0 = r1, r1 = r2, s0 = s1, s1 = s2;
    }
    p.inverse = p.tap_step == 1 ? 0 : ((s0 % p.tap_step) + p.tap_step) % p.tap_step;
    return p;
  }

  // Same result as AxisGeometry::first_tap(r): the first tap of phase r, or -1.
  KOKKOS_INLINE_FUNCTION int first_tap(int r) const
  {
    if (r % gcd != 0)
      return -1;
    std::int64_t const t = (std::int64_t(r / gcd) * inverse) % tap_step;
    return t < kernel ? int(t) : -1;
  }
};

} // namespace ktconv::Details

#endif
