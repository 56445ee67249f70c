// The epilogue's element-wise semantics, value by value: torch.clamp propagates NaN, keeps
// infinities clamped, and the steps run in the model's order with rounding in T.
#include "support/Harness.hpp"

#include <ktconv/KTConv_UserEpilogue.hpp> // instantiates the kernels for a user's epilogue
#include <ktconv/details/common/KTConv_DeviceEpilogue.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <random>
#include <vector>

using namespace ktconv;

namespace
{
template <class T>
T apply(T v, T lower, T upper, T scale, T bias)
{
  Kokkos::View<T *, Kokkos::HostSpace> b("b", 1);
  b(0) = bias;
  BiasClampScaleEpilogue<T, Kokkos::HostSpace> e;
  e.bias = b;
  e.lower = lower;
  e.upper = upper;
  e.scale = scale;
  return e(v, 0);
}
} // namespace

TEST(Epilogue, ClampPropagatesNaN)
{
  float const nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(std::isnan(clamp_propagate_nan(nan, 0.f, 1.f)));
  EXPECT_TRUE(std::isnan(apply<float>(nan, 0.f, 1.f, 2.f, 0.f)));
  EXPECT_TRUE(std::isnan(apply<double>(1.0, 0.0, 1.0, 2.0, std::numeric_limits<double>::quiet_NaN())));
  // the bug this guards against: fmin/fmax turn NaN into a bound
  EXPECT_FALSE(std::isnan(std::fmin(std::fmax(nan, 0.f), 1.f)));
}

TEST(Epilogue, InfinitiesAreClamped)
{
  float const inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(apply<float>(inf, 0.f, 1.f, 2.f, 0.f), 0.5f); // clamp 1, *2 = 2, clamp 1, /2
  EXPECT_EQ(apply<float>(-inf, 0.f, 1.f, 2.f, 0.f), 0.f);
  EXPECT_EQ(apply<float>(0.3f, 0.f, 1.f, 2.f, inf), 0.5f);
}

TEST(Epilogue, StepsInOrder)
{
  // 0.3 + 0.1 = 0.4, *2 = 0.8, /2 = 0.4
  EXPECT_FLOAT_EQ(apply<float>(0.3f, 0.f, 1.f, 2.f, 0.1f), 0.4f);
  // 0.7 -> *2 = 1.4 -> clamp 1 -> /2 = 0.5: the second clamp matters
  EXPECT_FLOAT_EQ(apply<float>(0.7f, 0.f, 1.f, 2.f, 0.f), 0.5f);
  // negative -> 0
  EXPECT_EQ(apply<float>(-0.2f, 0.f, 1.f, 2.f, 0.f), 0.f);
  // inverted bounds: torch.clamp gives the upper bound
  EXPECT_EQ(clamp_propagate_nan(0.5f, 1.f, 0.f), 0.f);
  // no bias view: the step is skipped
  BiasClampScaleEpilogue<float, Kokkos::HostSpace> e;
  e.scale = 2;
  EXPECT_FLOAT_EQ(e(0.25f, 3), 0.25f);
}

TEST(Epilogue, NoEpilogueIsIdentity)
{
  NoEpilogue e;
  EXPECT_EQ(e(1.5f, 0), 1.5f);
  EXPECT_TRUE(std::isnan(e(std::numeric_limits<double>::quiet_NaN(), 0)));
}

