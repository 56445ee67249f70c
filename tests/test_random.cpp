// Randomized comparisons against the double-precision reference: many configurations, fresh
// seeds on every run (printed, and settable with KTCONV_TEST_SEED to reproduce a failure),
// every algorithm that can run on each execution space, float and double.
#include "support/Harness.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

using namespace ktconv;
using namespace ktconv::test;

namespace
{

std::uint64_t test_seed()
{
  if (char const *s = std::getenv("KTCONV_TEST_SEED"))
    return std::strtoull(s, nullptr, 10);
  static std::uint64_t const seed = std::random_device{}() * 0x9E3779B97F4A7C15ull ^ std::random_device{}();
  return seed;
}

ConvTranspose2dParams random_params(std::mt19937_64 &rng)
{
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  ConvTranspose2dParams p;
  p.groups = pick(1, 3);
  p.in_channels = p.groups * pick(1, 5);
  p.out_channels = p.groups * pick(1, 11); // crosses the host tile of 8 channels
  p.kernel_size = {pick(1, 5), pick(1, 5)};
  p.stride = {pick(1, 4), pick(1, 4)};
  p.dilation = {pick(1, 3), pick(1, 3)};
  p.padding = {pick(0, 3), pick(0, 3)};
  auto op = [&](int s, int d) { return pick(0, std::max(s, d) - 1); };
  p.output_padding = {op(p.stride.h, p.dilation.h), op(p.stride.w, p.dilation.w)};
  p.bias = pick(0, 1) == 1;
  return p;
}

template <class T>
void random_cases(int cases, double factor)
{
  std::uint64_t const seed = test_seed();
  std::mt19937_64 rng(seed);
  int run = 0;
  for (int c = 0; c < cases; ++c)
  {
    auto p = random_params(rng);
    std::int64_t const n = std::uniform_int_distribution<int>(1, 3)(rng);
    std::int64_t h = std::uniform_int_distribution<int>(1, 13)(rng);
    std::int64_t w = std::uniform_int_distribution<int>(1, 40)(rng); // spans several host tiles
    // Keep only valid shapes (the output must be non-empty); the invalid ones are tested elsewhere.
    auto const ho = conv_transpose_output_extent(h, p.kernel_size.h, p.stride.h, p.padding.h, p.output_padding.h,
                                                 p.dilation.h);
    auto const wo = conv_transpose_output_extent(w, p.kernel_size.w, p.stride.w, p.padding.w, p.output_padding.w,
                                                 p.dilation.w);
    if (ho <= 0 || wo <= 0)
    {
      --c;
      continue;
    }
    bool const epilogue = (c % 2) == 0;
    Problem pr = random_problem(rng, p, n, h, w, epilogue);
    auto ref = reference_conv_transpose2d(pr.params, pr.x, pr.weight, pr.conv_bias, pr.epilogue);
    for_each_space([&](auto space) {
      using Space = decltype(space);
      for (Algorithm a : algorithms_for<Space, T>(p, h, w))
      {
        Options o;
        o.algorithm = a;
        auto got = run_ktconv<T>(space, pr, o);
        auto cmp = compare<T>(got, ref, factor);
        ++run;
        ASSERT_TRUE(cmp.ok) << "seed " << seed << " case " << c << " " << describe(p, pr.x) << " epilogue " << epilogue
                            << " space " << Space::name() << " algorithm " << to_string(a) << ": " << cmp.bad
                            << " bad elements, first " << cmp.first_bad;
      }
    });
  }
  EXPECT_GT(run, cases);
  std::printf("[ seed %llu ] %d runs\n", static_cast<unsigned long long>(seed), run);
}

} // namespace

TEST(RandomConfigurations, Float)
{
  random_cases<float>(60, 2);
}

TEST(RandomConfigurations, Double)
{
  random_cases<double>(40, 2);
}

namespace
{
// The seed workload's convolution (k3 s2 p1 op1) with the given channel counts.
ConvTranspose2dParams seed_like_params(int in_channels, int out_channels)
{
  ConvTranspose2dParams p;
  p.in_channels = in_channels;
  p.out_channels = out_channels;
  p.kernel_size = 3;
  p.stride = 2;
  p.padding = 1;
  p.output_padding = 1;
  return p;
}
} // namespace

