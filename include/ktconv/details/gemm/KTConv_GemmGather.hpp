#ifndef KTCONV_DETAILS_GEMM_GATHER_HPP
#define KTCONV_DETAILS_GEMM_GATHER_HPP

// The two passes of Algorithm::gemm around its product: the channel-major copy of a chunk of
// images (so that they sit side by side as the product's columns), and the gather that sums
// each output's taps from col, adds the conv bias, applies the epilogue and stores once.

#include <ktconv/details/common/KTConv_DeviceEpilogue.hpp>
#include <ktconv/details/common/KTConv_Geometry.hpp>
#include <ktconv/details/common/KTConv_Views.hpp>

#include <Kokkos_Core.hpp>

#include <cstdint>

namespace ktconv::Details
{

// xc[ci][j*hw + p] = x[n0 + j][ci][p] for every input channel ci, image j < images, pixel p.
template <class ExecutionSpace, class T>
void gemm_copy_input(ExecutionSpace const &space, Input4<T, typename ExecutionSpace::memory_space> x, std::int64_t n0,
                     std::int64_t images, T *xc)
{
  std::int64_t const channels = std::int64_t(x.extent(1)), hw = std::int64_t(x.extent(2) * x.extent(3));
  T const *src = x.data();
  Kokkos::parallel_for(
      "ktconv::gemm_copy_input",
      Kokkos::RangePolicy<ExecutionSpace, Kokkos::IndexType<std::int64_t>>(space, 0, channels * images * hw),
      KOKKOS_LAMBDA(std::int64_t i) {
        std::int64_t const p = i % hw, rest = i / hw;
        std::int64_t const j = rest % images, ci = rest / images;
        xc[i] = src[((n0 + j) * channels + ci) * hw + p];
      });
}

// One product's outputs: images [n0, n0 + images), output channels co0 + [0, channels) (of one
// group). col[(c*kh + th)*kw + tw][j*hw + ih*w + iw] holds channel c0 + c's tap (th, tw) applied
// to image j's input pixel (ih, iw), summed over the group's input channels. Each output adds
// its phase's taps in a fixed order (height tap, then width tap; see AxisGeometry): no atomics,
// the same result for any chunking.
template <class ExecutionSpace, class T, class Epilogue>
struct GemmGather
{
  using MemorySpace = typename ExecutionSpace::memory_space;
  T const *col;
  Input1<T, MemorySpace> conv_bias;
  Output4<T, MemorySpace> y;
  ConvGeometry g;
  Epilogue epilogue;
  std::int64_t n0, hw, ld; // first image, input pixels per image, col's row length
  int co0, channels;

  KOKKOS_FUNCTION void operator()(std::int64_t index) const
  {
    int const ow = int(index % g.w.out);
    std::int64_t rest = index / g.w.out;
    int const oh = int(rest % g.h.out);
    rest /= g.h.out;
    int const c = int(rest % channels);
    std::int64_t const j = rest / channels;
    int const co = co0 + c;
    int const rh = (oh + g.h.padding) % g.h.stride, rw = (ow + g.w.padding) % g.w.stride;
    int const th0 = g.h.first_tap(rh), tw0 = g.w.first_tap(rw);
    T acc = T(0);
    if (th0 >= 0 && tw0 >= 0)
    {
      int const ih0 = (oh + g.h.padding - rh) / g.h.stride - g.h.first_offset(th0, rh);
      int const iw0 = (ow + g.w.padding - rw) / g.w.stride - g.w.first_offset(tw0, rw);
      T const *base = col + std::int64_t(c) * g.h.kernel * g.w.kernel * ld + j * hw;
      for (int kh = th0, ih = ih0; kh < g.h.kernel; kh += g.h.tap_step, ih -= g.h.off_step)
      {
        if (ih < 0 || ih >= g.h.in)
          continue;
        for (int kw = tw0, iw = iw0; kw < g.w.kernel; kw += g.w.tap_step, iw -= g.w.off_step)
        {
          if (iw < 0 || iw >= g.w.in)
            continue;
          acc += base[std::int64_t(kh * g.w.kernel + kw) * ld + std::int64_t(ih) * g.w.in + iw];
        }
      }
    }
    if (g.has_conv_bias)
      acc += conv_bias(co);
    y(n0 + j, co, oh, ow) = channel_op(epilogue, co)(acc);
  }
};

template <class ExecutionSpace, class T, class Epilogue>
void gemm_gather(ExecutionSpace const &space, GemmGather<ExecutionSpace, T, Epilogue> const &k, std::int64_t images)
{
  std::int64_t const count = images * k.channels * std::int64_t(k.g.h.out) * k.g.w.out;
  Kokkos::parallel_for("ktconv::gemm_gather",
                       Kokkos::RangePolicy<ExecutionSpace, Kokkos::IndexType<std::int64_t>>(space, 0, count), k);
}

} // namespace ktconv::Details

#endif
