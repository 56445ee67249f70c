// ktconv-bench: times ktconv's fused ConvTranspose2d on any shape.
//
//   ktconv-bench [--dtype float|double] [--n 128] [--cin 64] [--cout 64] [--h 128] [--w 128]
//                [--k 3] [--kh K] [--kw K] [--s 2] [--sh S] [--sw S] [--p 1] [--ph P] [--pw P]
//                [--op 1] [--oph P] [--opw P] [--d 1] [--dh D] [--dw D] [--groups 1] [--no-bias]
//                [--no-epilogue] [--scale 2] [--algorithm automatic|direct|host_rows|gpu_tiled|gemm]
//                [--math ieee|tf32|tf32x3] [--workspace-mib 256] [--warmup 5] [--reps 25]
//                [--peak-gflops G] [--peak-gbs B] [--check 2000] [--input-dir D]
//                [--save-images K --output F] [--csv]
//
// Prints the median (and spread) of --reps timed runs after --warmup, each bracketed by
// Kokkos::fence(), with TFLOP/s, GB/s of compulsory traffic and the percentage of each floor.
// --input-dir reads raw x, w, cb, bias files in the value type (x.f32 ... for float, x.f64 ...
// for double), so a comparison script can feed the same inputs to PyTorch; --save-images K
// writes y[0:K] in the value type to --output. Exit status 1 when the sampled check fails.
#include "common/KTConvBenchUtils.hpp"

#include <Kokkos_SIMD.hpp>

#include <fstream>

using namespace ktconv;
using namespace ktconv::bench;

