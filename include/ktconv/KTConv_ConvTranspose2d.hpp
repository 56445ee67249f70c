#ifndef KTCONV_CONV_TRANSPOSE2D_HPP
#define KTCONV_CONV_TRANSPOSE2D_HPP

#include <ktconv/KTConv_Config.hpp>
#include <ktconv/KTConv_Epilogue.hpp>
#include <ktconv/KTConv_Errors.hpp>
#include <ktconv/KTConv_Params.hpp>
#include <ktconv/details/common/KTConv_Views.hpp>

#include <Kokkos_Core.hpp>

#include <cstdint>
#include <type_traits>

namespace ktconv
{

// y = epilogue(conv_transpose2d(x, weight, conv_bias)), in one fused pass, enqueued on
// `space` (asynchronous with respect to the host, like any Kokkos kernel).
//   x         (N, in_channels, H, W)                          NCHW, LayoutRight
//   weight    (in_channels, out_channels / groups, kH, kW)    PyTorch's layout
//   conv_bias (out_channels), or an empty view when params.bias is false
//   y         (N, out_channels, H_out, W_out), written exactly once per element
// All views must be LayoutRight and accessible from `space`. Throws ktconv::InvalidArgument,
// before touching y, when anything does not fit.
template <class ExecutionSpace, class XView, class WView, class BView, class YView, class Epilogue = NoEpilogue>
void conv_transpose2d(ExecutionSpace const &space, ConvTranspose2dParams const &params, XView const &x,
                      WView const &weight, BView const &conv_bias, YView const &y, Epilogue const &epilogue = {},
                      Options const &options = {})
{
  static_assert(Kokkos::is_execution_space_v<ExecutionSpace>, "ktconv: `space` must be a Kokkos execution space");
  Details::static_check_view<ExecutionSpace, XView, 4>("x");
  Details::static_check_view<ExecutionSpace, WView, 4>("weight");
  Details::static_check_view<ExecutionSpace, BView, 1>("conv_bias");
  Details::static_check_view<ExecutionSpace, YView, 4>("y");
  using T = typename YView::non_const_value_type;
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                "ktconv: the value type must be float or double");
  static_assert(std::is_same_v<typename XView::non_const_value_type, T> &&
                    std::is_same_v<typename WView::non_const_value_type, T> &&
                    std::is_same_v<typename BView::non_const_value_type, T>,
                "ktconv: x, weight, conv_bias and y must have the same value type");
  static_assert(!std::is_const_v<typename YView::value_type>, "ktconv: y must be writable");
  static_assert(EpilogueFor<Epilogue, T>, "ktconv: an epilogue must be copyable and provide a const "
                                          "T operator()(T value, int channel) (ktconv::EpilogueFor)");
  using MemorySpace = typename ExecutionSpace::memory_space;
  auto const epi = Details::canonical_epilogue<T, MemorySpace>(epilogue);
  Details::conv_transpose2d_impl<ExecutionSpace, T>(
      space, params, Details::as_input4<MemorySpace>(x), Details::as_input4<MemorySpace>(weight),
      Details::as_input1<MemorySpace>(conv_bias), Details::as_output4<MemorySpace>(y), epi, options);
}

// The kernel conv_transpose2d runs on `space` for these parameters, an input of extents
// (n, c, h, w) of value type T (float or double) and `options`: what Algorithm::automatic picks
// there, or the forced algorithm once it is checked to apply. Throws InvalidArgument where
// conv_transpose2d would for the parameters, the input extents and the options.
template <class T, class ExecutionSpace>
Algorithm selected_algorithm(ExecutionSpace const &space, ConvTranspose2dParams const &params, std::int64_t n,
                             std::int64_t c, std::int64_t h, std::int64_t w, Options const &options = {})
{
  static_assert(Kokkos::is_execution_space_v<ExecutionSpace>, "ktconv: `space` must be a Kokkos execution space");
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                "ktconv: the value type must be float or double");
  return Details::selected_algorithm_impl<ExecutionSpace, T>(space, params, n, c, h, w, options);
}

// Extents (N, out_channels, H_out, W_out) of the output for an input of extents
// (N, in_channels, H, W); throws InvalidArgument when the parameters are invalid.
Kokkos::Array<std::int64_t, 4> output_extents(ConvTranspose2dParams const &params, std::int64_t n, std::int64_t c,
                                              std::int64_t h, std::int64_t w);

} // namespace ktconv

#endif