// The form the GPU kernel runs (details/common/KTConv_DeviceEpilogue.hpp: `* 2^-k` for a power-of-two
// scale, the two clamps merged into one where the intervals overlap, the scaling dropped for
// scales 2^k >= 1 with finite, exactly scaled bounds, values transformed in batches) gives the
// value the model's steps give, for every value class and every kind of (lower, upper, scale):
// merged and not, unscaled and not, power of two or not, scale below 1, negative, zero, bounds
// near overflow and underflow. (On the host the device clamp is the comparison form; the GPU's
// max.NaN/min.NaN form is covered by the CUDA runs of the whole suite.)
TEST(Epilogue, DeviceFormMatchesModel)
{
  float const inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  float const params[][3] = {{0.f, 1.f, 2.f},    {0.f, 1.f, 3.f},    {0.f, 1.f, 0.5f},   {-1.f, 2.f, 1.5f},
                             {0.f, 1.f, 0.f},    {0.f, 1.f, -2.f},   {0.5f, 1.f, 4.f},   {0.25f, 0.5f, 2.f},
                             {0.f, 1.f, 1e-30f}, {-inf, inf, 2.f},   {1.f, 2.f, 0.25f},  {0.f, 1.f, inf},
                             {-1.f, 3e38f, 2.f}, {-3e38f, 0.f, 4.f}, {0.f, 1.f, 1024.f}, {1e-45f, 1.f, 2.f},
                             {0.f, 1.f, 1.f}};
  std::vector<float> values = {nan,    inf,    -inf,    0.f,    -0.f,   1.f,     -1.f,  0.5f,  2.f,        3e38f,
                               -3e38f, 1e-40f, -1e-40f, 1e-45f, 3e-39f, 1.5e38f, 2e38f, 0.25f, 0.5000001f, 0.4999999f};
  for (int i = -300; i <= 300; ++i)
    values.push_back(float(i) / 97.f);
  while (values.size() % 4 != 0) // whole batches of 4 below
    values.push_back(0.75f);
  for (float b : {0.25f, -0.125f})
    for (auto const &pr : params)
    {
      Kokkos::View<float *, Kokkos::HostSpace> bias("b", 1);
      bias(0) = b;
      BiasClampScaleEpilogue<float, Kokkos::HostSpace> e;
      e.bias = bias;
      e.lower = pr[0];
      e.upper = pr[1];
      e.scale = pr[2];
      auto const device_form = Details::device_epilogue(e);
      auto const op = Details::channel_op(device_form, 0);
      // the forms the parameters select: the seed's (0, 1, 2) loses its scaling, infinite or
      // inexactly scaled bounds and scales that are not powers of two >= 1 keep it
      bool const seed = pr[0] == 0.f && pr[1] == 1.f && pr[2] == 2.f;
      if (seed || pr[2] == 1024.f || (pr[0] == -1.f && pr[1] == 3e38f))
      {
        EXPECT_TRUE(device_form.unscaled_clamp) << pr[0] << " " << pr[1] << " " << pr[2];
      }
      if (pr[0] == -inf || pr[2] == 3.f || pr[2] == 0.5f || pr[2] == 1e-30f || pr[2] == inf)
      {
        EXPECT_FALSE(device_form.unscaled_clamp) << pr[0] << " " << pr[1] << " " << pr[2];
      }
      for (std::size_t k = 0; k + 4 <= values.size(); k += 4)
      {
        float batch[4] = {values[k], values[k + 1], values[k + 2], values[k + 3]};
        Details::apply_channel_op(op, batch);
        for (int j = 0; j < 4; ++j)
        {
          float const want = e(values[k + j], 0);
          EXPECT_TRUE(std::isnan(want) ? std::isnan(batch[j]) : batch[j] == want)
              << "x " << values[k + j] << " bias " << b << " lower " << pr[0] << " upper " << pr[1] << " scale "
              << pr[2] << ": " << batch[j] << " vs " << want << (device_form.merged_clamp ? " (merged)" : "")
              << (device_form.unscaled_clamp ? " (unscaled)" : "");
        }
      }
    }
}

namespace
{
// A user's epilogue as <ktconv/KTConv_UserEpilogue.hpp> describes them: a functor
// T(T value, int channel), here with state of its own (a per-channel table in the execution
// space's memory) and no default constructor, which no kernel may need.
template <class T, class MemorySpace>
struct ChannelAffine
{
  Kokkos::View<T const *, MemorySpace> offset;
  T factor;
  ChannelAffine(Kokkos::View<T const *, MemorySpace> o, T f) : offset(o), factor(f) {}
  KOKKOS_FUNCTION T operator()(T value, int channel) const { return value * factor + offset(channel); }
};
static_assert(EpilogueFor<ChannelAffine<float, Kokkos::HostSpace>, float>);
static_assert(EpilogueFor<NoEpilogue, double> && EpilogueFor<BiasClampScaleEpilogue<float>, float>);
} // namespace

