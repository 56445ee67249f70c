#ifndef KTCONV_DETAILS_ARGUMENT_CHECK_HPP
#define KTCONV_DETAILS_ARGUMENT_CHECK_HPP

#include <ktconv/KTConv_Epilogue.hpp>
#include <ktconv/KTConv_Params.hpp>
#include <ktconv/details/common/KTConv_Geometry.hpp>

#include <cstddef>
#include <cstdint>

namespace ktconv::Details
{

// What the argument check needs to know about one view: extents and the bytes it spans.
struct ViewFacts
{
  int rank = 0;
  std::int64_t extent[4] = {0, 0, 0, 0};
  void const *data = nullptr;
  std::size_t bytes = 0;
};

template <class View>
ViewFacts facts_of(View const &v)
{
  ViewFacts f;
  f.rank = int(View::rank());
  for (int i = 0; i < f.rank; ++i)
    f.extent[i] = std::int64_t(v.extent(i));
  f.data = v.data();
  f.bytes = v.span() * sizeof(typename View::value_type);
  return f;
}

struct EpilogueFacts
{
  bool clamps = false; // false: no epilogue (plain ConvTranspose2d)
  ViewFacts bias;      // rank 1; extent 0: no bias step
  double lower = 0, upper = 0, scale = 1;
};

// What check_arguments validates of an epilogue: nothing for NoEpilogue or a user's functor
// (its parameters are its own), bias and clamp bounds for BiasClampScaleEpilogue.
template <class Epilogue>
EpilogueFacts epilogue_facts(Epilogue const &)
{
  return {};
}

template <class T, class MemorySpace>
EpilogueFacts epilogue_facts(BiasClampScaleEpilogue<T, MemorySpace> const &e)
{
  EpilogueFacts f;
  f.clamps = true;
  f.bias = facts_of(e.bias);
  f.lower = double(e.lower);
  f.upper = double(e.upper);
  f.scale = double(e.scale);
  return f;
}

// The one place where arguments are checked. Throws InvalidArgument naming the parameter and
// values; returns the validated geometry the kernels use. Runs before any kernel is launched.
ConvGeometry check_arguments(ConvTranspose2dParams const &p, ViewFacts const &x, ViewFacts const &weight,
                             ViewFacts const &conv_bias, ViewFacts const &y, EpilogueFacts const &epilogue);

// Validates what does not depend on the input (the module's constructor): channels, groups,
// positivity, output_padding, ktconv's index limits, the weight's element count.
void check_hyperparameters(ConvTranspose2dParams const &p);

// Geometry from the parameters and the input extents alone (also validates the parameters).
ConvGeometry check_params(ConvTranspose2dParams const &p, std::int64_t n, std::int64_t c, std::int64_t h,
                          std::int64_t w);

} // namespace ktconv::Details

#endif
