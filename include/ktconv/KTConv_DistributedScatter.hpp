#ifndef KTCONV_DISTRIBUTED_SCATTER_HPP
#define KTCONV_DISTRIBUTED_SCATTER_HPP

// Helpers of ktconv::mpi for users and tests: scatter a global tensor held by one rank (in
// host memory) to every rank's block, and gather the blocks back, for the blocks of x or of
// y of a DistributedLayout. Collective; extents are agreed on before any message is sent.

#include <ktconv/KTConv_DistributedLayout.hpp>
#include <ktconv/details/mpi/KTConv_MpiSupport.hpp>

#include <Kokkos_Core.hpp>

#include <algorithm>
#include <string>
#include <type_traits>
#include <vector>

namespace ktconv
{

enum class DistributedTensor
{
  x, // the input blocks (layout.x_block_of)
  y, // the output blocks (layout.y_block_of)
};

namespace Details
{
template <class View>
constexpr void static_check_host_view()
{
  static_assert(Kokkos::is_view_v<View> && View::rank() == 4, "ktconv: scatter/gather take 4-d Kokkos::Views");
  static_assert(std::is_same_v<typename View::array_layout, Kokkos::LayoutRight>, "ktconv: views must be LayoutRight");
  static_assert(Kokkos::SpaceAccessibility<Kokkos::HostSpace, typename View::memory_space>::accessible,
                "ktconv: scatter/gather work on host-accessible views (deep_copy device views to the host)");
}

// Copies between a block of a global LayoutRight tensor and a packed buffer.
template <class T>
void block_copy(T *global, std::array<std::int64_t, 4> const &g, Block4 const &b, T *packed, bool to_packed)
{
  for (std::int64_t n = 0; n < b.extent[0]; ++n)
    for (std::int64_t c = 0; c < b.extent[1]; ++c)
      for (std::int64_t h = 0; h < b.extent[2]; ++h)
      {
        T *row = global + (((b.begin[0] + n) * g[1] + b.begin[1] + c) * g[2] + b.begin[2] + h) * g[3] + b.begin[3];
        T *p = packed + ((n * b.extent[1] + c) * b.extent[2] + h) * b.extent[3];
        if (to_packed)
          std::copy(row, row + b.extent[3], p);
        else
          std::copy(p, p + b.extent[3], row);
      }
}

// Blocking point-to-point of `count` elements in chunks MPI's int count can name.
template <class T>
void transfer(T *data, std::int64_t count, int peer, bool send, MPI_Comm comm)
{
  constexpr std::int64_t chunk = std::int64_t(1) << 30;
  for (std::int64_t at = 0; at < count; at += chunk)
  {
    int const n = int(std::min(chunk, count - at));
    if (send)
      MPI_Send(data + at, n, mpi_datatype<T>(), peer, 0x6b80, comm);
    else
      MPI_Recv(data + at, n, mpi_datatype<T>(), peer, 0x6b80, comm, MPI_STATUS_IGNORE);
  }
}

template <class GlobalView, class LocalView>
std::string check_blocks(DistributedLayout const &layout, DistributedTensor which, int root, GlobalView const &global,
                         LocalView const &local)
{
  Block4 const b = which == DistributedTensor::x ? layout.x_block() : layout.y_block();
  auto const &g = which == DistributedTensor::x ? layout.global_x_extents() : layout.global_y_extents();
  for (std::size_t i = 0; i < 4; ++i)
  {
    if (std::int64_t(local.extent(i)) != b.extent[i])
      return "scatter/gather: the local block's extent " + std::to_string(i) + " is " +
             std::to_string(local.extent(i)) + ", the layout's is " + std::to_string(b.extent[i]);
    if (layout.rank() == root && std::int64_t(global.extent(i)) != g[i])
      return "scatter/gather: the global tensor's extent " + std::to_string(i) + " is " +
             std::to_string(global.extent(i)) + ", the layout's is " + std::to_string(g[i]);
  }
  return {};
}
} // namespace Details

// Root's `global` (read on root only) to every rank's `local` block.
template <class GlobalView, class LocalView>
void scatter_blocks(DistributedLayout const &layout, DistributedTensor which, int root, GlobalView const &global,
                    LocalView const &local)
{
  Details::static_check_host_view<GlobalView>();
  Details::static_check_host_view<LocalView>();
  using T = typename LocalView::non_const_value_type;
  Details::agree_on_errors(layout.comm(), Details::check_blocks(layout, which, root, global, local));
  auto const &g = which == DistributedTensor::x ? layout.global_x_extents() : layout.global_y_extents();
  int size = 1;
  MPI_Comm_size(layout.comm(), &size);
  if (layout.rank() != root)
  {
    Details::transfer(local.data(), std::int64_t(local.span()), root, false, layout.comm());
    return;
  }
  std::vector<T> packed;
  for (int r = 0; r < size; ++r)
  {
    Block4 const b = which == DistributedTensor::x ? layout.x_block_of(r) : layout.y_block_of(r);
    std::int64_t const count = b.extent[0] * b.extent[1] * b.extent[2] * b.extent[3];
    T *dst = local.data();
    if (r != root)
    {
      packed.resize(std::size_t(count));
      dst = packed.data();
    }
    Details::block_copy(const_cast<T *>(global.data()), g, b, dst, true);
    if (r != root)
      Details::transfer(dst, count, r, true, layout.comm());
  }
}

// Every rank's `local` block into root's `global` (written on root only).
template <class LocalView, class GlobalView>
void gather_blocks(DistributedLayout const &layout, DistributedTensor which, int root, LocalView const &local,
                   GlobalView const &global)
{
  Details::static_check_host_view<GlobalView>();
  Details::static_check_host_view<LocalView>();
  using T = typename GlobalView::non_const_value_type;
  Details::agree_on_errors(layout.comm(), Details::check_blocks(layout, which, root, global, local));
  auto const &g = which == DistributedTensor::x ? layout.global_x_extents() : layout.global_y_extents();
  int size = 1;
  MPI_Comm_size(layout.comm(), &size);
  if (layout.rank() != root)
  {
    Details::transfer(const_cast<T *>(local.data()), std::int64_t(local.span()), root, true, layout.comm());
    return;
  }
  std::vector<T> packed;
  for (int r = 0; r < size; ++r)
  {
    Block4 const b = which == DistributedTensor::x ? layout.x_block_of(r) : layout.y_block_of(r);
    std::int64_t const count = b.extent[0] * b.extent[1] * b.extent[2] * b.extent[3];
    T *src = const_cast<T *>(local.data());
    if (r != root)
    {
      packed.resize(std::size_t(count));
      Details::transfer(packed.data(), count, r, false, layout.comm());
      src = packed.data();
    }
    Details::block_copy(global.data(), g, b, src, false);
  }
}

} // namespace ktconv

#endif
