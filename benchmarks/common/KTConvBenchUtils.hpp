#ifndef KTCONV_BENCH_UTILS_HPP
#define KTCONV_BENCH_UTILS_HPP

// Shared by the example and the benchmark: random fill on the device, timing by fences,
// sampled double-precision checks, and a tiny command-line parser.

#include <ktconv/ktconv.hpp>

#include <Kokkos_Core.hpp>
#include <Kokkos_Random.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace ktconv::bench
{

struct Args
{
  int argc;
  char **argv;
  bool has(char const *name) const
  {
    for (int i = 1; i < argc; ++i)
      if (std::strcmp(argv[i], name) == 0)
        return true;
    return false;
  }
  char const *get(char const *name, char const *fallback) const
  {
    for (int i = 1; i + 1 < argc; ++i)
      if (std::strcmp(argv[i], name) == 0)
        return argv[i + 1];
    return fallback;
  }
  long num(char const *name, long fallback) const
  {
    return std::strtol(get(name, std::to_string(fallback).c_str()), nullptr, 10);
  }
  double real(char const *name, double fallback) const
  {
    return std::strtod(get(name, std::to_string(fallback).c_str()), nullptr);
  }
};

inline Algorithm parse_algorithm(std::string const &s)
{
  if (s == "direct")
    return Algorithm::direct;
  if (s == "host_rows")
    return Algorithm::host_rows;
  if (s == "gpu_tiled")
    return Algorithm::gpu_tiled;
  if (s == "gemm")
    return Algorithm::gemm;
  if (s != "automatic") // never measure something other than what was named
  {
    std::fprintf(stderr, "unknown --algorithm %s (automatic, direct, host_rows, gpu_tiled, gemm)\n", s.c_str());
    std::exit(2);
  }
  return Algorithm::automatic;
}

inline MathMode parse_math(std::string const &s)
{
  if (s == "tf32")
    return MathMode::tf32;
  if (s == "tf32x3")
    return MathMode::tf32x3;
  return MathMode::ieee;
}

template <class View>
void fill_uniform(View const &v, std::uint64_t seed, double lo, double hi)
{
  Kokkos::Random_XorShift64_Pool<typename View::execution_space> pool(seed);
  Kokkos::fill_random(v, pool, typename View::value_type(lo), typename View::value_type(hi));
}

struct TimingStats
{
  double median_ms = 0, min_ms = 0, max_ms = 0, p10_ms = 0, p90_ms = 0;
  int runs = 0;
};

// Median of `reps` runs after `warmup`, each bracketed by fences (the device is idle before
// the clock starts and done when it stops).
template <class F>
TimingStats time_runs(F &&f, int warmup, int reps)
{
  for (int i = 0; i < warmup; ++i)
    f();
  Kokkos::fence();
  std::vector<double> ms;
  for (int i = 0; i < reps; ++i)
  {
    Kokkos::fence();
    auto t0 = std::chrono::steady_clock::now();
    f();
    Kokkos::fence();
    auto t1 = std::chrono::steady_clock::now();
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  TimingStats s;
  s.runs = reps;
  s.median_ms = reps % 2 ? ms[reps / 2] : 0.5 * (ms[reps / 2 - 1] + ms[reps / 2]);
  s.min_ms = ms.front();
  s.max_ms = ms.back();
  s.p10_ms = ms[std::size_t(0.1 * (reps - 1))];
  s.p90_ms = ms[std::size_t(0.9 * (reps - 1))];
  return s;
}

// One output element in double, straight from the definition (with a division per tap: it
// is a check, not a kernel).
template <class HX, class HW, class HB>
double reference_element(ConvTranspose2dParams const &p, HX const &x, HW const &w, HB const &cb, std::int64_t n, int co,
                         int oh, int ow)
{
  int const cig = p.in_channels / p.groups, cog = p.out_channels / p.groups, g = co / cog, col = co % cog;
  double acc = p.bias ? double(cb(co)) : 0.0;
  for (int kh = 0; kh < p.kernel_size.h; ++kh)
  {
    int const th = oh + p.padding.h - kh * p.dilation.h;
    if (th < 0 || th % p.stride.h)
      continue;
    int const ih = th / p.stride.h;
    if (ih >= int(x.extent(2)))
      continue;
    for (int kw = 0; kw < p.kernel_size.w; ++kw)
    {
      int const tw = ow + p.padding.w - kw * p.dilation.w;
      if (tw < 0 || tw % p.stride.w)
        continue;
      int const iw = tw / p.stride.w;
      if (iw >= int(x.extent(3)))
        continue;
      for (int c = 0; c < cig; ++c)
        acc += double(x(n, g * cig + c, ih, iw)) * double(w(g * cig + c, col, kh, kw));
    }
  }
  return acc;
}

inline double torch_clamp(double v, double lo, double hi)
{
  if (std::isnan(v))
    return v;
  v = v < lo ? lo : v;
  return v > hi ? hi : v;
}

} // namespace ktconv::bench

#endif
