// Algorithm::gemm's workspace cap (Options::workspace_bytes): a cap that splits the work into
// many chunks (of images, and of output channels) gives bitwise the result of one chunk; a cap
// too small for any chunk is an InvalidArgument before anything is written. (Without Kokkos
// Kernels, gemm's rejection is in test_bad_input.cpp.)
#include "support/Harness.hpp"

#include <ktconv/details/KTConv_AlgorithmSelection.hpp>
#include <ktconv/details/gemm/KTConv_GemmChunking.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

using namespace ktconv;
using namespace ktconv::test;

#if KTCONV_HAVE_KOKKOS_KERNELS

namespace
{

// Two groups of 3 -> 4 channels, k3 s2: 9 taps, a 7 x 9 input (63 pixels), 5 images.
Problem chunking_problem(std::uint64_t seed)
{
  ConvTranspose2dParams p;
  p.in_channels = 6;
  p.out_channels = 8;
  p.groups = 2;
  p.kernel_size = 3;
  p.stride = 2;
  p.padding = 1;
  p.output_padding = 1;
  std::mt19937_64 rng(seed);
  return random_problem(rng, p, 5, 7, 9, true);
}

bool bitwise_equal(Tensor4 const &a, Tensor4 const &b)
{
  return a.data.size() == b.data.size() &&
         std::memcmp(a.data.data(), b.data.data(), a.data.size() * sizeof(double)) == 0;
}

} // namespace

template <class T>
void check_chunking()
{
  Problem const pr = chunking_problem(std::random_device{}());
  auto const ref = reference_conv_transpose2d(pr.params, pr.x, pr.weight, pr.conv_bias, pr.epilogue);
  auto const g = Details::check_params(pr.params, pr.x.n, pr.x.c, pr.x.h, pr.x.w);
  std::size_t const v = sizeof(T), hw = 63, taps = 9, rows = 4 * taps;
  struct Cap
  {
    std::size_t bytes;
    std::int64_t images;
    int channels;
  };
  // (cap, images per product, channels per product): all at once; 2 images (3 chunks of
  // images); one image read in place; one image and 3 + 1 channels; one channel at a time.
  std::vector<Cap> const caps{{std::size_t(1) << 30, 5, 4},
                              {(rows + 6) * hw * 2 * v, 2, 4},
                              {rows * hw * v, 1, 4},
                              {3 * taps * hw * v, 1, 3},
                              {taps * hw * v, 1, 1}};
  for_each_space([&](auto space) {
    using Space = decltype(space);
    Options o;
    o.algorithm = Algorithm::gemm;
    o.workspace_bytes = caps[0].bytes;
    Tensor4 const one = run_ktconv<T>(space, pr, o);
    ASSERT_TRUE(compare<T>(one, ref).ok) << Space::name();
    for (Cap const &c : caps)
    {
      auto const plan = Details::plan_gemm_chunks(g, v, c.bytes);
      ASSERT_EQ(plan.images, c.images) << c.bytes;
      ASSERT_EQ(plan.channels, c.channels) << c.bytes;
      ASSERT_LE(plan.bytes(v), c.bytes);
      o.workspace_bytes = c.bytes;
      Tensor4 const got = run_ktconv<T>(space, pr, o);
      auto const cmp = compare<T>(got, ref);
      EXPECT_TRUE(cmp.ok) << Space::name() << " cap " << c.bytes << ": " << cmp.first_bad;
      // Kokkos Kernels' own GEMM sums each element in the same order whatever the product's
      // width; cuBLAS may pick another kernel for another shape, so on a GPU only the bound holds.
      if constexpr (Kokkos::SpaceAccessibility<Kokkos::HostSpace, typename Space::memory_space>::accessible)
      {
        EXPECT_TRUE(bitwise_equal(got, one)) << Space::name() << " cap " << c.bytes;
      }
    }
  });
}

TEST(GemmWorkspace, ChunkedEqualsOneChunkFloat)
{
  check_chunking<float>();
}

TEST(GemmWorkspace, ChunkedEqualsOneChunkDouble)
{
  check_chunking<double>();
}

