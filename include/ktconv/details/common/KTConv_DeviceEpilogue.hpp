#ifndef KTCONV_DETAILS_DEVICE_EPILOGUE_HPP
#define KTCONV_DETAILS_DEVICE_EPILOGUE_HPP

#include <ktconv/KTConv_Epilogue.hpp>

#include <Kokkos_Core.hpp>

#include <cmath>
#include <type_traits>

namespace ktconv::Details
{

// The form of an epilogue that a kernel runs: the same function, with work moved out of the
// per-element path where that changes no result.
template <class Epilogue>
Epilogue device_epilogue(Epilogue const &e)
{
  return e;
}

// clamp(x, lower, upper) that returns NaN for a NaN x, in two instructions on a GPU: PTX's
// max.NaN/min.NaN (sm_80+) propagate NaN where fmaxf/fminf would drop it. Two differences
// from the comparisons of clamp_propagate_nan, neither visible to ==: a NaN comes out as the
// canonical NaN (not the input's payload), and clamp(-0.0, 0, hi) is +0.0 (as PyTorch's CUDA
// clamp gives; its CPU clamp keeps -0.0).
template <class T>
KOKKOS_FORCEINLINE_FUNCTION T clamp_propagate_nan_device(T x, T lower, T upper)
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  if constexpr (std::is_same_v<T, float>)
  {
    float r;
    asm("max.NaN.f32 %0, %1, %2;" : "=f"(r) : "f"(x), "f"(lower));
    asm("min.NaN.f32 %0, %1, %2;" : "=f"(r) : "f"(r), "f"(upper));
    return r;
  }
#endif
  return clamp_propagate_nan(x, lower, upper);
}

// BiasClampScaleEpilogue in the form the GPU kernel runs: the final `/ scale` is a
// multiplication by 1/scale when scale is a power of two (x / 2^k and x * 2^-k are the same
// real number, so they round identically; an IEEE division is a dozen instructions on a GPU),
// and a channel's values are transformed as one batch (apply), so the choice between the two
// is made once per batch, not per element.
//
// The two clamps merge into one where that changes no value: for scale s > 0 (finite) whose
// intervals [lower, upper] and [lower*s, upper*s] overlap,
//   clamp(clamp(a, lo, hi) * s, lo, hi) == clamp(a * s, max(lo, lo*s), min(hi, hi*s))
// for every a (NaN and infinities included), because rounding a*s is monotonic in a for s > 0:
// for a < lo both sides are max(lo, lo*s) (left: clamp(lo*s, lo, hi); right: a*s <= lo*s);
// for a > hi both are min(hi, hi*s); for a inside, both are clamp(a*s, lo, hi), which the
// tighter bounds do not change since lo*s <= a*s <= hi*s.
// The seed workload (0, 1, 2) becomes clamp(2a, 0, 1) * 0.5: five operations per element
// instead of eight.
//
// And where scale s = 2^k >= 1 and the merged bounds L, H are finite, the scaling goes too:
//   clamp(a * s, L, H) / s == clamp(a, L / s, H / s)
// whenever L / s and H / s are exact (checked): a * s is then exact (|s| >= 1 cannot underflow,
// a power of two adds no digits) or overflows to an infinity, which a finite bound clamps, and
// a < L/s exactly when a * s < L, a > H/s exactly when a * s > H (NaN stays NaN). The seed
// workload becomes clamp(a, 0, 0.5): three operations per element after the conv bias.
template <class T, class MemorySpace>
struct BiasClampScaleDeviceEpilogue
{
  Kokkos::View<T const *, MemorySpace> bias;
  T lower, upper, scale, inverse_scale;
  bool has_bias, exact_inverse;
  bool merged_clamp;
  T merged_lower, merged_upper;
  bool unscaled_clamp;
  T unscaled_lower, unscaled_upper;

