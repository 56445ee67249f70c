// MPI helpers of the distributed layer: error agreement, Cartesian grids, CUDA-aware detection.

#include <ktconv/KTConv_Errors.hpp>
#include <ktconv/details/mpi/KTConv_MpiSupport.hpp>

#if __has_include(<mpi-ext.h>)
#include <mpi-ext.h> // Open MPI's extensions: MPIX_CUDA_AWARE_SUPPORT, MPIX_Query_cuda_support
#endif

#include <climits>

namespace ktconv::Details
{

void agree_on_errors(MPI_Comm comm, std::string const &local_error)
{
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  int mine = local_error.empty() ? INT_MAX : rank, first = INT_MAX;
  MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm);
  if (first == INT_MAX)
    return;
  int length = rank == first ? int(local_error.size()) : 0;
  MPI_Bcast(&length, 1, MPI_INT, first, comm);
  std::string message = rank == first ? local_error : std::string(std::size_t(length), ' ');
  MPI_Bcast(message.data(), length, MPI_CHAR, first, comm);
  std::string const prefix = "ktconv: ";
  if (message.compare(0, prefix.size(), prefix) == 0)
    message.erase(0, prefix.size());
  throw InvalidArgument("distributed (rank " + std::to_string(first) + " of the communicator): " + message);
}

void require_same_on_all_ranks(MPI_Comm comm, std::vector<std::int64_t> const &values, char const *what)
{
  int n = int(values.size()), n_min = 0, n_max = 0;
  MPI_Allreduce(&n, &n_min, 1, MPI_INT, MPI_MIN, comm);
  MPI_Allreduce(&n, &n_max, 1, MPI_INT, MPI_MAX, comm);
  bool same = n_min == n_max;
  if (same)
  {
    std::vector<long long> v(values.begin(), values.end()), lo(values.size()), hi(values.size());
    MPI_Allreduce(v.data(), lo.data(), n, MPI_LONG_LONG, MPI_MIN, comm);
    MPI_Allreduce(v.data(), hi.data(), n, MPI_LONG_LONG, MPI_MAX, comm);
    same = lo == hi;
  }
  if (!same)
    throw InvalidArgument(std::string("distributed: ") + what + " differ between the ranks of the communicator");
}

void cartesian_grid(MPI_Comm comm, std::array<int, 3> &dims, std::array<int, 3> &coords)
{
  int topology = MPI_UNDEFINED;
  MPI_Topo_test(comm, &topology);
  if (topology != MPI_CART)
    throw InvalidArgument("distributed: the communicator must have a Cartesian topology (MPI_Cart_create) "
                          "of 2 (rows, columns) or 3 (batch, rows, columns) dimensions");
  int nd = 0;
  MPI_Cartdim_get(comm, &nd);
  if (nd != 2 && nd != 3)
    throw InvalidArgument("distributed: the Cartesian communicator has " + std::to_string(nd) +
                          " dimensions; 2 (rows, columns) or 3 (batch, rows, columns) are accepted");
  int d[3] = {1, 1, 1}, periods[3] = {0, 0, 0}, c[3] = {0, 0, 0};
  MPI_Cart_get(comm, nd, d, periods, c);
  for (int i = 0; i < nd; ++i)
    if (periods[i])
      throw InvalidArgument("distributed: the Cartesian communicator is periodic along dimension " + std::to_string(i) +
                            "; the image has edges, so no dimension may be periodic");
  int const shift = 3 - nd; // a 2-d grid is (1, rows, columns)
  dims = {1, 1, 1};
  coords = {0, 0, 0};
  for (int i = 0; i < nd; ++i)
  {
    dims[std::size_t(i + shift)] = d[i];
    coords[std::size_t(i + shift)] = c[i];
  }
}

int grid_rank(MPI_Comm comm, std::array<int, 3> const &coords)
{
  int nd = 0;
  MPI_Cartdim_get(comm, &nd);
  int d[3] = {1, 1, 1}, periods[3] = {0, 0, 0}, c[3] = {0, 0, 0};
  MPI_Cart_get(comm, nd, d, periods, c);
  int const shift = 3 - nd;
  for (int i = 0; i < 3; ++i)
  {
    int const extent = i < shift ? 1 : d[i - shift];
    if (coords[std::size_t(i)] < 0 || coords[std::size_t(i)] >= extent)
      return MPI_PROC_NULL;
  }
  int rank = MPI_PROC_NULL;
  MPI_Cart_rank(comm, coords.data() + shift, &rank);
  return rank;
}

bool mpi_is_cuda_aware()
{
#if defined(MPIX_CUDA_AWARE_SUPPORT) && MPIX_CUDA_AWARE_SUPPORT
  return MPIX_Query_cuda_support() == 1;
#else
  return false;
#endif
}

std::int64_t hash_values(std::vector<std::int64_t> const &values)
{
  std::uint64_t h = 1469598103934665603ull;
  for (std::int64_t v : values)
    for (int b = 0; b < 8; ++b)
    {
      h ^= (std::uint64_t(v) >> (8 * b)) & 0xffu;
      h *= 1099511628211ull;
    }
  return std::int64_t(h >> 1);
}

} // namespace ktconv::Details
