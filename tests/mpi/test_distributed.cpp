// Tests of ktconv::mpi, run by ctest under mpirun with 1-4 ranks: for every Cartesian grid
// of the communicator's size (batch x rows x columns, 2-d and 3-d communicators), many shapes,
// float and double, each algorithm, with and without overlap, each rank's block of y must be
// bitwise identical to the same block of the single-process result by the same algorithm; the
// gathered y must equal it too. Bad splits and mismatched arguments must throw on every rank.
#include <ktconv/KTConv_Distributed.hpp>
#include <ktconv/ktconv.hpp>

#include <Kokkos_Core.hpp>
#include <mpi.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace
{
using Space = Kokkos::DefaultHostExecutionSpace;
int rank_ = 0, size_ = 1, failures = 0, checks = 0;

void fail(std::string const &what)
{
  ++failures;
  std::printf("[rank %d] FAIL: %s\n", rank_, what.c_str());
}

struct Case
{
  char const *name;
  ktconv::ConvTranspose2dParams p;
  std::int64_t n;
  bool epilogue;
};

ktconv::ConvTranspose2dParams params(int ci, int co, ktconv::Size2 k, ktconv::Size2 s, ktconv::Size2 pad,
                                     ktconv::Size2 op, ktconv::Size2 d, int groups = 1, bool bias = true)
{
  ktconv::ConvTranspose2dParams p;
  p.in_channels = ci;
  p.out_channels = co;
  p.kernel_size = k;
  p.stride = s;
  p.padding = pad;
  p.output_padding = op;
  p.dilation = d;
  p.groups = groups;
  p.bias = bias;
  return p;
}

std::vector<Case> cases()
{
  return {
      {"seed k3 s2 p1 op1", params(5, 8, 3, 2, 1, 1, 1), 2, true},
      {"seed shape 64 ch", params(64, 64, 3, 2, 1, 1, 1), 1, true},
      {"k3 s1 p1", params(4, 6, 3, 1, 1, 0, 1), 2, false},
      {"k3 s1 p0", params(3, 7, 3, 1, 0, 0, 1), 1, true},
      {"k4 s2 p1", params(4, 6, 4, 2, 1, 0, 1), 2, true},
      {"k5 s3 p2 op2", params(3, 5, 5, 3, 2, 2, 1), 2, false},
      {"dilation 2", params(4, 6, 3, 2, 2, 1, 2), 1, true},
      {"groups 2", params(4, 6, 3, 2, 1, 1, 1, 2), 2, true},
      {"non-square", params(3, 4, {3, 5}, {2, 3}, {1, 2}, {1, 0}, {1, 2}, 1, false), 2, true},
      {"stride > kernel", params(3, 4, 2, 3, 0, 2, 1), 1, false},
      {"large padding", params(3, 4, 5, 1, 4, 0, 1), 1, true},
      {"pointwise k1 s2", params(3, 4, 1, 2, 0, 1, 1), 2, false},
  };
}

template <class T>
T value_at(std::uint64_t seed, std::uint64_t i)
{
  std::uint64_t z = seed * 0x9E3779B97F4A7C15ull + i + 1;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return T(double(z >> 11) * 0x1.0p-53 * 2.0 - 1.0);
}

template <class View>
void fill(View const &v, std::uint64_t seed)
{
  for (std::size_t i = 0; i < v.span(); ++i)
    v.data()[i] = value_at<typename View::value_type>(seed, i);
}

// Uneven block sizes along an axis for `parts` ranks: the first `first` (enough to own an
// output), the middle ones as thin as the halo allows (`thin`, or one more), the last the rest.
std::vector<std::int64_t> uneven(int parts, std::int64_t extent, std::int64_t first, std::int64_t thin)
{
  std::vector<std::int64_t> s;
  std::int64_t sum = 0;
  for (int j = 0; j + 1 < parts; ++j)
  {
    s.push_back(j == 0 ? first : thin + (j % 2));
    sum += s.back();
  }
  s.push_back(extent - sum);
  return s;
}

MPI_Comm make_grid(std::array<int, 3> const &dims, bool three_d)
{
  MPI_Comm cart = MPI_COMM_NULL;
  int const periods[3] = {0, 0, 0};
  if (three_d)
    MPI_Cart_create(MPI_COMM_WORLD, 3, dims.data(), periods, 0, &cart);
  else
    MPI_Cart_create(MPI_COMM_WORLD, 2, dims.data() + 1, periods, 0, &cart);
  return cart;
}

// Outputs of the block `local` that are not bit for bit the same block of `global`.
template <class View>
std::int64_t differences(View const &local, View const &global, ktconv::Block4 const &b)
{
  using T = typename View::value_type;
  std::int64_t bad = 0;
  for (std::int64_t i0 = 0; i0 < b.extent[0]; ++i0)
    for (std::int64_t i1 = 0; i1 < b.extent[1]; ++i1)
      for (std::int64_t i2 = 0; i2 < b.extent[2]; ++i2)
        for (std::int64_t i3 = 0; i3 < b.extent[3]; ++i3)
        {
          T const a = local(i0, i1, i2, i3);
          T const e = global(b.begin[0] + i0, i1, b.begin[2] + i2, b.begin[3] + i3);
          bad += std::memcmp(&a, &e, sizeof(T)) != 0;
        }
  return bad;
}

// One case on one grid: both value types, both host algorithms, overlap on and off.
template <class T>
void run_case(Case const &c, MPI_Comm cart, std::array<int, 3> const &dims, bool split_uneven)
{
  using Host = Kokkos::View<T ****, Kokkos::LayoutRight, Kokkos::HostSpace>;
  auto const &p = c.p;
  auto axis_min = [&](int k, int s, int pad, int d) { return std::max(1, (k - 1) * d / s) + (pad + s - 1) / s + 1; };
  std::int64_t const mh = axis_min(p.kernel_size.h, p.stride.h, p.padding.h, p.dilation.h);
  std::int64_t const mw = axis_min(p.kernel_size.w, p.stride.w, p.padding.w, p.dilation.w);
  std::int64_t const n = dims[0] == 1 ? c.n : 2 * dims[0] + 1, h = dims[1] * (mh + 2) + 1, w = dims[2] * (mw + 2) + 2;
  ktconv::BlockSplit split;
  if (split_uneven)
    split = {uneven(dims[0], n, 1, 1),
             uneven(dims[1], h, mh, std::max(1, (p.kernel_size.h - 1) * p.dilation.h / p.stride.h)),
             uneven(dims[2], w, mw, std::max(1, (p.kernel_size.w - 1) * p.dilation.w / p.stride.w))};
  ktconv::DistributedLayout layout(cart, p, {n, p.in_channels, h, w}, split);
  auto const gy = layout.global_y_extents();

  Host x("x", n, p.in_channels, h, w),
      weight("w", p.in_channels, p.out_channels / p.groups, p.kernel_size.h, p.kernel_size.w);
  Kokkos::View<T *, Kokkos::HostSpace> conv_bias("cb", p.bias ? p.out_channels : 0), bias("b", p.out_channels);
  fill(x, 1);
  fill(weight, 2);
  fill(conv_bias, 3);
  fill(bias, 4);
  ktconv::BiasClampScaleEpilogue<T, Kokkos::HostSpace> epi;
  epi.bias = bias;
  epi.lower = T(-0.75);
  epi.upper = T(2.5);
  epi.scale = T(3);

  auto const xb = layout.x_block(), yb = layout.y_block();
  Host xl("xl", xb.extent[0], xb.extent[1], xb.extent[2], xb.extent[3]);
  ktconv::scatter_blocks(layout, ktconv::DistributedTensor::x, 0, x, xl);
  for (auto algorithm : {ktconv::Algorithm::direct, ktconv::Algorithm::host_rows})
  {
    ktconv::Options options;
    options.algorithm = algorithm;
    Host y("y", gy[0], gy[1], gy[2], gy[3]);
    if (c.epilogue)
      ktconv::conv_transpose2d(Space(), p, x, weight, conv_bias, y, epi, options);
    else
      ktconv::conv_transpose2d(Space(), p, x, weight, conv_bias, y, ktconv::NoEpilogue(), options);
    for (int variant = 0; variant < 3; ++variant) // overlap; no overlap; overlap, equal padding parities
    {
      bool const overlap = variant != 1;
      ktconv::DistributedOptions dopt;
      dopt.overlap = overlap;
      dopt.parity = variant == 2 ? ktconv::LocalPaddingParity::equal : ktconv::LocalPaddingParity::any;
      ktconv::DistributedConvTranspose2d<Space, T> plan(layout, dopt);
      Host yl = plan.make_y_block();
      for (int rep = 0; rep < 2; ++rep) // the plan's buffers are reused
      {
        Kokkos::deep_copy(yl, std::nan(""));
        if (c.epilogue)
          plan.forward(Space(), xl, weight, conv_bias, yl, epi, options);
        else
          plan.forward(Space(), xl, weight, conv_bias, yl, ktconv::NoEpilogue(), options);
        Space().fence();
        std::int64_t const bad = differences(yl, y, yb);
        ++checks;
        std::string const what = std::string(c.name) + (sizeof(T) == 4 ? " float" : " double") + " grid " +
                                 std::to_string(dims[0]) + "x" + std::to_string(dims[1]) + "x" +
                                 std::to_string(dims[2]) + (split_uneven ? " uneven" : " even") + " " +
                                 ktconv::to_string(algorithm) + (overlap ? " overlap" : " no-overlap") +
                                 (variant == 2 ? " equal-parity" : "");
        if (bad != 0)
          fail(what + ": " + std::to_string(bad) + " outputs of the block differ from the single-process result");
        Host gathered("g", rank_ == 0 ? gy[0] : 0, gy[1], gy[2], gy[3]);
        ktconv::gather_blocks(layout, ktconv::DistributedTensor::y, 0, yl, rank_ == 0 ? gathered : y);
        if (rank_ == 0 && std::memcmp(gathered.data(), y.data(), y.span() * sizeof(T)) != 0)
          fail(what + ": the gathered y differs from the single-process result");
      }
    }
  }
}

std::vector<std::array<int, 3>> grids(int size)
{
  std::vector<std::array<int, 3>> g;
  for (int b = 1; b <= size; ++b)
    for (int r = 1; r <= size; ++r)
      if (size % (b * r) == 0)
        g.push_back({b, r, size / (b * r)});
  return g;
}

// Every rank must throw InvalidArgument containing `expect` from `f`.
template <class F>
void expect_error_everywhere(char const *name, char const *expect, F const &f)
{
  int ok = 0;
  try
  {
    f();
  }
  catch (ktconv::InvalidArgument const &e)
  {
    ok = std::string(e.what()).find(expect) != std::string::npos;
    if (!ok)
      fail(std::string(name) + ": unexpected message: " + e.what());
  }
  int all = 0;
  MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  ++checks;
  if (!ok)
    fail(std::string(name) + ": this rank did not throw InvalidArgument");
}

void bad_inputs()
{
  auto const p = params(3, 4, 5, 1, 2, 0, 1); // halo 4 rows and columns
  MPI_Comm cart = make_grid({1, size_, 1}, false);
  std::array<std::int64_t, 4> const ext{1, 3, 8 * size_, 9};
  expect_error_everywhere("not Cartesian", "Cartesian topology",
                          [&] { ktconv::DistributedLayout l(MPI_COMM_WORLD, p, ext); });
  expect_error_everywhere("split sum", "sum to", [&] {
    ktconv::BlockSplit s;
    s.rows.assign(std::size_t(size_), 7);
    ktconv::DistributedLayout l(cart, p, ext, s);
  });
  if (size_ > 1)
  {
    expect_error_everywhere("thinner than halo", "fewer than the halo", [&] {
      ktconv::BlockSplit s;
      s.rows.assign(std::size_t(size_), 3);
      s.rows.back() = ext[2] - 3 * (size_ - 1);
      ktconv::DistributedLayout l(cart, p, ext, s);
    });
    expect_error_everywhere("different parameters", "differ between the ranks", [&] {
      auto q = p;
      q.padding = rank_ == size_ - 1 ? 1 : 2;
      ktconv::DistributedLayout l(cart, q, ext);
    });
  }
  ktconv::DistributedLayout layout(cart, p, ext);
  ktconv::DistributedConvTranspose2d<Space, float> plan(layout);
  auto xb = layout.x_block();
  Kokkos::View<float ****, Kokkos::HostSpace> x("x", xb.extent[0], xb.extent[1], xb.extent[2] + (rank_ == size_ - 1),
                                                xb.extent[3]),
      w("w", 3, 4, 5, 5);
  Kokkos::View<float *, Kokkos::HostSpace> b("b", 4);
  auto y = plan.make_y_block();
  expect_error_everywhere("block extents", "x block", [&] { plan.forward(Space(), x, w, b, y); });
  auto x_ok = plan.make_x_block();
  Kokkos::View<float ****, Kokkos::HostSpace> w_bad("w", 3, 4, 5, rank_ == 0 ? 4 : 5);
  expect_error_everywhere("weight extents", "weight", [&] { plan.forward(Space(), x_ok, w_bad, b, y); });
  MPI_Comm_free(&cart);
}
} // namespace

int main(int argc, char **argv)
{
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  {
    Kokkos::ScopeGuard guard(argc, argv);
    bad_inputs();
    for (auto const &g : grids(size_))
      for (bool three_d : {false, true})
      {
        if (!three_d && g[0] != 1)
          continue;
        MPI_Comm cart = make_grid(g, three_d);
        for (auto const &c : cases())
          for (bool split_uneven : {false, true})
          {
            run_case<float>(c, cart, g, split_uneven);
            if (c.p.in_channels < 64)
              run_case<double>(c, cart, g, split_uneven);
          }
        MPI_Comm_free(&cart);
      }
  }
  int total = 0;
  MPI_Allreduce(&failures, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (rank_ == 0)
    std::printf("ktconv mpi tests, %d ranks: %d checks per rank, %d failures\n", size_, checks, total);
  MPI_Finalize();
  return total == 0 ? 0 : 1;
}
