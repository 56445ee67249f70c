// The TMA tensor map of the tiled kernel's input: the driver's encoder (fetched through the
// runtime) and the map of the input as (W, H, channel in group, group, image) with boxes of one
// chunk of a tile config's patch.
#ifndef KTCONV_DETAILS_CUDA_LAUNCH_TENSOR_MAP_HPP
#define KTCONV_DETAILS_CUDA_LAUNCH_TENSOR_MAP_HPP

#include <ktconv/details/common/KTConv_Geometry.hpp>
#include <ktconv/details/common/KTConv_Views.hpp>

#include <Kokkos_Core.hpp>

#include <cstdint>

#if defined(KOKKOS_ENABLE_CUDA)
#include <cuda.h> // CUtensorMap (types only: the encoder is fetched from the driver at run time)
#include <cudaTypedefs.h>

namespace ktconv::Details
{

// The driver's cuTensorMapEncodeTiled, fetched through the runtime (no link to libcuda), or
// null where the driver has none.
inline PFN_cuTensorMapEncodeTiled_v12000 tensor_map_encoder()
{
  static PFN_cuTensorMapEncodeTiled_v12000 const encoder = [] {
    void *fn = nullptr;
    cudaDriverEntryPointQueryResult found{};
    if (cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &fn, 12000, cudaEnableDefault, &found) !=
            cudaSuccess ||
        found != cudaDriverEntryPointSuccess)
      return PFN_cuTensorMapEncodeTiled_v12000(nullptr);
    return reinterpret_cast<PFN_cuTensorMapEncodeTiled_v12000>(fn);
  }();
  return encoder;
}

// Encodes the TMA tensor map of the input for Config; false where TMA cannot serve the launch
// (GPU before sm_90, rows not a multiple of 16 bytes, unaligned data, no encoder, a shape the
// encoder rejects, a build whose Kokkos does not pass functors as __grid_constant__
// parameters).
template <class Config>
bool encode_input_tma_map(Kokkos::Cuda const &space, ConvGeometry const &g, Input4<float, Kokkos::CudaSpace> x,
                          CUtensorMap &x_map)
{
#if defined(KOKKOS_IMPL_CUDA_USE_GRID_CONSTANT)
  auto const encode = tensor_map_encoder();
  if (!encode || space.cuda_device_prop().major < 9 || g.w.in % 4 != 0 ||
      reinterpret_cast<std::uintptr_t>(x.data()) % 16 != 0)
    return false;
  using u64 = cuuint64_t;
  using u32 = cuuint32_t;
  u64 const cig = u64(g.in_per_group);
  u64 const plane_bytes = u64(g.h.in) * u64(g.w.in) * sizeof(float);
  u64 const x_dims[5] = {u64(g.w.in), u64(g.h.in), cig, u64(g.groups), u64(g.batch)};
  u64 const x_strides[4] = {u64(g.w.in) * sizeof(float), plane_bytes, cig * plane_bytes,
                            u64(g.in_channels) * plane_bytes};
  u32 const x_box[5] = {u32(Config::patch_pitch), u32(Config::patch_rows), u32(Config::chunk_ci), 1, 1};
  u32 const unit[5] = {1, 1, 1, 1, 1};
  return encode(&x_map, CU_TENSOR_MAP_DATA_TYPE_FLOAT32, 5, const_cast<float *>(x.data()), x_dims, x_strides, x_box,
                unit, CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_NONE, CU_TENSOR_MAP_L2_PROMOTION_L2_128B,
                CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE) == CUDA_SUCCESS;
#else
  (void)space, (void)g, (void)x, (void)x_map;
  return false;
#endif
}

} // namespace ktconv::Details

#endif // KOKKOS_ENABLE_CUDA

#endif
