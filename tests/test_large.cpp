// Large tensors: an output of more than 2^31 elements (2 x 1 x 16385 x 65536 floats, 8 GiB), so
// every offset past 2^31 must be computed in 64 bits. The input is small (a stride of 16384
// along the height spreads two input rows per image over 16385 output rows). Checked for the
// default algorithm (host_rows here), direct and gemm (where built): every element written
// (the NaN poison gone), the rows that receive inputs in full and 200000 random elements
// against a double reference. Needs about 8.1 GiB of memory; its own executable and ctest label
// (`large`), built with KTCONV_ENABLE_LARGE_TESTS=ON (CI's large-tensors leg).
#include "support/Harness.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

using namespace ktconv;
using namespace ktconv::test;

namespace
{

using Space = Kokkos::DefaultHostExecutionSpace;
using M = Space::memory_space;

ConvTranspose2dParams large_params()
{
  ConvTranspose2dParams p;
  p.in_channels = 1;
  p.out_channels = 1;
  p.kernel_size = {1, 2};
  p.stride = {16384, 2};
  return p;
}

// The reference at one output (textbook gather in 64 bits), with its error bound.
struct Expected
{
  double value, tolerance;
};
Expected reference_at(Problem const &pr, std::int64_t n, std::int64_t oh, std::int64_t ow)
{
  auto const &p = pr.params;
  double acc = 0, abs_sum = 0;
  if (oh % p.stride.h == 0 && oh / p.stride.h < pr.x.h)
    for (std::int64_t kw = 0; kw < p.kernel_size.w; ++kw)
    {
      std::int64_t const t = ow - kw;
      if (t >= 0 && t % p.stride.w == 0 && t / p.stride.w < pr.x.w)
      {
        double const v = pr.x(n, 0, oh / p.stride.h, t / p.stride.w) * pr.weight(0, 0, 0, kw);
        acc += v;
        abs_sum += std::abs(v);
      }
    }
  acc += pr.conv_bias[0];
  abs_sum += std::abs(pr.conv_bias[0]) + std::abs(pr.epilogue.bias[0]);
  return {apply_epilogue(pr.epilogue, acc, 0), 2 * 10 * (0x1p-24) * abs_sum + 1e-37};
}

void check(Problem const &pr, Kokkos::View<float ****, Kokkos::LayoutRight, M> const &y, char const *what)
{
  std::int64_t const size = std::int64_t(y.span());
  std::int64_t unwritten = 0;
  Kokkos::parallel_reduce(
      "count_unwritten", Kokkos::RangePolicy<Space, Kokkos::IndexType<std::int64_t>>(0, size),
      [=](std::int64_t i, std::int64_t &c) { c += std::isnan(y.data()[i]) ? 1 : 0; }, unwritten);
  EXPECT_EQ(unwritten, 0) << what << ": elements not written";
  std::int64_t const H = std::int64_t(y.extent(2)), W = std::int64_t(y.extent(3));
  std::int64_t bad = 0;
  auto at = [&](std::int64_t n, std::int64_t oh, std::int64_t ow) {
    Expected const e = reference_at(pr, n, oh, ow);
    double const v = y(n, 0, oh, ow);
    if (!(std::abs(v - e.value) <= e.tolerance) && bad++ < 5)
      ADD_FAILURE() << what << ": y(" << n << ", 0, " << oh << ", " << ow << ") = " << v << ", reference " << e.value;
  };
  for (std::int64_t n = 0; n < 2; ++n)
    for (std::int64_t ih = 0; ih < pr.x.h; ++ih)
      for (std::int64_t ow = 0; ow < W; ++ow)
        at(n, ih * pr.params.stride.h, ow);
  std::mt19937_64 rng(std::random_device{}());
  for (int s = 0; s < 200000; ++s)
    at(std::int64_t(rng() % 2), std::int64_t(rng() % std::uint64_t(H)), std::int64_t(rng() % std::uint64_t(W)));
  at(1, H - 1, W - 1);
  EXPECT_EQ(bad, 0) << what;
}

} // namespace

TEST(LargeTensors, OutputBeyond2To31Elements)
{
  std::mt19937_64 rng(std::random_device{}());
  ConvTranspose2dParams const p = large_params();
  Problem const pr = random_problem(rng, p, 2, 2, 32768, true);
  auto const e = output_extents(p, 2, 1, 2, 32768);
  ASSERT_GT(e[0] * e[1] * e[2] * e[3], std::int64_t(1) << 31);
  auto const g = Details::check_params(p, 2, 1, 2, 32768);
  ASSERT_EQ((Details::select_algorithm<Space, float>(g, Options{}, Space().concurrency()).algorithm),
            Algorithm::host_rows);

  auto x = to_device<float, M>(pr.x, "x");
  auto w = to_device<float, M>(pr.weight, "w");
  auto cb = to_device<float, M>(pr.conv_bias, "cb");
  BiasClampScaleEpilogue<float, M> epi;
  epi.bias = to_device<float, M>(pr.epilogue.bias, "bias");
  epi.scale = float(pr.epilogue.scale);
  Kokkos::View<float ****, Kokkos::LayoutRight, M> y(Kokkos::view_alloc(Kokkos::WithoutInitializing, "y"), e[0], e[1],
                                                     e[2], e[3]);
  std::vector<Algorithm> algorithms{Algorithm::automatic, Algorithm::direct};
#if KTCONV_HAVE_KOKKOS_KERNELS
  algorithms.push_back(Algorithm::gemm); // a chunk of both images: its passes' 64-bit index path
#endif
  for (Algorithm a : algorithms)
  {
    Kokkos::deep_copy(y, std::numeric_limits<float>::quiet_NaN());
    conv_transpose2d(Space{}, p, x, w, cb, y, epi, Options{a});
    Kokkos::fence();
    check(pr, y, to_string(a));
  }
}
