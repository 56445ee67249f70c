#ifndef KTCONV_DETAILS_CONV_TRANSPOSE2D_IMPL_HPP
#define KTCONV_DETAILS_CONV_TRANSPOSE2D_IMPL_HPP

// The definition behind ktconv::conv_transpose2d: check, pick, launch. Included by the
// library's src/ files, which instantiate it for each enabled backend, value type and
// provided epilogue, and by <ktconv/KTConv_UserEpilogue.hpp>, the public header for an
// epilogue of a user's own.

#include <ktconv/KTConv_ConvTranspose2d.hpp>
#include <ktconv/details/KTConv_AlgorithmSelection.hpp>
#include <ktconv/details/common/KTConv_ArgumentCheck.hpp>
#include <ktconv/details/cuda/launch/KTConv_GpuTiledLaunch.hpp>
#include <ktconv/details/direct/KTConv_DirectKernel.hpp>
#include <ktconv/details/gemm/KTConv_GemmAlgorithm.hpp>
#include <ktconv/details/host/KTConv_HostRowKernel.hpp>

#include <Kokkos_Core.hpp>
#include <Kokkos_Profiling_ScopedRegion.hpp>

namespace ktconv::Details
{

template <class ExecutionSpace, class T, class Epilogue>
void conv_transpose2d_impl(ExecutionSpace const &space, ConvTranspose2dParams const &params,
                           Input4<T, typename ExecutionSpace::memory_space> x,
                           Input4<T, typename ExecutionSpace::memory_space> weight,
                           Input1<T, typename ExecutionSpace::memory_space> conv_bias,
                           Output4<T, typename ExecutionSpace::memory_space> y, Epilogue const &epilogue,
                           Options const &options)
{
  static_assert(EpilogueFor<Epilogue, T>, "ktconv: the epilogue must model ktconv::EpilogueFor");
  Kokkos::Profiling::ScopedRegion region("ktconv::conv_transpose2d");
  ConvGeometry const g = check_arguments(params, facts_of(x), facts_of(weight), facts_of(conv_bias), facts_of(y),
                                         epilogue_facts(epilogue));
  Selection const selection = select_algorithm<ExecutionSpace, T>(g, options, space.concurrency());
  Algorithm const algorithm = selection.algorithm;
  if (g.output_size() == 0)
    return; // an empty batch: nothing to write
  switch (algorithm)
  {
  case Algorithm::host_rows:
    if constexpr (is_host_space_v<ExecutionSpace>)
      run_host_rows<ExecutionSpace, T>(space, g, x, weight, conv_bias, y, epilogue, options.workspace_limit);
    break;
  case Algorithm::gpu_tiled:
    run_gpu_tiled<ExecutionSpace, T>(space, selection.gpu_tiled_shape, g, x, weight, conv_bias, y, epilogue,
                                     options.math);
    break;
  case Algorithm::gemm: run_gemm<ExecutionSpace, T>(space, g, x, weight, conv_bias, y, epilogue, options); break;
  default: run_direct<ExecutionSpace, T>(space, g, x, weight, conv_bias, y, epilogue); break;
  }
}

// What conv_transpose2d_impl would run for an input of extents (n, c, h, w) (ktconv::
// selected_algorithm): the same check of the parameters, the same selection.
template <class ExecutionSpace, class T>
Algorithm selected_algorithm_impl(ExecutionSpace const &space, ConvTranspose2dParams const &params, std::int64_t n,
                                  std::int64_t c, std::int64_t h, std::int64_t w, Options const &options)
{
  ConvGeometry const g = check_params(params, n, c, h, w);
  return select_algorithm<ExecutionSpace, T>(g, options, space.concurrency()).algorithm;
}

} // namespace ktconv::Details

#endif
