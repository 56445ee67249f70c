#ifndef KTCONV_FUSED_CONV_TRANSPOSE2D_HPP
#define KTCONV_FUSED_CONV_TRANSPOSE2D_HPP

#include <ktconv/KTConv_ConvTranspose2d.hpp>
#include <ktconv/KTConv_Epilogue.hpp>
#include <ktconv/KTConv_Params.hpp>
#include <ktconv/details/common/KTConv_ArgumentCheck.hpp>

#include <Kokkos_Core.hpp>

#include <string>

namespace ktconv
{

// The seed model as an object, like a torch.nn.Module:
//   y = ConvTranspose2d(x) (+ its own bias);  y = y + bias;  clamp(lower, upper);  * scale;
//   clamp(lower, upper);  / scale
// It owns the weight (in_channels, out_channels/groups, kH, kW), the convolution's bias
// (out_channels; empty when params.bias is false) and the epilogue bias (out_channels). Fill
// them through the accessors (deep_copy from host data, as with any Kokkos view).
template <class T = float, class ExecutionSpace = Kokkos::DefaultExecutionSpace>
class FusedConvTranspose2d
{
public:
  using execution_space = ExecutionSpace;
  using memory_space = typename ExecutionSpace::memory_space;
  using tensor_type = Kokkos::View<T ****, Kokkos::LayoutRight, memory_space>;
  using const_tensor_type = Kokkos::View<T const ****, Kokkos::LayoutRight, memory_space>;
  using vector_type = Kokkos::View<T *, memory_space>;

  struct EpilogueParams
  {
    T lower = T(0);
    T upper = T(1);
    T scale = T(1);
    bool bias = true; // add the per-channel epilogue bias
  };

  FusedConvTranspose2d(ConvTranspose2dParams const &params, EpilogueParams const &epilogue, Options options = {})
      : params_(params), epilogue_params_(epilogue), options_(options)
  {
    // Validates what does not depend on the input, before allocating anything; the output size
    // (which depends on the input's) is checked by forward.
    Details::check_hyperparameters(params);
    weight_ = tensor_type("ktconv::weight", params.in_channels, params.out_channels / params.groups,
                          params.kernel_size.h, params.kernel_size.w);
    conv_bias_ = vector_type("ktconv::conv_bias", params.bias ? params.out_channels : 0);
    bias_ = vector_type("ktconv::bias", epilogue.bias ? params.out_channels : 0);
  }

  ConvTranspose2dParams const &params() const { return params_; }
  EpilogueParams const &epilogue_params() const { return epilogue_params_; }
  Options const &options() const { return options_; }
  void set_options(Options const &o) { options_ = o; }

  tensor_type const &weight() const { return weight_; }
  vector_type const &conv_bias() const { return conv_bias_; }
  vector_type const &bias() const { return bias_; }

  // Allocates y and computes into it (on a default-constructed instance of the space).
  tensor_type forward(const_tensor_type const &x) const
  {
    auto const e = output_extents(params_, std::int64_t(x.extent(0)), std::int64_t(x.extent(1)),
                                  std::int64_t(x.extent(2)), std::int64_t(x.extent(3)));
    tensor_type y(Kokkos::view_alloc(Kokkos::WithoutInitializing, "ktconv::y"), e[0], e[1], e[2], e[3]);
    forward(ExecutionSpace{}, x, y);
    return y;
  }

  // Computes into the caller's y, whose extents must be output_extents(...).
  void forward(const_tensor_type const &x, tensor_type const &y) const { forward(ExecutionSpace{}, x, y); }

  // As above, enqueued on the given instance (e.g. a Kokkos::Cuda built on the user's stream).
  void forward(ExecutionSpace const &space, const_tensor_type const &x, tensor_type const &y) const
  {
    BiasClampScaleEpilogue<T, memory_space> epi;
    epi.bias = bias_;
    epi.lower = epilogue_params_.lower;
    epi.upper = epilogue_params_.upper;
    epi.scale = epilogue_params_.scale;
    conv_transpose2d(space, params_, x, weight_, conv_bias_, y, epi, options_);
  }

private:
  ConvTranspose2dParams params_;
  EpilogueParams epilogue_params_;
  Options options_;
  tensor_type weight_;
  vector_type conv_bias_;
  vector_type bias_;
};

} // namespace ktconv

#endif
