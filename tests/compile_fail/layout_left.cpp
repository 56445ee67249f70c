// Must NOT compile: a LayoutLeft input is rejected by a static_assert naming the problem
// (ctest checks the compiler's message, see tests/CMakeLists.txt).
#include <ktconv/ktconv.hpp>

int main()
{
  using Space = Kokkos::DefaultExecutionSpace;
  Kokkos::View<float ****, Kokkos::LayoutLeft, Space::memory_space> x("x", 1, 1, 1, 1);
  Kokkos::View<float ****, Kokkos::LayoutRight, Space::memory_space> w("w", 1, 1, 1, 1), y("y", 1, 1, 1, 1);
  Kokkos::View<float *, Space::memory_space> b("b", 1);
  ktconv::ConvTranspose2dParams p;
  p.in_channels = p.out_channels = 1;
  ktconv::conv_transpose2d(Space{}, p, x, w, b, y);
}
