#ifndef KTCONV_DETAILS_HALO_EXCHANGE_HPP
#define KTCONV_DETAILS_HALO_EXCHANGE_HPP

// The halo exchange of the distributed layer: each rank sends the last rows, columns and
// corner of its block of x to the ranks after it (row + 1, column + 1, both) and receives its
// own halo from the ranks before it, with non-blocking MPI. Buffers live in the execution
// space's memory; MPI gets them directly when it can read that memory (host memory, or
// CUDA-aware MPI), otherwise through host copies. Also the 4-d box copy the layer uses.

#include <ktconv/KTConv_DistributedLayout.hpp>
#include <ktconv/details/common/KTConv_Views.hpp>
#include <ktconv/details/mpi/KTConv_MpiSupport.hpp>

#include <Kokkos_Core.hpp>

#include <array>
#include <climits>
#include <cstdint>

namespace ktconv::Details
{

using Index4 = std::array<std::int64_t, 4>;

// dst[dst_at + i] = src[src_at + i] for i in the box `extent` (both LayoutRight 4-d views).
template <class ExecutionSpace, class T>
void copy_box(ExecutionSpace const &space, Output4<T, typename ExecutionSpace::memory_space> dst, Index4 dst_at,
              Input4<T, typename ExecutionSpace::memory_space> src, Index4 src_at, Index4 extent)
{
  for (auto e : extent)
    if (e <= 0)
      return;
  using Policy = Kokkos::MDRangePolicy<ExecutionSpace, Kokkos::Rank<4>, Kokkos::IndexType<std::int64_t>>;
  // plain scalars in the device lambda (std::array's operator[] is host-only for nvcc)
  std::int64_t const d0 = dst_at[0], d1 = dst_at[1], d2 = dst_at[2], d3 = dst_at[3];
  std::int64_t const s0 = src_at[0], s1 = src_at[1], s2 = src_at[2], s3 = src_at[3];
  Kokkos::parallel_for(
      "ktconv::mpi::copy_box", Policy(space, {0, 0, 0, 0}, {extent[0], extent[1], extent[2], extent[3]}),
      KOKKOS_LAMBDA(std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w) {
        dst(d0 + n, d1 + c, d2 + h, d3 + w) = src(s0 + n, s1 + c, s2 + h, s3 + w);
      });
}

template <class ExecutionSpace, class T>
class HaloExchange
{
public:
  using memory_space = typename ExecutionSpace::memory_space;
  static constexpr bool host_memory = Kokkos::SpaceAccessibility<Kokkos::HostSpace, memory_space>::accessible;

  HaloExchange() = default;
  // `direct`: MPI may read and write the buffers where they are (ignored for host memory).
  HaloExchange(DistributedLayout const &layout, bool direct) : comm_(layout.comm())
  {
    staged_ = !host_memory && !direct;
    auto const b = layout.x_block();
    std::int64_t const hh = layout.row_plan().spec.halo(), hw = layout.col_plan().spec.halo();
    std::int64_t const H = b.extent[2], W = b.extent[3], n = b.extent[0], c = b.extent[1];
    std::int64_t const rh = layout.halo_rows(), rw = layout.halo_cols();
    // sends: to the rank below (our last hh rows), to the right (last hw columns), diagonal
    int const below = layout.neighbour(1, 0), right = layout.neighbour(0, 1), diag = layout.neighbour(1, 1);
    add(sends_, below, hh > 0, {0, 0, H - hh, 0}, {n, c, hh, W}, 0);
    add(sends_, right, hw > 0, {0, 0, 0, W - hw}, {n, c, H, hw}, 1);
    add(sends_, diag, hh > 0 && hw > 0, {0, 0, H - hh, W - hw}, {n, c, hh, hw}, 2);
    // receives, into the extended block (halo rows rh, halo columns rw first)
    int const above = layout.neighbour(-1, 0), left = layout.neighbour(0, -1), corner = layout.neighbour(-1, -1);
    add(recvs_, above, rh > 0, {0, 0, 0, rw}, {n, c, rh, W}, 0);
    add(recvs_, left, rw > 0, {0, 0, rh, 0}, {n, c, H, rw}, 1);
    add(recvs_, corner, rh > 0 && rw > 0, {0, 0, 0, 0}, {n, c, rh, rw}, 2);
  }

