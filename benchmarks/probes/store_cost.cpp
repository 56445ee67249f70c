// What a store of y costs the FMAs on an AVX-512 core (docs/EXPERIMENTS.md, "CPU (OpenMP) on
// Zen 4", experiment 15): 16 independent zmm FMA chains (explicit registers, distinct starting
// values so the compiler keeps them apart) with B 64-byte stores after every F FMAs into a
// 256 MiB ring (the stores reach memory): streaming or plain, 512- or 256-bit stores, the same
// store rate in bursts of different sizes. Not part of the CMake build:
//   g++ -O2 -march=native -o store_cost store_cost.cpp && taskset -c 1 ./store_cost nt512
// Kinds: nt512 (vmovntps zmm, how host_rows streams y), nt256, st512, st256.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <immintrin.h>
#include <string>

template <int Kind>
inline void store64(float *p, __m512 v)
{
  __m256 const h = _mm512_extractf32x8_ps(v, 0);
  if constexpr (Kind == 0)
    _mm512_stream_ps(p, v);
  else if constexpr (Kind == 1)
  {
    _mm256_stream_ps(p, h);
    _mm256_stream_ps(p + 8, h);
  }
  else if constexpr (Kind == 2)
    _mm512_store_ps(p, v);
  else
  {
    _mm256_store_ps(p, h);
    _mm256_store_ps(p + 8, h);
  }
}

#define FMA16                                                                                                          \
  a0 = _mm512_fmadd_ps(a0, x, y);                                                                                      \
  a1 = _mm512_fmadd_ps(a1, x, y);                                                                                      \
  a2 = _mm512_fmadd_ps(a2, x, y);                                                                                      \
  a3 = _mm512_fmadd_ps(a3, x, y);                                                                                      \
  a4 = _mm512_fmadd_ps(a4, x, y);                                                                                      \
  a5 = _mm512_fmadd_ps(a5, x, y);                                                                                      \
  a6 = _mm512_fmadd_ps(a6, x, y);                                                                                      \
  a7 = _mm512_fmadd_ps(a7, x, y);                                                                                      \
  a8 = _mm512_fmadd_ps(a8, x, y);                                                                                      \
  a9 = _mm512_fmadd_ps(a9, x, y);                                                                                      \
  a10 = _mm512_fmadd_ps(a10, x, y);                                                                                    \
  a11 = _mm512_fmadd_ps(a11, x, y);                                                                                    \
  a12 = _mm512_fmadd_ps(a12, x, y);                                                                                    \
  a13 = _mm512_fmadd_ps(a13, x, y);                                                                                    \
  a14 = _mm512_fmadd_ps(a14, x, y);                                                                                    \
  a15 = _mm512_fmadd_ps(a15, x, y);
template <int Kind>
__attribute__((noinline)) double run(int F, int B, float *buf, size_t n, long total, float *out)
{
  __m512 a0 = _mm512_set1_ps(1.00f), a1 = _mm512_set1_ps(1.01f), a2 = _mm512_set1_ps(1.02f), a3 = _mm512_set1_ps(1.03f),
         a4 = _mm512_set1_ps(1.04f), a5 = _mm512_set1_ps(1.05f), a6 = _mm512_set1_ps(1.06f), a7 = _mm512_set1_ps(1.07f),
         a8 = _mm512_set1_ps(1.08f), a9 = _mm512_set1_ps(1.09f), a10 = _mm512_set1_ps(1.10f),
         a11 = _mm512_set1_ps(1.11f), a12 = _mm512_set1_ps(1.12f), a13 = _mm512_set1_ps(1.13f),
         a14 = _mm512_set1_ps(1.14f), a15 = _mm512_set1_ps(1.15f);
  __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
  size_t pos = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (long done = 0; done < total; done += F)
  {
    for (int f = 0; f < F; f += 16)
    {
      FMA16
    }
    for (int b = 0; b < B; ++b)
    {
      store64<Kind>(buf + pos, a0);
      pos += 16;
      if (pos >= n)
        pos = 0;
    }
  }
  _mm_sfence();
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  __m512 t = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                           _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
  t = _mm512_add_ps(t, _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11)),
                                     _mm512_add_ps(_mm512_add_ps(a12, a13), _mm512_add_ps(a14, a15))));
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, t);
  for (float v : lanes)
    *out += v;
  return s;
}
template <int Kind>
void table(float *buf, size_t n)
{
  long const total = 600000000L;
  float sink = 0;
  auto best = [&](int F, int B) {
    double b = 1e9;
    for (int r = 0; r < 5; ++r)
    {
      double t = run<Kind>(F, B, buf, n, total, &sink);
      if (t < b)
        b = t;
    }
    return b;
  };
  double const base = best(2304, 0);
  printf("no stores: %.4f s (%.2f G zmm FMA/s)\n", base, total / base / 1e9);
  int const cfg[][2] = {{2304, 16}, {1152, 8}, {576, 4}, {288, 2}, {144, 1}, {1152, 16}, {576, 8}, {288, 4}, {144, 2}};
  for (auto const &c : cfg)
  {
    double const t = best(c[0], c[1]);
    printf("%2d stores per %4d FMAs: %+5.1f%% (%.1f GB/s)\n", c[1], c[0], (t / base - 1) * 100,
           double(total) / c[0] * c[1] * 64 / t / 1e9);
  }
  if (sink == 1.2345f)
    printf("%f\n", sink);
}

int main(int argc, char **argv)
{
  std::string const kind = argc > 1 ? argv[1] : "nt512";
  size_t const bytes = size_t(256) << 20;
  float *buf = static_cast<float *>(aligned_alloc(64, bytes));
  memset(buf, 0, bytes);
  size_t const n = bytes / 4;
  if (kind == "nt512")
    table<0>(buf, n);
  else if (kind == "nt256")
    table<1>(buf, n);
  else if (kind == "st512")
    table<2>(buf, n);
  else if (kind == "st256")
    table<3>(buf, n);
  else
  {
    fprintf(stderr, "kind: nt512, nt256, st512 or st256\n");
    return 2;
  }
  free(buf);
}