  // One channel's epilogue as a pure function of the value (no memory reads): kernels hoist it
  // out of their per-element loops.
  struct ChannelOp
  {
    T bias; // -0.0 when there is no bias: x + (-0.0) == x for every x, -0.0 and NaN included
    T lower, upper, scale, inverse_scale;
    bool exact_inverse;
    bool merged_clamp;
    T merged_lower, merged_upper;
    bool unscaled_clamp;
    T unscaled_lower, unscaled_upper;
    KOKKOS_FORCEINLINE_FUNCTION T before_division(T value) const
    {
      T y = value + bias;
      y = clamp_propagate_nan_device(y, lower, upper);
      y = y * scale;
      return clamp_propagate_nan_device(y, lower, upper);
    }
    KOKKOS_FORCEINLINE_FUNCTION T before_division_merged(T value) const
    {
      return clamp_propagate_nan_device((value + bias) * scale, merged_lower, merged_upper);
    }
    KOKKOS_FORCEINLINE_FUNCTION T operator()(T value) const
    {
      if (unscaled_clamp)
        return clamp_propagate_nan_device(value + bias, unscaled_lower, unscaled_upper);
      T const y = before_division(value);
      return exact_inverse ? y * inverse_scale : y / scale;
    }
    template <int N>
    KOKKOS_FORCEINLINE_FUNCTION void apply(T (&v)[N]) const
    {
      if (unscaled_clamp)
      {
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
        for (int e = 0; e < N; ++e)
          v[e] = clamp_propagate_nan_device(v[e] + bias, unscaled_lower, unscaled_upper);
        return;
      }
      if (merged_clamp)
      {
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
        for (int e = 0; e < N; ++e)
          v[e] = before_division_merged(v[e]);
      }
      else
      {
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
        for (int e = 0; e < N; ++e)
          v[e] = before_division(v[e]);
      }
      if (exact_inverse)
      {
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
        for (int e = 0; e < N; ++e)
          v[e] = v[e] * inverse_scale;
      }
      else
      {
        for (int e = 0; e < N; ++e)
          v[e] = v[e] / scale;
      }
    }
  };
  KOKKOS_FORCEINLINE_FUNCTION ChannelOp for_channel(int channel) const
  {
    return ChannelOp{has_bias ? bias(channel) : T(-0.0),
                     lower,
                     upper,
                     scale,
                     inverse_scale,
                     exact_inverse,
                     merged_clamp,
                     merged_lower,
                     merged_upper,
                     unscaled_clamp,
                     unscaled_lower,
                     unscaled_upper};
  }
  KOKKOS_FORCEINLINE_FUNCTION T operator()(T value, int channel) const
  {
    return for_channel(channel)(value);
  }
};

template <class T, class MemorySpace>
BiasClampScaleDeviceEpilogue<T, MemorySpace> device_epilogue(BiasClampScaleEpilogue<T, MemorySpace> const &e)
{
  int exponent = 0;
  bool const power_of_two = std::frexp(double(e.scale), &exponent) == 0.5 ||
                            std::frexp(double(e.scale), &exponent) == -0.5;
  T const inverse = T(1) / e.scale;
  // merged clamp: s > 0 finite, lo <= hi, and the intervals overlap (see the type's comment)
  T const lo_s = e.lower * e.scale, hi_s = e.upper * e.scale;
  bool const merged = e.scale > T(0) && std::isfinite(double(e.scale)) && e.lower <= e.upper && lo_s <= e.upper &&
                      e.lower <= hi_s;
  T const merged_lower = merged ? (e.lower > lo_s ? e.lower : lo_s) : T(0);
  T const merged_upper = merged ? (e.upper < hi_s ? e.upper : hi_s) : T(0);
  // unscaled clamp: s = 2^k >= 1, finite merged bounds, and L / s, H / s exact (see the type)
  T const unscaled_lower = merged_lower / e.scale, unscaled_upper = merged_upper / e.scale;
  bool const unscaled = merged && power_of_two && e.scale >= T(1) && std::isfinite(double(merged_lower)) &&
                        std::isfinite(double(merged_upper)) && unscaled_lower * e.scale == merged_lower &&
                        unscaled_upper * e.scale == merged_upper;
  return {e.bias,
          e.lower,
          e.upper,
          e.scale,
          inverse,
          e.bias.extent(0) != 0,
          power_of_two && std::isfinite(double(inverse)) && inverse != T(0) && std::isnormal(double(inverse)),
          merged,
          merged_lower,
          merged_upper,
          unscaled,
          unscaled ? unscaled_lower : T(0),
          unscaled ? unscaled_upper : T(0)};
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

// Applies a per-channel op to a batch of one channel's values: its apply() where it has one,
// else element by element.
template <class Op, class T, int N>
KOKKOS_FORCEINLINE_FUNCTION void apply_channel_op(Op const &op, T (&v)[N])
{
  if constexpr (requires { op.apply(v); })
    op.apply(v);
  else
    for (int e = 0; e < N; ++e)
      v[e] = op(v[e]);
}

} // namespace ktconv::Details

#endif
