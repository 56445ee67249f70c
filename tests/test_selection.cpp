// Algorithm selection and the tiled kernel's shape table: what `automatic` picks on each
// backend, that forced choices which cannot run are rejected with ktconv::InvalidArgument
// naming the choice, and that the table's support test, requirements message and selection
// agree on every entry.
#include "support/Harness.hpp"

#include <ktconv/KTConv_ConvTranspose2d.hpp>
#include <ktconv/KTConv_Errors.hpp>
#include <ktconv/details/KTConv_AlgorithmSelection.hpp>
#include <ktconv/details/common/KTConv_ArgumentCheck.hpp>
#include <ktconv/details/cuda/KTConv_GpuTiledShapes.hpp>

#include <Kokkos_Core.hpp>
#include <gtest/gtest.h>

#include <string>

using namespace ktconv;

namespace
{

Details::ConvGeometry geometry(int kernel, int stride, Size2 padding, int dilation = 1)
{
  ConvTranspose2dParams p;
  p.in_channels = 4;
  p.out_channels = 8;
  p.kernel_size = kernel;
  p.stride = stride;
  p.padding = padding;
  p.dilation = dilation;
  return Details::check_params(p, 1, 4, 9, 9);
}

Details::ConvGeometry geometry_of(Details::GpuTiledShape const &e, int extra_periods = 0)
{
  int const pad = e.pad_phase + e.stride * extra_periods;
  return geometry(e.kernel, e.stride, pad, e.dilation);
}

Options forced(Algorithm a)
{
  Options o;
  o.algorithm = a;
  return o;
}

} // namespace

TEST(ShapeTable, EveryEntryIsFoundAtItsIndex)
{
  for (std::size_t i = 0; i < Details::gpu_tiled_shape_count; ++i)
  {
    Details::GpuTiledShape const e = Details::gpu_tiled_shapes[i];
    EXPECT_EQ(Details::gpu_tiled_shape_index(geometry_of(e)), int(i)) << "entry " << i;
    if (e.pad_phase + e.stride < e.kernel) // a padding one period larger: the same phase
    {
      EXPECT_EQ(Details::gpu_tiled_shape_index(geometry_of(e, 1)), int(i)) << "entry " << i;
    }
  }
}

TEST(ShapeTable, ShapesOutsideTheTableAreNotSupported)
{
  EXPECT_EQ(Details::gpu_tiled_shape_index(geometry(3, 2, 1, 2)), -1);   // dilation 2 at stride 2
  EXPECT_EQ(Details::gpu_tiled_shape_index(geometry(3, 1, 1, 3)), -1);   // dilation 3 at stride 1
  EXPECT_GE(Details::gpu_tiled_shape_index(geometry(3, 1, 2, 2)), 0);    // dilation 2 at stride 1
  EXPECT_EQ(Details::gpu_tiled_shape_index(geometry(5, 2, 1)), -1);      // kernel 5
  EXPECT_EQ(Details::gpu_tiled_shape_index(geometry(3, 2, {1, 0})), -1); // padding phases differ
  ConvTranspose2dParams p;
  p.in_channels = 4;
  p.out_channels = 4;
  p.kernel_size = {3, 4}; // not square
  p.stride = 2;
  EXPECT_EQ(Details::gpu_tiled_shape_index(Details::check_params(p, 1, 4, 9, 9)), -1);
}

TEST(ShapeTable, RequirementsNameEveryEntry)
{
  std::string const r = Details::gpu_tiled_requirements();
  for (Details::GpuTiledShape const &e : Details::gpu_tiled_shapes)
  {
    // (appended piece by piece: GCC 12 warns falsely, -Wrestrict, on "(" + std::string)
    std::string entry("(");
    entry += std::to_string(e.kernel) + "," + std::to_string(e.stride) + "," + std::to_string(e.pad_phase);
    if (e.dilation != 1)
    {
      entry += ",";
      entry += std::to_string(e.dilation);
    }
    entry += ")";
    EXPECT_NE(r.find(entry), std::string::npos) << r << " lacks " << entry;
  }
}

TEST(Selection, HostAutomaticPicksHostRows)
{
  using Host = Kokkos::DefaultHostExecutionSpace;
  for (std::size_t i = 0; i < Details::gpu_tiled_shape_count; ++i)
  {
    auto const s = Details::select_algorithm<Host, float>(geometry_of(Details::gpu_tiled_shapes[i]), Options{});
    EXPECT_EQ(s.algorithm, Algorithm::host_rows);
    EXPECT_EQ(s.gpu_tiled_shape, -1);
  }
  EXPECT_EQ((Details::select_algorithm<Host, double>(geometry(5, 3, 2, 2), Options{}).algorithm), Algorithm::host_rows);
}

