// PyTorch golden data (tests/golden/make_golden.py): ktconv must match torch's ConvTranspose2d +
// the model's epilogue, including NaN/inf propagation, on every space and algorithm, in float
// and double.
#include "support/Harness.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

using namespace ktconv;
using namespace ktconv::test;

namespace
{

struct Golden
{
  std::string name;
  Problem problem;
  Tensor4 y;
};

Golden load(std::filesystem::path const &path)
{
  std::ifstream f(path, std::ios::binary);
  std::string line;
  std::getline(f, line);
  std::istringstream hs(line);
  std::string magic, version, kv;
  hs >> magic >> version;
  if (magic != "ktconv-golden" || version != "1")
    throw std::runtime_error("bad golden header in " + path.string());
  std::map<std::string, std::string> h;
  while (hs >> kv)
  {
    auto eq = kv.find('=');
    h[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  auto i = [&](char const *k) { return std::stoll(h.at(k)); };
  auto d = [&](char const *k) { return std::stod(h.at(k)); };
  Golden g;
  g.name = h.at("name");
  auto &p = g.problem.params;
  p.in_channels = int(i("Cin"));
  p.out_channels = int(i("Cout"));
  p.kernel_size = {int(i("kh")), int(i("kw"))};
  p.stride = {int(i("sh")), int(i("sw"))};
  p.padding = {int(i("ph")), int(i("pw"))};
  p.output_padding = {int(i("oph")), int(i("opw"))};
  p.dilation = {int(i("dh")), int(i("dw"))};
  p.groups = int(i("groups"));
  p.bias = i("bias") != 0;
  auto read = [&](std::vector<double> &v, std::size_t n) {
    v.resize(n);
    f.read(reinterpret_cast<char *>(v.data()), std::streamsize(n * sizeof(double)));
    if (!f)
      throw std::runtime_error("short golden file " + path.string());
  };
  g.problem.x = Tensor4(i("N"), p.in_channels, i("H"), i("W"));
  read(g.problem.x.data, g.problem.x.size());
  g.problem.weight = Tensor4(p.in_channels, p.out_channels / p.groups, p.kernel_size.h, p.kernel_size.w);
  read(g.problem.weight.data, g.problem.weight.size());
  if (p.bias)
    read(g.problem.conv_bias, std::size_t(p.out_channels));
  auto &e = g.problem.epilogue;
  e.enabled = i("epilogue") != 0;
  e.lower = d("lower");
  e.upper = d("upper");
  e.scale = d("scale");
  if (i("epi_bias"))
    read(e.bias, std::size_t(p.out_channels));
  g.y = Tensor4(i("N"), p.out_channels, i("Hout"), i("Wout"));
  read(g.y.data, g.y.size());
  return g;
}

std::vector<std::filesystem::path> golden_files()
{
  // The build tree's source path, unless KTCONV_GOLDEN_DIR says otherwise (binaries moved to
  // another machine, e.g. the GPU machine).
  char const *env = std::getenv("KTCONV_GOLDEN_DIR");
  std::filesystem::path const dir = env ? env : KTCONV_GOLDEN_DIR;
  std::vector<std::filesystem::path> files;
  for (auto const &e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".golden")
      files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

// The golden cases by name (file stem), one ctest entry each.
std::vector<std::string> golden_names()
{
  std::vector<std::string> names;
  for (auto const &f : golden_files())
    names.push_back(f.stem().string());
  return names;
}

std::filesystem::path golden_path(std::string const &name)
{
  char const *env = std::getenv("KTCONV_GOLDEN_DIR");
  return std::filesystem::path(env ? env : KTCONV_GOLDEN_DIR) / (name + ".golden");
}

// One golden case on every space and algorithm: the double reference must agree with PyTorch
// first (it gives the error bound), then ktconv is compared with PyTorch's output itself.
template <class T>
void check_golden(std::string const &name, double factor)
{
  Golden g = load(golden_path(name));
  auto ref = reference_conv_transpose2d(g.problem.params, g.problem.x, g.problem.weight, g.problem.conv_bias,
                                        g.problem.epilogue);
  ASSERT_EQ(ref.y.size(), g.y.size()) << g.name;
  for (std::size_t i = 0; i < g.y.size(); ++i)
  {
    double const t = g.y.data[i], r = ref.y.data[i];
    if (std::isnan(t) || std::isinf(t))
      ASSERT_TRUE((std::isnan(t) && std::isnan(r)) || t == r) << g.name << " reference vs torch at " << i;
    else
      ASSERT_NEAR(r, t, 1e-12 * (1 + ref.abs_sum.data[i])) << g.name << " reference vs torch at " << i;
  }
  ref.y = g.y; // compare ktconv with PyTorch itself
  int runs = 0;
  for_each_space([&](auto space) {
    using Space = decltype(space);
    for (Algorithm a : algorithms_for<Space, T>(g.problem.params, g.problem.x.h, g.problem.x.w))
    {
      Options o;
      o.algorithm = a;
      auto cmp = compare<T>(run_ktconv<T>(space, g.problem, o), ref, factor);
      ++runs;
      EXPECT_TRUE(cmp.ok) << g.name << " " << Space::name() << " " << to_string(a) << ": " << cmp.bad << " bad, first "
                          << cmp.first_bad;
    }
  });
  EXPECT_GE(runs, 2) << g.name;
}

class GoldenCase : public ::testing::TestWithParam<std::string>
{
};

} // namespace

TEST_P(GoldenCase, MatchesPyTorchFloat)
{
  check_golden<float>(GetParam(), 2);
}

TEST_P(GoldenCase, MatchesPyTorchDouble)
{
  check_golden<double>(GetParam(), 2);
}

INSTANTIATE_TEST_SUITE_P(Golden, GoldenCase, ::testing::ValuesIn(golden_names()),
                         [](::testing::TestParamInfo<std::string> const &entry) { return entry.param; });

// The set of cases is complete, and the NaN/inf cases really exercise propagation (a test that
// cannot fail is a defect).
TEST(Golden, CasesPresentWithNanAndInf)
{
  auto const files = golden_files();
  ASSERT_GE(files.size(), 20u) << "golden files missing (set KTCONV_GOLDEN_DIR)";
  int nan_seen = 0, inf_seen = 0;
  for (auto const &file : files)
  {
    Golden const g = load(file);
    for (double t : g.y.data)
    {
      nan_seen += std::isnan(t);
      inf_seen += std::isinf(t);
    }
  }
  EXPECT_GT(nan_seen, 0);
  EXPECT_GT(inf_seen, 0);
}
