// The table of shapes the CUDA tiled kernel (Algorithm::gpu_tiled) is compiled for, and what
// is generated from it: the support test (gpu_tiled_shape_index, gpu_tiled_supports), the
// requirements message, and, in launch/KTConv_GpuTiledLaunch.hpp, the dispatch. Tests cover
// every entry. Adding a shape is one line of gpu_tiled_shapes. Small on purpose: algorithm
// selection includes it without the kernel.
#ifndef KTCONV_DETAILS_CUDA_GPU_TILED_SHAPES_HPP
#define KTCONV_DETAILS_CUDA_GPU_TILED_SHAPES_HPP

#include <ktconv/details/common/KTConv_Geometry.hpp>

#include <Kokkos_Core.hpp>

#include <cstddef>
#include <string>
#include <type_traits>

namespace ktconv::Details
{

// A compiled shape: square kernel, stride and dilation, and the padding phase (padding mod
// stride), the same on both axes.
struct GpuTiledShape
{
  int kernel, stride, pad_phase, dilation = 1;
};

// The compiled shapes: one kernel family (three main loops, two pipelines) per entry.
inline constexpr GpuTiledShape gpu_tiled_shapes[] = {
    {3, 2, 0},    {3, 2, 1}, // kernel 3, stride 2 (the seed workload: padding 1)
    {4, 2, 0},    {4, 2, 1}, // kernel 4, stride 2
    {2, 2, 0},    {2, 2, 1}, // kernel 2, stride 2
    {3, 1, 0},               // kernel 3, stride 1
    {3, 1, 0, 2},            // kernel 3, stride 1, dilation 2 (dilated context layers)
};
inline constexpr std::size_t gpu_tiled_shape_count = sizeof(gpu_tiled_shapes) / sizeof(gpu_tiled_shapes[0]);

// Every shape is well formed: a phase below its stride, and no entry twice.
constexpr bool gpu_tiled_shapes_valid()
{
  for (std::size_t i = 0; i < gpu_tiled_shape_count; ++i)
  {
    GpuTiledShape const a = gpu_tiled_shapes[i];
    if (a.kernel < 1 || a.stride < 1 || a.dilation < 1 || a.pad_phase < 0 || a.pad_phase >= a.stride)
      return false;
    for (std::size_t j = 0; j < i; ++j)
    {
      GpuTiledShape const b = gpu_tiled_shapes[j];
      if (a.kernel == b.kernel && a.stride == b.stride && a.pad_phase == b.pad_phase && a.dilation == b.dilation)
        return false;
    }
  }
  return true;
}
static_assert(gpu_tiled_shapes_valid(), "gpu_tiled_shapes: phase < stride, dilation >= 1, no duplicates");

// The entry of gpu_tiled_shapes that serves g, or -1 (the support test; the dispatch takes
// the index).
constexpr int gpu_tiled_shape_index(ConvGeometry const &g)
{
  if (g.h.dilation != g.w.dilation || g.h.kernel != g.w.kernel || g.h.stride != g.w.stride || g.h.stride < 1)
    return -1;
  int const s = g.h.stride;
  int const phase = g.h.padding % s;
  if (g.w.padding % s != phase)
    return -1;
  for (std::size_t i = 0; i < gpu_tiled_shape_count; ++i)
    if (gpu_tiled_shapes[i].kernel == g.h.kernel && gpu_tiled_shapes[i].stride == s &&
        gpu_tiled_shapes[i].pad_phase == phase && gpu_tiled_shapes[i].dilation == g.h.dilation)
      return int(i);
  return -1;
}

// "(kernel,stride,pad_phase)", with ",dilation" where it is not 1.
inline std::string gpu_tiled_shape_name(GpuTiledShape const &e)
{
  std::string s("(");
  s += std::to_string(e.kernel) + "," + std::to_string(e.stride) + "," + std::to_string(e.pad_phase);
  if (e.dilation != 1)
    s += "," + std::to_string(e.dilation);
  return s + ")";
}

// What Algorithm::gpu_tiled needs, for the error of a forced choice it cannot serve.
inline std::string gpu_tiled_requirements()
{
  std::string s = "needs the CUDA backend, float, and a square kernel, stride and dilation with the same "
                  "padding mod stride on both axes, (kernel, stride, padding mod stride[, dilation]) among ";
  for (std::size_t i = 0; i < gpu_tiled_shape_count; ++i)
    s += (i ? ", " : "") + gpu_tiled_shape_name(gpu_tiled_shapes[i]);
  return s;
}

// The entry of gpu_tiled_shapes for ExecutionSpace, T and g, or -1 where the tiled kernel
// cannot run (not CUDA, not float, or a shape outside the table).
template <class ExecutionSpace, class T>
int gpu_tiled_shape_for(ConvGeometry const &g)
{
#if defined(KOKKOS_ENABLE_CUDA)
  if constexpr (std::is_same_v<ExecutionSpace, Kokkos::Cuda> && std::is_same_v<T, float>)
    return gpu_tiled_shape_index(g);
#endif
  (void)g;
  return -1;
}
template <class ExecutionSpace, class T>
bool gpu_tiled_supports(ConvGeometry const &g)
{
  return gpu_tiled_shape_for<ExecutionSpace, T>(g) >= 0;
}

} // namespace ktconv::Details

#endif
