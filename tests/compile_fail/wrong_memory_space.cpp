// Must NOT compile (CUDA builds): host views passed to a Kokkos::Cuda execution space are
// rejected by a static_assert naming the problem (ctest checks the compiler's message).
#include <ktconv/ktconv.hpp>

int main()
{
  Kokkos::View<float ****, Kokkos::LayoutRight, Kokkos::HostSpace> x("x", 1, 1, 1, 1), w("w", 1, 1, 1, 1),
      y("y", 1, 1, 1, 1);
  Kokkos::View<float *, Kokkos::HostSpace> b("b", 1);
  ktconv::ConvTranspose2dParams p;
  p.in_channels = p.out_channels = 1;
  ktconv::conv_transpose2d(Kokkos::Cuda{}, p, x, w, b, y);
}
