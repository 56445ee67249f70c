// What the tiled kernel asks of a main loop (the TiledMainloop concept, checked by the kernel,
// its pipelines and its epilogue), and the helpers every main loop shares: PackedWeightSource
// (where a packed weight comes from), zero_accumulators, and transform_slot (a channel slot's
// accumulators as one array, for the epilogue).
#ifndef KTCONV_DETAILS_CUDA_MAINLOOP_MAINLOOP_HPP
#define KTCONV_DETAILS_CUDA_MAINLOOP_MAINLOOP_HPP

#include <ktconv/details/cuda/arch/KTConv_ArchFeatures.hpp>

#include <Kokkos_Core.hpp>

#include <concepts>
#include <type_traits>

#if defined(KOKKOS_ENABLE_CUDA)

// clang-format off

namespace ktconv::Details
{

// Where element e of a main loop's packed weight unit (the weights of pack_ci input channels
// for one channel block) comes from: input channel ci of the unit, channel co of the block,
// tap, and part (0: the value, or its TF32 "big" part; 1: the rest, "small", for 3xTF32).
struct PackedWeightSource
{
  int ci, co, tap, part;
};

// Stand-ins for the epilogue's callbacks, to state the concept's for_each_value/for_each_row.
struct MainloopValueVisitor
{
  KOKKOS_FUNCTION void operator()(float &) const {}
};
template <int RowWidth>
struct MainloopRowVisitor
{
  KOKKOS_FUNCTION void operator()(int, int, float const (&)[RowWidth]) const {}
};

// The contract of a main loop of the tiled kernel. Per team thread it holds the accumulators of
// one tile and:
//   M(warp, lane, col_shift)          zeroes them (a tile starts);
//   compute(patch, weights, nci)      adds nci staged input channels of one stage;
//   packed_source(e), pack_ci, pack_parts, pack_unit_floats
//                                     the order of the weights packed for TMA stages;
//   transposed_weights                the cp.async weight layout it reads;
// and describes its accumulators to the epilogue: channel slots s in [0, channels_per_thread),
// each the tile-local channel channel(s) with values_per_channel values (for_each_value), stored
// as runs of row_width consecutive outputs of a row (for_each_row), with streaming stores or not.
template <class M>
concept TiledMainloop = std::is_constructible_v<M, int, int, int> &&
                        requires(M &m, M const &cm, float const *stage, int i) {
                          { M::channels_per_thread } -> std::convertible_to<int>;
                          { M::values_per_channel } -> std::convertible_to<int>;
                          { M::row_width } -> std::convertible_to<int>;
                          { M::streaming_stores } -> std::convertible_to<bool>;
                          { M::transposed_weights } -> std::convertible_to<bool>;
                          { M::pack_ci } -> std::convertible_to<int>;
                          { M::pack_parts } -> std::convertible_to<int>;
                          { M::pack_unit_floats } -> std::convertible_to<int>;
                          { M::packed_source(i) } -> std::same_as<PackedWeightSource>;
                          m.compute(stage, stage, i);
                          { cm.channel(i) } -> std::convertible_to<int>;
                          m.for_each_value(i, MainloopValueVisitor{});
                          cm.for_each_row(i, MainloopRowVisitor<M::row_width>{});
                        };

// Sets every accumulator of a main loop to zero (its channel slots cover all of them).
template <class Mainloop>
KOKKOS_FORCEINLINE_FUNCTION void zero_accumulators(Mainloop &mainloop)
{
  KTCONV_UNROLL
  for (int s = 0; s < Mainloop::channels_per_thread; ++s)
    mainloop.for_each_value(s, [](float &a) { a = 0.f; });
}

// Calls f(float (&)[values_per_channel]) on the accumulators of a main loop's channel slot s,
// gathered into one array, and writes back what f leaves there: the epilogue transforms a
// channel's values as one batch.
template <class Mainloop, class F>
KOKKOS_FORCEINLINE_FUNCTION void transform_slot(Mainloop &mainloop, int s, F &&f)
{
  float v[Mainloop::values_per_channel];
  int n = 0;
  mainloop.for_each_value(s, [&](float &a) { v[n++] = a; });
  f(v);
  n = 0;
  mainloop.for_each_value(s, [&](float &a) { a = v[n++]; });
}

} // namespace ktconv::Details

#endif // KOKKOS_ENABLE_CUDA

#endif
