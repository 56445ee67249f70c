#ifndef KTCONV_DETAILS_DIRECT_KERNEL_HPP
#define KTCONV_DETAILS_DIRECT_KERNEL_HPP

#include <ktconv/details/common/KTConv_FirstTap.hpp>
#include <ktconv/details/common/KTConv_Geometry.hpp>
#include <ktconv/details/common/KTConv_Views.hpp>

#include <Kokkos_Core.hpp>

#include <cstdint>

namespace ktconv::Details
{

// One thread per output element: the portable kernel every backend can run for every shape,
// and the fallback where no faster kernel applies. Each thread gathers its own taps by phase
// (see AxisGeometry), sums over the group's input channels, then applies the epilogue and
// stores once. Slow but simple; correctness is checked against it and the reference. It
// allocates nothing, and each output's sum runs in a fixed order (taps, then channels).
template <class ExecutionSpace, class T, class Epilogue>
struct DirectKernel
{
  using MemorySpace = typename ExecutionSpace::memory_space;
  Input4<T, MemorySpace> x, weight;
  Input1<T, MemorySpace> conv_bias;
  Output4<T, MemorySpace> y;
  ConvGeometry g;
  Epilogue epilogue;
  FirstTap taps_h, taps_w; // first taps in O(1): this kernel finds them per output

  KOKKOS_FUNCTION void operator()(std::int64_t index) const
  {
    int const ow = int(index % g.w.out);
    std::int64_t rest = index / g.w.out;
    int const oh = int(rest % g.h.out);
    rest /= g.h.out;
    int const co = int(rest % g.out_channels);
    std::int64_t const n = rest / g.out_channels;
    int const group = co / g.out_per_group;
    int const col = co - group * g.out_per_group;
    int const ci0 = group * g.in_per_group;

    // Phase, first tap and its input index along each axis.
    int const rh = (oh + g.h.padding) % g.h.stride, rw = (ow + g.w.padding) % g.w.stride;
    int const th0 = taps_h.first_tap(rh), tw0 = taps_w.first_tap(rw);
    T acc = T(0);
    if (th0 >= 0 && tw0 >= 0)
    {
      int const ih0 = (oh + g.h.padding - rh) / g.h.stride - g.h.first_offset(th0, rh);
      int const iw0 = (ow + g.w.padding - rw) / g.w.stride - g.w.first_offset(tw0, rw);
      for (int kh = th0, ih = ih0; kh < g.h.kernel; kh += g.h.tap_step, ih -= g.h.off_step)
      {
        if (ih < 0 || ih >= g.h.in)
          continue;
        for (int kw = tw0, iw = iw0; kw < g.w.kernel; kw += g.w.tap_step, iw -= g.w.off_step)
        {
          if (iw < 0 || iw >= g.w.in)
            continue;
          for (int c = 0; c < g.in_per_group; ++c)
            acc += x(n, ci0 + c, ih, iw) * weight(ci0 + c, col, kh, kw);
        }
      }
    }
    if (g.has_conv_bias)
      acc += conv_bias(co);
    y(n, co, oh, ow) = epilogue(acc, co);
  }
};

template <class ExecutionSpace, class T, class Epilogue>
void run_direct(ExecutionSpace const &space, ConvGeometry const &g, Input4<T, typename ExecutionSpace::memory_space> x,
                Input4<T, typename ExecutionSpace::memory_space> weight,
                Input1<T, typename ExecutionSpace::memory_space> conv_bias,
                Output4<T, typename ExecutionSpace::memory_space> y, Epilogue const &epilogue)
{
  DirectKernel<ExecutionSpace, T, Epilogue> k{x, weight,   conv_bias,         y,
                                              g, epilogue, FirstTap::of(g.h), FirstTap::of(g.w)};
  Kokkos::parallel_for("ktconv::direct",
                       Kokkos::RangePolicy<ExecutionSpace, Kokkos::IndexType<std::int64_t>>(space, 0, g.output_size()),
                       k);
}

} // namespace ktconv::Details

#endif
