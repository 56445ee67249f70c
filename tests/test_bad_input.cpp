// Every rejection path: the error names the parameter and the values, and y is not touched.
#include "support/Harness.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>

using namespace ktconv;
using Space = Kokkos::DefaultExecutionSpace;
using M = Space::memory_space;
using V4 = Kokkos::View<float ****, Kokkos::LayoutRight, M>;
using V1 = Kokkos::View<float *, M>;

namespace
{

struct BadInputSetup
{
  ConvTranspose2dParams p;
  V4 x, w, y;
  V1 cb, bias;
  BiasClampScaleEpilogue<float, M> epi;
  BadInputSetup()
  {
    p.in_channels = 4;
    p.out_channels = 6;
    p.kernel_size = 3;
    p.stride = 2;
    p.padding = 1;
    p.output_padding = 1;
    x = V4("x", 2, 4, 5, 5);
    w = V4("w", 4, 6, 3, 3);
    y = V4("y", 2, 6, 10, 10);
    cb = V1("cb", 6);
    bias = V1("bias", 6);
    Kokkos::deep_copy(x, 0.5f);
    Kokkos::deep_copy(w, 0.25f);
    epi.bias = bias;
    epi.scale = 2;
  }
};

constexpr float sentinel = 12345.f;

// Expects InvalidArgument whose message contains every one of `needles`, and y untouched.
void expect_rejected(V4 y, std::function<void()> const &call, std::vector<std::string> const &needles)
{
  Kokkos::deep_copy(y, sentinel);
  try
  {
    call();
    Kokkos::fence();
    ADD_FAILURE() << "no exception; expected one mentioning " << needles.front();
  }
  catch (InvalidArgument const &e)
  {
    std::string const what = e.what();
    for (auto const &n : needles)
      EXPECT_NE(what.find(n), std::string::npos) << "message '" << what << "' lacks '" << n << "'";
  }
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, y);
  std::size_t touched = 0;
  for (std::size_t i = 0; i < h.span(); ++i)
    touched += h.data()[i] != sentinel;
  EXPECT_EQ(touched, 0u) << "the output was written before the error";
}

void run(BadInputSetup const &s, ConvTranspose2dParams const &p, Options const &o = {})
{
  conv_transpose2d(Space{}, p, s.x, s.w, s.cb, s.y, s.epi, o);
}

} // namespace

TEST(BadInput, ValidSetupRuns)
{
  BadInputSetup s;
  Kokkos::deep_copy(s.y, sentinel);
  run(s, s.p);
  Kokkos::fence();
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, s.y);
  for (std::size_t i = 0; i < h.span(); ++i)
    ASSERT_NE(h.data()[i], sentinel);
}

TEST(BadInput, NonPositiveSizes)
{
  BadInputSetup s;
  auto p = s.p;
  p.in_channels = 0;
  expect_rejected(s.y, [&] { run(s, p); }, {"in_channels", "0"});
  p = s.p;
  p.out_channels = -6;
  expect_rejected(s.y, [&] { run(s, p); }, {"out_channels", "-6"});
  p = s.p;
  p.kernel_size = {3, 0};
  expect_rejected(s.y, [&] { run(s, p); }, {"kernel_size", "(3, 0)"});
  p = s.p;
  p.stride = {0, 2};
  expect_rejected(s.y, [&] { run(s, p); }, {"stride", "(0, 2)"});
  p = s.p;
  p.dilation = {1, -1};
  expect_rejected(s.y, [&] { run(s, p); }, {"dilation", "(1, -1)"});
  p = s.p;
  p.padding = {-1, 0};
  expect_rejected(s.y, [&] { run(s, p); }, {"padding", "(-1, 0)"});
  p = s.p;
  p.groups = 0;
  expect_rejected(s.y, [&] { run(s, p); }, {"groups", "0"});
}

TEST(BadInput, GroupsMustDivideChannels)
{
  BadInputSetup s;
  auto p = s.p;
  p.groups = 3; // divides 6 but not 4
  expect_rejected(s.y, [&] { run(s, p); }, {"groups (3)", "in_channels (4)"});
  p.groups = 4; // divides 4 but not 6
  expect_rejected(s.y, [&] { run(s, p); }, {"groups (4)", "out_channels (6)"});
}

TEST(BadInput, OutputPaddingTooLarge)
{
  BadInputSetup s;
  auto p = s.p;
  p.output_padding = {2, 1}; // stride 2, dilation 1
  expect_rejected(s.y, [&] { run(s, p); }, {"output_padding (2, 1)", "stride (2, 2)", "dilation (1, 1)"});
}

TEST(BadInput, ExtentsMismatch)
{
  BadInputSetup s;
  auto p = s.p;
  p.in_channels = 8;
  expect_rejected(s.y, [&] { run(s, p); }, {"x has 4 channels", "in_channels is 8"});
  V4 wbad("w", 4, 6, 3, 2);
  expect_rejected(s.y, [&] { conv_transpose2d(Space{}, s.p, s.x, wbad, s.cb, s.y, s.epi); },
                  {"weight has extents (4, 6, 3, 2)", "(4, 6, 3, 3)"});
  V1 cbbad("cb", 5);
  expect_rejected(s.y, [&] { conv_transpose2d(Space{}, s.p, s.x, s.w, cbbad, s.y, s.epi); },
                  {"conv_bias has 5 elements", "out_channels is 6"});
  p = s.p;
  p.bias = false;
  expect_rejected(s.y, [&] { run(s, p); }, {"conv_bias has 6 elements", "params.bias is false"});
  V1 biasbad("bias", 7);
  auto e = s.epi;
  e.bias = biasbad;
  expect_rejected(s.y, [&] { conv_transpose2d(Space{}, s.p, s.x, s.w, s.cb, s.y, e); },
                  {"epilogue bias has 7 elements"});
}