// The seed workload's shape, at a small batch and image, through every algorithm and math
// mode: once with a width that is a multiple of 4 and all channel blocks full (the GPU kernel's
// 16-byte staging paths), once with an odd width (its 4-byte paths).
TEST(RandomConfigurations, SeedShapeSmall)
{
  std::mt19937_64 rng(test_seed() + 1);
  ConvTranspose2dParams const p = seed_like_params(64, 64);
  for (std::int64_t w : {36, 19})
  {
    Problem pr = random_problem(rng, p, 2, 9, w, true);
    auto ref = reference_conv_transpose2d(pr.params, pr.x, pr.weight, pr.conv_bias, pr.epilogue);
    for_each_space([&](auto space) {
      using Space = decltype(space);
      for (Algorithm a : algorithms_for<Space>(p, 9, w))
        for (MathMode m : {MathMode::ieee, MathMode::tf32, MathMode::tf32x3})
        {
          Options o;
          o.algorithm = a;
          o.math = m;
          double const unit = m == MathMode::tf32 ? 0x1p-10 : m == MathMode::tf32x3 ? 0x1p-20 : 0;
          auto cmp = compare<float>(run_ktconv<float>(space, pr, o), ref, 2, unit);
          EXPECT_TRUE(cmp.ok) << Space::name() << " " << to_string(a) << " " << to_string(m) << " w " << w << ": "
                              << cmp.bad << " bad, first " << cmp.first_bad;
          EXPECT_LT(cmp.rel_l2, m == MathMode::tf32 ? 1e-3 : 1e-5);
        }
    });
  }
}

// More tiles than any GPU runs teams at once (768 tiles of 8 x 64 outputs x 32 channels; an
// H100 runs 264 teams), so the GPU kernel's persistent teams each compute several tiles in
// one pipeline: tiles with a partial channel block (40 = 32 + 8 channels) follow full ones,
// edge tiles follow interior ones, and a partial input-channel chunk (20 = 8 + 8 + 4) ends
// every tile. Width 100 (16-byte staging, vector stores) with the epilogue, 99 (4-byte paths)
// without it (raw convolution values, nothing clamped).
TEST(RandomConfigurations, ManyTilesPerTeam)
{
  std::mt19937_64 rng(test_seed() + 4);
  ConvTranspose2dParams const p = seed_like_params(20, 40);
  for (std::int64_t w : {100, 99})
  {
    Problem pr = random_problem(rng, p, 6, 64, w, w == 100);
    auto ref = reference_conv_transpose2d(pr.params, pr.x, pr.weight, pr.conv_bias, pr.epilogue);
    for_each_space([&](auto space) {
      using Space = decltype(space);
      for (MathMode m : {MathMode::ieee, MathMode::tf32, MathMode::tf32x3})
      {
        Options o;
        o.math = m;
        double const unit = m == MathMode::tf32 ? 0x1p-10 : m == MathMode::tf32x3 ? 0x1p-20 : 0;
        auto cmp = compare<float>(run_ktconv<float>(space, pr, o), ref, 2, unit);
        EXPECT_TRUE(cmp.ok) << Space::name() << " " << to_string(m) << " w " << w << ": " << cmp.bad << " bad, first "
                            << cmp.first_bad;
      }
    });
  }
}

// Geometry that makes whole phases empty (stride > dilated kernel) or outputs with no tap.
TEST(RandomConfigurations, PhasesWithoutTaps)
{
  std::mt19937_64 rng(test_seed() + 2);
  ConvTranspose2dParams p;
  p.in_channels = 3;
  p.out_channels = 5;
  p.kernel_size = {1, 2};
  p.stride = {4, 3};
  p.output_padding = {3, 2};
  Problem pr = random_problem(rng, p, 2, 5, 6, true);
  auto ref = reference_conv_transpose2d(pr.params, pr.x, pr.weight, pr.conv_bias, pr.epilogue);
  for_each_space([&](auto space) {
    for (Algorithm a : algorithms_for<decltype(space)>(p, 5, 6))
    {
      Options o;
      o.algorithm = a;
      auto cmp = compare<float>(run_ktconv<float>(space, pr, o), ref);
      EXPECT_TRUE(cmp.ok) << to_string(a) << ": " << cmp.first_bad;
    }
  });
}

