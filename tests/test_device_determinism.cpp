// Determinism and concurrency on a device backend (CUDA): every algorithm and math mode gives
// bitwise-identical results across repeated calls and stream instances (partition_space), and
// calls made at once from several host threads, each on its own instance, equal the sequential
// results. The host backends' versions are Determinism.* and Concurrency.*; on them these skip.
#include "support/Harness.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

using namespace ktconv;
using namespace ktconv::test;

namespace
{
using Space = Kokkos::DefaultExecutionSpace;

// Shapes that reach each GPU algorithm's automatic choice: tiled (seed-like), gemm (many input
// channels, small image; dilated), direct (depthwise with a kernel the tiled kernel lacks).
std::vector<Problem> device_problems()
{
  std::mt19937_64 rng(20261206);
  std::vector<Problem> out;
  auto add = [&](int cin, int cout, Size2 k, Size2 s, Size2 pad, Size2 op, Size2 d, int groups, std::int64_t n,
                 std::int64_t h, std::int64_t w) {
    out.push_back(random_problem(rng, conv_params(cin, cout, k, s, pad, op, d, groups), n, h, w, true));
  };
  add(16, 40, 3, 2, 1, 1, 1, 1, 2, 13, 37); // gpu_tiled
  add(128, 24, 4, 2, 1, 0, 1, 1, 3, 4, 4);  // gemm (DCGAN-like)
  add(16, 8, 3, 1, 2, 0, 2, 1, 2, 9, 11);   // gemm (dilated)
  add(6, 6, 5, 1, 2, 0, 1, 6, 2, 7, 9);     // direct (depthwise, k5)
  return out;
}

template <class T>
std::vector<Options> options_for(Problem const &pr)
{
  std::vector<Options> o;
  for (Algorithm a : algorithms_for<Space, T>(pr.params, pr.x.h, pr.x.w))
    for (MathMode m : {MathMode::ieee, MathMode::tf32, MathMode::tf32x3})
      if (std::is_same_v<T, float> || m == MathMode::ieee)
        o.push_back(Options{a, m});
  return o;
}

template <class T>
void check_repeatable()
{
  auto const parts = Kokkos::Experimental::partition_space(Space{}, 1, 1);
  std::vector<Space> const instances{Space{}, parts[0], parts[1]};
  auto const problems = device_problems();
  for (std::size_t i = 0; i < problems.size(); ++i)
    for (Options const &o : options_for<T>(problems[i]))
    {
      Tensor4 const first = run_ktconv<T>(Space{}, problems[i], o);
      for (std::size_t s = 0; s < instances.size(); ++s)
        for (int rep = 0; rep < 2; ++rep)
          EXPECT_TRUE(same_bits(run_ktconv<T>(instances[s], problems[i], o), first))
              << "problem " << i << " " << to_string(o.algorithm) << " " << to_string(o.math) << " instance " << s
              << " repetition " << rep;
    }
}

} // namespace

TEST(DeviceDeterminism, RepeatedCallsAndStreamsAreBitwiseEqual)
{
  if constexpr (Details::is_host_space_v<Space>)
    GTEST_SKIP() << "a host backend: Determinism.* covers it";
  check_repeatable<float>();
  check_repeatable<double>();
}

TEST(DeviceDeterminism, ConcurrentCallsOnTheirOwnStreams)
{
  if constexpr (Details::is_host_space_v<Space>)
    GTEST_SKIP() << "a host backend: Concurrency.* covers it";
  auto const problems = device_problems();
  std::vector<std::pair<std::size_t, Options>> calls;
  std::vector<Tensor4> expected;
  for (std::size_t i = 0; i < problems.size(); ++i)
    for (Options const &o : options_for<float>(problems[i]))
    {
      calls.emplace_back(i, o);
      expected.push_back(run_ktconv<float>(Space{}, problems[i], o));
    }
  int const threads = 3;
  auto const parts = Kokkos::Experimental::partition_space(Space{}, 1, 1, 1);
  std::atomic<int> mismatches{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int rep = 0; rep < 2; ++rep)
        for (std::size_t c = 0; c < calls.size(); ++c)
        {
          std::size_t const k = (c + std::size_t(t) * 3) % calls.size(); // threads in different orders
          if (!same_bits(run_ktconv<float>(parts[t], problems[calls[k].first], calls[k].second), expected[k]))
            ++mismatches;
        }
    });
  for (auto &th : pool)
    th.join();
  EXPECT_EQ(mismatches.load(), 0);
}
