// What compute-sanitizer's racecheck makes of ktconv's TMA stage pipeline, on a program small
// enough to check by eye (docs/DESIGN.md, "Staging"). One block of 256 threads streams `steps`
// chunks of a global array through 2 shared-memory stages, as TmaPipeline::run (details/cuda/pipeline) does:
// thread 0 issues the first chunks; each chunk is one bulk copy (cp.async.bulk) completing on the
// stage's "full" mbarrier, which every thread waits on before reading the stage; after reading,
// the stage is released and refilled with the chunk `stages` steps ahead. The release forms:
//   named     : warp k % 8 waits on the stage's named barrier (bar.sync), the others arrive
//               (bar.arrive); that warp's lane 0 refills (ktconv's form).
//   mbarrier  : every thread arrives on an "empty" mbarrier; lane 0 of warp k % 8 waits on it
//               (try_wait) and refills.
//   team      : __syncthreads, then thread 0 refills (the reference every tool follows).
// With --record, the refilling thread also writes a per-chunk word to shared memory before it
// arms the chunk's barrier, and every thread reads it after the wait (ktconv's tile records).
// Every thread checks what it read against the source; the program exits non-zero on a wrong
// value. Not part of the CMake build (plain CUDA, no Kokkos); CI compiles it:
//   nvcc -O3 -std=c++17 -arch=sm_90 -o stage_release_racecheck stage_release_racecheck.cu
//   compute-sanitizer --tool racecheck ./stage_release_racecheck named 2 [--record]
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

constexpr int threads = 256, warps = threads / 32, stages = 2, chunk_floats = 1024, reads = 4;

__device__ unsigned smem(void const *p) { return static_cast<unsigned>(__cvta_generic_to_shared(p)); }
__device__ void wait_parity(std::uint64_t *bar, unsigned parity)
{
  asm volatile("{\n.reg .pred done;\nagain:\nmbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n"
               "@!done bra again;\n}\n" ::"r"(smem(bar)), "r"(parity) : "memory");
}

enum Release { named, mbarrier, team };

__global__ void pipeline(float const *src, float *out, int *bad, int steps, Release release, bool record)
{
  __shared__ alignas(128) float stage[stages][chunk_floats];
  __shared__ alignas(8) std::uint64_t full[stages], empty[stages];
  __shared__ int records[4];
  int const tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  auto issue = [&](int k) { // one thread: chunk k into stage k % stages
    int const b = k % stages;
    if (record)
      records[k % 4] = k + 1;
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(smem(full + b)),
                 "r"(unsigned(chunk_floats * sizeof(float))) : "memory");
    asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];\n" ::"r"(
                     smem(stage[b])), "l"(src + std::int64_t(k) * chunk_floats), "r"(unsigned(chunk_floats * sizeof(float))),
                 "r"(smem(full + b)) : "memory");
  };
  if (tid == 0)
  {
    for (int b = 0; b < stages; ++b)
    {
      asm volatile("mbarrier.init.shared::cta.b64 [%0], 1;\n" ::"r"(smem(full + b)) : "memory");
      asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(smem(empty + b)), "r"(threads) : "memory");
    }
    asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
  }
  __syncthreads();
  if (tid == 0)
    for (int k = 0; k < stages && k < steps; ++k)
      issue(k);
  float sum = 0;
  for (int k = 0; k < steps; ++k)
  {
    int const b = k % stages;
    wait_parity(full + b, unsigned((k / stages) & 1));
    for (int r = 0; r < reads; ++r)
      sum += stage[b][(tid + r * threads + k) % chunk_floats];
    if (record && records[k % 4] != k + 1)
      atomicAdd(bad, 1);
    bool refill = false;
    if (release == named)
    {
      refill = warp == k % warps && lane == 0;
      if (warp == k % warps)
        asm volatile("bar.sync %0, %1;\n" ::"r"(1 + b), "r"(threads) : "memory");
      else
        asm volatile("bar.arrive %0, %1;\n" ::"r"(1 + b), "r"(threads) : "memory");
    }
    else if (release == mbarrier)
    {
      asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(smem(empty + b)) : "memory");
      refill = warp == k % warps && lane == 0;
      if (refill)
        wait_parity(empty + b, unsigned((k / stages) & 1));
    }
    else
    {
      __syncthreads();
      refill = tid == 0;
    }
    if (refill && k + stages < steps)
    {
      asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
      issue(k + stages);
    }
  }
  out[tid] = sum;
}

int main(int argc, char **argv)
{
  if (argc < 3)
  {
    std::fprintf(stderr, "usage: %s named|mbarrier|team STEPS [--record]\n", argv[0]);
    return 2;
  }
  Release const release = !std::strcmp(argv[1], "named") ? named : !std::strcmp(argv[1], "mbarrier") ? mbarrier : team;
  int const steps = std::atoi(argv[2]);
  bool const record = argc > 3 && !std::strcmp(argv[3], "--record");
  std::vector<float> h_src(std::size_t(steps) * chunk_floats);
  for (std::size_t i = 0; i < h_src.size(); ++i)
    h_src[i] = float((i * 7 + i / chunk_floats) % 97); // small integers: sums are exact
  float *src = nullptr, *out = nullptr;
  int *bad = nullptr;
  if (cudaMalloc(&src, h_src.size() * sizeof(float)) != cudaSuccess || cudaMalloc(&out, threads * sizeof(float)) ||
      cudaMalloc(&bad, sizeof(int)) || cudaMemset(bad, 0, sizeof(int)) || cudaMemset(out, 0xff, threads * sizeof(float)))
    return std::fprintf(stderr, "allocation failed\n"), 1;
  cudaMemcpy(src, h_src.data(), h_src.size() * sizeof(float), cudaMemcpyHostToDevice);
  pipeline<<<1, threads>>>(src, out, bad, steps, release, record);
  cudaError_t const e = cudaDeviceSynchronize();
  if (e != cudaSuccess)
    return std::fprintf(stderr, "kernel failed: %s\n", cudaGetErrorString(e)), 1;
  std::vector<float> h_out(threads);
  int h_bad = 0;
  cudaMemcpy(h_out.data(), out, threads * sizeof(float), cudaMemcpyDeviceToHost);
  cudaMemcpy(&h_bad, bad, sizeof(int), cudaMemcpyDeviceToHost);
  int wrong = 0;
  for (int t = 0; t < threads; ++t)
  {
    float expect = 0;
    for (int k = 0; k < steps; ++k)
      for (int r = 0; r < reads; ++r)
        expect += h_src[std::size_t(k) * chunk_floats + (t + r * threads + k) % chunk_floats];
    wrong += h_out[t] != expect;
  }
  std::printf("release %s, %d steps%s: %d wrong sums, %d wrong records\n", argv[1], steps, record ? ", records" : "",
              wrong, h_bad);
  return wrong || h_bad ? 1 : 0;
}
