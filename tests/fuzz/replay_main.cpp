// Runs the fuzz target without libFuzzer (any compiler, any backend): on the given files or
// folders of inputs (the committed regressions), then on `--random N` random inputs from a
// seed (printed; `--seed S` repeats a run). ctest runs it under an address-space limit.
#include <Kokkos_Core.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "FuzzCase.hpp"

namespace ktconv::fuzz
{
void run_one(std::uint8_t const *data, std::size_t size);
}

namespace
{

int run_file(std::filesystem::path const &path)
{
  std::ifstream in(path, std::ios::binary);
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ktconv::fuzz::run_one(bytes.data(), bytes.size());
  return 1;
}

int run_path(std::filesystem::path const &path)
{
  if (!std::filesystem::is_directory(path))
    return run_file(path);
  int n = 0;
  for (auto const &entry : std::filesystem::directory_iterator(path))
    if (entry.is_regular_file())
      n += run_file(entry.path());
  return n;
}

} // namespace

int main(int argc, char **argv)
{
  Kokkos::ScopeGuard guard(argc, argv);
  long random_runs = 0;
  std::uint64_t seed = std::random_device{}() * 0x9E3779B97F4A7C15ull ^ std::random_device{}();
  int files = 0;
  for (int i = 1; i < argc; ++i)
  {
    std::string const a = argv[i];
    if (a == "--random" && i + 1 < argc)
      random_runs = std::atol(argv[++i]);
    else if (a == "--seed" && i + 1 < argc)
      seed = std::strtoull(argv[++i], nullptr, 10);
    else
      files += run_path(a);
  }
  std::printf("ktconv fuzz replay: %d inputs from files passed\n", files);
  std::printf("[ fuzz seed %llu ] %ld random inputs\n", static_cast<unsigned long long>(seed), random_runs);
  std::fflush(stdout);
  std::mt19937_64 rng(seed);
  std::vector<std::uint8_t> bytes;
  for (long r = 0; r < random_runs; ++r)
  {
    bytes.resize(rng() % 80);
    for (auto &b : bytes) // mostly small values (selectors < 128), some adversarial ones
      b = std::uint8_t(rng() % 100 < 85 ? rng() % 128 : rng() % 256);
    ktconv::fuzz::run_one(bytes.data(), bytes.size());
  }
  auto const &o = ktconv::fuzz::outcomes;
  std::printf("ktconv fuzz replay: all passed: %ld computed and checked, %ld rejected (y untouched), %ld "
              "AllocationError under a limit, %ld impossible extents rejected, %ld beyond the data budget "
              "(output_extents checked only)\n",
              o.computed, o.rejected, o.allocation_errors, o.impossible_rejected, o.extents_only);
  return 0;
}
