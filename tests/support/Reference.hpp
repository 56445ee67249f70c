#ifndef KTCONV_TESTS_REFERENCE_HPP
#define KTCONV_TESTS_REFERENCE_HPP

// A plain double-precision ConvTranspose2d + epilogue on the host, written independently of the
// library's kernels: it scatters every input element through every tap (the textbook definition),
// where the kernels gather by output phase. Besides the value it returns, per output element, the
// sum of the absolute values of the terms, which bounds the rounding error of any summation order.

#include <ktconv/KTConv_Params.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

namespace ktconv::test
{

struct Tensor4
{
  std::int64_t n = 0, c = 0, h = 0, w = 0;
  std::vector<double> data;
  Tensor4() = default;
  Tensor4(std::int64_t n_, std::int64_t c_, std::int64_t h_, std::int64_t w_, double fill = 0)
      : n(n_), c(c_), h(h_), w(w_), data(std::size_t(n_ * c_ * h_ * w_), fill)
  {
  }
  double &operator()(std::int64_t i, std::int64_t j, std::int64_t k, std::int64_t l)
  {
    return data[std::size_t(((i * c + j) * h + k) * w + l)];
  }
  double operator()(std::int64_t i, std::int64_t j, std::int64_t k, std::int64_t l) const
  {
    return data[std::size_t(((i * c + j) * h + k) * w + l)];
  }
  std::size_t size() const { return data.size(); }
};

struct EpilogueSpec
{
  bool enabled = false;
  std::vector<double> bias; // empty: no bias step
  double lower = 0, upper = 1, scale = 1;
};

// torch.clamp(x, lower, upper) == min(max(x, lower), upper), NaN stays NaN
inline double torch_clamp(double x, double lower, double upper)
{
  if (std::isnan(x))
    return x;
  double const t = x < lower ? lower : x;
  return t > upper ? upper : t;
}

inline double apply_epilogue(EpilogueSpec const &e, double v, std::int64_t co)
{
  if (!e.enabled)
    return v;
  if (!e.bias.empty())
    v += e.bias[std::size_t(co)];
  v = torch_clamp(v, e.lower, e.upper);
  v *= e.scale;
  v = torch_clamp(v, e.lower, e.upper);
  return v / e.scale;
}

struct ReferenceResult
{
  Tensor4 y;         // epilogue(conv)
  Tensor4 conv;      // the convolution alone (with its own bias)
  Tensor4 abs_sum;   // sum |x*w| + |conv bias| + |epilogue bias|, for error bounds
  int terms_max = 0; // most terms summed into one output
};

inline ReferenceResult reference_conv_transpose2d(ConvTranspose2dParams const &p, Tensor4 const &x,
                                                  Tensor4 const &weight, std::vector<double> const &conv_bias,
                                                  EpilogueSpec const &e)
{
  auto const ho = conv_transpose_output_extent(x.h, p.kernel_size.h, p.stride.h, p.padding.h, p.output_padding.h,
                                               p.dilation.h);
  auto const wo = conv_transpose_output_extent(x.w, p.kernel_size.w, p.stride.w, p.padding.w, p.output_padding.w,
                                               p.dilation.w);
  ReferenceResult r;
  r.conv = Tensor4(x.n, p.out_channels, ho, wo);
  r.abs_sum = Tensor4(x.n, p.out_channels, ho, wo);
  Tensor4 count(x.n, p.out_channels, ho, wo);
  std::int64_t const cig = p.in_channels / p.groups, cog = p.out_channels / p.groups;
  for (std::int64_t n = 0; n < x.n; ++n)
    for (std::int64_t ci = 0; ci < p.in_channels; ++ci)
    {
      std::int64_t const g = ci / cig;
      for (std::int64_t ih = 0; ih < x.h; ++ih)
        for (std::int64_t iw = 0; iw < x.w; ++iw)
          for (std::int64_t kh = 0; kh < p.kernel_size.h; ++kh)
          {
            std::int64_t const oh = ih * p.stride.h - p.padding.h + kh * p.dilation.h;
            if (oh < 0 || oh >= ho)
              continue;
            for (std::int64_t kw = 0; kw < p.kernel_size.w; ++kw)
            {
              std::int64_t const ow = iw * p.stride.w - p.padding.w + kw * p.dilation.w;
              if (ow < 0 || ow >= wo)
                continue;
              for (std::int64_t j = 0; j < cog; ++j)
              {
                double const t = x(n, ci, ih, iw) * weight(ci, j, kh, kw);
                r.conv(n, g * cog + j, oh, ow) += t;
                r.abs_sum(n, g * cog + j, oh, ow) += std::abs(t);
                count(n, g * cog + j, oh, ow) += 1;
              }
            }
          }
    }
  r.y = Tensor4(x.n, p.out_channels, ho, wo);
  for (std::int64_t n = 0; n < x.n; ++n)
    for (std::int64_t co = 0; co < p.out_channels; ++co)
      for (std::int64_t oh = 0; oh < ho; ++oh)
        for (std::int64_t ow = 0; ow < wo; ++ow)
        {
          double v = r.conv(n, co, oh, ow);
          if (p.bias)
          {
            v += conv_bias[std::size_t(co)];
            r.abs_sum(n, co, oh, ow) += std::abs(conv_bias[std::size_t(co)]);
          }
          r.conv(n, co, oh, ow) = v;
          if (e.enabled && !e.bias.empty())
            r.abs_sum(n, co, oh, ow) += std::abs(e.bias[std::size_t(co)]);
          r.y(n, co, oh, ow) = apply_epilogue(e, v, co);
          r.terms_max = std::max(r.terms_max, int(count(n, co, oh, ow)));
        }
  return r;
}

} // namespace ktconv::test

#endif
