#ifndef KTCONV_TESTS_FUZZ_TENSORS_HPP
#define KTCONV_TESTS_FUZZ_TENSORS_HPP

// The fuzz target's tensors (random values, exactly representable in T, kept as double for the
// reference) and its output checks. Included by FuzzChecks.hpp.

#include "FuzzChecks.hpp"

namespace ktconv::fuzz
{

template <class T, class M>
struct Tensors
{
  using V4 = Kokkos::View<T ****, Kokkos::LayoutRight, M>;
  using V1 = Kokkos::View<T *, M>;
  V4 x, w;
  V1 cb, epilogue_bias;
  std::vector<double> hx, hw, hcb, hbias;
  std::int64_t xe[4], we[4];

  Tensors(Case const &c, Extents const &e)
  {
    std::copy(e.x, e.x + 4, xe);
    std::copy(e.w, e.w + 4, we);
    auto z = [](std::int64_t v) { return std::size_t(v); };
    x = V4("x", z(e.x[0]), z(e.x[1]), z(e.x[2]), z(e.x[3]));
    w = V4("w", z(e.w[0]), z(e.w[1]), z(e.w[2]), z(e.w[3]));
    std::int64_t const cout = std::max(c.p.out_channels, 0);
    cb = V1("cb", z(c.p.bias ? cout + (c.wrong_conv_bias ? 1 : 0) : (c.wrong_conv_bias ? 1 : 0)));
    epilogue_bias = V1("bias", z(c.epilogue && c.epilogue_bias ? cout : 0));
  }

  // Uniform values in [-1, 1] rounded to T; a few non-finite inputs when the case asks.
  static std::vector<double> upload(auto const &view, std::mt19937_64 &rng, bool nonfinite)
  {
    std::uniform_real_distribution<double> d(-1, 1);
    auto h = Kokkos::create_mirror_view(view);
    std::vector<double> out(h.span());
    for (std::size_t i = 0; i < out.size(); ++i)
      out[i] = double(T(d(rng)));
    if (nonfinite && !out.empty())
      for (double v : {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                       -std::numeric_limits<double>::infinity()})
        out[rng() % out.size()] = v;
    for (std::size_t i = 0; i < out.size(); ++i)
      h.data()[i] = T(out[i]);
    Kokkos::deep_copy(view, h);
    return out;
  }

  void fill(Case const &c)
  {
    std::mt19937_64 rng(c.seed);
    hx = upload(x, rng, c.nonfinite_x);
    hw = upload(w, rng, false);
    hcb = upload(cb, rng, false);
    hbias = upload(epilogue_bias, rng, false);
  }
};

template <class T, class Y>
void expect_untouched(Case const &c, Y const &y)
{
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, y);
  for (std::size_t i = 0; i < h.span(); ++i)
    if (!same_bits(h.data()[i], sentinel<T>()))
      fail(c, "y was written by a call that threw");
}

struct RefValue
{
  double value = 0, abs_sum = 0, conv = 0;
  std::int64_t terms = 0;
};

// One output by the textbook gather: output o receives input i through tap t when
// o + padding - t*dilation = i*stride.
template <class T, class M>
RefValue reference_at(Case const &c, Tensors<T, M> const &t, std::int64_t const (&o)[4])
{
  auto const &p = c.p;
  std::int64_t const cig = p.in_channels / p.groups, cog = p.out_channels / p.groups, g = o[1] / cog;
  RefValue r;
  for (std::int64_t kh = 0; kh < p.kernel_size.h; ++kh)
  {
    std::int64_t const th = o[2] + p.padding.h - kh * p.dilation.h;
    if (th < 0 || th % p.stride.h != 0 || th / p.stride.h >= t.xe[2])
      continue;
    for (std::int64_t kw = 0; kw < p.kernel_size.w; ++kw)
    {
      std::int64_t const tw = o[3] + p.padding.w - kw * p.dilation.w;
      if (tw < 0 || tw % p.stride.w != 0 || tw / p.stride.w >= t.xe[3])
        continue;
      for (std::int64_t ci = g * cig; ci < (g + 1) * cig; ++ci)
      {
        double const xv =
            t.hx[std::size_t(((o[0] * t.xe[1] + ci) * t.xe[2] + th / p.stride.h) * t.xe[3] + tw / p.stride.w)];
        double const wv =
            t.hw[std::size_t(((ci * cog + o[1] - g * cog) * p.kernel_size.h + kh) * p.kernel_size.w + kw)];
        r.conv += xv * wv;
        r.abs_sum += std::abs(xv * wv);
        ++r.terms;
      }
    }
  }
  if (p.bias)
  {
    r.conv += t.hcb[std::size_t(o[1])];
    r.abs_sum += std::abs(t.hcb[std::size_t(o[1])]);
  }
  test::EpilogueSpec spec;
  spec.enabled = c.epilogue;
  spec.bias = t.hbias;
  spec.lower = double(T(c.lower));
  spec.upper = double(T(c.upper));
  spec.scale = double(T(c.scale));
  if (c.epilogue && !t.hbias.empty())
    r.abs_sum += std::abs(t.hbias[std::size_t(o[1])]);
  r.value = test::apply_epilogue(spec, r.conv, o[1]);
  return r;
}

template <class T>
bool close(Case const &c, RefValue const &r, double v)
{
  if (std::isnan(r.value))
    return std::isnan(v);
  if (std::isinf(r.value))
    return v == r.value;
  double const u = std::numeric_limits<T>::epsilon() / 2;
  double tol = 2 * double(r.terms + 8) * u * r.abs_sum + 4 * double(std::numeric_limits<T>::min());
  if (c.epilogue) // the clamps and the scaling round relative to the bounds and scale too
  {
    auto fin = [](double b) { return std::isfinite(b) ? std::abs(b) : 0.0; };
    tol += 8 * u * (r.abs_sum + (fin(c.lower) + fin(c.upper)) / std::abs(c.scale));
  }
  return std::isfinite(v) && std::abs(v - r.value) <= tol;
}

// Every output of small results, else 1024 random ones and the last.
template <class T, class M, class Y>
void check_against_reference(Case const &c, Tensors<T, M> const &t, Y const &y)
{
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, y);
  std::int64_t const size = std::int64_t(h.span());
  std::int64_t const e[4] = {std::int64_t(h.extent(0)), std::int64_t(h.extent(1)), std::int64_t(h.extent(2)),
                             std::int64_t(h.extent(3))};
  bool const all = size <= 4096;
  std::mt19937_64 rng(c.seed ^ 0x5bd1e995u);
  for (std::int64_t k = 0; k < (all ? size : 1025); ++k)
  {
    std::int64_t i = all ? k : (k == 1024 ? size - 1 : std::int64_t(rng() % std::uint64_t(size)));
    std::int64_t const o[4] = {i / (e[1] * e[2] * e[3]), i / (e[2] * e[3]) % e[1], i / e[3] % e[2], i % e[3]};
    RefValue const r = reference_at(c, t, o);
    double const v = double(h.data()[i]);
    if (!close<T>(c, r, v))
      fail(c, "y(" + std::to_string(o[0]) + ", " + std::to_string(o[1]) + ", " + std::to_string(o[2]) + ", " +
                  std::to_string(o[3]) + ") = " + std::to_string(v) + ", reference " + std::to_string(r.value));
  }
}

} // namespace ktconv::fuzz

#endif
