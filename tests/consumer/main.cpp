// The consumer test's program: a small ConvTranspose2d with the fused epilogue on the default
// execution space, through both public entry points, checked against a plain double
// computation written here from the definition (scatter form: every input pixel adds
// x * w into the outputs it touches). Exits non-zero on any mismatch.
#include <ktconv/ktconv.hpp>

#include <Kokkos_Core.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

namespace
{
constexpr int N = 2, CI = 2, CO = 3, H = 3, W = 4, K = 3, S = 2, P = 1, OP = 1;
constexpr int HO = (H - 1) * S - 2 * P + (K - 1) + OP + 1; // 6
constexpr int WO = (W - 1) * S - 2 * P + (K - 1) + OP + 1; // 8

// Inputs with few significant bits, so float sums of them are exact.
double x_at(int n, int c, int h, int w)
{
  return 0.5 * (n + 1) - 0.25 * c + 0.125 * h - 0.0625 * w;
}
double w_at(int ci, int co, int kh, int kw)
{
  return double((ci * 2 + co * 3 + kh * 5 + kw * 7) % 9 - 4) / 16.0;
}
double const conv_bias[CO] = {0.125, -0.25, 0.5};
double const epi_bias[CO] = {0.0625, -0.5, 0.25};
constexpr double scale = 2.0;

double clamp01(double v)
{
  return v < 0 ? 0 : (v > 1 ? 1 : v);
}
double epilogue(double v, int co)
{
  return clamp01(clamp01(v + epi_bias[co]) * scale) / scale;
}
} // namespace

