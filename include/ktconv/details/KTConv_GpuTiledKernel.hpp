#ifndef KTCONV_DETAILS_GPU_TILED_KERNEL_HPP
#define KTCONV_DETAILS_GPU_TILED_KERNEL_HPP

// The CUDA kernel: a register-tiled implicit GEMM over the stride phases, written as a Kokkos
// TeamPolicy kernel with team scratch (shared) memory.
//
// A team owns one image, one block of output channels and a tile of q positions, where an
// output o = r - padding + stride*q belongs to phase r (see AxisGeometry). It computes the
// outputs of *all* stride^2 phases of that tile, because they read the same input patch: each
// input element staged in shared memory feeds kernel^2 taps, and each thread keeps a small
// window of inputs in registers that feeds every tap of every phase.
//
//   main loop  : for each chunk of input channels: stage the input patch and the weights in
//                scratch; each thread loads its input window (registers) and, per tap, the
//                weights of its output channels (one 16-byte broadcast), and accumulates
//                acc[phase_h][phase_w][row][col][channel] += window * weight.
//   epilogue   : per output channel, each warp writes its accumulators (conv bias and the
//                Epilogue functor applied) to a per-warp scratch tile laid out like the
//                output, then stores whole rows coalesced. Every output is written once.
//
// Tile sizes are compile-time, and so are kernel size and stride (dilation 1), so the tap and
// phase loops unroll and the accumulators stay in registers. Shapes outside the instantiated
// set fall back to the direct kernel (AlgorithmSelection).

#include <ktconv/KTConv_Params.hpp>
#include <ktconv/details/KTConv_Geometry.hpp>
#include <ktconv/details/KTConv_Views.hpp>

#include <Kokkos_Core.hpp>

#include <cstdint>
#include <type_traits>

namespace ktconv::Details
{

inline char const *gpu_tiled_requirements()
{
  return "needs the CUDA backend, float, dilation 1, and a square kernel/stride pair among "
         "(3,2), (4,2), (2,2), (3,1)";
}

// Kernel/stride pairs compiled for the tiled kernel. Returns a dispatch id, or -1.
inline int gpu_tiled_variant(ConvGeometry const &g)
{
  if (g.h.dilation != 1 || g.w.dilation != 1 || g.h.kernel != g.w.kernel || g.h.stride != g.w.stride)
    return -1;
  int const k = g.h.kernel, s = g.h.stride;
  if (k == 3 && s == 2)
    return 0;
  if (k == 4 && s == 2)
    return 1;
  if (k == 2 && s == 2)
    return 2;
  if (k == 3 && s == 1)
    return 3;
  return -1;
}

template <class ExecutionSpace, class T>
bool gpu_tiled_supports(ConvGeometry const &g)
{
#if defined(KOKKOS_ENABLE_CUDA)
  if constexpr (std::is_same_v<ExecutionSpace, Kokkos::Cuda> && std::is_same_v<T, float>)
    return gpu_tiled_variant(g) >= 0;
#endif
  (void)g;
  return false;
}

#if defined(KOKKOS_ENABLE_CUDA)

// Unrolled loops keep the accumulator and window arrays in registers (compile-time indices).
#if defined(__CUDA_ARCH__)
#define KTCONV_UNROLL _Pragma("unroll")
#else
#define KTCONV_UNROLL
#endif

template <int Kernel, int Stride>
struct GpuTileConfig
{
  static constexpr int kernel = Kernel;
  static constexpr int stride = Stride;
  static constexpr int max_offset = (Kernel - 1) / Stride; // input rows/cols a tap reaches back
  static constexpr int co_per_thread = 4;                  // one float4 of weights per tap
  static constexpr int q_per_thread_w = 4;                 // consecutive q columns per thread
  static constexpr int q_per_thread_h = Stride == 1 ? 4 : 1;
  static constexpr int lanes_w = 8, lanes_h = 4; // a warp's lanes as 4 rows x 8 columns
  static constexpr int warps = 8;
  static constexpr int threads = 32 * warps;
  static constexpr int block_co = warps * co_per_thread; // output channels per team
  static constexpr int tile_qh = lanes_h * q_per_thread_h;
  static constexpr int tile_qw = lanes_w * q_per_thread_w;
  static constexpr int patch_h = tile_qh + max_offset;
  static constexpr int patch_w = tile_qw + max_offset;
  static constexpr int patch_pitch = (patch_w + 3) / 4 * 4; // rows 16-byte aligned for float4
  static constexpr int patch_size = patch_h * patch_pitch;
  static constexpr int weights_per_ci = Kernel * Kernel * block_co;
  static constexpr int window_h = q_per_thread_h + max_offset;
  static constexpr int window_w = q_per_thread_w + max_offset;
  static constexpr int out_rows = Stride * tile_qh;
  static constexpr int out_cols = Stride * tile_qw;
  static constexpr int out_pitch = out_cols + 1;
  // Kokkos grants a CUDA team at most sharedMemPerBlock (48 KB) minus its own reserve (about
  // 8 KB) of level-0 scratch, so tiles are sized for 40000 bytes. The epilogue's per-warp
  // output tiles reuse the staging area after the main loop.
  static constexpr int scratch_limit_floats = (40000 - 16) / 4;
  static constexpr int out_floats = warps * out_rows * out_pitch;
  static constexpr int chunk_ci = 16 * (patch_size + weights_per_ci) <= scratch_limit_floats ? 16 : 8;
  static constexpr int staging_floats = chunk_ci * (patch_size + weights_per_ci);
  static constexpr std::size_t scratch_floats = staging_floats > out_floats ? staging_floats : out_floats;
  static_assert(scratch_floats <= scratch_limit_floats, "tile too large for Kokkos' level-0 scratch");
};

template <class Config, class Epilogue>
struct GpuTiledKernel
{
  using MemorySpace = Kokkos::CudaSpace;
  using Team = typename Kokkos::TeamPolicy<Kokkos::Cuda>::member_type;
  static constexpr int K = Config::kernel, S = Config::stride, OFF = Config::max_offset;
  static constexpr int CO = Config::co_per_thread, QW = Config::q_per_thread_w, QH = Config::q_per_thread_h;

