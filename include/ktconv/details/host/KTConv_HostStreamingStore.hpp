#ifndef KTCONV_DETAILS_HOST_STREAMING_STORE_HPP
#define KTCONV_DETAILS_HOST_STREAMING_STORE_HPP

// Copies a finished output row to y with non-temporal (streaming) stores where the target has
// them (x86 AVX-512 / AVX): y is written once and not read again by the kernel, so its cache
// lines need not be read from memory first (write-allocate) nor kept in the caches. Elsewhere a
// plain copy. Kokkos SIMD has no streaming store, hence the intrinsics here, in one place.

#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__AVX512F__) || defined(__AVX__)
#include <immintrin.h>
#endif

namespace ktconv::Details
{

template <class T>
void stream_copy(T *dst, T const *src, int count)
{
#if defined(__AVX512F__) || defined(__AVX__)
  if constexpr (sizeof(T) == 4 || sizeof(T) == 8)
  {
#if defined(__AVX512F__)
    constexpr int bytes = 64;
#else
    constexpr int bytes = 32;
#endif
    constexpr int lanes = bytes / int(sizeof(T));
    int head = int(((bytes - reinterpret_cast<std::uintptr_t>(dst) % bytes) % bytes) / sizeof(T));
    if (reinterpret_cast<std::uintptr_t>(dst) % sizeof(T) != 0 || head > count)
      head = count; // not element-aligned (never for a View) or too short: plain copy
    std::memcpy(dst, src, std::size_t(head) * sizeof(T));
    int j = head;
    for (; j + lanes <= count; j += lanes)
    {
#if defined(__AVX512F__)
      _mm512_stream_si512(reinterpret_cast<__m512i *>(dst + j), _mm512_loadu_si512(src + j));
#else
      _mm256_stream_si256(reinterpret_cast<__m256i *>(dst + j),
                          _mm256_loadu_si256(reinterpret_cast<__m256i const *>(src + j)));
#endif
    }
    std::memcpy(dst + j, src + j, std::size_t(count - j) * sizeof(T));
    return;
  }
#endif
  std::memcpy(dst, src, std::size_t(count) * sizeof(T));
}

// dst[0, count) = value, with streaming stores where stream_copy has them.
template <class T>
void stream_fill(T *dst, T value, int count)
{
  constexpr int chunk = 64 / int(sizeof(T)) > 0 ? 64 / int(sizeof(T)) : 1;
  T line[chunk];
  for (int j = 0; j < chunk; ++j)
    line[j] = value;
  int j = 0;
  for (; j < count && reinterpret_cast<std::uintptr_t>(dst + j) % 64 != 0; ++j)
    dst[j] = value; // up to the first 64-byte boundary: then every chunk is one aligned vector
  for (; j + chunk <= count; j += chunk)
    stream_copy(dst + j, line, chunk);
  for (; j < count; ++j)
    dst[j] = value;
}

// Orders this thread's streaming stores before what follows (the end of the kernel): they are
// weakly ordered on x86.
inline void stream_fence()
{
#if defined(__AVX512F__) || defined(__AVX__)
  _mm_sfence();
#endif
}

} // namespace ktconv::Details

#endif