TEST(GemmWorkspace, CapTooSmallRejectedBeforeWriting)
{
  Problem const pr = chunking_problem(7);
  for_each_space([&](auto space) {
    using M = typename decltype(space)::memory_space;
    auto x = to_device<float, M>(pr.x, "x");
    auto w = to_device<float, M>(pr.weight, "w");
    auto cb = to_device<float, M>(pr.conv_bias, "conv_bias");
    Kokkos::View<float ****, Kokkos::LayoutRight, M> y("y", 5, 8, 14, 18);
    Kokkos::deep_copy(y, std::numeric_limits<float>::quiet_NaN());
    Options o;
    o.algorithm = Algorithm::gemm;
    o.workspace_bytes = 9 * 63 * sizeof(float) - 1; // one byte short of one channel of one image
    try
    {
      conv_transpose2d(space, pr.params, x, w, cb, y, NoEpilogue{}, o);
      FAIL() << "no exception";
    }
    catch (InvalidArgument const &e)
    {
      EXPECT_NE(std::string(e.what()).find("options.workspace_bytes = 2267 is too small"), std::string::npos)
          << e.what();
    }
    space.fence();
    auto hy = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, y);
    for (std::size_t i = 0; i < hy.span(); ++i)
      ASSERT_TRUE(std::isnan(hy.data()[i])) << "y written at " << i;
  });
}

#endif

// The GPU selection rule (details/KTConv_AlgorithmSelection.hpp) on the GPU suite's shapes, as
// measured on an H100: gemm for what gpu_tiled does not compile (non-square, fp64), for
// the DCGAN layers in IEEE fp32 and for the two smallest-image ones with TF32; never for the
// seed, U-Net, stride-1, grouped or depthwise rows. A pure function of the geometry and math
// mode, so it is checked on every backend.
TEST(GemmSelection, GpuSuiteShapes)
{
  struct Row
  {
    char const *name;
    int cin, cout, groups, hw;
    Size2 k, s, pad, op, d;
    bool fp64, gemm, gemm_tf32;
  };
  std::vector<Row> const rows{
      {"seed", 64, 64, 1, 128, 3, 2, 1, 1, 1, false, false, false},
      {"seed fp64", 64, 64, 1, 128, 3, 2, 1, 1, 1, true, true, true},
      {"dcgan 1024-512 4x4", 1024, 512, 1, 4, 4, 2, 1, 0, 1, false, true, true},
      {"dcgan 512-256 8x8", 512, 256, 1, 8, 4, 2, 1, 0, 1, false, true, true},
      {"dcgan 256-128 16x16", 256, 128, 1, 16, 4, 2, 1, 0, 1, false, true, false},
      {"dcgan 128-3 32x32", 128, 3, 1, 32, 4, 2, 1, 0, 1, false, true, false},
      {"unet 512-256 32x32", 512, 256, 1, 32, 2, 2, 0, 0, 1, false, false, false},
      {"unet 128-64 128x128", 128, 64, 1, 128, 2, 2, 0, 0, 1, false, false, false},
      {"k3 s1", 64, 64, 1, 128, 3, 1, 1, 0, 1, false, false, false},
      {"grouped 4", 256, 256, 4, 64, 3, 2, 1, 1, 1, false, false, false},
      {"depthwise", 256, 256, 256, 64, 4, 2, 1, 0, 1, false, false, false},
      {"dilated", 64, 64, 1, 128, 3, 1, 2, 0, 2, false, false, false}, // gpu_tiled's k3 s1 d2 entry
      {"non-square", 64, 64, 1, 128, {1, 5}, {1, 2}, {0, 2}, {0, 1}, 1, false, true, true},
  };
  for (Row const &r : rows)
  {
    ConvTranspose2dParams p;
    p.in_channels = r.cin;
    p.out_channels = r.cout;
    p.groups = r.groups;
    p.kernel_size = r.k;
    p.stride = r.s;
    p.padding = r.pad;
    p.output_padding = r.op;
    p.dilation = r.d;
    auto const g = Details::check_params(p, 16, r.cin, r.hw, r.hw);
    bool const tiled = !r.fp64 && Details::gpu_tiled_shape_index(g) >= 0;
    EXPECT_EQ(Details::gemm_wins_on_gpu(g, tiled), r.gemm) << r.name << " (tiled compiles: " << tiled << ")";
    EXPECT_EQ(Details::gemm_wins_on_gpu(g, tiled, MathMode::tf32), r.gemm_tf32) << r.name << " with TF32";
  }
}