  Input4<float, MemorySpace> x, weight;
  Input1<float, MemorySpace> conv_bias;
  Output4<float, MemorySpace> y;
  ConvGeometry g;
  Epilogue epilogue;
  int q0h, q0w;         // first q of the tiling, per axis
  int tiles_h, tiles_w; // tiles per axis
  int co_blocks;        // ceil(out_per_group / block_co)

  KOKKOS_FUNCTION void operator()(Team const &team) const
  {
    // league index -> (image*group, tile row, tile column, channel block); the channel block
    // varies fastest so teams sharing an input patch run together and hit L2.
    int league = team.league_rank();
    int const cb = league % co_blocks;
    league /= co_blocks;
    int const tw = league % tiles_w;
    league /= tiles_w;
    int const th = league % tiles_h;
    league /= tiles_h;
    int const group = league % g.groups;
    int const n = league / g.groups;

    int const qh0 = q0h + th * Config::tile_qh; // q of the tile's first row
    int const qw0 = q0w + tw * Config::tile_qw;
    int const co0 = cb * Config::block_co; // first channel (within the group)
    int const cig = g.in_per_group;

    // 16-byte aligned: the window and weights are read as float4.
    float *const patch =
        static_cast<float *>(team.team_scratch(0).get_shmem_aligned(Config::scratch_floats * sizeof(float), 16));
    float *const wsm = patch + Config::chunk_ci * Config::patch_size;
    float *const outsm = patch; // reused by the epilogue, after the main loop

    int const rank = team.team_rank();
    int const warp = rank / 32, lane = rank % 32;
    int const lr = lane / Config::lanes_w, lc = lane % Config::lanes_w;

    float acc[S][S][QH][QW][CO];
KTCONV_UNROLL
    for (int a = 0; a < S; ++a)
KTCONV_UNROLL
      for (int b = 0; b < S; ++b)
KTCONV_UNROLL
        for (int i = 0; i < QH; ++i)
KTCONV_UNROLL
          for (int j = 0; j < QW; ++j)
KTCONV_UNROLL
            for (int c = 0; c < CO; ++c)
              acc[a][b][i][j][c] = 0.f;

    std::int64_t const plane = std::int64_t(g.h.in) * g.w.in;
    float const *const xg = x.data() + (std::int64_t(n) * g.in_channels + std::int64_t(group) * cig) * plane;
    float const *const wg = weight.data() + std::int64_t(group) * cig * g.out_per_group * (K * K);
    int const co_valid = g.out_per_group - co0 < Config::block_co ? g.out_per_group - co0 : Config::block_co;

    for (int c0 = 0; c0 < cig; c0 += Config::chunk_ci)
    {
      team.team_barrier(); // the previous chunk is consumed
      // Stage the input patch: rows q - OFF .. of the tile, zero outside the image.
      for (int idx = rank; idx < Config::chunk_ci * Config::patch_h * Config::patch_w; idx += Config::threads)
      {
        int const ci = idx / (Config::patch_h * Config::patch_w);
        int const rem = idx - ci * (Config::patch_h * Config::patch_w);
        int const r = rem / Config::patch_w, c = rem - r * Config::patch_w;
        int const ih = qh0 - OFF + r, iw = qw0 - OFF + c;
        float v = 0.f;
        if (c0 + ci < cig && ih >= 0 && ih < g.h.in && iw >= 0 && iw < g.w.in)
          v = xg[std::int64_t(c0 + ci) * plane + std::int64_t(ih) * g.w.in + iw];
        patch[ci * Config::patch_size + r * Config::patch_pitch + c] = v;
      }
      // Stage the weights as [ci][kh][kw][channel]; global is [ci][channel][kh][kw].
      for (int idx = rank; idx < Config::chunk_ci * Config::weights_per_ci; idx += Config::threads)
      {
        int const ci = idx / Config::weights_per_ci;
        int const rem = idx - ci * Config::weights_per_ci; // = channel*K*K + tap, contiguous in global
        int const co = rem / (K * K), tap = rem - co * (K * K);
        float v = 0.f;
        if (c0 + ci < cig && co < co_valid)
          v = wg[(std::int64_t(c0 + ci) * g.out_per_group + co0 + co) * (K * K) + tap];
        wsm[ci * Config::weights_per_ci + tap * Config::block_co + co] = v;
      }
      team.team_barrier();

      int const nci = cig - c0 < Config::chunk_ci ? cig - c0 : Config::chunk_ci;
      for (int ci = 0; ci < nci; ++ci)
      {
        // The thread's input window: patch rows lr*QH .. +QH+OFF, columns lc*QW .. +QW+OFF.
        float win[Config::window_h][Config::window_w];
        float const *pp = patch + ci * Config::patch_size + (lr * QH) * Config::patch_pitch + lc * QW;
KTCONV_UNROLL
        for (int i = 0; i < Config::window_h; ++i)
        {
          float4 const v = *reinterpret_cast<float4 const *>(pp + i * Config::patch_pitch);
          win[i][0] = v.x;
          win[i][1] = v.y;
          win[i][2] = v.z;
          win[i][3] = v.w;
KTCONV_UNROLL
          for (int j = 4; j < Config::window_w; ++j)
            win[i][j] = pp[i * Config::patch_pitch + j];
        }
        float const *wp = wsm + ci * Config::weights_per_ci + warp * CO;
        // Phase (rh, rw): taps kh = rh + jh*S reach back jh input rows (dilation 1).
KTCONV_UNROLL
        for (int rh = 0; rh < S; ++rh)
KTCONV_UNROLL
          for (int jh = 0; rh + jh * S < K; ++jh)
KTCONV_UNROLL
            for (int rw = 0; rw < S; ++rw)
KTCONV_UNROLL
              for (int jw = 0; rw + jw * S < K; ++jw)
              {
                int const kh = rh + jh * S, kw = rw + jw * S;
                float4 const wv = *reinterpret_cast<float4 const *>(wp + (kh * K + kw) * Config::block_co);
                float const wc[4] = {wv.x, wv.y, wv.z, wv.w};
KTCONV_UNROLL
                for (int i = 0; i < QH; ++i)
KTCONV_UNROLL
                  for (int j = 0; j < QW; ++j)
                  {
                    float const xv = win[i + OFF - jh][j + OFF - jw];
KTCONV_UNROLL
                    for (int c = 0; c < CO; ++c)
                      acc[rh][rw][i][j][c] += xv * wc[c];
                  }
              }
      }
    }

    // Epilogue: one output channel at a time through the warp's scratch tile, then coalesced
    // row stores. Output rows of the tile start at S*qh0 - padding (phase 0 of q = qh0).
    team.team_barrier(); // every warp is done reading the staging area it reuses
    float *const tile = outsm + warp * Config::out_rows * Config::out_pitch;
    int const oh0 = S * qh0 - g.h.padding, ow0 = S * qw0 - g.w.padding;
KTCONV_UNROLL
    for (int c = 0; c < CO; ++c)
    {
      int const col = co0 + warp * CO + c; // channel within the group
      int const co = group * g.out_per_group + col;
      bool const valid = col < g.out_per_group;
      float const bias = (valid && g.has_conv_bias) ? conv_bias(co) : 0.f;
KTCONV_UNROLL
      for (int rh = 0; rh < S; ++rh)
KTCONV_UNROLL
        for (int rw = 0; rw < S; ++rw)
KTCONV_UNROLL
          for (int i = 0; i < QH; ++i)
KTCONV_UNROLL
            for (int j = 0; j < QW; ++j)
            {
              // q = (qh0 + lr*QH + i, qw0 + lc*QW + j) of phase (rh, rw) is output row
              // S*(lr*QH + i) + rh of the tile, column S*(lc*QW + j) + rw.
              int const r = S * (lr * QH + i) + rh, cc = S * (lc * QW + j) + rw;
              tile[r * Config::out_pitch + cc] = acc[rh][rw][i][j][c];
            }
      KOKKOS_IF_ON_DEVICE((__syncwarp();))
      if (valid)
      {
        float *const yc = y.data() + (std::int64_t(n) * g.out_channels + co) * std::int64_t(g.h.out) * g.w.out;
        for (int e = lane; e < Config::out_rows * Config::out_cols; e += 32)
        {
          int const r = e / Config::out_cols, cc = e - r * Config::out_cols;
          int const oh = oh0 + r, ow = ow0 + cc;
          if (oh >= 0 && oh < g.h.out && ow >= 0 && ow < g.w.out)
          {
            float v = tile[r * Config::out_pitch + cc];
            if (g.has_conv_bias)
              v += bias;
            yc[std::int64_t(oh) * g.w.out + ow] = epilogue(v, co);
          }
        }
      }
      KOKKOS_IF_ON_DEVICE((__syncwarp();))
    }
  }
};

template <int Kernel, int Stride, class Epilogue>
void launch_gpu_tiled(Kokkos::Cuda const &space, ConvGeometry const &g, Input4<float, Kokkos::CudaSpace> x,
                      Input4<float, Kokkos::CudaSpace> weight, Input1<float, Kokkos::CudaSpace> conv_bias,
                      Output4<float, Kokkos::CudaSpace> y, Epilogue const &epilogue)
{
  using Config = GpuTileConfig<Kernel, Stride>;
  GpuTiledKernel<Config, Epilogue> k{x, weight, conv_bias, y, g, epilogue, 0, 0, 0, 0, 0};
  // q range over all phases: q_begin is smallest for the last phase, q_end largest for phase 0.
  auto range = [](AxisGeometry const &a, int &q0, int &tiles, int tile) {
    int lo = a.q_begin(0), hi = a.q_end(0);
    for (int r = 1; r < a.stride; ++r)
    {
      lo = a.q_begin(r) < lo ? a.q_begin(r) : lo;
      hi = a.q_end(r) > hi ? a.q_end(r) : hi;
    }
    q0 = lo;
    tiles = (hi - lo + tile - 1) / tile;
  };
  range(g.h, k.q0h, k.tiles_h, Config::tile_qh);
  range(g.w, k.q0w, k.tiles_w, Config::tile_qw);
  k.co_blocks = (g.out_per_group + Config::block_co - 1) / Config::block_co;
  std::int64_t const league = g.batch * g.groups * std::int64_t(k.tiles_h) * k.tiles_w * k.co_blocks;
  if (league > std::int64_t(std::numeric_limits<int>::max()))
    throw std::runtime_error("ktconv: problem too large for one launch of the tiled kernel");
  Kokkos::TeamPolicy<Kokkos::Cuda, Kokkos::LaunchBounds<Config::threads, 2>> policy(space, int(league),
                                                                                    Config::threads);
  policy.set_scratch_size(0, Kokkos::PerTeam(Config::scratch_floats * sizeof(float) + 16));
  Kokkos::parallel_for("ktconv::gpu_tiled", policy, k);
}

#endif // KOKKOS_ENABLE_CUDA

template <class ExecutionSpace, class T, class Epilogue>
void run_gpu_tiled([[maybe_unused]] ExecutionSpace const &space, [[maybe_unused]] ConvGeometry const &g,
                   [[maybe_unused]] Input4<T, typename ExecutionSpace::memory_space> x,
                   [[maybe_unused]] Input4<T, typename ExecutionSpace::memory_space> weight,
                   [[maybe_unused]] Input1<T, typename ExecutionSpace::memory_space> conv_bias,
                   [[maybe_unused]] Output4<T, typename ExecutionSpace::memory_space> y,
                   [[maybe_unused]] Epilogue const &epilogue, [[maybe_unused]] MathMode math)
{
#if defined(KOKKOS_ENABLE_CUDA)
  if constexpr (std::is_same_v<ExecutionSpace, Kokkos::Cuda> && std::is_same_v<T, float>)
  {
    switch (gpu_tiled_variant(g))
    {
    case 0: launch_gpu_tiled<3, 2>(space, g, x, weight, conv_bias, y, epilogue); return;
    case 1: launch_gpu_tiled<4, 2>(space, g, x, weight, conv_bias, y, epilogue); return;
    case 2: launch_gpu_tiled<2, 2>(space, g, x, weight, conv_bias, y, epilogue); return;
    case 3: launch_gpu_tiled<3, 1>(space, g, x, weight, conv_bias, y, epilogue); return;
    default: break;
    }
  }
#endif
  throw std::logic_error("ktconv: run_gpu_tiled called for an unsupported case");
}

} // namespace ktconv::Details

#endif
