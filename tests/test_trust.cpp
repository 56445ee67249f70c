// Regressions from issue 17 (a fuzzer's findings) and the allocation-failure contract: no buffer
// grows with parameter values, the module validates only input-independent parameters at
// construction, and an allocation that cannot be had is an AllocationError with y untouched.
#include "support/Harness.hpp"

#include <ktconv/details/common/KTConv_Workspace.hpp>
#include <ktconv/details/host/KTConv_HostRowLayout.hpp>

#include <gtest/gtest.h>

#include <cstring>
#include <numeric>
#include <random>
#include <string>

using namespace ktconv;
using namespace ktconv::test;

namespace
{

// The issue's crash: a valid problem whose 7 x 1 output made host_rows ask for 792 GiB.
ConvTranspose2dParams issue_case_params()
{
  ConvTranspose2dParams p;
  p.in_channels = 5;
  p.out_channels = 5;
  p.groups = 5;
  p.kernel_size = 1;
  p.stride = {2, 1 << 30};
  p.padding = {2, 0};
  p.output_padding = {4, 0};
  p.dilation = {1 << 30, 2};
  return p;
}

template <class T, class Space>
void expect_matches_reference(Space const &space, Problem const &pr, Options const &o, char const *what)
{
  auto const ref = reference_conv_transpose2d(pr.params, pr.x, pr.weight, pr.conv_bias, pr.epilogue);
  auto const got = run_ktconv<T>(space, pr, o);
  auto const c = compare<T>(got, ref);
  EXPECT_TRUE(c.ok) << what << " " << to_string(o.algorithm) << " on " << Space::name() << ": " << c.first_bad;
}

} // namespace

TEST(Trust, HugeStrideAndDilationOnTinyImage)
{
  std::mt19937_64 rng(std::random_device{}());
  ConvTranspose2dParams const p = issue_case_params();
  auto const e = output_extents(p, 2, 5, 4, 1);
  ASSERT_EQ(e[2], 7);
  ASSERT_EQ(e[3], 1);
  for (bool epilogue : {false, true})
  {
    Problem const pr = random_problem(rng, p, 2, 4, 1, epilogue);
    for_each_space([&](auto space) {
      using S = decltype(space);
      for (Algorithm a : {Algorithm::automatic, Algorithm::direct})
      {
        expect_matches_reference<float>(space, pr, Options{a}, "issue case");
        expect_matches_reference<double>(space, pr, Options{a}, "issue case");
      }
      // Forcing host_rows here is an error (its buffers would grow with the values), never a
      // giant allocation.
      EXPECT_THROW(run_ktconv<float>(space, pr, Options{Algorithm::host_rows}), InvalidArgument) << S::name();
    });
  }
}

// The host kernel's per-worker buffer stays within its data bound wherever the selection
// picks it, and the bound rejects the value-driven growth of the issue's case.
TEST(Trust, HostRowsBufferIsBoundedByTheData)
{
  auto const g_issue = Details::check_params(issue_case_params(), 2, 5, 4, 1);
  EXPECT_FALSE(Details::host_row_layout<float>(g_issue).within_data_bound);
  EXPECT_FALSE(Details::host_row_layout<double>(g_issue).within_data_bound);
  // Padding that cancels a huge dilation: a 1-wide output, staged width ~2^30 without the bound.
  ConvTranspose2dParams p;
  p.in_channels = p.out_channels = 1;
  p.kernel_size = {1, 2};
  p.dilation = {1, 1 << 30};
  p.padding = {0, 1 << 29};
  auto const g_pad = Details::check_params(p, 1, 1, 1, 1);
  ASSERT_EQ(g_pad.w.out, 1);
  EXPECT_FALSE(Details::host_row_layout<float>(g_pad).within_data_bound);
  EXPECT_EQ((Details::select_algorithm<Kokkos::DefaultHostExecutionSpace, float>(g_pad, Options{}).algorithm),
            Algorithm::direct);
  // The seed shape keeps host_rows, and its buffer is a few rows of data.
  ConvTranspose2dParams s;
  s.in_channels = s.out_channels = 64;
  s.kernel_size = 3;
  s.stride = 2;
  s.padding = 1;
  s.output_padding = 1;
  auto const g_seed = Details::check_params(s, 4, 64, 128, 128);
  auto const l = Details::host_row_layout<float>(g_seed);
  EXPECT_TRUE(l.within_data_bound);
  EXPECT_LT(l.worker_elems, 4 * (2 * 64 * 128 + 6 * 256));
  EXPECT_EQ((Details::select_algorithm<Kokkos::DefaultHostExecutionSpace, float>(g_seed, Options{}).algorithm),
            Algorithm::host_rows);
}

// The O(1) first tap (direct and host_rows find it per output or row) agrees with the loop.
TEST(Trust, FirstTapMatchesTheLoop)
{
  for (int s = 1; s <= 13; ++s)
    for (int d = 1; d <= 13; ++d)
      for (int k = 1; k <= 13; ++k)
      {
        Details::AxisGeometry a;
        a.kernel = k;
        a.stride = s;
        a.dilation = d;
        a.tap_step = s / std::gcd(s, d);
        a.off_step = d / std::gcd(s, d);
        auto const p = Details::FirstTap::of(a);
        for (int r = 0; r < s; ++r)
          ASSERT_EQ(p.first_tap(r), a.first_tap(r)) << "s " << s << " d " << d << " k " << k << " r " << r;
      }
  Details::AxisGeometry big; // the loop would take 2^15 steps per call here
  big.kernel = 1 << 15;
  big.stride = (1 << 30) + 1;
  big.dilation = 1 << 15;
  auto const p = Details::FirstTap::of(big);
  EXPECT_EQ(p.first_tap(1 << 15), 1);
  EXPECT_EQ(p.first_tap(3 << 15), 3);
  EXPECT_EQ(p.first_tap(1), -1); // t = 2^30 + 1 - 2^15 (2^15 * 2^15 = -1 mod s): beyond the kernel
}

