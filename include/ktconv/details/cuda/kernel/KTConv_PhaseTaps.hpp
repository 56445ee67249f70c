// The stride-phase structure of a tile config, at compile time: every (output block position,
// kernel tap) pair with the input window offset it reads (PhaseTaps), grouped by window, and
// for_each_phase_tap, which unrolls a main loop's body over them.
#ifndef KTCONV_DETAILS_CUDA_KERNEL_PHASE_TAPS_HPP
#define KTCONV_DETAILS_CUDA_KERNEL_PHASE_TAPS_HPP

#include <Kokkos_Core.hpp>

#include <type_traits>
#include <utility>

#if defined(KOKKOS_ENABLE_CUDA)

namespace ktconv::Details
{

// One tap of one output block position (vh, vw) of the tile: the kernel tap (kh, kw) and the
// input window offset (dh, dw) it reads, all compile-time (see GpuTileConfig's comment).
struct PhaseTap
{
  int vh, vw, kh, kw, dh, dw;
};

// Every (block position, tap) pair of a config, in the order the main loops visit them: grouped
// by input window (dh, dw), since taps of different block positions share windows (k3 s2:
// 9 taps, 4 windows). Each kernel tap belongs to exactly one block position per axis (the v
// with v = k*D - P mod S): kernel^2 entries.
template <class Config>
struct PhaseTaps
{
  struct List
  {
    PhaseTap tap[Config::taps];
    bool first_of_window[Config::taps]; // entry i is the first of its window
  };
  static constexpr bool same_window(PhaseTap const &a, PhaseTap const &b) { return a.dh == b.dh && a.dw == b.dw; }
  static constexpr bool window_before(PhaseTap const &a, PhaseTap const &b)
  {
    return a.dh < b.dh || (a.dh == b.dh && a.dw < b.dw);
  }
  static constexpr List make()
  {
    constexpr int K = Config::kernel, S = Config::stride;
    constexpr int PH = Config::pad_phase_h, PW = Config::pad_phase_w;
    List l{};
    int n = 0;
    for (int vh = 0; vh < S; ++vh)
      for (int kh = 0; kh < K; ++kh)
        for (int vw = 0; vw < S; ++vw)
          for (int kw = 0; kw < K; ++kw)
            if (Config::tap_serves(vh, PH, kh) && Config::tap_serves(vw, PW, kw))
              l.tap[n++] = PhaseTap{vh,
                                    vw,
                                    kh,
                                    kw,
                                    Config::tap_input_offset(vh, PH, kh) - Config::lowest_offset_h,
                                    Config::tap_input_offset(vw, PW, kw) - Config::lowest_offset_w};
    for (int i = 1; i < n; ++i) // stable insertion sort by window
      for (int j = i; j > 0 && window_before(l.tap[j], l.tap[j - 1]); --j)
      {
        PhaseTap const t = l.tap[j];
        l.tap[j] = l.tap[j - 1];
        l.tap[j - 1] = t;
      }
    for (int i = 0; i < n; ++i)
      l.first_of_window[i] = i == 0 || !same_window(l.tap[i - 1], l.tap[i]);
    return l;
  }
  static constexpr List list = make();
};

// Calls f(std::integral_constant<int, I>{}) for every entry I of PhaseTaps<Config>, unrolled at
// compile time, so the main loops index their register arrays with constants only.
template <class Config, class F>
KOKKOS_FORCEINLINE_FUNCTION void for_each_phase_tap(F &&f)
{
  [&]<int... I>(std::integer_sequence<int, I...>)
  {
    (f(std::integral_constant<int, I>{}), ...);
  }
  (std::make_integer_sequence<int, Config::taps>{});
}

} // namespace ktconv::Details

#endif // KOKKOS_ENABLE_CUDA

#endif
