// The conversion of users' views to the kernels' canonical views: a strided conv_bias is
// rejected with ktconv::InvalidArgument naming it and its stride, before the output is touched.
#include "support/Harness.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace ktconv;

TEST(Views, StridedConvBiasIsRejected)
{
  using Space = Kokkos::DefaultExecutionSpace;
  using M = Space::memory_space;
  using V4 = Kokkos::View<float ****, Kokkos::LayoutRight, M>;
  ConvTranspose2dParams p;
  p.in_channels = 2;
  p.out_channels = 3;
  p.kernel_size = 3;
  p.stride = 2;
  p.bias = true;
  V4 x("x", 1, 2, 4, 4), w("w", 2, 3, 3, 3), y("y", 1, 3, 9, 9);
  Kokkos::View<float *, M> storage("storage", 6);
  // every other element of storage: 3 values, stride 2
  Kokkos::View<float *, Kokkos::LayoutStride, M> cb(storage.data(), Kokkos::LayoutStride(3, 2));
  Kokkos::deep_copy(y, 7.f);
  try
  {
    conv_transpose2d(Space{}, p, x, w, cb, y);
    Kokkos::fence();
    FAIL() << "a strided conv_bias was accepted";
  }
  catch (InvalidArgument const &e)
  {
    std::string const what = e.what();
    EXPECT_NE(what.find("conv_bias must be contiguous"), std::string::npos) << what;
    EXPECT_NE(what.find("stride 2"), std::string::npos) << what;
  }
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, y);
  for (std::size_t i = 0; i < h.span(); ++i)
    ASSERT_EQ(h.data()[i], 7.f) << "the output was written before the error";
}
