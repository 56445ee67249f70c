#ifndef KTCONV_DETAILS_GPU_TILED_KERNEL_HPP
#define KTCONV_DETAILS_GPU_TILED_KERNEL_HPP

#include <ktconv/KTConv_Params.hpp>
#include <ktconv/details/KTConv_Geometry.hpp>
#include <ktconv/details/KTConv_Views.hpp>

#include <Kokkos_Core.hpp>

namespace ktconv::Details
{

inline char const *gpu_tiled_requirements()
{
  return "needs the CUDA backend and float";
}

template <class ExecutionSpace, class T>
bool gpu_tiled_supports(ConvGeometry const &)
{
  return false;
}

template <class ExecutionSpace, class T, class Epilogue>
void run_gpu_tiled(ExecutionSpace const &, ConvGeometry const &, Input4<T, typename ExecutionSpace::memory_space>,
                   Input4<T, typename ExecutionSpace::memory_space>, Input1<T, typename ExecutionSpace::memory_space>,
                   Output4<T, typename ExecutionSpace::memory_space>, Epilogue const &, MathMode)
{
}

} // namespace ktconv::Details

#endif
