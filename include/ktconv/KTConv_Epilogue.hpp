// Epilogues: the EpilogueFor contract, NoEpilogue, and BiasClampScaleEpilogue (the seed
// workload's tail), with clamp_propagate_nan.
#ifndef KTCONV_EPILOGUE_HPP
#define KTCONV_EPILOGUE_HPP

#include <Kokkos_Core.hpp>

#include <concepts>

namespace ktconv
{

// An epilogue is what happens to each output value after the convolution's sum (and the
// convolution's own bias) and before the single store: `T operator()(T value, int channel)`.
// The kernels' main loops are templates on it, so a new epilogue never touches a main loop.

// The contract of an epilogue for value type T, checked where conv_transpose2d and the kernels
// take one: copyable (kernels capture it by value, on the device too), and callable as
// `e(value, channel)` giving a T, as a KOKKOS_FUNCTION const member. Optionally
// `for_channel(channel)` returns the channel's op, a callable `op(value)` giving a T that reads
// no memory, which kernels hoist out of their per-element loops. A user's own epilogue is
// compiled through <ktconv/KTConv_UserEpilogue.hpp>.
// (clang-format 14 does not lay out requires-expressions readably)
// clang-format off
template <class E, class T>
concept EpilogueFor = std::copy_constructible<E> && requires(E const &e, T value, int channel) {
  { e(value, channel) } -> std::convertible_to<T>;
} && (!requires(E const &e, int channel) { e.for_channel(channel); } || requires(E const &e, T value, int channel) {
  { e.for_channel(channel)(value) } -> std::convertible_to<T>;
});
// clang-format on

// The plain ConvTranspose2d: nothing after the convolution.
struct NoEpilogue
{
  template <class T>
  KOKKOS_FORCEINLINE_FUNCTION T operator()(T value, int) const
  {
    return value;
  }
};

// NaN-propagating clamp with torch.clamp's meaning: min(max(x, lower), upper), and a NaN x
// stays NaN (a plain fmin/fmax would turn it into a bound). When lower > upper the result is
// upper, as in PyTorch.
template <class T>
KOKKOS_FORCEINLINE_FUNCTION T clamp_propagate_nan(T x, T lower, T upper)
{
  T const t = (x < lower) ? lower : x;
  return (t > upper) ? upper : t;
}

// The seed workload's tail, step for step as the PyTorch model writes it:
//   y = x + bias[c];  y = clamp(y, lower, upper);  y = y * scale;  y = clamp(y, lower, upper);
//   y = y / scale
// `bias` may be empty (that step is skipped). Each step rounds to T as PyTorch does.
template <class T, class MemorySpace = Kokkos::DefaultExecutionSpace::memory_space>
struct BiasClampScaleEpilogue
{
  using value_type = T;
  using memory_space = MemorySpace;

  Kokkos::View<T const *, MemorySpace> bias; // per output channel; empty: no bias step
  T lower = T(0);
  T upper = T(1);
  T scale = T(1);

  // The epilogue of one channel as a pure function of the value: it reads no memory, so a host
  // loop over one channel's outputs vectorizes (kernels use it when an epilogue offers it).
  struct ChannelOp
  {
    T bias, lower, upper, scale;
    bool has_bias;
    KOKKOS_FORCEINLINE_FUNCTION T operator()(T value) const
    {
      T y = value;
      if (has_bias)
        y = y + bias;
      y = clamp_propagate_nan(y, lower, upper);
      y = y * scale;
      y = clamp_propagate_nan(y, lower, upper);
      return y / scale;
    }
  };
  KOKKOS_FORCEINLINE_FUNCTION ChannelOp for_channel(int channel) const
  {
    bool const has_bias = bias.extent(0) != 0;
    return ChannelOp{has_bias ? bias(channel) : T(0), lower, upper, scale, has_bias};
  }

  KOKKOS_FORCEINLINE_FUNCTION T operator()(T value, int channel) const { return for_channel(channel)(value); }
};

} // namespace ktconv

#endif
