#ifndef KTCONV_DETAILS_WORKSPACE_HPP
#define KTCONV_DETAILS_WORKSPACE_HPP

// The one way ktconv's kernels allocate buffers of their own (packed weights, per-thread
// staging): the request is checked against Options::workspace_limit first, and an allocator
// failure becomes ktconv::AllocationError (label and bytes), before any output is written.

#include <ktconv/KTConv_Errors.hpp>

#include <ktconv/details/common/KTConv_WorkspacePool.hpp>

#include <Kokkos_Core.hpp>

#include <algorithm>
#include <cstddef>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>

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

// A call's workspace of `count` T, released when the call's work is done without waiting for
// it: on CUDA from ktconv's stream-ordered pool (allocated and freed in the execution space's
// stream order, so the call stays asynchronous and steady-state calls map no memory); elsewhere
// a view, released after a fence of the space.
template <class T, class ExecutionSpace>
class StreamOrderedWorkspace
{
public:
  StreamOrderedWorkspace(ExecutionSpace const &space, char const *label, std::size_t count) : space_(space)
  {
#if defined(KOKKOS_ENABLE_CUDA)
    if constexpr (std::is_same_v<ExecutionSpace, Kokkos::Cuda>)
    {
      std::size_t const bytes = std::max<std::size_t>(count, 1) * sizeof(T);
      void *p = nullptr;
      cudaMemPool_t const pool = workspace_pool(space.cuda_device(), bytes);
      cudaError_t const err = pool ? cudaMallocFromPoolAsync(&p, bytes, pool, space.cuda_stream())
                                   : cudaMallocAsync(&p, bytes, space.cuda_stream());
      if (err != cudaSuccess)
      {
        (void)cudaGetLastError();
        throw AllocationError(label, bytes, cudaGetErrorString(err));
      }
      data_ = static_cast<T *>(p);
      return;
    }
#endif
    view_ = allocate_workspace<T>(space, label, count);
    data_ = view_.data();
  }
  StreamOrderedWorkspace(StreamOrderedWorkspace const &) = delete;
  StreamOrderedWorkspace &operator=(StreamOrderedWorkspace const &) = delete;
  ~StreamOrderedWorkspace()
  {
#if defined(KOKKOS_ENABLE_CUDA)
    if constexpr (std::is_same_v<ExecutionSpace, Kokkos::Cuda>)
    {
      (void)cudaFreeAsync(data_, space_.cuda_stream()); // after the call's kernels, in stream order
      return;
    }
#endif
    space_.fence("ktconv: before releasing a workspace");
  }
  T *data() const
  {
    return data_;
  }

private:
  ExecutionSpace space_;
  Kokkos::View<T *, typename ExecutionSpace::memory_space> view_;
  T *data_ = nullptr;
};

} // namespace ktconv::Details

#endif
