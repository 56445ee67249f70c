// The installed ktconv::mpi consumer: the seed shape (small) on the ranks it is started with,
// split over rows x columns, against the single-process result on every rank, bit for bit.
#include <ktconv/KTConv_Distributed.hpp>
#include <ktconv/ktconv.hpp>

#include <cstdio>
#include <cstring>

int main(int argc, char **argv)
{
  MPI_Init(&argc, &argv);
  int bad = 0, size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  {
    Kokkos::ScopeGuard guard(argc, argv);
    int dims[2] = {0, 0}, periods[2] = {0, 0};
    MPI_Dims_create(size, 2, dims);
    MPI_Comm cart;
    MPI_Cart_create(MPI_COMM_WORLD, 2, dims, periods, 0, &cart);
    ktconv::ConvTranspose2dParams p;
    p.in_channels = p.out_channels = 8;
    p.kernel_size = 3;
    p.stride = 2;
    p.padding = 1;
    p.output_padding = 1;
    using Space = Kokkos::DefaultExecutionSpace;
    using V = Kokkos::View<float ****, Kokkos::LayoutRight, Space::memory_space>;
    ktconv::DistributedLayout layout(cart, p, {2, 8, 20, 18});
    V x("x", 2, 8, 20, 18), w("w", 8, 8, 3, 3);
    Kokkos::View<float *, Space::memory_space> b("b", 8);
    Kokkos::parallel_for(
        Kokkos::RangePolicy<Space>(0, x.span()),
        KOKKOS_LAMBDA(std::size_t i) { x.data()[i] = float(int(i * 7919 % 257) - 128) / 64; });
    Kokkos::parallel_for(
        Kokkos::RangePolicy<Space>(0, w.span()),
        KOKKOS_LAMBDA(std::size_t i) { w.data()[i] = float(int(i * 104729 % 97) - 48) / 32; });
    auto const g = layout.global_y_extents();
    V y("y", g[0], g[1], g[2], g[3]);
    ktconv::conv_transpose2d(Space(), p, x, w, b, y);
    auto const xb = layout.x_block(), yb = layout.y_block();
    V xl("xl", xb.extent[0], xb.extent[1], xb.extent[2], xb.extent[3]);
    V yl("yl", yb.extent[0], yb.extent[1], yb.extent[2], yb.extent[3]);
    Kokkos::deep_copy(xl, Kokkos::subview(x, Kokkos::ALL, Kokkos::ALL,
                                          Kokkos::pair(xb.begin[2], xb.begin[2] + xb.extent[2]),
                                          Kokkos::pair(xb.begin[3], xb.begin[3] + xb.extent[3])));
    ktconv::distributed_conv_transpose2d(Space(), layout, xl, w, b, yl);
    V ys("ys", yb.extent[0], yb.extent[1], yb.extent[2], yb.extent[3]);
    Kokkos::deep_copy(ys, Kokkos::subview(y, Kokkos::ALL, Kokkos::ALL,
                                          Kokkos::pair(yb.begin[2], yb.begin[2] + yb.extent[2]),
                                          Kokkos::pair(yb.begin[3], yb.begin[3] + yb.extent[3])));
    auto const h1 = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, yl);
    auto const h2 = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, ys);
    bad = std::memcmp(h1.data(), h2.data(), h1.span() * sizeof(float)) != 0;
    int any = 0;
    MPI_Allreduce(&bad, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    bad = any;
    MPI_Comm_free(&cart);
  }
  std::printf("ktconv::mpi consumer (%d ranks): %s\n", size, bad ? "FAIL" : "ok");
  MPI_Finalize();
  return bad;
}
