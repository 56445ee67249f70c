#ifndef KTCONV_SRC_INSTANTIATE_CONV_TRANSPOSE2D_HPP
#define KTCONV_SRC_INSTANTIATE_CONV_TRANSPOSE2D_HPP

// Explicit instantiations of ktconv::conv_transpose2d for value type T on every enabled backend,
// for every epilogue the library provides. Each KTConv_ConvTranspose2d_<T>.cpp includes this
// with its T (one file per value type keeps each compile smaller). Private to the library's
// sources: not installed.
#include <ktconv/details/KTConv_ConvTranspose2dImpl.hpp>

// conv_transpose2d_impl for one backend and value type, with each provided epilogue, and the
// selection query behind ktconv::selected_algorithm.
#define KTCONV_INSTANTIATE_SPACE(SPACE, T)                                                                             \
  template void ktconv::Details::conv_transpose2d_impl<SPACE, T, ktconv::NoEpilogue>(                                  \
      SPACE const &, ktconv::ConvTranspose2dParams const &, Input4<T, SPACE::memory_space>,                            \
      Input4<T, SPACE::memory_space>, Input1<T, SPACE::memory_space>, Output4<T, SPACE::memory_space>,                 \
      ktconv::NoEpilogue const &, ktconv::Options const &);                                                            \
  template void                                                                                                        \
  ktconv::Details::conv_transpose2d_impl<SPACE, T, ktconv::BiasClampScaleEpilogue<T, SPACE::memory_space>>(            \
      SPACE const &, ktconv::ConvTranspose2dParams const &, Input4<T, SPACE::memory_space>,                            \
      Input4<T, SPACE::memory_space>, Input1<T, SPACE::memory_space>, Output4<T, SPACE::memory_space>,                 \
      ktconv::BiasClampScaleEpilogue<T, SPACE::memory_space> const &, ktconv::Options const &);                        \
  template ktconv::Algorithm ktconv::Details::selected_algorithm_impl<SPACE, T>(                                       \
      SPACE const &, ktconv::ConvTranspose2dParams const &, std::int64_t, std::int64_t, std::int64_t, std::int64_t,    \
      ktconv::Options const &);

#if KTCONV_HAVE_CUDA
#define KTCONV_INSTANTIATE_CUDA(T) KTCONV_INSTANTIATE_SPACE(Kokkos::Cuda, T)
#else
#define KTCONV_INSTANTIATE_CUDA(T)
#endif
#if KTCONV_HAVE_OPENMP
#define KTCONV_INSTANTIATE_OPENMP(T) KTCONV_INSTANTIATE_SPACE(Kokkos::OpenMP, T)
#else
#define KTCONV_INSTANTIATE_OPENMP(T)
#endif
#if KTCONV_HAVE_SERIAL
#define KTCONV_INSTANTIATE_SERIAL(T) KTCONV_INSTANTIATE_SPACE(Kokkos::Serial, T)
#else
#define KTCONV_INSTANTIATE_SERIAL(T)
#endif

// Every enabled backend, value type T.
#define KTCONV_INSTANTIATE_CONV_TRANSPOSE2D(T)                                                                         \
  namespace ktconv::Details                                                                                            \
  {                                                                                                                    \
  KTCONV_INSTANTIATE_CUDA(T)                                                                                           \
  KTCONV_INSTANTIATE_OPENMP(T)                                                                                         \
  KTCONV_INSTANTIATE_SERIAL(T)                                                                                         \
  }

#endif
