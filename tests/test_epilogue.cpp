// The epilogue's element-wise semantics, value by value: torch.clamp propagates NaN, keeps
// infinities clamped, and the steps run in the model's order with rounding in T.
#include "support/Harness.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

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
