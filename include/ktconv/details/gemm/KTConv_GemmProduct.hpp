#ifndef KTCONV_DETAILS_GEMM_PRODUCT_HPP
#define KTCONV_DETAILS_GEMM_PRODUCT_HPP

// The product of Algorithm::gemm: col = W^T * X through KokkosBlas::gemm on the caller's
// execution-space instance (cuBLAS on CUDA when Kokkos Kernels has its cuBLAS TPL, Kokkos
// Kernels' own GEMM elsewhere), and MathMode::tf32 as cuBLAS' TF32 math mode on the handle that
// KokkosBlas uses.

#include <ktconv/KTConv_Params.hpp>

#include <KokkosBlas3_gemm.hpp>
#include <KokkosKernels_config.h>
#include <Kokkos_Core.hpp>

#if defined(KOKKOS_ENABLE_CUDA) && defined(KOKKOSKERNELS_ENABLE_TPL_CUBLAS)
#include <KokkosBlas_tpl_spec.hpp>
#define KTCONV_GEMM_HAS_CUBLAS 1
#else
#define KTCONV_GEMM_HAS_CUBLAS 0
#endif

#include <mutex>
#include <stdexcept>
#include <type_traits>

namespace ktconv::Details
{

#if KTCONV_GEMM_HAS_CUBLAS
// Kokkos Kernels enqueues every cuBLAS product through one process-wide handle, setting its
// stream (and here its math mode) per call: calls from several host threads take turns at that
// enqueue, which is all this lock covers (the products still run concurrently on their streams).
inline std::mutex &cublas_handle_mutex()
{
  static std::mutex m;
  return m;
}

// Puts Kokkos Kernels' cuBLAS handle into TF32 tensor-op math for one product and restores the
// handle's previous mode after it (the handle is shared with the rest of the program).
class CublasTf32Scope
{
public:
  explicit CublasTf32Scope(bool on) : on_(on)
  {
    if (!on_)
      return;
    handle_ = KokkosBlas::Impl::CudaBlasSingleton::singleton().handle;
    check(cublasGetMathMode(handle_, &previous_));
    check(cublasSetMathMode(handle_, CUBLAS_TF32_TENSOR_OP_MATH));
  }
  ~CublasTf32Scope()
  {
    if (on_)
      cublasSetMathMode(handle_, previous_);
  }
  CublasTf32Scope(CublasTf32Scope const &) = delete;
  CublasTf32Scope &operator=(CublasTf32Scope const &) = delete;

private:
  static void check(cublasStatus_t s)
  {
    if (s != CUBLAS_STATUS_SUCCESS)
      throw std::runtime_error("ktconv: setting cuBLAS' math mode failed");
  }
  bool on_ = false;
  cublasHandle_t handle_{};
  cublasMath_t previous_{};
};
#endif

// Whether a product of value type T on this execution space runs on TF32 tensor cores for this
// math mode. Elsewhere tf32 is a permission and the product is IEEE; tf32x3 is always IEEE fp32
// for this algorithm (cuBLAS offers no split-TF32 mode; IEEE meets tf32x3's accuracy).
template <class ExecutionSpace, class T>
constexpr bool gemm_uses_tf32(MathMode math)
{
#if KTCONV_GEMM_HAS_CUBLAS
  return std::is_same_v<ExecutionSpace, Kokkos::Cuda> && std::is_same_v<T, float> && math == MathMode::tf32;
#else
  (void)math;
  return false;
#endif
}

// col[rows x cols] = A^T * B, A = rows of the weight [k x rows] with row stride lda (a block of
// output channels of a group's weight [k x out_per_group*kh*kw]), B [k x cols] contiguous.
template <class ExecutionSpace, class T>
void gemm_product(ExecutionSpace const &space, T const *a, int k, int rows, int lda, T const *b, int cols, T *col,
                  MathMode math)
{
  using Device = Kokkos::Device<ExecutionSpace, typename ExecutionSpace::memory_space>;
  using Unmanaged = Kokkos::MemoryTraits<Kokkos::Unmanaged>;
  Kokkos::LayoutRight la(k, rows);
  la.stride = std::size_t(lda); // a padded LayoutRight: rows of length `rows`, lda apart
  Kokkos::View<T const **, Kokkos::LayoutRight, Device, Unmanaged> A(a, la);
  if (A.stride(0) != std::size_t(lda))
    throw std::logic_error("ktconv: this Kokkos ignores a LayoutRight row stride");
  Kokkos::View<T const **, Kokkos::LayoutRight, Device, Unmanaged> B(b, k, cols);
  Kokkos::View<T **, Kokkos::LayoutRight, Device, Unmanaged> C(col, rows, cols);
#if KTCONV_GEMM_HAS_CUBLAS
  std::lock_guard<std::mutex> const lock(cublas_handle_mutex());
  CublasTf32Scope tf32(gemm_uses_tf32<ExecutionSpace, T>(math));
#else
  (void)math;
#endif
  KokkosBlas::gemm(space, "T", "N", T(1), A, B, T(0), C);
}

} // namespace ktconv::Details

#endif
