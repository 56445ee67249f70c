// Determinism: every host algorithm gives bitwise-identical results across repeated calls,
// execution-space instances and backends (OpenMP, Serial). Each output is summed by one thread
// in a fixed order (no atomics in any sum), so neither the thread count nor the scheduling can
// change a bit. Thread counts need separate processes (Kokkos initializes once): the ctest
// entries determinism.threads{1,2,3} run Determinism.Digest with --kokkos-num-threads=N, each
// writing the digests to a file, and determinism.compare requires the files to be identical.
#include "support/Harness.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

using namespace ktconv;
using namespace ktconv::test;

namespace
{

// Fixed problems (fixed seed): the digests must not change from one process to another.
std::vector<Problem> determinism_problems()
{
  std::mt19937_64 rng(20261206);
  std::vector<Problem> out;
  auto add = [&](int cin, int cout, Size2 k, Size2 s, Size2 pad, Size2 op, Size2 d, int groups, std::int64_t n,
                 std::int64_t h, std::int64_t w, bool epilogue) {
    out.push_back(random_problem(rng, conv_params(cin, cout, k, s, pad, op, d, groups), n, h, w, epilogue));
  };
  add(16, 24, 3, 2, 1, 1, 1, 1, 2, 13, 37, true); // the seed shape, smaller
  add(12, 8, {4, 3}, {2, 3}, {1, 2}, {1, 0}, {2, 1}, 2, 1, 9, 21, false);
  add(7, 7, 5, 1, 2, 0, 1, 7, 2, 11, 19, true);  // depthwise, stride 1
  add(33, 13, 3, 3, 0, 2, 2, 1, 1, 6, 50, true); // many input channels
  return out;
}

std::uint64_t fnv1a(Tensor4 const &t)
{
  std::uint64_t h = 0xcbf29ce484222325ull;
  unsigned char const *p = reinterpret_cast<unsigned char const *>(t.data.data());
  for (std::size_t i = 0; i < t.size() * sizeof(double); ++i)
    h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

template <class Space>
std::vector<Space> instances_of(Space const &space)
{
  auto const parts = Kokkos::Experimental::partition_space(space, 1, 1);
  return {space, Space{}, parts[0], parts[1]};
}

// Repeated calls on several instances of `space` equal `first`, bit for bit.
template <class T, class Space>
void expect_repeatable(Space const &space, Problem const &pr, Algorithm a, Tensor4 const &first, int index)
{
  for (Space const &instance : instances_of(space))
    for (int rep = 0; rep < 2; ++rep)
      EXPECT_TRUE(same_bits(run_ktconv<T>(instance, pr, Options{a}), first))
          << "problem " << index << " " << to_string(a) << " on " << Space::name() << " repetition " << rep;
}

template <class T>
void check_type()
{
  auto const problems = determinism_problems();
  for (std::size_t i = 0; i < problems.size(); ++i)
  {
    Problem const &pr = problems[i];
    for (Algorithm a : algorithms_for<Kokkos::DefaultHostExecutionSpace, T>(pr.params, pr.x.h, pr.x.w))
    {
      Tensor4 const first = run_ktconv<T>(Kokkos::DefaultHostExecutionSpace{}, pr, Options{a});
      for_each_space([&](auto space) {
        if constexpr (Details::is_host_space_v<decltype(space)>)
          expect_repeatable<T>(space, pr, a, first, int(i));
      });
    }
  }
}

} // namespace

TEST(Determinism, RepeatedCallsInstancesAndBackendsAreBitwiseEqual)
{
  check_type<float>();
  check_type<double>();
}

// Digests of every host algorithm's result on the fixed problems; with
// KTCONV_DETERMINISM_DIGEST_FILE set, also written there (one line per result) for
// determinism.compare to compare across processes run with different thread counts.
TEST(Determinism, Digest)
{
  std::string lines;
  auto const problems = determinism_problems();
  auto digest = [&](auto t) {
    using T = decltype(t);
    for (std::size_t i = 0; i < problems.size(); ++i)
      for (Algorithm a :
           algorithms_for<Kokkos::DefaultHostExecutionSpace, T>(problems[i].params, problems[i].x.h, problems[i].x.w))
      {
        Tensor4 const y = run_ktconv<T>(Kokkos::DefaultHostExecutionSpace{}, problems[i], Options{a});
        char line[128];
        std::snprintf(line, sizeof line, "%s problem %zu %s %016llx\n", sizeof(T) == 4 ? "float" : "double", i,
                      to_string(a), static_cast<unsigned long long>(fnv1a(y)));
        lines += line;
      }
  };
  std::printf("[ determinism digests on %s, concurrency %d ]\n", Kokkos::DefaultHostExecutionSpace::name(),
              Kokkos::DefaultHostExecutionSpace().concurrency());
  digest(float{});
  digest(double{});
  EXPECT_GE(lines.size(), 8u * 3 * 20);
  if (char const *file = std::getenv("KTCONV_DETERMINISM_DIGEST_FILE"))
  {
    std::ofstream out(file);
    out << "# " << Kokkos::DefaultHostExecutionSpace::name() << "\n" << lines;
    ASSERT_TRUE(out.good()) << "cannot write " << file;
  }
}