TEST(Selection, ForcedChoicesThatCanRunAreKept)
{
  using Host = Kokkos::DefaultHostExecutionSpace;
  auto const g = geometry(3, 2, 1);
  EXPECT_EQ((Details::select_algorithm<Host, float>(g, forced(Algorithm::direct)).algorithm), Algorithm::direct);
  EXPECT_EQ((Details::select_algorithm<Host, float>(g, forced(Algorithm::host_rows)).algorithm), Algorithm::host_rows);
}

TEST(Selection, GpuTiledOnHostIsRejected)
{
  using Host = Kokkos::DefaultHostExecutionSpace;
  try
  {
    (void)Details::select_algorithm<Host, float>(geometry(3, 2, 1), forced(Algorithm::gpu_tiled));
    FAIL() << "gpu_tiled on a host space was accepted";
  }
  catch (InvalidArgument const &e)
  {
    std::string const what = e.what();
    EXPECT_NE(what.find("gpu_tiled"), std::string::npos) << what;
    EXPECT_NE(what.find(Details::gpu_tiled_requirements()), std::string::npos) << what;
  }
}

// The public query answers what the internal selection decides, on the default space, and
// rejects what conv_transpose2d rejects (invalid parameters, a forced kernel that cannot run).
TEST(Selection, PublicQueryAgreesWithTheSelection)
{
  using Space = Kokkos::DefaultExecutionSpace;
  ConvTranspose2dParams p = ktconv::test::conv_params(64, 64, 3, 2, 1, 1, 1, 1); // the seed layer
  for (Algorithm a : {Algorithm::automatic, Algorithm::direct})
  {
    Options const o = forced(a);
    auto const g = Details::check_params(p, 2, 64, 16, 16);
    EXPECT_EQ(selected_algorithm<float>(Space{}, p, 2, 64, 16, 16, o),
              (Details::select_algorithm<Space, float>(g, o, Space{}.concurrency()).algorithm));
    EXPECT_EQ(selected_algorithm<double>(Space{}, p, 2, 64, 16, 16, o),
              (Details::select_algorithm<Space, double>(g, o, Space{}.concurrency()).algorithm));
  }
  EXPECT_EQ(selected_algorithm<float>(Space{}, p, 2, 64, 16, 16, forced(Algorithm::direct)), Algorithm::direct);
  if constexpr (Details::is_host_space_v<Space>)
  {
    EXPECT_EQ(selected_algorithm<float>(Space{}, p, 2, 64, 16, 16), Algorithm::host_rows);
    EXPECT_THROW((void)selected_algorithm<float>(Space{}, p, 2, 64, 16, 16, forced(Algorithm::gpu_tiled)),
                 InvalidArgument);
  }
  EXPECT_THROW((void)selected_algorithm<float>(Space{}, p, 2, 32, 16, 16), InvalidArgument); // channels differ
  p.stride = 0;
  EXPECT_THROW((void)selected_algorithm<float>(Space{}, p, 2, 64, 16, 16), InvalidArgument);
}

#if defined(KOKKOS_ENABLE_CUDA)
// Compiled (and run where a GPU is) in CUDA builds: automatic takes the tiled kernel for every
// table entry with float, and the direct kernel otherwise (these have 4 input channels, below
// gemm's threshold: its rule is tested in test_gemm.cpp); host_rows is rejected.
TEST(Selection, CudaAutomaticPicksTheTableEntry)
{
  for (std::size_t i = 0; i < Details::gpu_tiled_shape_count; ++i)
  {
    auto const s = Details::select_algorithm<Kokkos::Cuda, float>(geometry_of(Details::gpu_tiled_shapes[i]), Options{});
    EXPECT_EQ(s.algorithm, Algorithm::gpu_tiled);
    EXPECT_EQ(s.gpu_tiled_shape, int(i));
  }
  EXPECT_EQ((Details::select_algorithm<Kokkos::Cuda, double>(geometry(3, 2, 1), Options{}).algorithm),
            Algorithm::direct);
  EXPECT_EQ((Details::select_algorithm<Kokkos::Cuda, float>(geometry(3, 2, 1, 2), Options{}).algorithm),
            Algorithm::direct);
  EXPECT_THROW((void)(Details::select_algorithm<Kokkos::Cuda, float>(geometry(3, 2, 1), forced(Algorithm::host_rows))),
               InvalidArgument);
  EXPECT_THROW((void)(Details::select_algorithm<Kokkos::Cuda, double>(geometry(3, 2, 1), forced(Algorithm::gpu_tiled))),
               InvalidArgument);
}
#endif
