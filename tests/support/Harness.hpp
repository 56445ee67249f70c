#ifndef KTCONV_TESTS_HARNESS_HPP
#define KTCONV_TESTS_HARNESS_HPP

// Runs ktconv on an execution space from double host tensors and compares with the reference.
// Outputs are poisoned (NaN) before every run so an unwritten element cannot pass.

#include "Reference.hpp"

#include <ktconv/details/KTConv_AlgorithmSelection.hpp>
#include <ktconv/details/common/KTConv_ArgumentCheck.hpp>
#include <ktconv/details/cuda/KTConv_GpuTiledShapes.hpp>
#include <ktconv/ktconv.hpp>

#include <Kokkos_Core.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace ktconv::test
{

// Execution spaces under test: the default one, plus Serial when it is enabled beside it.
template <class F>
void for_each_space(F &&f)
{
  f(Kokkos::DefaultExecutionSpace{});
#if KTCONV_HAVE_SERIAL
  if constexpr (!std::is_same_v<Kokkos::DefaultExecutionSpace, Kokkos::Serial>)
    f(Kokkos::Serial{});
#endif
}

// Every value of ktconv::Algorithm: the fuzzer (tests/fuzz) forces each of them, runnable or
// not, so a new algorithm is fuzzed once it is listed here.
inline constexpr Algorithm all_algorithms[] = {Algorithm::automatic, Algorithm::direct, Algorithm::host_rows,
                                               Algorithm::gpu_tiled, Algorithm::gemm};

// Algorithms that can run on an execution space for a problem (every one that the selection
// accepts), so each test exercises every kernel that could compute it.
template <class ExecutionSpace, class T = float>
std::vector<Algorithm> algorithms_for(ConvTranspose2dParams const &p = {}, std::int64_t h = 1, std::int64_t w = 1)
{
  std::vector<Algorithm> a{Algorithm::automatic, Algorithm::direct};
  if (p.in_channels <= 0)
  {
    if constexpr (Details::is_host_space_v<ExecutionSpace>)
      a.push_back(Algorithm::host_rows);
    return a;
  }
  auto const g = Details::check_params(p, 1, p.in_channels, h, w);
  if (Details::host_rows_supports<ExecutionSpace, T>(g))
    a.push_back(Algorithm::host_rows);
  if (Details::gpu_tiled_supports<ExecutionSpace, T>(g))
    a.push_back(Algorithm::gpu_tiled);
#if KTCONV_HAVE_KOKKOS_KERNELS
  a.push_back(Algorithm::gemm); // every backend, every shape
#endif
  return a;
}

inline Tensor4 random_tensor(std::mt19937_64 &rng, std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w)
{
  std::uniform_real_distribution<double> d(-1.0, 1.0);
  Tensor4 t(n, c, h, w);
  for (auto &v : t.data)
    v = d(rng);
  return t;
}

inline std::vector<double> random_vector(std::mt19937_64 &rng, std::int64_t n, double lo = -1, double hi = 1)
{
  std::uniform_real_distribution<double> d(lo, hi);
  std::vector<double> v(static_cast<std::size_t>(n));
  for (auto &e : v)
    e = d(rng);
  return v;
}

template <class T, class MemorySpace>
Kokkos::View<T ****, Kokkos::LayoutRight, MemorySpace> to_device(Tensor4 const &t, char const *label)
{
  Kokkos::View<T ****, Kokkos::LayoutRight, MemorySpace> v(label, t.n, t.c, t.h, t.w);
  auto h = Kokkos::create_mirror_view(v);
  for (std::size_t i = 0; i < t.size(); ++i)
    h.data()[i] = T(t.data[i]);
  Kokkos::deep_copy(v, h);
  return v;
}

template <class T, class MemorySpace>
Kokkos::View<T *, MemorySpace> to_device(std::vector<double> const &t, char const *label)
{
  Kokkos::View<T *, MemorySpace> v(label, t.size());
  auto h = Kokkos::create_mirror_view(v);
  for (std::size_t i = 0; i < t.size(); ++i)
    h(i) = T(t[i]);
  Kokkos::deep_copy(v, h);
  return v;
}

struct Problem
{
  ConvTranspose2dParams params;
  Tensor4 x, weight;
  std::vector<double> conv_bias;
  EpilogueSpec epilogue;
};

// Whether two results are equal bit for bit (the determinism tests' comparison).
inline bool same_bits(Tensor4 const &a, Tensor4 const &b)
{
  return a.size() == b.size() && std::memcmp(a.data.data(), b.data.data(), a.size() * sizeof(double)) == 0;
}

// ConvTranspose2dParams from PyTorch's arguments in order (bias on), for tables of problems.
inline ConvTranspose2dParams conv_params(int cin, int cout, Size2 k, Size2 s, Size2 pad, Size2 op, Size2 d, int groups)
{
  ConvTranspose2dParams p;
  p.in_channels = cin;
  p.out_channels = cout;
  p.kernel_size = k;
  p.stride = s;
  p.padding = pad;
  p.output_padding = op;
  p.dilation = d;
  p.groups = groups;
  return p;
}

inline Problem random_problem(std::mt19937_64 &rng, ConvTranspose2dParams const &p, std::int64_t n, std::int64_t h,
                              std::int64_t w, bool epilogue)
{
  Problem pr;
  pr.params = p;
  pr.x = random_tensor(rng, n, p.in_channels, h, w);
  pr.weight = random_tensor(rng, p.in_channels, p.out_channels / p.groups, p.kernel_size.h, p.kernel_size.w);
  if (p.bias)
    pr.conv_bias = random_vector(rng, p.out_channels);
  pr.epilogue.enabled = epilogue;
  if (epilogue)
  {
    pr.epilogue.bias = random_vector(rng, p.out_channels, -0.5, 0.5);
    pr.epilogue.lower = 0;
    pr.epilogue.upper = 1;
    pr.epilogue.scale = 2;
  }
  return pr;
}

// Runs ktconv and returns its output as doubles (NaN-poisoned before the run).
template <class T, class ExecutionSpace>
Tensor4 run_ktconv(ExecutionSpace const &space, Problem const &pr, Options const &options)
{
  using M = typename ExecutionSpace::memory_space;
  auto x = to_device<T, M>(pr.x, "x");
  auto w = to_device<T, M>(pr.weight, "w");
  auto cb = to_device<T, M>(pr.params.bias ? pr.conv_bias : std::vector<double>{}, "conv_bias");
  auto e = output_extents(pr.params, pr.x.n, pr.x.c, pr.x.h, pr.x.w);
  Kokkos::View<T ****, Kokkos::LayoutRight, M> y("y", e[0], e[1], e[2], e[3]);
  Kokkos::deep_copy(y, std::numeric_limits<T>::quiet_NaN());
  if (pr.epilogue.enabled)
  {
    BiasClampScaleEpilogue<T, M> epi;
    epi.bias = to_device<T, M>(pr.epilogue.bias, "bias");
    epi.lower = T(pr.epilogue.lower);
    epi.upper = T(pr.epilogue.upper);
    epi.scale = T(pr.epilogue.scale);
    conv_transpose2d(space, pr.params, x, w, cb, y, epi, options);
  }
  else
    conv_transpose2d(space, pr.params, x, w, cb, y, NoEpilogue{}, options);
  space.fence();
  auto hy = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, y);
  Tensor4 out(e[0], e[1], e[2], e[3]);
  for (std::size_t i = 0; i < out.size(); ++i)
    out.data[i] = double(hy.data()[i]);
  return out;
}

