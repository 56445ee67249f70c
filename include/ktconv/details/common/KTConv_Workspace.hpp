#ifndef KTCONV_DETAILS_WORKSPACE_HPP
#define KTCONV_DETAILS_WORKSPACE_HPP

// The one way ktconv's kernels allocate buffers of their own (packed weights, per-thread
// staging): the request is checked against Options::workspace_limit first, and an allocator
// failure becomes ktconv::AllocationError (label and bytes), before any output is written.

#include <ktconv/KTConv_Errors.hpp>

#include <Kokkos_Core.hpp>

#include <cstddef>
#include <new>
#include <stdexcept>
#include <string>

namespace ktconv::Details
{

// Throws AllocationError when `bytes` (all of a call's workspace) exceed `limit` (0: none).
inline void check_workspace_limit(char const *label, std::size_t bytes, std::size_t limit)
{
  if (limit != 0 && bytes > limit)
    throw AllocationError(label, bytes, "more than options.workspace_limit (" + std::to_string(limit) + " bytes)");
}

// An uninitialized view of `count` elements, labelled, on `space`'s memory space.
template <class T, class ExecutionSpace>
Kokkos::View<T *, typename ExecutionSpace::memory_space> allocate_workspace(ExecutionSpace const &space,
                                                                            char const *label, std::size_t count)
{
  try
  {
    return Kokkos::View<T *, typename ExecutionSpace::memory_space>(
        Kokkos::view_alloc(space, Kokkos::WithoutInitializing, std::string(label)), count);
  }
  catch (std::bad_alloc const &e) // what Kokkos throws for a failed allocation, by backend
  {
    throw AllocationError(label, count * sizeof(T), e.what());
  }
  catch (std::runtime_error const &e)
  {
    throw AllocationError(label, count * sizeof(T), e.what());
  }
}

} // namespace ktconv::Details

#endif
