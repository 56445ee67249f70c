// The epilogue of the tiled kernel (EpilogueStore): straight from a main loop's accumulators,
// per channel slot the conv bias and the Epilogue functor's per-channel form, then stores of
// whole row runs (float4/float2 pieces where aligned); every output is written exactly once.
#ifndef KTCONV_DETAILS_CUDA_EPILOGUE_EPILOGUE_STORE_HPP
#define KTCONV_DETAILS_CUDA_EPILOGUE_EPILOGUE_STORE_HPP

#include <ktconv/details/common/KTConv_DeviceEpilogue.hpp>
#include <ktconv/details/cuda/arch/KTConv_ArchFeatures.hpp>
#include <ktconv/details/cuda/arch/KTConv_GlobalMemory.hpp>
#include <ktconv/details/cuda/kernel/KTConv_GpuTeamTile.hpp>
#include <ktconv/details/cuda/mainloop/KTConv_Mainloop.hpp>

#include <Kokkos_Core.hpp>

#include <cstdint>
#include <type_traits>
#include <utility>

#if defined(KOKKOS_ENABLE_CUDA)

// clang-format off

namespace ktconv::Details
{

// Per channel slot, the conv bias and the Epilogue functor's per-channel form are applied to
// all the slot's values as one batch (constants loaded once, no per-element branches); then
// each run of consecutive outputs of a row is stored, as float4/float2 pieces where aligned.
// Tiles wholly inside the output take a path without bounds checks, with 32-bit offsets in the
// plane. TMA kernels (per_tile) do the work that does not depend on the slot once per tile:
// every slot's bias loads are issued together (one memory latency, not one per slot), the
// record's fields are read from scratch once (the compiler cannot keep them across the global
// stores), and a run's offset in the plane, the same for every slot (Mainloop::for_each_row),
// is computed once. The cp.async kernels, which spill already, read the record and each slot's
// constants where they use them (holding them in registers was slower: docs/EXPERIMENTS.md).
//
// Kernel (GpuTiledKernel) provides g, y, conv_bias, epilogue, vector_stores and small_planes.
template <class Config, class Mainloop>
struct EpilogueStore
{
  static_assert(TiledMainloop<Mainloop>, "EpilogueStore: Mainloop must model TiledMainloop");
  template <class Kernel>
  KOKKOS_FORCEINLINE_FUNCTION static void store_tile(Kernel const &kernel, GpuTeamTile const &record, Mainloop &mainloop)
  {
    constexpr bool per_tile = Config::tma;
    // the record's fields: copied (read once) or referenced (read from scratch where used)
    std::conditional_t<per_tile, GpuTeamTile const, GpuTeamTile const &> t = record;
    int const co0 = t.group * kernel.g.out_per_group + t.co0; // the block's first channel
    std::int64_t const out_plane = std::int64_t(kernel.g.h.out) * kernel.g.w.out;
    int const w_out = kernel.g.w.out;
    constexpr int N = Mainloop::channels_per_thread;
    auto const channel_of = [&](int s) { // slots past co_valid (skipped below) read channel co0
      int const local = mainloop.channel(s);
      return co0 + (local < t.co_valid ? local : 0);
    };
    // conv bias first, then the epilogue: PyTorch's order (conv(x) + b, then the tail);
    // x + (-0.0) == x for every x, so a missing bias adds -0.0 (no branch)
    auto const cbias_of = [&](int s) { return kernel.g.has_conv_bias ? kernel.conv_bias(channel_of(s)) : -0.0f; };
    auto const op_of = [&](int s) { return channel_op(kernel.epilogue, channel_of(s)); };
    constexpr int W = Mainloop::row_width;
    float *const y0 = kernel.y.data() + (std::int64_t(t.n) * kernel.g.out_channels + co0) * out_plane; // channel co0, (0, 0)
    bool const interior =
        kernel.vector_stores && kernel.small_planes && t.oh0 + Config::out_rows <= kernel.g.h.out && t.ow0 + Config::out_cols <= w_out;
    // The slots, given each slot's conv bias and per-channel op.
    auto const store_slots = [&](auto const &cbias_at, auto const &op_at) {
      auto const transform = [&](int s) {
        float const cbias = cbias_at(s);
        transform_slot(mainloop, s, [&](auto &v) {
          KTCONV_UNROLL
          for (int e = 0; e < Mainloop::values_per_channel; ++e)
            v[e] += cbias;
          apply_channel_op(op_at(s), v);
        });
      };
      // Transforms each slot whose channel exists and calls store(slot, its tile-local channel).
      auto const for_each_valid_slot = [&](auto const &store) {
        KTCONV_UNROLL
        for (int s = 0; s < N; ++s)
        {
          int const local = mainloop.channel(s);
          if (local >= t.co_valid)
            continue;
          transform(s);
          store(s, local);
        }
      };
      if (interior)
      {
        constexpr int runs = Mainloop::values_per_channel / W;
        [[maybe_unused]] int offset[runs]; // of each run from the tile's corner (fits in int: small_planes)
        int k = 0;
        if constexpr (per_tile)
          mainloop.for_each_row(0, [&](int r, int c, float const(&)[W]) { offset[k++] = r * w_out + c; });
        float *const corner = y0 + (t.oh0 * w_out + t.ow0);
        for_each_valid_slot([&](int s, int local) {
          float *const yt = corner + local * out_plane;
          k = 0;
          mainloop.for_each_row(s, [&](int r, int c, float const(&v)[W]) {
            if constexpr (per_tile)
              store_run<true>(yt + offset[k++], v, W);
            else
              store_run<true>(yt + (r * w_out + c), v, W);
          });
        });
        return;
      }
      for_each_valid_slot([&](int s, int local) {
        float *const yc = y0 + local * out_plane;
        mainloop.for_each_row(s, [&](int r, int c, float const(&v)[W]) {
          int const oh = t.oh0 + r, ow = t.ow0 + c;
          if (oh < kernel.g.h.out && ow < w_out)
          {
            float *const dst = yc + std::int64_t(oh) * w_out + ow;
            if (kernel.vector_stores && ow + W <= w_out)
              store_run<true>(dst, v, W);
            else
              store_run<false>(dst, v, w_out - ow);
          }
        });
      });
    };
    // per_tile: every slot's constants loaded before any is used (one memory latency per tile)
    if constexpr (per_tile)
    {
      auto const cbiases = per_slot<N>(cbias_of);
      auto const ops = per_slot<N>(op_of);
      store_slots([&](int s) { return cbiases[s]; }, [&](int s) -> auto const & { return ops[s]; });
    }
    else
      store_slots(cbias_of, op_of);
  }

