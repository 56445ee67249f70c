// For an epilogue of your own: include this header (instead of, or beside, <ktconv/ktconv.hpp>)
// in the translation units that call ktconv::conv_transpose2d with it. The library is compiled
// for NoEpilogue and BiasClampScaleEpilogue only; this header brings the definitions of the
// check, the selection and every kernel, so they are instantiated for your functor there.
//
// The functor models ktconv::EpilogueFor<E, T> (KTConv_Epilogue.hpp): copyable, with
//   KOKKOS_FUNCTION T operator()(T value, int channel) const;
// applied to each output after the convolution's bias, before the single store. Optionally
//   KOKKOS_FUNCTION ChannelOp for_channel(int channel) const;
// returning a callable op(value) that reads no memory (kernels hoist it out of their loops).
// Any state it reads (a View, say) must be in memory the execution space can access.
//
//   #include <ktconv/KTConv_UserEpilogue.hpp>
//   struct Relu
//   {
//     KOKKOS_FUNCTION float operator()(float v, int) const { return v > 0.f ? v : 0.f; }
//   };
//   ktconv::conv_transpose2d(space, params, x, weight, conv_bias, y, Relu{});
#ifndef KTCONV_USER_EPILOGUE_HPP
#define KTCONV_USER_EPILOGUE_HPP

#include <ktconv/KTConv_ConvTranspose2d.hpp>
#include <ktconv/KTConv_Epilogue.hpp>
#include <ktconv/details/KTConv_ConvTranspose2dImpl.hpp>

#endif