int main(int argc, char **argv)
{
  Kokkos::ScopeGuard guard(argc, argv);
  using Space = Kokkos::DefaultExecutionSpace;
  using Model = ktconv::FusedConvTranspose2d<float, Space>;

  // The reference, from the definition of the transposed convolution.
  std::vector<double> ref(std::size_t(N) * CO * HO * WO);
  auto r = [&](int n, int co, int h, int w) -> double & { return ref[((std::size_t(n) * CO + co) * HO + h) * WO + w]; };
  for (int n = 0; n < N; ++n)
    for (int co = 0; co < CO; ++co)
      for (int h = 0; h < HO; ++h)
        for (int w = 0; w < WO; ++w)
          r(n, co, h, w) = conv_bias[co];
  for (int n = 0; n < N; ++n)
    for (int ci = 0; ci < CI; ++ci)
      for (int ih = 0; ih < H; ++ih)
        for (int iw = 0; iw < W; ++iw)
          for (int co = 0; co < CO; ++co)
            for (int kh = 0; kh < K; ++kh)
              for (int kw = 0; kw < K; ++kw)
              {
                int const oh = ih * S - P + kh, ow = iw * S - P + kw;
                if (oh >= 0 && oh < HO && ow >= 0 && ow < WO)
                  r(n, co, oh, ow) += x_at(n, ci, ih, iw) * w_at(ci, co, kh, kw);
              }
  // One value by hand: output (0, 0) is reached only by input (0, 0) through tap (1, 1), so
  // y(0, 1, 0, 0) = conv_bias[1] + x(0,0,0,0) w(0,1,1,1) + x(0,1,0,0) w(1,1,1,1)
  // with x(0,0,0,0) = 0.5, x(0,1,0,0) = 0.25, w(0,1,1,1) = 2/16, w(1,1,1,1) = 4/16:
  //              = -0.25 + 0.5 * 2/16 + 0.25 * 4/16 = -0.125.
  if (r(0, 1, 0, 0) != -0.125)
  {
    std::printf("consumer: the reference itself is wrong: %g\n", r(0, 1, 0, 0));
    return 2;
  }

  ktconv::ConvTranspose2dParams p;
  p.in_channels = CI;
  p.out_channels = CO;
  p.kernel_size = K;
  p.stride = S;
  p.padding = P;
  p.output_padding = OP;
  Model::EpilogueParams ep;
  ep.scale = float(scale);
  Model model(p, ep);

  auto hw = Kokkos::create_mirror_view(model.weight());
  for (int ci = 0; ci < CI; ++ci)
    for (int co = 0; co < CO; ++co)
      for (int kh = 0; kh < K; ++kh)
        for (int kw = 0; kw < K; ++kw)
          hw(ci, co, kh, kw) = float(w_at(ci, co, kh, kw));
  Kokkos::deep_copy(model.weight(), hw);
  auto hcb = Kokkos::create_mirror_view(model.conv_bias());
  auto hb = Kokkos::create_mirror_view(model.bias());
  for (int co = 0; co < CO; ++co)
  {
    hcb(co) = float(conv_bias[co]);
    hb(co) = float(epi_bias[co]);
  }
  Kokkos::deep_copy(model.conv_bias(), hcb);
  Kokkos::deep_copy(model.bias(), hb);

  Model::tensor_type x("x", N, CI, H, W);
  auto hx = Kokkos::create_mirror_view(x);
  for (int n = 0; n < N; ++n)
    for (int c = 0; c < CI; ++c)
      for (int h = 0; h < H; ++h)
        for (int w = 0; w < W; ++w)
          hx(n, c, h, w) = float(x_at(n, c, h, w));
  Kokkos::deep_copy(x, hx);

  // 1. The module object, fused epilogue. 2. The functional entry point on an execution-space
  // instance without epilogue (the plain ConvTranspose2d). Outputs are poisoned first.
  Model::tensor_type y_fused("y_fused", N, CO, HO, WO), y_plain("y_plain", N, CO, HO, WO);
  Kokkos::deep_copy(y_fused, std::nanf(""));
  Kokkos::deep_copy(y_plain, std::nanf(""));
  model.forward(x, y_fused);
  Space space;
  ktconv::conv_transpose2d(space, p, x, model.weight(), model.conv_bias(), y_plain);
  // 3. With Kokkos Kernels: the plain convolution again through Algorithm::gemm (its GEMM comes
  // from the Kokkos Kernels that ktconvConfig.cmake found).
  Model::tensor_type y_gemm("y_gemm", N, CO, HO, WO);
  Kokkos::deep_copy(y_gemm, std::nanf(""));
#if KTCONV_HAVE_KOKKOS_KERNELS
  ktconv::Options gemm;
  gemm.algorithm = ktconv::Algorithm::gemm;
  ktconv::conv_transpose2d(space, p, x, model.weight(), model.conv_bias(), y_gemm, ktconv::NoEpilogue{}, gemm);
#else
  Kokkos::deep_copy(space, y_gemm, y_plain);
#endif
  space.fence();

  auto hf = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, y_fused);
  auto hp = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, y_plain);
  auto hg = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, y_gemm);
  int bad = 0;
  for (int n = 0; n < N; ++n)
    for (int co = 0; co < CO; ++co)
      for (int h = 0; h < HO; ++h)
        for (int w = 0; w < WO; ++w)
        {
          double const want_plain = r(n, co, h, w), want_fused = epilogue(want_plain, co);
          // Inputs and weights are exact in float and the sums are short: 1e-6 is generous.
          bool const ok = std::abs(hp(n, co, h, w) - want_plain) <= 1e-6 &&
                          std::abs(hf(n, co, h, w) - want_fused) <= 1e-6 &&
                          std::abs(hg(n, co, h, w) - want_plain) <= 1e-6;
          if (!ok && ++bad <= 5)
            std::printf("mismatch at (%d,%d,%d,%d): plain %.9g, gemm %.9g (want %.9g), fused %.9g (want %.9g)\n", n, co,
                        h, w, double(hp(n, co, h, w)), double(hg(n, co, h, w)), want_plain, double(hf(n, co, h, w)),
                        want_fused);
        }
  std::printf("consumer: ktconv %s on %s (gemm %s), %d outputs checked: %s\n", ktconv::version(), Space::name(),
              KTCONV_HAVE_KOKKOS_KERNELS ? "run" : "not built", N * CO * HO * WO, bad == 0 ? "PASS" : "FAIL");
  return bad == 0 ? 0 : 1;
}