  // {f(0), ..., f(N - 1)} as a Kokkos::Array (built in place: f's result type need not be
  // default-constructible, as a user's epilogue functor need not be).
  template <int N, class F>
  KOKKOS_FORCEINLINE_FUNCTION static auto per_slot(F &&f)
  {
    return [&]<int... I>(std::integer_sequence<int, I...>) {
      return Kokkos::Array<decltype(f(0)), N>{{f(I)...}};
    }(std::make_integer_sequence<int, N>{});
  }

  // Stores the first min(n, W) values of a run; Vector: all W, in float4/float2 pieces.
  template <bool Vector, int W>
  KOKKOS_FORCEINLINE_FUNCTION static void store_run(float *dst, float const (&v)[W], int n)
  {
    if constexpr (Vector && W % 4 == 0)
    {
      KTCONV_UNROLL
      for (int e = 0; e < W; e += 4)
        store_output(reinterpret_cast<float4 *>(dst + e), make_float4(v[e], v[e + 1], v[e + 2], v[e + 3]));
    }
    else if constexpr (Vector && W == 2)
      store_output(reinterpret_cast<float2 *>(dst), make_float2(v[0], v[1]));
    else
    {
      KTCONV_UNROLL
      for (int e = 0; e < W; ++e)
        if (Vector || e < n)
          store_output(dst + e, v[e]);
    }
  }
  // One store of outputs: streaming (st.global.cs, evict-first) where the main loop asks for it
  // (the outputs are written once and not read again by this kernel). It helps some kernels
  // and not others (docs/EXPERIMENTS.md), so it is a per-loop choice (Mainloop::streaming_stores).
  template <class V>
  KOKKOS_FORCEINLINE_FUNCTION static void store_output(V *dst, V const &v)
  {
    if constexpr (Mainloop::streaming_stores)
      store_streaming(dst, v);
    else
      *dst = v;
  }
};

} // namespace ktconv::Details

#endif // KOKKOS_ENABLE_CUDA

#endif
