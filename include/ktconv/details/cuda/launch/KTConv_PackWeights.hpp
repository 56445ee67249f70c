// Weight packing for the TMA kernels: the weights of each (group, channel block) reordered per
// call into the order a main loop's threads read them (PackWeights, a Kokkos kernel), and the
// size of one block (packed_block_floats).
#ifndef KTCONV_DETAILS_CUDA_LAUNCH_PACK_WEIGHTS_HPP
#define KTCONV_DETAILS_CUDA_LAUNCH_PACK_WEIGHTS_HPP

#include <ktconv/details/common/KTConv_Geometry.hpp>
#include <ktconv/details/common/KTConv_Views.hpp>
#include <ktconv/details/cuda/arch/KTConv_MmaSync.hpp>
#include <ktconv/details/cuda/mainloop/KTConv_Mainloop.hpp>

#include <Kokkos_Core.hpp>

#include <cstdint>

#if defined(KOKKOS_ENABLE_CUDA)

namespace ktconv::Details
{

// Floats of one (group, channel block) of a main loop's packed weights: whole chunks of input
// channels (zero-padded), so a stage's bulk copy never reads past the block.
template <class Config, class Mainloop>
std::int64_t packed_block_floats(ConvGeometry const &g)
{
  static_assert(Config::chunk_ci % Mainloop::pack_ci == 0);
  int const chunks = (g.in_per_group + Config::chunk_ci - 1) / Config::chunk_ci;
  return std::int64_t(chunks) * (Config::chunk_ci / Mainloop::pack_ci) * Mainloop::pack_unit_floats;
}

// Packs the weights per call in the order a main loop's threads read them
// (Mainloop::packed_source), per (group, channel block of block_co), zero for channels past
// the group's last; for 3xTF32 as the split (tf32 big part, small part).
template <class Mainloop>
struct PackWeights
{
  Input4<float, Kokkos::CudaSpace> weight; // [cin][cog][kh][kw]
  float *packed;
  int cig, cog, co_blocks, block_co, units, kw;
  KOKKOS_FUNCTION void operator()(std::int64_t i) const
  {
    int const e = int(i % Mainloop::pack_unit_floats);
    std::int64_t rest = i / Mainloop::pack_unit_floats;
    int const unit = int(rest % units);
    rest /= units;
    int const cb = int(rest % co_blocks);
    int const group = int(rest / co_blocks);
    PackedWeightSource const src = Mainloop::packed_source(e);
    int const ci = unit * Mainloop::pack_ci + src.ci, co = cb * block_co + src.co;
    float const v = ci < cig && co < cog ? weight(group * cig + ci, co, src.tap / kw, src.tap % kw) : 0.f;
    if constexpr (Mainloop::pack_parts == 2)
    {
      float const big = Kokkos::bit_cast<float>(tf32_bits(v));
      packed[i] = src.part == 0 ? big : v - big;
    }
    else
      packed[i] = v;
  }
};

} // namespace ktconv::Details

#endif // KOKKOS_ENABLE_CUDA

#endif