  bool active() const { return count_ != 0; }
  bool staged() const { return staged_; }
  std::int64_t elements_received() const
  {
    std::int64_t s = 0;
    for (int i = 0; i < 3; ++i)
      s += recvs_[std::size_t(i)].buffer.size();
    return s;
  }

  void post_receives()
  {
    for (auto &l : recvs_)
      if (l.peer != MPI_PROC_NULL)
        MPI_Irecv(l.mpi_data(staged_), int(l.buffer.size()), mpi_datatype<T>(), l.peer, tag + l.tag, comm_,
                  &requests_[std::size_t(l.tag)]);
  }

  // Packs this rank's edges of x and sends them (after the packing has completed).
  void send(ExecutionSpace const &space, Input4<T, memory_space> x)
  {
    for (auto &l : sends_)
      if (l.peer != MPI_PROC_NULL)
        copy_box(space, l.box(), {0, 0, 0, 0}, x, l.at, l.extent);
    space.fence("ktconv::mpi::halo packed");
    for (auto &l : sends_)
      if (l.peer != MPI_PROC_NULL)
      {
        if (staged_)
          Kokkos::deep_copy(l.host, l.buffer);
        MPI_Isend(l.mpi_data(staged_), int(l.buffer.size()), mpi_datatype<T>(), l.peer, tag + l.tag, comm_,
                  &requests_[std::size_t(3 + l.tag)]);
      }
  }

  void wait() { MPI_Waitall(6, requests_.data(), MPI_STATUSES_IGNORE); }

  // Copies the received halos into the extended block (enqueued on `space`).
  void unpack(ExecutionSpace const &space, Output4<T, memory_space> x_ext)
  {
    for (auto &l : recvs_)
      if (l.peer != MPI_PROC_NULL)
      {
        if (staged_)
          Kokkos::deep_copy(space, l.buffer, l.host);
        copy_box(space, x_ext, l.at, Input4<T, memory_space>(l.box()), {0, 0, 0, 0}, l.extent);
      }
    if (staged_)
      space.fence("ktconv::mpi::halo unpacked"); // the host buffers are reused by the next call
  }

private:
  static constexpr int tag = 0x6b74; // tags tag + 0..2: rows, columns, corner
  struct Link
  {
    int peer = MPI_PROC_NULL, tag = 0;
    Index4 at{}, extent{};
    Kokkos::View<T *, memory_space> buffer;
    typename Kokkos::View<T *, memory_space>::host_mirror_type host;
    Output4<T, memory_space> box() const
    {
      return Output4<T, memory_space>(buffer.data(), extent[0], extent[1], extent[2], extent[3]);
    }
    void *mpi_data(bool staged) const { return staged ? static_cast<void *>(host.data()) : buffer.data(); }
  };

  void add(std::array<Link, 3> &links, int peer, bool needed, Index4 at, Index4 extent, int t)
  {
    std::int64_t const size = extent[0] * extent[1] * extent[2] * extent[3];
    if (peer == MPI_PROC_NULL || !needed || size == 0)
      return;
    if (size > INT_MAX)
      throw InvalidArgument("distributed: a halo message of " + std::to_string(size) +
                            " elements exceeds MPI's int count; split the batch across more ranks");
    Link &l = links[std::size_t(t)];
    l.peer = peer;
    l.tag = t;
    l.at = at;
    l.extent = extent;
    l.buffer = Kokkos::View<T *, memory_space>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "ktconv::mpi::halo"),
                                               std::size_t(size));
    if (staged_)
      l.host = Kokkos::create_mirror_view(Kokkos::WithoutInitializing, l.buffer);
    ++count_;
  }

  MPI_Comm comm_ = MPI_COMM_NULL;
  bool staged_ = false;
  int count_ = 0;
  std::array<Link, 3> sends_{}, recvs_{};
  std::array<MPI_Request, 6> requests_{MPI_REQUEST_NULL, MPI_REQUEST_NULL, MPI_REQUEST_NULL,
                                       MPI_REQUEST_NULL, MPI_REQUEST_NULL, MPI_REQUEST_NULL};
};

} // namespace ktconv::Details

#endif
