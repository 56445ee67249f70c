// check_local_call for every enabled backend and value type: ktconv's own argument check and
// algorithm selection, run on a local call's facts before any rank communicates.

#include <ktconv/KTConv_Config.hpp>
#include <ktconv/details/KTConv_AlgorithmSelection.hpp>
#include <ktconv/details/mpi/KTConv_LocalCall.hpp>

#include <exception>

namespace ktconv::Details
{

template <class ExecutionSpace, class T>
std::string check_local_call(ConvTranspose2dParams const &local, ViewFacts const &x, ViewFacts const &weight,
                             ViewFacts const &conv_bias, ViewFacts const &y, EpilogueFacts const &epilogue,
                             Options const &options)
{
  try
  {
    ConvGeometry const g = check_arguments(local, x, weight, conv_bias, y, epilogue);
    select_algorithm<ExecutionSpace, T>(g, options);
  }
  catch (std::exception const &e)
  {
    return e.what();
  }
  return {};
}

#define KTCONV_INSTANTIATE_CHECK(SPACE)                                                                                \
  template std::string check_local_call<SPACE, float>(ConvTranspose2dParams const &, ViewFacts const &,                \
                                                      ViewFacts const &, ViewFacts const &, ViewFacts const &,         \
                                                      EpilogueFacts const &, Options const &);                         \
  template std::string check_local_call<SPACE, double>(ConvTranspose2dParams const &, ViewFacts const &,               \
                                                       ViewFacts const &, ViewFacts const &, ViewFacts const &,        \
                                                       EpilogueFacts const &, Options const &);
#if KTCONV_HAVE_CUDA
KTCONV_INSTANTIATE_CHECK(Kokkos::Cuda)
#endif
#if KTCONV_HAVE_OPENMP
KTCONV_INSTANTIATE_CHECK(Kokkos::OpenMP)
#endif
#if KTCONV_HAVE_SERIAL
KTCONV_INSTANTIATE_CHECK(Kokkos::Serial)
#endif

} // namespace ktconv::Details
