// ktconv::DistributedLayout: collective validation of the decomposition and each rank's blocks.

#include <ktconv/KTConv_ConvTranspose2d.hpp>
#include <ktconv/KTConv_DistributedLayout.hpp>
#include <ktconv/KTConv_Errors.hpp>
#include <ktconv/details/mpi/KTConv_MpiSupport.hpp>

#include <exception>
#include <string>

namespace ktconv
{

namespace
{
std::string error_of(std::exception_ptr e)
{
  try
  {
    std::rethrow_exception(e);
  }
  catch (std::exception const &x)
  {
    return x.what();
  }
  catch (...)
  {
    return "unknown error";
  }
}

std::vector<std::int64_t> signature(ConvTranspose2dParams const &p, std::array<std::int64_t, 4> const &g,
                                    BlockSplit const &s)
{
  std::vector<std::int64_t> v{p.in_channels,
                              p.out_channels,
                              p.kernel_size.h,
                              p.kernel_size.w,
                              p.stride.h,
                              p.stride.w,
                              p.padding.h,
                              p.padding.w,
                              p.output_padding.h,
                              p.output_padding.w,
                              p.dilation.h,
                              p.dilation.w,
                              p.groups,
                              p.bias ? 1 : 0,
                              g[0],
                              g[1],
                              g[2],
                              g[3]};
  for (auto const *sizes : {&s.batch, &s.rows, &s.cols})
  {
    std::vector<std::int64_t> with_count(*sizes);
    with_count.push_back(std::int64_t(sizes->size()));
    v.push_back(Details::hash_values(with_count));
  }
  return v;
}
} // namespace

DistributedLayout::DistributedLayout(MPI_Comm cartesian, ConvTranspose2dParams const &params,
                                     std::array<std::int64_t, 4> const &global_x_extents, BlockSplit const &split)
    : comm_(cartesian), params_(params), global_x_(global_x_extents)
{
  MPI_Comm_rank(comm_, &rank_);
  std::string error;
  try
  {
    Details::cartesian_grid(comm_, dims_, coords_);
  }
  catch (...)
  {
    error = error_of(std::current_exception());
  }
  Details::agree_on_errors(comm_, error);
  Details::require_same_on_all_ranks(comm_, signature(params, global_x_extents, split),
                                     "the parameters, global extents or block splits");
  try
  {
    auto const y = output_extents(params, global_x_[0], global_x_[1], global_x_[2], global_x_[3]);
    global_y_ = {y[0], y[1], y[2], y[3]};
    starts_n_ = Details::block_starts(global_x_[0], dims_[0], split.batch, "the batch");
    starts_h_ = Details::block_starts(global_x_[2], dims_[1], split.rows, "the rows");
    starts_w_ = Details::block_starts(global_x_[3], dims_[2], split.cols, "the columns");
    rows_ = Details::plan_axis(Details::axis_spec_h(params, global_x_[2]), starts_h_, coords_[1], "the rows");
    cols_ = Details::plan_axis(Details::axis_spec_w(params, global_x_[3]), starts_w_, coords_[2], "the columns");
  }
  catch (...)
  {
    error = error_of(std::current_exception());
  }
  Details::agree_on_errors(comm_, error);
}

std::array<int, 3> DistributedLayout::coords_of(int rank) const
{
  int nd = 0;
  MPI_Cartdim_get(comm_, &nd);
  int c[3] = {0, 0, 0};
  MPI_Cart_coords(comm_, rank, nd, c);
  std::array<int, 3> r{0, 0, 0};
  for (int i = 0; i < nd; ++i)
    r[std::size_t(i + 3 - nd)] = c[i];
  return r;
}

Block4 DistributedLayout::x_block_of(int rank) const
{
  auto const c = coords_of(rank);
  Block4 b;
  b.begin = {starts_n_[std::size_t(c[0])], 0, starts_h_[std::size_t(c[1])], starts_w_[std::size_t(c[2])]};
  b.extent = {starts_n_[std::size_t(c[0]) + 1] - b.begin[0], global_x_[1],
              starts_h_[std::size_t(c[1]) + 1] - b.begin[2], starts_w_[std::size_t(c[2]) + 1] - b.begin[3]};
  return b;
}

Block4 DistributedLayout::y_block_of(int rank) const
{
  auto const c = coords_of(rank);
  Block4 b = x_block_of(rank);
  std::int64_t h0 = 0, h1 = 0, w0 = 0, w1 = 0;
  Details::owned_outputs(rows_.spec, starts_h_, c[1], h0, h1);
  Details::owned_outputs(cols_.spec, starts_w_, c[2], w0, w1);
  b.begin = {b.begin[0], 0, h0, w0};
  b.extent = {b.extent[0], global_y_[1], h1 - h0, w1 - w0};
  return b;
}

int DistributedLayout::neighbour(int drow, int dcol) const
{
  return Details::grid_rank(comm_, {coords_[0], coords_[1] + drow, coords_[2] + dcol});
}

std::int64_t DistributedLayout::halo_elements_received() const
{
  auto const b = x_block();
  std::int64_t const h = rows_.halo, w = cols_.halo;
  return b.extent[0] * b.extent[1] * ((h + b.extent[2]) * (w + b.extent[3]) - b.extent[2] * b.extent[3]);
}

} // namespace ktconv
