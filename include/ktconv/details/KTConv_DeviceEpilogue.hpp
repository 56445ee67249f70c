#ifndef KTCONV_DETAILS_DEVICE_EPILOGUE_HPP
#define KTCONV_DETAILS_DEVICE_EPILOGUE_HPP

#include <ktconv/KTConv_Epilogue.hpp>

#include <Kokkos_Core.hpp>

#include <cmath>

namespace ktconv::Details
{

// The form of an epilogue that a kernel runs: the same function, with work moved out of the
// per-element path where that changes no result.
template <class Epilogue>
Epilogue device_epilogue(Epilogue const &e)
{
  return e;
}

// BiasClampScaleEpilogue whose final `/ scale` is a multiplication by 1/scale when scale is a
// power of two: x / 2^k and x * 2^-k are the same real number, so they round identically (an
// IEEE division is a dozen instructions on a GPU). Any other scale keeps the division.
template <class T, class MemorySpace>
struct BiasClampScaleDeviceEpilogue
{
  Kokkos::View<T const *, MemorySpace> bias;
  T lower, upper, scale, inverse_scale;
  bool has_bias, exact_inverse;

  // One channel's epilogue as a pure function of the value (no memory reads): kernels hoist it
  // out of their per-element loops.
  struct ChannelOp
  {
    T bias, lower, upper, scale, inverse_scale;
    bool has_bias, exact_inverse;
    KOKKOS_FORCEINLINE_FUNCTION T operator()(T value) const
    {
      T y = has_bias ? value + bias : value;
      y = clamp_propagate_nan(y, lower, upper);
      y = y * scale;
      y = clamp_propagate_nan(y, lower, upper);
      return exact_inverse ? y * inverse_scale : y / scale;
    }
  };
  KOKKOS_FORCEINLINE_FUNCTION ChannelOp for_channel(int channel) const
  {
    return ChannelOp{has_bias ? bias(channel) : T(0), lower, upper, scale, inverse_scale, has_bias, exact_inverse};
  }
  KOKKOS_FORCEINLINE_FUNCTION T operator()(T value, int channel) const { return for_channel(channel)(value); }
};

template <class T, class MemorySpace>
BiasClampScaleDeviceEpilogue<T, MemorySpace> device_epilogue(BiasClampScaleEpilogue<T, MemorySpace> const &e)
{
  int exponent = 0;
  bool const power_of_two = std::frexp(double(e.scale), &exponent) == 0.5 ||
                            std::frexp(double(e.scale), &exponent) == -0.5;
  T const inverse = T(1) / e.scale;
  return {e.bias,
          e.lower,
          e.upper,
          e.scale,
          inverse,
          e.bias.extent(0) != 0,
          power_of_two && std::isfinite(double(inverse)) && inverse != T(0) && std::isnormal(double(inverse))};
}

// The per-channel form of any epilogue: its for_channel() where it has one, else a closure over
// operator()(value, channel).
template <class Epilogue>
struct GenericChannelOp
{
  Epilogue epilogue;
  int channel;
  template <class T>
  KOKKOS_FORCEINLINE_FUNCTION T operator()(T value) const
  {
    return epilogue(value, channel);
  }
};

template <class Epilogue>
KOKKOS_FORCEINLINE_FUNCTION auto channel_op(Epilogue const &e, int channel)
{
  if constexpr (requires { e.for_channel(channel); })
    return e.for_channel(channel);
  else
    return GenericChannelOp<Epilogue>{e, channel};
}

} // namespace ktconv::Details

#endif
