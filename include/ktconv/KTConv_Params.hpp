#ifndef KTCONV_PARAMS_HPP
#define KTCONV_PARAMS_HPP

#include <cstddef>
#include <cstdint>

namespace ktconv
{

// A pair of per-axis values (height, width). Constructible from one int for the square case,
// as PyTorch accepts `stride=2` or `stride=(2, 1)`.
struct Size2
{
  int h = 0;
  int w = 0;
  constexpr Size2() = default;
  constexpr Size2(int hw) : h(hw), w(hw) {} // NOLINT: implicit on purpose, like PyTorch's ints
  constexpr Size2(int h_, int w_) : h(h_), w(w_) {}
  friend constexpr bool operator==(Size2 const &, Size2 const &) = default;
};

// The hyper-parameters of torch.nn.ConvTranspose2d, with PyTorch's meaning and defaults.
// The weight has shape (in_channels, out_channels / groups, kernel_size.h, kernel_size.w).
struct ConvTranspose2dParams
{
  int in_channels = 0;
  int out_channels = 0;
  Size2 kernel_size{1};
  Size2 stride{1};
  Size2 padding{0};
  Size2 output_padding{0};
  Size2 dilation{1};
  int groups = 1;
  bool bias = true; // the convolution's own bias, shape (out_channels)
};

// PyTorch's output extent along one axis: (in - 1)*stride - 2*padding + dilation*(kernel - 1)
// + output_padding + 1. 64-bit so that nonsense parameters cannot overflow before checking.
constexpr std::int64_t conv_transpose_output_extent(std::int64_t in, int kernel, int stride, int padding,
                                                    int output_padding, int dilation)
{
  return (in - 1) * stride - 2 * std::int64_t(padding) + std::int64_t(dilation) * (kernel - 1) + output_padding + 1;
}

// How products and sums are computed. Like PyTorch's allow_tf32, `tf32` is a permission:
// kernels without tensor cores (every host backend) compute in the value type's IEEE arithmetic.
enum class MathMode
{
  ieee,   // products and sums in the value type (default)
  tf32,   // float inputs rounded to TF32 on tensor cores, fp32 accumulation (~1e-3 rel. error)
  tf32x3, // split-precision TF32 (big + small parts, 3 products), about fp32 accuracy
};

// Which kernel runs. `automatic` lets ktconv pick (see details/KTConv_AlgorithmSelection.hpp);
// the others force one, for tests and benchmarks, and are rejected where they cannot run.
enum class Algorithm
{
  automatic,
  direct,    // one thread per output element; every backend, every shape
  host_rows, // host backends: a row of outputs per task, vectorized over the row
  gpu_tiled, // CUDA: register-tiled implicit GEMM over the stride phases
  gemm,      // every backend (needs Kokkos Kernels): col = W^T X by KokkosBlas::gemm, then a gather;
             // tf32 is cuBLAS' TF32 mode on CUDA, tf32x3 computes IEEE fp32 (docs/DESIGN.md)
};

struct Options
{
  Algorithm algorithm = Algorithm::automatic;
  MathMode math = MathMode::ieee;
  // Most bytes of scratch memory Algorithm::gemm aims to use for one call: it processes the batch
  // in chunks of images (and of output channels when one image does not fit) so that its
  // workspace stays within this (and within workspace_limit when that is set). Too small for one
  // output channel of one image: InvalidArgument. Only Algorithm::gemm reads it.
  std::size_t workspace_bytes = std::size_t(256) << 20;
  // Most bytes ktconv may allocate for its own buffers in one call, any algorithm (0: no limit).
  // `automatic` then picks a kernel that fits (direct needs none); a forced kernel that does not
  // fit throws AllocationError before anything is written.
  std::size_t workspace_limit = 0;
};

char const *to_string(Algorithm a);
char const *to_string(MathMode m);

} // namespace ktconv

#endif