namespace
{
template <class View>
void load_raw(View const &v, std::string const &path)
{
  using T = typename View::non_const_value_type;
  auto h = Kokkos::create_mirror_view(v);
  std::ifstream f(path, std::ios::binary);
  f.read(reinterpret_cast<char *>(h.data()), std::streamsize(h.span() * sizeof(T)));
  if (!f)
  {
    std::fprintf(stderr, "cannot read %zu values of %zu bytes from %s\n", h.span(), sizeof(T), path.c_str());
    std::exit(2);
  }
  Kokkos::deep_copy(v, h);
}
Size2 pair(Args const &a, char const *both, char const *h, char const *w, long fallback)
{
  long const v = a.num(both, fallback);
  return {int(a.num(h, v)), int(a.num(w, v))};
}

template <class T>
int run_benchmark(Args const &a)
{
  ConvTranspose2dParams p;
  p.in_channels = int(a.num("--cin", 64));
  p.out_channels = int(a.num("--cout", 64));
  p.kernel_size = pair(a, "--k", "--kh", "--kw", 3);
  p.stride = pair(a, "--s", "--sh", "--sw", 2);
  p.padding = pair(a, "--p", "--ph", "--pw", 1);
  p.output_padding = pair(a, "--op", "--oph", "--opw", 1);
  p.dilation = pair(a, "--d", "--dh", "--dw", 1);
  p.groups = int(a.num("--groups", 1));
  p.bias = !a.has("--no-bias");
  bool const epilogue = !a.has("--no-epilogue");
  std::int64_t const n = a.num("--n", 128), h = a.num("--h", 128), w = a.num("--w", 128);
  Options opt;
  opt.algorithm = parse_algorithm(a.get("--algorithm", "automatic"));
  opt.math = parse_math(a.get("--math", "ieee"));
  opt.workspace_bytes = std::size_t(a.num("--workspace-mib", 256)) << 20; // Algorithm::gemm's cap
  int const warmup = int(a.num("--warmup", 5)), reps = int(a.num("--reps", 25));

  using Space = Kokkos::DefaultExecutionSpace;
  using M = Space::memory_space;
  auto const e = output_extents(p, n, p.in_channels, h, w);
  Algorithm const runs = selected_algorithm<T>(Space{}, p, n, p.in_channels, h, w, opt); // what automatic picks
  Kokkos::View<T ****, Kokkos::LayoutRight, M> x("x", n, p.in_channels, h, w);
  Kokkos::View<T ****, Kokkos::LayoutRight, M> wt("w", p.in_channels, p.out_channels / p.groups, p.kernel_size.h,
                                                  p.kernel_size.w);
  Kokkos::View<T *, M> cb("cb", p.bias ? p.out_channels : 0), bias("bias", p.out_channels);
  Kokkos::View<T ****, Kokkos::LayoutRight, M> y(Kokkos::view_alloc(Kokkos::WithoutInitializing, "y"), e[0], e[1], e[2],
                                                 e[3]);
  std::string const dir = a.get("--input-dir", "");
  std::string const ext = sizeof(T) == 8 ? ".f64" : ".f32";
  if (!dir.empty())
  {
    load_raw(x, dir + "/x" + ext);
    load_raw(wt, dir + "/w" + ext);
    if (p.bias)
      load_raw(cb, dir + "/cb" + ext);
    load_raw(bias, dir + "/bias" + ext);
  }
  else
  {
    // PyTorch's default init scale: weights ~ U(-1/sqrt(fan), 1/sqrt(fan)).
    double const fan = double(p.out_channels / p.groups) * p.kernel_size.h * p.kernel_size.w;
    fill_uniform(x, 1, -1, 1);
    fill_uniform(wt, 2, -1 / std::sqrt(fan), 1 / std::sqrt(fan));
    if (p.bias)
      fill_uniform(cb, 3, -0.1, 0.1);
    fill_uniform(bias, 4, -0.1, 0.1);
  }
  Kokkos::deep_copy(y, std::numeric_limits<T>::quiet_NaN()); // poison

  BiasClampScaleEpilogue<T, M> epi;
  epi.bias = bias;
  epi.lower = 0;
  epi.upper = 1;
  epi.scale = T(a.real("--scale", 2.0));
  auto run = [&] {
    if (epilogue)
      conv_transpose2d(Space{}, p, x, wt, cb, y, epi, opt);
    else
      conv_transpose2d(Space{}, p, x, wt, cb, y, NoEpilogue{}, opt);
  };
  auto const t = time_runs(run, warmup, reps);

  // Sampled check against double precision (the last run's output).
  auto hx = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, x);
  auto hw = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, wt);
  auto hcb = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, cb);
  auto hb = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, bias);
  auto hy = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, y);
  std::mt19937_64 rng(7);
  long const samples = a.num("--check", 2000);
  double num = 0, den = 0, max_abs = 0;
  long non_finite = 0;
  for (long i = 0; i < samples && n > 0; ++i)
  {
    std::int64_t const sn = std::int64_t(rng() % std::uint64_t(e[0]));
    int const co = int(rng() % std::uint64_t(e[1])), oh = int(rng() % std::uint64_t(e[2])),
              ow = int(rng() % std::uint64_t(e[3]));
    double r = reference_element(p, hx, hw, hcb, sn, co, oh, ow);
    if (epilogue)
    {
      r += hb(co);
      r = torch_clamp(r, 0, 1) * epi.scale;
      r = torch_clamp(r, 0, 1) / epi.scale;
    }
    double const v = hy(sn, co, oh, ow);
    non_finite += !std::isfinite(v);
    num += (v - r) * (v - r);
    den += r * r;
    max_abs = std::max(max_abs, std::abs(v - r));
  }
  double const rel_l2 = den > 0 ? std::sqrt(num / den) : std::sqrt(num);

  double const flop = 2.0 * double(n) * p.in_channels * (p.out_channels / p.groups) * double(h) * double(w) *
                      p.kernel_size.h * p.kernel_size.w;
  double const bytes = double(sizeof(T)) * (double(x.size()) + double(wt.size()) + double(cb.size()) +
                                            double(bias.size()) + double(y.size()));
  double const tflops = flop / (t.median_ms * 1e-3) / 1e12, gbs = bytes / (t.median_ms * 1e-3) / 1e9;
  double const peak_gflops = a.real("--peak-gflops", 0), peak_gbs = a.real("--peak-gbs", 0);
  if (a.has("--csv"))
    std::printf("csv,%s,%s,%s,%s,%lld,%d,%d,%lld,%lld,%d,%d,%d,%d,%d,%.4f,%.4f,%.4f,%.3f,%.1f,%.3e\n", Space::name(),
                sizeof(T) == 8 ? "double" : "float", to_string(opt.algorithm), to_string(opt.math), (long long)n,
                p.in_channels, p.out_channels, (long long)h, (long long)w, p.kernel_size.h, p.stride.h, p.padding.h,
                p.dilation.h, p.groups, t.median_ms, t.min_ms, t.max_ms, tflops, gbs, rel_l2);
  std::printf("ktconv-bench  space=%s dtype=%s algorithm=%s runs=%s math=%s\n", Space::name(),
              sizeof(T) == 8 ? "double" : "float", to_string(opt.algorithm), to_string(runs), to_string(opt.math));
  std::printf("  shape x(%lld,%d,%lld,%lld) -> y(%lld,%lld,%lld,%lld) k(%d,%d) s(%d,%d) p(%d,%d) op(%d,%d) "
              "d(%d,%d) groups %d bias %d epilogue %d\n",
              (long long)n, p.in_channels, (long long)h, (long long)w, (long long)e[0], (long long)e[1],
              (long long)e[2], (long long)e[3], p.kernel_size.h, p.kernel_size.w, p.stride.h, p.stride.w, p.padding.h,
              p.padding.w, p.output_padding.h, p.output_padding.w, p.dilation.h, p.dilation.w, p.groups, int(p.bias),
              int(epilogue));
  if constexpr (Kokkos::SpaceAccessibility<Space, Kokkos::HostSpace>::accessible)
    std::printf("  vector %d lanes of %d bits (Kokkos SIMD native: host_rows' vector width)\n",
                int(Kokkos::Experimental::simd<T>::size()), int(8 * sizeof(T) * Kokkos::Experimental::simd<T>::size()));
  std::printf("  time  median %.4f ms  (min %.4f, p10 %.4f, p90 %.4f, max %.4f; %d runs after %d warm-up)\n",
              t.median_ms, t.min_ms, t.p10_ms, t.p90_ms, t.max_ms, t.runs, warmup);
  std::printf("  rate  %.2f TFLOP/s (%.1f GFLOP)  %.1f GB/s (%.3f GB compulsory)\n", tflops, flop / 1e9, gbs,
              bytes / 1e9);
  if (peak_gflops > 0)
    std::printf("  FMA floor %.4f ms: %.1f%% of peak %.0f GFLOP/s\n", flop / (peak_gflops * 1e9) * 1e3,
                100.0 * tflops * 1e3 / peak_gflops, peak_gflops);
  if (peak_gbs > 0)
    std::printf("  memory floor %.4f ms: %.1f%% of %.0f GB/s\n", bytes / (peak_gbs * 1e9) * 1e3, 100.0 * gbs / peak_gbs,
                peak_gbs);
  std::printf("  check %ld sampled outputs vs float64: rel L2 %.3e, max abs %.3e, non-finite %ld\n", samples, rel_l2,
              max_abs, non_finite);

  long const save = a.num("--save-images", 0);
  if (save > 0)
  {
    std::string const out = a.get("--output", "y.f32");
    std::ofstream f(out, std::ios::binary);
    std::size_t const per_image = std::size_t(e[1] * e[2] * e[3]);
    f.write(reinterpret_cast<char const *>(hy.data()),
            std::streamsize(std::min<std::size_t>(std::size_t(save), std::size_t(e[0])) * per_image * sizeof(T)));
  }
  double const tol = sizeof(T) == 8 ? 1e-12 : opt.math == MathMode::tf32 ? 2e-3 : 1e-5;
  return (non_finite == 0 && rel_l2 <= tol) ? 0 : 1;
}
} // namespace

int main(int argc, char **argv)
{
  Kokkos::ScopeGuard guard(argc, argv);
  Args a{argc, argv};
  std::string const dtype = a.get("--dtype", "float");
  if (dtype != "float" && dtype != "double")
  {
    std::fprintf(stderr, "--dtype must be float or double, got %s\n", dtype.c_str());
    return 2;
  }
  try
  {
    return dtype == "double" ? run_benchmark<double>(a) : run_benchmark<float>(a);
  }
  catch (InvalidArgument const &e) // e.g. a forced algorithm that does not apply to the shape
  {
    std::fprintf(stderr, "InvalidArgument: %s\n", e.what());
    return 3;
  }
}
