#ifndef KTCONV_DISTRIBUTED_LAYOUT_HPP
#define KTCONV_DISTRIBUTED_LAYOUT_HPP

// How a global NCHW tensor is split over the ranks of a Cartesian MPI communicator: blocks of
// image rows x columns (and optionally of the batch), which block of x and of y each rank
// holds, and its halo. Part of ktconv::mpi (KTCONV_ENABLE_MPI); see docs/DISTRIBUTED.md.

#include <ktconv/KTConv_Params.hpp>
#include <ktconv/details/mpi/KTConv_DistributedGeometry.hpp>

#include <mpi.h>

#include <array>
#include <cstdint>
#include <vector>

namespace ktconv
{

// Block sizes along the batch, rows and columns of x (the input): one per rank along that
// dimension of the grid, summing to the global extent. Empty: near-even (the first
// extent % ranks blocks one larger).
struct BlockSplit
{
  std::vector<std::int64_t> batch, rows, cols;
};

// A rank's block of a global 4-d tensor (N, C, H, W): its first index and extent per dimension.
struct Block4
{
  std::array<std::int64_t, 4> begin{0, 0, 0, 0};
  std::array<std::int64_t, 4> extent{0, 0, 0, 0};
};

// The decomposition of one distributed transposed convolution. The communicator must be
// Cartesian (MPI_Cart_create, not periodic) with 2 dimensions (rows, columns) or 3 (batch, rows,
// columns). Construction is collective: every rank must pass the same parameters, global
// extents and split, or all ranks throw InvalidArgument (as for a split whose blocks are thinner
// than the halo, see docs/DISTRIBUTED.md). The communicator is used, not duplicated, and must
// outlive the layout.
class DistributedLayout
{
public:
  DistributedLayout(MPI_Comm cartesian, ConvTranspose2dParams const &params,
                    std::array<std::int64_t, 4> const &global_x_extents, BlockSplit const &split = {});

  MPI_Comm comm() const { return comm_; }
  int rank() const { return rank_; }
  ConvTranspose2dParams const &params() const { return params_; }
  std::array<std::int64_t, 4> const &global_x_extents() const { return global_x_; }
  std::array<std::int64_t, 4> const &global_y_extents() const { return global_y_; }
  std::array<int, 3> const &grid() const { return dims_; }     // (batch, rows, columns)
  std::array<int, 3> const &coords() const { return coords_; } // this rank's position

  Block4 x_block() const { return x_block_of(rank_); } // this rank's block of x
  Block4 y_block() const { return y_block_of(rank_); } // this rank's block of y
  Block4 x_block_of(int rank) const;
  Block4 y_block_of(int rank) const;

  // Rank at (row + drow, column + dcol) of this rank's batch slice, or MPI_PROC_NULL.
  int neighbour(int drow, int dcol) const;
  // Input rows and columns this rank receives from the preceding ranks (0 along an axis where
  // it is first), and the elements that makes per call (corner included).
  int halo_rows() const { return rows_.halo; }
  int halo_cols() const { return cols_.halo; }
  std::int64_t halo_elements_received() const;

  Details::AxisPlan const &row_plan() const { return rows_; }
  Details::AxisPlan const &col_plan() const { return cols_; }

private:
  std::array<int, 3> coords_of(int rank) const;

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  ConvTranspose2dParams params_;
  std::array<std::int64_t, 4> global_x_{}, global_y_{};
  std::array<int, 3> dims_{1, 1, 1}, coords_{0, 0, 0};
  std::vector<std::int64_t> starts_n_, starts_h_, starts_w_;
  Details::AxisPlan rows_, cols_;
};

} // namespace ktconv

#endif