// A functor without the channel argument is not an epilogue (outside the anonymous namespace:
// nvcc warns about its unreferenced member there).
struct NotAnEpilogue
{
  float operator()(float value) const { return value; }
};
static_assert(!EpilogueFor<NotAnEpilogue, float>);

// A user's epilogue compiles through conv_transpose2d and runs on every kernel that can compute
// the problem (every math mode of the GPU kernel, both its staging paths), on every space:
// applied after conv_bias, to every output (poisoned before each run), with its own channel.
TEST(Epilogue, UserFunctorOnEveryKernel)
{
  using test::compare;
  // fresh inputs each run (KTCONV_TEST_SEED repeats one); the seed is in every failure message
  char const *const fixed = std::getenv("KTCONV_TEST_SEED");
  std::uint64_t const seed = fixed ? std::strtoull(fixed, nullptr, 10) + 7 : std::random_device{}();
  std::mt19937_64 rng(seed);
  ConvTranspose2dParams p;
  p.in_channels = 12;
  p.out_channels = 40; // two channel blocks of the GPU kernel, the second partial
  p.kernel_size = 3;
  p.stride = 2;
  p.padding = 1;
  p.output_padding = 1;
  p.bias = true;
  for (std::int64_t w : {36, 19}) // the GPU kernel's TMA and cp.async staging
  {
    test::Problem const pr = test::random_problem(rng, p, 2, 9, w, false);
    std::vector<double> const offset = test::random_vector(rng, p.out_channels);
    double const factor = 0.75;
    // reference: the convolution, then the functor in double; its bound grows with it
    auto ref = test::reference_conv_transpose2d(pr.params, pr.x, pr.weight, pr.conv_bias, pr.epilogue);
    for (std::size_t i = 0; i < ref.y.size(); ++i)
    {
      std::size_t const c = i / std::size_t(ref.y.h * ref.y.w) % std::size_t(ref.y.c);
      ref.y.data[i] = ref.y.data[i] * factor + offset[c];
      ref.abs_sum.data[i] = ref.abs_sum.data[i] * factor + std::abs(offset[c]);
    }
    test::for_each_space([&](auto space) {
      using Space = decltype(space);
      using M = typename Space::memory_space;
      auto const x = test::to_device<float, M>(pr.x, "x");
      auto const wt = test::to_device<float, M>(pr.weight, "w");
      auto const cb = test::to_device<float, M>(pr.conv_bias, "conv_bias");
      ChannelAffine<float, M> const epilogue(test::to_device<float, M>(offset, "offset"), float(factor));
      auto const e = output_extents(p, pr.x.n, pr.x.c, pr.x.h, pr.x.w);
      Kokkos::View<float ****, Kokkos::LayoutRight, M> y("y", e[0], e[1], e[2], e[3]);
      for (Algorithm a : test::algorithms_for<Space>(p, 9, w))
        for (MathMode m : {MathMode::ieee, MathMode::tf32, MathMode::tf32x3})
        {
          Options o;
          o.algorithm = a;
          o.math = m;
          Kokkos::deep_copy(y, std::numeric_limits<float>::quiet_NaN());
          conv_transpose2d(space, p, x, wt, cb, y, epilogue, o);
          space.fence();
          auto const hy = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, y);
          test::Tensor4 got(e[0], e[1], e[2], e[3]);
          for (std::size_t i = 0; i < got.size(); ++i)
            got.data[i] = double(hy.data()[i]);
          double const unit = m == MathMode::tf32 ? 0x1p-10 : m == MathMode::tf32x3 ? 0x1p-20 : 0;
          auto const cmp = compare<float>(got, ref, 2, unit);
          EXPECT_TRUE(cmp.ok) << Space::name() << " " << to_string(a) << " " << to_string(m) << " w " << w << " seed "
                              << seed << ": " << cmp.bad << " bad, first " << cmp.first_bad;
        }
    });
  }
}
