// The workload that started ktconv: the PyTorch model
//     ConvTranspose2d(64 -> 64, kernel 3, stride 2, padding 1, output_padding 1)
//     -> x + bias -> clamp(0, 1) -> * 2.0 -> clamp(0, 1) -> / 2.0
// on input (128, 64, 128, 128) float32, run with ktconv's module object on the default
// execution space. Prints the median time per forward after warm-up, GFLOP/s, effective
// GB/s, and a check of sampled outputs against a float64 reference. Self-contained: it needs
// ktconv and Kokkos only.
//
//   ktconv-seed-workload [--batch 128] [--reps 10] [--warmup 2] [--check 1000]
#include <ktconv/ktconv.hpp>

#include <Kokkos_Core.hpp>
#include <Kokkos_Random.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

using namespace ktconv;

namespace
{

// --name value from the command line, or the fallback.
long option(int argc, char **argv, char const *name, long fallback)
{
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0)
      return std::strtol(argv[i + 1], nullptr, 10);
  return fallback;
}

template <class View>
void fill_uniform(View const &v, std::uint64_t seed, double lo, double hi)
{
  Kokkos::Random_XorShift64_Pool<typename View::execution_space> pool(seed);
  Kokkos::fill_random(v, pool, typename View::value_type(lo), typename View::value_type(hi));
}

struct Timing
{
  double median_ms, min_ms, max_ms;
  int runs;
};

// Median of `reps` runs after `warmup`, each bracketed by fences.
template <class F>
Timing time_runs(F &&f, int warmup, int reps)
{
  for (int i = 0; i < warmup; ++i)
    f();
  std::vector<double> ms;
  for (int i = 0; i < reps; ++i)
  {
    Kokkos::fence();
    auto const t0 = std::chrono::steady_clock::now();
    f();
    Kokkos::fence();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  double const median = reps % 2 ? ms[std::size_t(reps / 2)]
                                 : 0.5 * (ms[std::size_t(reps / 2 - 1)] + ms[std::size_t(reps / 2)]);
  return {median, ms.front(), ms.back(), reps};
}

// One output of the convolution in double, from the definition: y(n, co, oh, ow) sums
// x(n, ci, ih, iw) * w(ci, co, kh, kw) over oh = ih*stride - padding + kh (no groups, dilation 1).
template <class HX, class HW, class HB>
double reference_element(ConvTranspose2dParams const &p, HX const &x, HW const &w, HB const &cb, std::int64_t n, int co,
                         int oh, int ow)
{
  double acc = double(cb(co));
  for (int kh = 0; kh < p.kernel_size.h; ++kh)
    for (int kw = 0; kw < p.kernel_size.w; ++kw)
    {
      int const th = oh + p.padding.h - kh, tw = ow + p.padding.w - kw;
      if (th < 0 || tw < 0 || th % p.stride.h || tw % p.stride.w)
        continue;
      int const ih = th / p.stride.h, iw = tw / p.stride.w;
      if (ih >= int(x.extent(2)) || iw >= int(x.extent(3)))
        continue;
      for (int ci = 0; ci < p.in_channels; ++ci)
        acc += double(x(n, ci, ih, iw)) * double(w(ci, co, kh, kw));
    }
  return acc;
}

// torch.clamp: NaN stays NaN.
double torch_clamp(double v, double lo, double hi)
{
  if (std::isnan(v))
    return v;
  v = v < lo ? lo : v;
  return v > hi ? hi : v;
}

} // namespace

int main(int argc, char **argv)
{
  Kokkos::ScopeGuard guard(argc, argv);
  std::int64_t const batch = option(argc, argv, "--batch", 128);
  int const reps = int(option(argc, argv, "--reps", 10)), warmup = int(option(argc, argv, "--warmup", 2));

  ConvTranspose2dParams p;
  p.in_channels = 64;
  p.out_channels = 64;
  p.kernel_size = 3;
  p.stride = 2;
  p.padding = 1;
  p.output_padding = 1;
  using Model = FusedConvTranspose2d<float>;
  Model::EpilogueParams ep;
  ep.lower = 0;
  ep.upper = 1;
  ep.scale = 2;
  Model model(p, ep);

  // PyTorch's default initialisation range for the weight and biases.
  double const bound = 1.0 / std::sqrt(64.0 * 9.0);
  fill_uniform(model.weight(), 11, -bound, bound);
  fill_uniform(model.conv_bias(), 12, -bound, bound);
  fill_uniform(model.bias(), 13, -0.1, 0.1); // torch.randn(bias_shape) * 0.02 in spirit: small
  Model::tensor_type x("x", batch, 64, 128, 128);
  fill_uniform(x, 14, -1, 1);
  auto const e = output_extents(p, batch, 64, 128, 128);
  Model::tensor_type y(Kokkos::view_alloc(Kokkos::WithoutInitializing, "y"), e[0], e[1], e[2], e[3]);
  Kokkos::deep_copy(y, std::numeric_limits<float>::quiet_NaN()); // poison: unwritten outputs show

  auto const t = time_runs([&] { model.forward(x, y); }, warmup, reps);

  auto hx = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, x);
  auto hw = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, model.weight());
  auto hcb = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, model.conv_bias());
  auto hb = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, model.bias());
  auto hy = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, y);
  std::mt19937_64 rng(2026);
  long const samples = batch > 0 ? option(argc, argv, "--check", 1000) : 0;
  long bad = 0;
  double max_rel = 0;
  for (long i = 0; i < samples; ++i)
  {
    std::int64_t const n = std::int64_t(rng() % std::uint64_t(e[0]));
    int const co = int(rng() % 64), oh = int(rng() % std::uint64_t(e[2])), ow = int(rng() % std::uint64_t(e[3]));
    double r = reference_element(p, hx, hw, hcb, n, co, oh, ow) + hb(co);
    r = torch_clamp(r, 0, 1) * 2.0;
    r = torch_clamp(r, 0, 1) / 2.0;
    double const v = hy(n, co, oh, ow);
    double const err = std::abs(v - r);
    max_rel = std::max(max_rel, err);
    bad += !(err <= 1e-5); // outputs lie in [0, 0.5]: an absolute bound; NaN fails
  }

  double const flop = 2.0 * double(batch) * 64 * 64 * 128 * 128 * 9;
  double const bytes = 4.0 * (double(x.size()) + double(y.size()) + 64 * 64 * 9 + 128);
  std::printf("ktconv %s seed workload on %s: batch %lld, x(%lld,64,128,128) -> y(%lld,64,%lld,%lld)\n",
              ktconv::version(), Kokkos::DefaultExecutionSpace::name(), (long long)batch, (long long)batch,
              (long long)e[0], (long long)e[2], (long long)e[3]);
  std::printf("time per forward: median %.3f ms (min %.3f, max %.3f) over %d runs after %d warm-up\n", t.median_ms,
              t.min_ms, t.max_ms, t.runs, warmup);
  std::printf("throughput: %.1f GFLOP/s, %.1f GB/s effective (%.3f GB moved)\n", flop / (t.median_ms * 1e6),
              bytes / (t.median_ms * 1e6), bytes / 1e9);
  std::printf("check: %ld sampled outputs vs float64 reference, max abs error %.2e: %s\n", samples, max_rel,
              bad == 0 ? "PASS" : "FAIL");
  return bad == 0 ? 0 : 1;
}