// PyTorch accepts these parameters (a 3 x 3 input gives 7 x 3); only forward knows the input.
TEST(Trust, ModuleValidatesInputDependentSizesAtForward)
{
  ConvTranspose2dParams p;
  p.in_channels = 1;
  p.out_channels = 2;
  p.kernel_size = 3;
  p.stride = {3, 2};
  p.padding = {1, 2};
  using Module = FusedConvTranspose2d<float, Kokkos::DefaultHostExecutionSpace>;
  Module m(p, {});
  Kokkos::deep_copy(m.weight(), 0.5f);
  Kokkos::deep_copy(m.conv_bias(), 0.25f);
  Kokkos::deep_copy(m.bias(), 0.f);
  Module::tensor_type x("x", 1, 1, 3, 3);
  Kokkos::deep_copy(x, 1.f);
  auto y = m.forward(x);
  EXPECT_EQ(y.extent(2), 7u);
  EXPECT_EQ(y.extent(3), 3u);
  Module::tensor_type x1("x1", 1, 1, 1, 1);
  try
  {
    (void)m.forward(x1);
    ADD_FAILURE() << "a 1 x 1 input (output width -1) was accepted";
  }
  catch (InvalidArgument const &e)
  {
    EXPECT_NE(std::string(e.what()).find("output size (1, -1)"), std::string::npos) << e.what();
  }
  // What does not depend on the input is still checked at construction.
  p.stride = 0;
  EXPECT_THROW(Module(p, {}), InvalidArgument);
  p.stride = 1 << 30;
  p.dilation = 1 << 30;
  p.kernel_size = 3; // (kernel - 1) * dilation beyond ktconv's 32-bit indexing
  EXPECT_THROW(Module(p, {}), InvalidArgument);
}

// A workspace request over Options::workspace_limit: AllocationError naming the buffer and its
// size, y untouched; the next call succeeds. `automatic` picks a kernel that fits instead. (On a
// GPU, host_rows is rejected as such; there `automatic` under the limit is what is checked.)
TEST(Trust, AllocationErrorLeavesOutputAndLibraryUsable)
{
  std::mt19937_64 rng(std::random_device{}());
  ConvTranspose2dParams p;
  p.in_channels = 4;
  p.out_channels = 6;
  p.kernel_size = 3;
  p.stride = 2;
  p.padding = 1;
  Problem const pr = random_problem(rng, p, 2, 5, 7, true);
  for_each_space([&](auto space) {
    using S = decltype(space);
    // automatic under the limit picks a kernel that fits, on every space.
    Problem plain = pr;
    plain.epilogue.enabled = false;
    Options a;
    a.workspace_limit = 100;
    expect_matches_reference<float>(space, plain, a, "automatic under a limit");
    // host_rows' workspace (the issue's case) exists on host spaces only.
    if constexpr (Kokkos::SpaceAccessibility<S, Kokkos::HostSpace>::accessible)
    {
      using M = typename S::memory_space;
      auto x = to_device<float, M>(pr.x, "x");
      auto w = to_device<float, M>(pr.weight, "w");
      auto cb = to_device<float, M>(pr.conv_bias, "cb");
      auto e = output_extents(p, 2, 4, 5, 7);
      Kokkos::View<float ****, Kokkos::LayoutRight, M> y("y", e[0], e[1], e[2], e[3]);
      Kokkos::deep_copy(y, 12345.f);
      Options o{Algorithm::host_rows};
      o.workspace_limit = 100;
      try
      {
        conv_transpose2d(space, p, x, w, cb, y, NoEpilogue{}, o);
        ADD_FAILURE() << "no AllocationError with a 100-byte workspace limit on " << S::name();
      }
      catch (AllocationError const &err)
      {
        EXPECT_NE(std::string(err.what()).find("host_rows"), std::string::npos) << err.what();
        EXPECT_GT(err.bytes(), 100u);
        EXPECT_NE(std::string(err.what()).find(std::to_string(err.bytes()) + " bytes"), std::string::npos);
      }
      auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, y);
      for (std::size_t i = 0; i < h.span(); ++i)
        ASSERT_EQ(h.data()[i], 12345.f) << "y written before the error";
      expect_matches_reference<float>(space, plain, Options{Algorithm::host_rows}, "after the failure");
    }
  });
}

// The allocator's own failure becomes AllocationError (a request no machine can satisfy). ASan
// aborts on such a request by design (allocator_may_return_null=0), so that build skips it.
TEST(Trust, AllocatorFailureBecomesAllocationError)
{
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer aborts on impossible allocations instead of failing them";
#else
  std::size_t const count = std::size_t(1) << 58; // 2^60 bytes of float
  try
  {
    (void)Details::allocate_workspace<float>(Kokkos::DefaultHostExecutionSpace{}, "ktconv::test_buffer", count);
    ADD_FAILURE() << "a 2^60-byte allocation succeeded";
  }
  catch (AllocationError const &e)
  {
    EXPECT_EQ(e.label(), "ktconv::test_buffer");
    EXPECT_EQ(e.bytes(), count * sizeof(float));
    EXPECT_NE(std::string(e.what()).find("ktconv::test_buffer"), std::string::npos);
  }
#endif
}
