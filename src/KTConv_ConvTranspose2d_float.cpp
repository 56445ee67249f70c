// Explicit instantiations of ktconv::conv_transpose2d for float, for every enabled backend and
// every epilogue the library provides. (One file per value type keeps each compile smaller.)
#include <ktconv/details/KTConv_ConvTranspose2dImpl.hpp>

#define KTCONV_INSTANTIATE(SPACE)                                                                                      \
  template void ktconv::Details::conv_transpose2d_impl<SPACE, float, ktconv::NoEpilogue>(                              \
      SPACE const &, ktconv::ConvTranspose2dParams const &, Input4<float, SPACE::memory_space>,                        \
      Input4<float, SPACE::memory_space>, Input1<float, SPACE::memory_space>, Output4<float, SPACE::memory_space>,     \
      ktconv::NoEpilogue const &, ktconv::Options const &);                                                            \
  template void                                                                                                        \
  ktconv::Details::conv_transpose2d_impl<SPACE, float, ktconv::BiasClampScaleEpilogue<float, SPACE::memory_space>>(    \
      SPACE const &, ktconv::ConvTranspose2dParams const &, Input4<float, SPACE::memory_space>,                        \
      Input4<float, SPACE::memory_space>, Input1<float, SPACE::memory_space>, Output4<float, SPACE::memory_space>,     \
      ktconv::BiasClampScaleEpilogue<float, SPACE::memory_space> const &, ktconv::Options const &);

namespace ktconv::Details
{
#if KTCONV_HAVE_CUDA
KTCONV_INSTANTIATE(Kokkos::Cuda)
#endif
#if KTCONV_HAVE_OPENMP
KTCONV_INSTANTIATE(Kokkos::OpenMP)
#endif
#if KTCONV_HAVE_SERIAL
KTCONV_INSTANTIATE(Kokkos::Serial)
#endif
} // namespace ktconv::Details
