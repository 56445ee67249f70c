// Peak-rate probe for the tensor-core instructions the TF32 main loops use, on the GPU it runs on:
// mma.sync m16n8k8 TF32 and wgmma m64nNk8 TF32 (A in registers, B in shared memory), each warp
// issuing into independent accumulators, no memory traffic in the timed loop. It states the
// ceiling each main loop can reach (docs/PERFORMANCE.md). Not part of the CMake build (plain
// CUDA, no Kokkos); CI compiles it so it keeps building:
//   nvcc -O3 -std=c++17 -gencode=arch=compute_90a,code=sm_90a -o mma_peak mma_peak.cu
#include <cstdio>
#include <cstdint>
#define ITER 4096
template <int NACC>
__global__ void mma_sync_loop(float *out, long long *cyc, int iters)
{
  unsigned a[4], b[2];
  for (int i = 0; i < 4; ++i) a[i] = __float_as_uint(1.0f + threadIdx.x * 1e-3f + i);
  for (int i = 0; i < 2; ++i) b[i] = __float_as_uint(0.5f + threadIdx.x * 1e-3f + i);
  float d[NACC][4] = {};
  __syncthreads();
  long long t0 = clock64();
  for (int it = 0; it < iters; ++it)
  {
#pragma unroll
    for (int n = 0; n < NACC; ++n)
      asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                   : "+f"(d[n][0]), "+f"(d[n][1]), "+f"(d[n][2]), "+f"(d[n][3])
                   : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
  }
  __syncthreads();
  long long t1 = clock64();
  float s = 0;
  for (int n = 0; n < NACC; ++n) s += d[n][0] + d[n][1] + d[n][2] + d[n][3];
  out[blockIdx.x * blockDim.x + threadIdx.x] = s;
  if (threadIdx.x == 0) cyc[blockIdx.x] = t1 - t0;
}

__device__ uint64_t desc(const void *smem, unsigned lbo, unsigned sbo)
{
  uint64_t a = (uint64_t)(__cvta_generic_to_shared(smem));
  return ((a & 0x3FFFF) >> 4) | ((uint64_t)((lbo >> 4) & 0x3FFF) << 16) | ((uint64_t)((sbo >> 4) & 0x3FFF) << 32);
}
#define D16(o) "+f"(d[o+0]),"+f"(d[o+1]),"+f"(d[o+2]),"+f"(d[o+3]),"+f"(d[o+4]),"+f"(d[o+5]),"+f"(d[o+6]),"+f"(d[o+7]),"+f"(d[o+8]),"+f"(d[o+9]),"+f"(d[o+10]),"+f"(d[o+11]),"+f"(d[o+12]),"+f"(d[o+13]),"+f"(d[o+14]),"+f"(d[o+15])
// N = 32 or 64; per iteration NW wgmmas (to NACC accumulator sets, round robin), then commit + wait
template <int N, int NACC, int NW>
__global__ void wgmma_loop(float *out, long long *cyc, int iters)
{
  __shared__ __align__(128) float sb[N * 8 * 9];
  for (int i = threadIdx.x; i < N * 8 * 9; i += blockDim.x) sb[i] = 0.25f + (i % 7);
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
  __syncthreads();
  unsigned a[4];
  for (int i = 0; i < 4; ++i) a[i] = __float_as_uint(1.0f + threadIdx.x * 1e-3f + i);
  float d[NACC][N / 2];
  for (int n = 0; n < NACC; ++n) for (int i = 0; i < N / 2; ++i) d[n][i] = 0.f;
  long long t0 = clock64();
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  for (int it = 0; it < iters; ++it)
  {
    asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
#pragma unroll
    for (int w = 0; w < NW; ++w)
    {
      uint64_t db = desc(sb + (w % 9) * N * 8, 128, 256);
      float *dd = d[w % NACC];
      if constexpr (N == 32)
        asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, 1, 0;\n"
                     "wgmma.mma_async.sync.aligned.m64n32k8.f32.tf32.tf32 "
                     "{%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15}, {%16,%17,%18,%19}, %20, p, 1, 1;\n}\n"
                     : "+f"(dd[0]),"+f"(dd[1]),"+f"(dd[2]),"+f"(dd[3]),"+f"(dd[4]),"+f"(dd[5]),"+f"(dd[6]),"+f"(dd[7]),"+f"(dd[8]),"+f"(dd[9]),"+f"(dd[10]),"+f"(dd[11]),"+f"(dd[12]),"+f"(dd[13]),"+f"(dd[14]),"+f"(dd[15])
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(db));
      else
        asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, 1, 0;\n"
                     "wgmma.mma_async.sync.aligned.m64n64k8.f32.tf32.tf32 "
                     "{%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31}, {%32,%33,%34,%35}, %36, p, 1, 1;\n}\n"
                     : "+f"(dd[0]),"+f"(dd[1]),"+f"(dd[2]),"+f"(dd[3]),"+f"(dd[4]),"+f"(dd[5]),"+f"(dd[6]),"+f"(dd[7]),"+f"(dd[8]),"+f"(dd[9]),"+f"(dd[10]),"+f"(dd[11]),"+f"(dd[12]),"+f"(dd[13]),"+f"(dd[14]),"+f"(dd[15]),
                       "+f"(dd[16]),"+f"(dd[17]),"+f"(dd[18]),"+f"(dd[19]),"+f"(dd[20]),"+f"(dd[21]),"+f"(dd[22]),"+f"(dd[23]),"+f"(dd[24]),"+f"(dd[25]),"+f"(dd[26]),"+f"(dd[27]),"+f"(dd[28]),"+f"(dd[29]),"+f"(dd[30]),"+f"(dd[31])
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(db));
    }
    asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
    asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory");
  }
