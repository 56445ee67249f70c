// The module-like object: owns weights and biases; forward(x) allocates y, forward(x, y)
// writes the caller's view; both match the reference.
#include "support/Harness.hpp"

#include <gtest/gtest.h>

#include <random>

using namespace ktconv;
using namespace ktconv::test;

TEST(FusedConvTranspose2d, ForwardMatchesReference)
{
  std::mt19937_64 rng(std::random_device{}());
  ConvTranspose2dParams p;
  p.in_channels = 6;
  p.out_channels = 10;
  p.kernel_size = 3;
  p.stride = 2;
  p.padding = 1;
  p.output_padding = 1;
  using Module = FusedConvTranspose2d<float>;
  Module::EpilogueParams ep;
  ep.scale = 2;
  Module m(p, ep);
  Problem pr = random_problem(rng, p, 3, 7, 6, true);
  auto upload = [](auto view, auto const &values) {
    auto h = Kokkos::create_mirror_view(view);
    for (std::size_t i = 0; i < h.span(); ++i)
      h.data()[i] = float(values[i]);
    Kokkos::deep_copy(view, h);
  };
  upload(m.weight(), pr.weight.data);
  upload(m.conv_bias(), pr.conv_bias);
  upload(m.bias(), pr.epilogue.bias);
  auto x = to_device<float, Module::memory_space>(pr.x, "x");
  auto ref = reference_conv_transpose2d(p, pr.x, pr.weight, pr.conv_bias, pr.epilogue);

  auto to_tensor = [](auto y) {
    auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, y);
    Tensor4 t(h.extent(0), h.extent(1), h.extent(2), h.extent(3));
    for (std::size_t i = 0; i < t.size(); ++i)
      t.data[i] = h.data()[i];
    return t;
  };
  auto y1 = m.forward(x);
  ASSERT_EQ(y1.extent(2), 14u);
  auto c1 = compare<float>(to_tensor(y1), ref);
  EXPECT_TRUE(c1.ok) << c1.first_bad;

  Module::tensor_type y2("y2", 3, 10, 14, 12);
  Kokkos::deep_copy(y2, std::numeric_limits<float>::quiet_NaN());
  m.forward(x, y2);
  auto c2 = compare<float>(to_tensor(y2), ref);
  EXPECT_TRUE(c2.ok) << c2.first_bad;

  // Without the epilogue bias.
  ep.bias = false;
  Module m2(p, ep);
  Kokkos::deep_copy(m2.weight(), m.weight());
  Kokkos::deep_copy(m2.conv_bias(), m.conv_bias());
  pr.epilogue.bias.clear();
  auto ref2 = reference_conv_transpose2d(p, pr.x, pr.weight, pr.conv_bias, pr.epilogue);
  auto c3 = compare<float>(to_tensor(m2.forward(x)), ref2);
  EXPECT_TRUE(c3.ok) << c3.first_bad;
}

TEST(FusedConvTranspose2d, RejectsBadParametersAtConstruction)
{
  ConvTranspose2dParams p;
  p.in_channels = 4;
  p.out_channels = 4;
  p.kernel_size = 3;
  p.stride = 1;
  p.output_padding = 1; // not smaller than stride 1 or dilation 1
  EXPECT_THROW((FusedConvTranspose2d<float>(p, {})), InvalidArgument);
}

TEST(Version, MatchesVersionFile)
{
  EXPECT_STREQ(ktconv::version(), KTCONV_EXPECTED_VERSION);
}
