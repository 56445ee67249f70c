// The canonical view types the kernels are compiled for (Input4, Input1, Output4), the
// compile-time checks of users' views, and the conversions to the canonical types.
#ifndef KTCONV_DETAILS_VIEWS_HPP
#define KTCONV_DETAILS_VIEWS_HPP

#include <ktconv/KTConv_Epilogue.hpp>
#include <ktconv/KTConv_Errors.hpp>
#include <ktconv/KTConv_Params.hpp>

#include <Kokkos_Core.hpp>

#include <cstdint>
#include <string>
#include <type_traits>

namespace ktconv::Details
{

// The canonical view types the kernels are compiled for: contiguous (LayoutRight), unmanaged,
// in the execution space's memory space. Public entry points convert users' views to these,
// so the library is compiled once per (execution space, value type).
template <class T, class MemorySpace>
using Input4 = Kokkos::View<T const ****, Kokkos::LayoutRight, MemorySpace, Kokkos::MemoryUnmanaged>;
template <class T, class MemorySpace>
using Input1 = Kokkos::View<T const *, Kokkos::LayoutRight, MemorySpace, Kokkos::MemoryUnmanaged>;
template <class T, class MemorySpace>
using Output4 = Kokkos::View<T ****, Kokkos::LayoutRight, MemorySpace, Kokkos::MemoryUnmanaged>;

template <class ExecutionSpace, class View, int Rank>
constexpr void static_check_view(char const *)
{
  static_assert(Kokkos::is_view_v<View>, "ktconv: x, weight, conv_bias and y must be Kokkos::View");
  static_assert(View::rank() == Rank, "ktconv: x, weight and y must be rank 4, conv_bias rank 1");
  static_assert(std::is_same_v<typename View::array_layout, Kokkos::LayoutRight> || View::rank() == 1,
                "ktconv: 4-d views must be LayoutRight (NCHW, contiguous)");
  static_assert(Kokkos::SpaceAccessibility<ExecutionSpace, typename View::memory_space>::accessible,
                "ktconv: every view must be in a memory space accessible from the execution space "
                "(e.g. a CudaSpace view for Kokkos::Cuda, a HostSpace view for Kokkos::OpenMP)");
}

template <class MemorySpace, class View>
Input4<typename View::non_const_value_type, MemorySpace> as_input4(View const &v)
{
  return Input4<typename View::non_const_value_type, MemorySpace>(v.data(), v.extent(0), v.extent(1), v.extent(2),
                                                                  v.extent(3));
}
template <class MemorySpace, class View>
Output4<typename View::non_const_value_type, MemorySpace> as_output4(View const &v)
{
  return Output4<typename View::non_const_value_type, MemorySpace>(v.data(), v.extent(0), v.extent(1), v.extent(2),
                                                                   v.extent(3));
}
template <class MemorySpace, class View>
Input1<typename View::non_const_value_type, MemorySpace> as_input1(View const &v)
{
  if (v.span() != 0 && !v.span_is_contiguous())
    throw InvalidArgument("conv_bias must be contiguous (extent " + std::to_string(v.extent(0)) + ", stride " +
                          std::to_string(v.stride(0)) + ")");
  return Input1<typename View::non_const_value_type, MemorySpace>(v.data(), v.extent(0));
}

// Epilogues the library is compiled for, in their canonical form; any other epilogue (a user's
// functor, instantiated through details/KTConv_ConvTranspose2dImpl.hpp) as it is.
template <class T, class MemorySpace, class Epilogue>
Epilogue canonical_epilogue(Epilogue const &e)
{
  return e;
}
template <class T, class MemorySpace>
NoEpilogue canonical_epilogue(NoEpilogue const &e)
{
  return e;
}
template <class T, class MemorySpace, class BiasMemorySpace>
BiasClampScaleEpilogue<T, MemorySpace> canonical_epilogue(BiasClampScaleEpilogue<T, BiasMemorySpace> const &e)
{
  static_assert(Kokkos::SpaceAccessibility<MemorySpace, BiasMemorySpace>::accessible,
                "ktconv: the epilogue's bias must be accessible from the execution space");
  BiasClampScaleEpilogue<T, MemorySpace> c;
  c.bias = Kokkos::View<T const *, MemorySpace>(e.bias.data(), e.bias.extent(0));
  c.lower = e.lower;
  c.upper = e.upper;
  c.scale = e.scale;
  return c;
}

template <class ExecutionSpace, class T, class Epilogue>
void conv_transpose2d_impl(ExecutionSpace const &space, ConvTranspose2dParams const &params,
                           Input4<T, typename ExecutionSpace::memory_space> x,
                           Input4<T, typename ExecutionSpace::memory_space> weight,
                           Input1<T, typename ExecutionSpace::memory_space> conv_bias,
                           Output4<T, typename ExecutionSpace::memory_space> y, Epilogue const &epilogue,
                           Options const &options);

template <class ExecutionSpace, class T>
Algorithm selected_algorithm_impl(ExecutionSpace const &space, ConvTranspose2dParams const &params, std::int64_t n,
                                  std::int64_t c, std::int64_t h, std::int64_t w, Options const &options);

} // namespace ktconv::Details

#endif