TEST(BadInput, OutputViewOfWrongShape)
{
  BadInputSetup s;
  V4 ybad("y", 2, 6, 10, 9);
  expect_rejected(ybad, [&] { conv_transpose2d(Space{}, s.p, s.x, s.w, s.cb, ybad, s.epi); },
                  {"y has extents (2, 6, 10, 9)", "(2, 6, 10, 10)"});
  V4 ybad2("y", 3, 6, 10, 10);
  expect_rejected(ybad2, [&] { conv_transpose2d(Space{}, s.p, s.x, s.w, s.cb, ybad2, s.epi); },
                  {"y has extents (3, 6, 10, 10)"});
}

TEST(BadInput, OutputSizeNotPositive)
{
  BadInputSetup s;
  auto p = s.p;
  p.padding = 6; // (5-1)*2 - 12 + 2 + 1 + 1 = -4
  expect_rejected(s.y, [&] { run(s, p); }, {"output size", "padding (6, 6)"});
}

TEST(BadInput, EpilogueScaleAndBounds)
{
  BadInputSetup s;
  for (float scale : {0.f, std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN()})
  {
    auto e = s.epi;
    e.scale = scale;
    expect_rejected(s.y, [&] { conv_transpose2d(Space{}, s.p, s.x, s.w, s.cb, s.y, e); }, {"scale"});
  }
  auto e = s.epi;
  e.lower = std::numeric_limits<float>::quiet_NaN();
  expect_rejected(s.y, [&] { conv_transpose2d(Space{}, s.p, s.x, s.w, s.cb, s.y, e); }, {"clamp bounds"});
}

TEST(BadInput, OutputAliasesInput)
{
  BadInputSetup s;
  // A y that is a view of x's memory (reshaped): same bytes, valid extents.
  ConvTranspose2dParams p;
  p.in_channels = 4;
  p.out_channels = 4;
  p.kernel_size = 1; // 1x1, stride 1: y has x's extents
  V4 w1("w1", 4, 4, 1, 1);
  V1 cb1("cb1", 4);
  V4 y_alias(s.x.data(), 2, 4, 5, 5);
  Kokkos::deep_copy(s.x, 0.5f);
  try
  {
    conv_transpose2d(Space{}, p, s.x, w1, cb1, y_alias, NoEpilogue{});
    ADD_FAILURE() << "no exception for aliasing";
  }
  catch (InvalidArgument const &e)
  {
    EXPECT_NE(std::string(e.what()).find("y aliases x"), std::string::npos) << e.what();
  }
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, s.x);
  for (std::size_t i = 0; i < h.span(); ++i)
    ASSERT_EQ(h.data()[i], 0.5f);
  // Partial overlap: y starts inside the weight.
  V4 big("big", 1, 1, 1, 4 * 4 + 200);
  V4 w_in_big(big.data(), 4, 4, 1, 1);
  V4 y_in_big(big.data() + 8, 1, 4, 5, 5);
  V4 x1("x1", 1, 4, 5, 5);
  EXPECT_THROW(conv_transpose2d(Space{}, p, x1, w_in_big, cb1, y_in_big, NoEpilogue{}), InvalidArgument);
}

TEST(BadInput, ForcedAlgorithmThatCannotRun)
{
  BadInputSetup s;
  Options o;
#if defined(KOKKOS_ENABLE_CUDA)
  o.algorithm = Algorithm::host_rows;
  expect_rejected(s.y, [&] { run(s, s.p, o); }, {"host_rows"});
#else
  o.algorithm = Algorithm::gpu_tiled;
  expect_rejected(s.y, [&] { run(s, s.p, o); }, {"gpu_tiled"});
#endif
}

// Algorithm::gemm: the same checks before any write, and its workspace cap (or, in a build
// without Kokkos Kernels, the algorithm itself) rejected.
TEST(BadInput, GemmChecksBeforeWriting)
{
  BadInputSetup s;
  Options o;
  o.algorithm = Algorithm::gemm;
#if KTCONV_HAVE_KOKKOS_KERNELS
  auto p = s.p;
  p.in_channels = 0;
  expect_rejected(s.y, [&] { run(s, p, o); }, {"in_channels", "0"});
  p = s.p;
  p.groups = 4;
  expect_rejected(s.y, [&] { run(s, p, o); }, {"groups (4) must divide out_channels (6)"});
  o.workspace_bytes = 100;
  expect_rejected(s.y, [&] { run(s, s.p, o); }, {"options.workspace_bytes = 100", "too small", "900 bytes"});
#else
  expect_rejected(s.y, [&] { run(s, s.p, o); }, {"options.algorithm = gemm", "Kokkos Kernels"});
#endif
}

TEST(BadInput, EmptyBatchIsValid)
{
  BadInputSetup s;
  V4 x0("x0", 0, 4, 5, 5), y0("y0", 0, 6, 10, 10);
  EXPECT_NO_THROW(conv_transpose2d(Space{}, s.p, x0, s.w, s.cb, y0, s.epi));
  auto e = output_extents(s.p, 0, 4, 5, 5);
  EXPECT_EQ(e[0], 0);
  EXPECT_EQ(e[2], 10);
}

// Views in a memory space the execution space cannot access are rejected at compile time
// (static_assert in details/common/KTConv_Views.hpp). The trait it uses:
#if defined(KOKKOS_ENABLE_CUDA)
static_assert(!Kokkos::SpaceAccessibility<Kokkos::Cuda, Kokkos::HostSpace>::accessible);
static_assert(!Kokkos::SpaceAccessibility<Kokkos::DefaultHostExecutionSpace, Kokkos::CudaSpace>::accessible);
#endif
