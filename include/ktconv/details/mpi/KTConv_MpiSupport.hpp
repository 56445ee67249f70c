#ifndef KTCONV_DETAILS_MPI_SUPPORT_HPP
#define KTCONV_DETAILS_MPI_SUPPORT_HPP

// MPI helpers of the distributed layer (defined in src/mpi/): collective agreement on errors,
// the Cartesian grid of a communicator, CUDA-aware MPI detection, MPI datatypes.

#include <mpi.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace ktconv::Details
{

// Collective: every rank passes its own error ("" if none). If any rank has one, every rank
// throws the same InvalidArgument, naming the lowest failing rank and its message. No rank
// waits on another's point-to-point message before this returns, so an error cannot hang.
void agree_on_errors(MPI_Comm comm, std::string const &local_error);

// Collective: throws InvalidArgument on every rank unless `values` is the same on all ranks
// (the parameters, global extents and split every rank must agree on).
void require_same_on_all_ranks(MPI_Comm comm, std::vector<std::int64_t> const &values, char const *what);

// The grid of a Cartesian communicator as (batch, rows, columns): a 2-d grid is (1, rows,
// columns), a 3-d one is taken as is. Throws InvalidArgument (locally) for any other
// communicator or a periodic one; `coords` are this rank's.
void cartesian_grid(MPI_Comm comm, std::array<int, 3> &dims, std::array<int, 3> &coords);

// Rank of the grid position `coords` (batch, row, column) of a communicator accepted by
// cartesian_grid, or MPI_PROC_NULL outside the grid.
int grid_rank(MPI_Comm comm, std::array<int, 3> const &coords);

// Whether the MPI library accepts CUDA device pointers (Open MPI: MPIX_Query_cuda_support).
bool mpi_is_cuda_aware();

template <class T>
MPI_Datatype mpi_datatype();
template <>
inline MPI_Datatype mpi_datatype<float>()
{
  return MPI_FLOAT;
}
template <>
inline MPI_Datatype mpi_datatype<double>()
{
  return MPI_DOUBLE;
}

// FNV-1a over 64-bit values (a split's block sizes, compared across ranks as one number).
std::int64_t hash_values(std::vector<std::int64_t> const &values);

} // namespace ktconv::Details

#endif
