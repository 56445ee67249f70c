// Concurrency: several host threads calling ktconv at once, each on its own execution-space
// instance (Serial instances, OpenMP partitions from partition_space), and several threads
// sharing one FusedConvTranspose2d's forward: every result equals the sequential run, bit for
// bit. The `tsan` preset runs these tests (Serial) under ThreadSanitizer.
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

constexpr int threads = 4;
constexpr int repetitions = 3;

// One problem per thread, of different shapes.
std::vector<Problem> thread_problems(std::uint64_t seed)
{
  std::mt19937_64 rng(seed);
  std::vector<Problem> out;
  for (int t = 0; t < threads; ++t)
  {
    ConvTranspose2dParams p;
    p.in_channels = 4 + 2 * t;
    p.out_channels = 6 + t;
    p.kernel_size = 3 + t % 2;
    p.stride = 1 + t % 3;
    p.padding = t % 2;
    out.push_back(random_problem(rng, p, 2, 7 + t, 9 + 2 * t, t % 2 == 0));
  }
  return out;
}

// Each thread runs its problem on its own instance, every host algorithm, `repetitions` times.
template <class Space>
void expect_concurrent_equals_sequential(std::vector<Space> const &instances)
{
  ASSERT_GE(instances.size(), 2u);
  auto const problems = thread_problems(std::random_device{}());
  std::vector<Algorithm> const algorithms = algorithms_for<Space>();
  std::vector<std::vector<Tensor4>> expected(problems.size());
  for (std::size_t t = 0; t < problems.size(); ++t)
    for (Algorithm a : algorithms)
      expected[t].push_back(run_ktconv<float>(Space{}, problems[t], Options{a}));
  std::atomic<int> mismatches{0}, errors{0};
  std::vector<std::thread> pool;
  for (std::size_t t = 0; t < problems.size(); ++t)
    pool.emplace_back([&, t] {
      Space const &instance = instances[t % instances.size()];
      try
      {
        for (int rep = 0; rep < repetitions; ++rep)
          for (std::size_t a = 0; a < algorithms.size(); ++a)
            if (!same_bits(run_ktconv<float>(instance, problems[t], Options{algorithms[a]}), expected[t][a]))
              ++mismatches;
      }
      catch (...)
      {
        ++errors;
      }
    });
  for (auto &th : pool)
    th.join();
  EXPECT_EQ(mismatches.load(), 0) << "concurrent results differ from sequential ones on " << Space::name();
  EXPECT_EQ(errors.load(), 0);
}

} // namespace

#if KTCONV_HAVE_SERIAL
TEST(Concurrency, ThreadsOnTheirOwnSerialInstances)
{
  auto const parts = Kokkos::Experimental::partition_space(Kokkos::Serial{}, 1, 1, 1, 1);
  expect_concurrent_equals_sequential(std::vector<Kokkos::Serial>(parts.begin(), parts.end()));
}
#endif

#if KTCONV_HAVE_OPENMP
TEST(Concurrency, ThreadsOnOpenMPPartitions)
{
  auto const parts = Kokkos::Experimental::partition_space(Kokkos::OpenMP{}, 1, 1);
  expect_concurrent_equals_sequential(std::vector<Kokkos::OpenMP>(parts.begin(), parts.end()));
}
#endif

// One module, shared by several threads: forward(x) on the default instance and
// forward(space, x, y) on each thread's own instance.
TEST(Concurrency, ThreadsSharingOneModule)
{
  using Space = Kokkos::DefaultHostExecutionSpace;
  using Module = FusedConvTranspose2d<float, Space>;
  std::mt19937_64 rng(std::random_device{}());
  ConvTranspose2dParams p;
  p.in_channels = 8;
  p.out_channels = 12;
  p.kernel_size = 3;
  p.stride = 2;
  p.padding = 1;
  p.output_padding = 1;
  Module::EpilogueParams ep;
  ep.scale = 2;
  Module const m(p, ep);
  Problem const pr = random_problem(rng, p, 1, 5, 6, true);
  auto upload = [](auto view, auto const &values) {
    auto h = Kokkos::create_mirror_view(view);
    for (std::size_t i = 0; i < h.span(); ++i)
      h.data()[i] = float(values[i]);
    Kokkos::deep_copy(view, h);
  };
  upload(m.weight(), pr.weight.data);
  upload(m.conv_bias(), pr.conv_bias);
  upload(m.bias(), pr.epilogue.bias);
  std::vector<Module::tensor_type> xs;
  for (int t = 0; t < threads; ++t)
    xs.push_back(to_device<float, Space::memory_space>(random_tensor(rng, 2, 8, 5 + t, 6 + t), "x"));
  std::vector<Module::tensor_type> expected;
  for (auto const &x : xs)
    expected.push_back(m.forward(x));
  auto const parts = Kokkos::Experimental::partition_space(Space{}, 1, 1);
  std::atomic<int> mismatches{0};
  auto equal = [](Module::tensor_type const &a, Module::tensor_type const &b) {
    return a.span() == b.span() && std::memcmp(a.data(), b.data(), a.span() * sizeof(float)) == 0;
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int rep = 0; rep < repetitions; ++rep)
      {
        if (!equal(m.forward(xs[t]), expected[t]))
          ++mismatches;
        Module::tensor_type y("y", expected[t].extent(0), expected[t].extent(1), expected[t].extent(2),
                              expected[t].extent(3));
        m.forward(parts[t % 2], xs[t], y);
        parts[t % 2].fence();
        if (!equal(y, expected[t]))
          ++mismatches;
      }
    });
  for (auto &th : pool)
    th.join();
  EXPECT_EQ(mismatches.load(), 0);
}