#endif
  __syncthreads();
  long long t1 = clock64();
  float s = 0;
  for (int n = 0; n < NACC; ++n) for (int i = 0; i < N / 2; ++i) s += d[n][i];
  out[blockIdx.x * blockDim.x + threadIdx.x] = s;
  if (threadIdx.x == 0) cyc[blockIdx.x] = t1 - t0;
}

template <class K>
void run(const char *name, K kernel, int blocks_per_sm, int threads, int iters, double flop_per_warp_iter)
{
  int sms = 0; cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0);
  int grid = sms * blocks_per_sm;
  float *out; long long *cyc; cudaMalloc(&out, sizeof(float) * grid * threads); cudaMalloc(&cyc, 8 * grid);
  kernel<<<grid, threads>>>(out, cyc, iters / 8); // warm-up
  cudaEvent_t e0, e1; cudaEventCreate(&e0); cudaEventCreate(&e1);
  float best = 1e30f;
  for (int r = 0; r < 5; ++r) {
    cudaEventRecord(e0); kernel<<<grid, threads>>>(out, cyc, iters); cudaEventRecord(e1); cudaEventSynchronize(e1);
    float ms; cudaEventElapsedTime(&ms, e0, e1); if (ms < best) best = ms;
  }
  double warps = double(grid) * threads / 32;
  double tflops = warps * iters * flop_per_warp_iter / (best * 1e-3) / 1e12;
  printf("%-34s blocks/SM %d threads %4d: %7.3f ms, %6.1f TFLOP/s%s\n", name, blocks_per_sm, threads, best, tflops,
         cudaGetLastError() == cudaSuccess ? "" : " ERROR");
  cudaFree(out); cudaFree(cyc);
}
int main()
{
  cudaDeviceProp p; cudaGetDeviceProperties(&p, 0); printf("%s, %d SMs\n", p.name, p.multiProcessorCount);
  double f = 2.0 * 16 * 8 * 8;
  for (int bps : {1, 2}) for (int th : {128, 256, 512}) {
    run("mma.sync tf32 m16n8k8, 4 acc", mma_sync_loop<4>, bps, th, ITER, 4 * f);
    run("mma.sync tf32 m16n8k8, 8 acc", mma_sync_loop<8>, bps, th, ITER, 8 * f);
  }
  // wgmma: a warpgroup's m64nNk8 is 4 warps x (16 x N x 8): 2*16*N*8 FLOP per warp and instruction
  for (int bps : {1, 2}) for (int th : {128, 256}) {
    run("wgmma m64n32k8, 9/commit, 1 acc", wgmma_loop<32, 1, 9>, bps, th, ITER / 4, 9 * 2.0 * 16 * 32 * 8);
    run("wgmma m64n32k8, 9/commit, 4 acc", wgmma_loop<32, 4, 9>, bps, th, ITER / 4, 9 * 2.0 * 16 * 32 * 8);
    run("wgmma m64n64k8, 9/commit, 4 acc", wgmma_loop<64, 4, 9>, bps, th, ITER / 4, 9 * 2.0 * 16 * 64 * 8);
  }
}
