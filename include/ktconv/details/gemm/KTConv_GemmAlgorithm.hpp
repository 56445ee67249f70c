#ifndef KTCONV_DETAILS_GEMM_ALGORITHM_HPP
#define KTCONV_DETAILS_GEMM_ALGORITHM_HPP

// Algorithm::gemm: the transposed convolution lowered to a GEMM. Per chunk of images, group and
// block of output channels, col = W^T X (rows: output channel x kernel tap, columns: the chunk's
// input pixels, images side by side) by KokkosBlas::gemm, then one pass gathers each output's
// taps from col, adds the conv bias, applies the epilogue and writes the output once. Workspace
// (col and the chunk's channel-major input) is bounded by Options::workspace_bytes; see
// KTConv_GemmChunking.hpp and docs/DESIGN.md for the traffic model.

#include <ktconv/KTConv_Config.hpp>
#include <ktconv/KTConv_Params.hpp>
#include <ktconv/details/common/KTConv_DeviceEpilogue.hpp>
#include <ktconv/details/common/KTConv_Geometry.hpp>
#include <ktconv/details/common/KTConv_Views.hpp>
#include <ktconv/details/common/KTConv_Workspace.hpp>
#include <ktconv/details/gemm/KTConv_GemmChunking.hpp>

#if KTCONV_HAVE_KOKKOS_KERNELS
#include <ktconv/details/gemm/KTConv_GemmGather.hpp>
#include <ktconv/details/gemm/KTConv_GemmProduct.hpp>
#endif

#include <Kokkos_Core.hpp>

#include <algorithm>
#include <cstdint>
#include <stdexcept>

namespace ktconv::Details
{

template <class ExecutionSpace, class T, class Epilogue>
void run_gemm([[maybe_unused]] ExecutionSpace const &space, [[maybe_unused]] ConvGeometry const &g,
              [[maybe_unused]] Input4<T, typename ExecutionSpace::memory_space> x,
              [[maybe_unused]] Input4<T, typename ExecutionSpace::memory_space> weight,
              [[maybe_unused]] Input1<T, typename ExecutionSpace::memory_space> conv_bias,
              [[maybe_unused]] Output4<T, typename ExecutionSpace::memory_space> y,
              [[maybe_unused]] Epilogue const &epilogue, [[maybe_unused]] Options const &options)
{
#if KTCONV_HAVE_KOKKOS_KERNELS
  // The cap: workspace_bytes, or the hard workspace_limit where that is smaller.
  bool const limited = options.workspace_limit != 0 && options.workspace_limit < options.workspace_bytes;
  GemmChunking const plan = limited ? plan_gemm_chunks(g, sizeof(T), options.workspace_limit, "workspace_limit")
                                    : plan_gemm_chunks(g, sizeof(T), options.workspace_bytes); // throw before writing
  StreamOrderedWorkspace<T, ExecutionSpace> const work(space, "ktconv::gemm_workspace",
                                                       std::size_t(plan.copy_elems + plan.col_elems));
  T *const xc = work.data();
  T *const col = work.data() + plan.copy_elems;
  std::int64_t const hw = std::int64_t(g.h.in) * g.w.in;
  int const taps = g.h.kernel * g.w.kernel;
  int const row_length = g.out_per_group * taps; // a weight row: (out channel, tap) of one input channel
  auto const fast = device_epilogue(epilogue);
  GemmGather<ExecutionSpace, T, decltype(fast)> gather{col, conv_bias, y, g, fast, 0, hw, 0, 0, 0, {}, {}};
  for (std::int64_t n0 = 0; n0 < g.batch; n0 += plan.images)
  {
    std::int64_t const images = std::min(plan.images, g.batch - n0);
    if (plan.copy_input)
      gemm_copy_input<ExecutionSpace, T>(space, x, n0, images, xc);
    gather.n0 = n0;
    gather.ld = images * hw;
    for (int group = 0; group < g.groups; ++group)
    {
      std::int64_t const ci0 = std::int64_t(group) * g.in_per_group;
      T const *b = plan.copy_input ? xc + ci0 * images * hw : x.data() + (n0 * g.in_channels + ci0) * hw;
      for (int c0 = 0; c0 < g.out_per_group; c0 += plan.channels)
      {
        int const channels = std::min(plan.channels, g.out_per_group - c0);
        gemm_product<ExecutionSpace, T>(space, weight.data() + ci0 * row_length + std::int64_t(c0) * taps,
                                        g.in_per_group, channels * taps, row_length, b, int(images * hw), col,
                                        options.math);
        gather.co0 = group * g.out_per_group + c0;
        gather.channels = channels;
        gemm_gather(space, gather, images);
      }
    }
  }
#else
  throw std::logic_error("ktconv: run_gemm called in a build without Kokkos Kernels");
#endif
}

} // namespace ktconv::Details

#endif