// Every shape the GPU tiled kernel is compiled for (Details::gpu_tiled_shapes, one ctest entry
// per table entry), with channel counts that leave partial channel blocks and input-channel
// chunks, groups, images that leave partial tiles, and every padding of the entry's phase and
// output_padding the stride allows; the last configuration of each takes any padding. On a
// host build these run the host kernels; on CUDA they run gpu_tiled too.
class TiledKernelShapes : public ::testing::TestWithParam<std::size_t>
{
};

TEST_P(TiledKernelShapes, MatchReference)
{
  Details::GpuTiledShape const shape = Details::gpu_tiled_shapes[GetParam()];
  std::uint64_t const seed = test_seed() + 3 + GetParam();
  std::mt19937_64 rng(seed);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  // a padding below the kernel's reach with the entry's phase
  int const reach = (shape.kernel - 1) * shape.dilation;
  auto pick_padding = [&] {
    return shape.pad_phase + shape.stride * pick(0, (reach - shape.pad_phase) / shape.stride);
  };
  int constexpr configurations = 4;
  int runs = 0;
  for (int c = 0; c < configurations; ++c)
  {
    ConvTranspose2dParams p;
    p.kernel_size = shape.kernel;
    p.stride = shape.stride;
    p.dilation = shape.dilation;
    p.groups = c % 3 == 2 ? 2 : 1;
    p.in_channels = p.groups * pick(1, 40);
    p.out_channels = p.groups * pick(1, 70);
    if (c + 1 < configurations)
      p.padding = {pick_padding(), pick_padding()};
    else
      p.padding = {pick(0, reach), pick(0, reach)};
    p.output_padding = {pick(0, p.stride.h - 1), pick(0, p.stride.w - 1)};
    p.bias = pick(0, 1) == 1;
    std::int64_t const h = pick(1, 21), w = pick(1, 70);
    auto const ho = conv_transpose_output_extent(h, p.kernel_size.h, p.stride.h, p.padding.h, p.output_padding.h,
                                                 p.dilation.h);
    auto const wo = conv_transpose_output_extent(w, p.kernel_size.w, p.stride.w, p.padding.w, p.output_padding.w,
                                                 p.dilation.w);
    if (ho <= 0 || wo <= 0)
    {
      --c;
      continue;
    }
    Problem pr = random_problem(rng, p, pick(1, 2), h, w, c % 2 == 0);
    auto ref = reference_conv_transpose2d(pr.params, pr.x, pr.weight, pr.conv_bias, pr.epilogue);
    for_each_space([&](auto space) {
      using Space = decltype(space);
      for (Algorithm a : algorithms_for<Space>(p, h, w))
        for (MathMode m : {MathMode::ieee, MathMode::tf32, MathMode::tf32x3})
        {
          // TF32 truncates inputs to 10 mantissa bits (relative error below 2^-10); 3xTF32 keeps
          // about 21 bits of each input, bounded here with 2^-20. Kernels without tensor cores
          // ignore the mode (and meet the fp32 bound).
          double const unit = m == MathMode::tf32 ? 0x1p-10 : m == MathMode::tf32x3 ? 0x1p-20 : 0;
          Options o;
          o.algorithm = a;
          o.math = m;
          auto cmp = compare<float>(run_ktconv<float>(space, pr, o), ref, 2, unit);
          ++runs;
          ASSERT_TRUE(cmp.ok) << "seed " << seed << " " << describe(p, pr.x) << " " << Space::name() << " "
                              << to_string(a) << " " << to_string(m) << ": " << cmp.bad << " bad, first "
                              << cmp.first_bad;
        }
    });
  }
  EXPECT_GE(runs, configurations * 2 * 3);
}

INSTANTIATE_TEST_SUITE_P(ShapeTable, TiledKernelShapes,
                         ::testing::Range<std::size_t>(0, Details::gpu_tiled_shape_count),
                         [](::testing::TestParamInfo<std::size_t> const &entry) {
                           Details::GpuTiledShape const e = Details::gpu_tiled_shapes[entry.param];
                           return "k" + std::to_string(e.kernel) + "_s" + std::to_string(e.stride) + "_phase" +
                                  std::to_string(e.pad_phase) +
                                  (e.dilation == 1 ? std::string() : std::string("_d").append(std::to_string(e.dilation)));
                         });