// Rounding bound for a value of type T: every output is a sum of `terms` products plus biases,
// then a few epilogue operations, each rounding by at most u = eps/2 relative to the running
// magnitude, which abs_sum bounds. `factor` leaves margin (2 for IEEE arithmetic).
// `unit` overrides the unit roundoff, for tensor-core math (TF32 rounds products' inputs to
// 10 mantissa bits: u = 2^-11).
template <class T>
double tolerance(ReferenceResult const &ref, std::size_t i, double factor, double unit = 0)
{
  double const u = unit > 0 ? unit : std::numeric_limits<T>::epsilon() / 2;
  return factor * (ref.terms_max + 8) * u * ref.abs_sum.data[i] + 4 * std::numeric_limits<T>::min();
}

struct Comparison
{
  bool ok = true;
  double rel_l2 = 0;
  std::int64_t bad = 0;
  std::string first_bad;
};

// Every element checked: NaN where the reference is NaN (and only there), equal infinities,
// else within the rounding bound. Also the relative L2 error over the finite elements.
template <class T>
Comparison compare(Tensor4 const &got, ReferenceResult const &ref, double factor = 2, double unit = 0)
{
  Comparison c;
  double num = 0, den = 0;
  for (std::size_t i = 0; i < got.size(); ++i)
  {
    double const r = ref.y.data[i], v = got.data[i];
    bool good;
    if (std::isnan(r))
      good = std::isnan(v);
    else if (std::isinf(r))
      good = v == r;
    else
    {
      good = std::isfinite(v) && std::abs(v - r) <= tolerance<T>(ref, i, factor, unit);
      num += (v - r) * (v - r);
      den += r * r;
    }
    if (!good)
    {
      if (c.bad++ == 0)
      {
        std::ostringstream s;
        std::size_t k = i;
        auto const ow = k % std::size_t(got.w);
        k /= std::size_t(got.w);
        auto const oh = k % std::size_t(got.h);
        k /= std::size_t(got.h);
        auto const co = k % std::size_t(got.c);
        auto const n = k / std::size_t(got.c);
        s << "y(" << n << ", " << co << ", " << oh << ", " << ow << ") = " << v << ", reference " << r << ", tolerance "
          << tolerance<T>(ref, i, factor, unit);
        c.first_bad = s.str();
      }
      c.ok = false;
    }
  }
  c.rel_l2 = den > 0 ? std::sqrt(num / den) : std::sqrt(num);
  return c;
}

inline std::string describe(ConvTranspose2dParams const &p, Tensor4 const &x)
{
  std::ostringstream s;
  s << "x(" << x.n << "," << x.c << "," << x.h << "," << x.w << ") cout " << p.out_channels << " k(" << p.kernel_size.h
    << "," << p.kernel_size.w << ") s(" << p.stride.h << "," << p.stride.w << ") p(" << p.padding.h << ","
    << p.padding.w << ") op(" << p.output_padding.h << "," << p.output_padding.w << ") d(" << p.dilation.h << ","
    << p.dilation.w << ") g" << p.groups << " bias" << p.bias;
  return s.str();
}

} // namespace ktconv::test

#endif
