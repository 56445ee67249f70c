// The seed workload (ConvTranspose2d 64 -> 64, k3 s2 p1 op1, + bias, clamp(0, 1), * 2, clamp,
// / 2) on N MPI ranks, the image split over a rows x columns grid (MPI_Dims_create, or --grid
// R C) and optionally the batch (--batch-ranks B). Prints the median time per forward (the
// slowest rank's, after warm-up), the same without overlap and the halo exchange alone (so the
// fraction of the exchange that forward hides), the halo bytes each rank receives per call,
// and a check: the gathered y against the single-process result on rank 0, bit for bit.
//
//   mpiexec -n 4 ktconv-mpi-seed-workload [--batch 128] [--size 128 | --height H --width W] [--channels 64]
//       [--grid R C] [--batch-ranks 1] [--reps 10] [--warmup 2] [--check 1] [--algorithm automatic]
//       [--csv]    one machine-readable line (for scripts/mpi-scaling.sh)
#include "common/KTConvBenchUtils.hpp"

#include <ktconv/KTConv_Distributed.hpp>

#include <mpi.h>

using namespace ktconv;
using Space = Kokkos::DefaultExecutionSpace;
using Plan = DistributedConvTranspose2d<Space, float>;

namespace
{
int world_rank = 0;

// Median over reps of the slowest rank's time of f (ms), after warmup.
template <class F>
double time_max_median(F &&f, int warmup, int reps)
{
  for (int i = 0; i < warmup; ++i)
    f();
  Kokkos::fence();
  std::vector<double> ms;
  for (int i = 0; i < reps; ++i)
  {
    MPI_Barrier(MPI_COMM_WORLD);
    auto const t0 = std::chrono::steady_clock::now();
    f();
    Kokkos::fence();
    double t = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count(), tmax = 0;
    MPI_Allreduce(&t, &tmax, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    ms.push_back(tmax);
  }
  std::sort(ms.begin(), ms.end());
  return reps % 2 ? ms[std::size_t(reps / 2)] : 0.5 * (ms[std::size_t(reps / 2 - 1)] + ms[std::size_t(reps / 2)]);
}

// Rank 0: y of the whole problem on one process, compared bit for bit with the gathered blocks.
long check(DistributedLayout const &layout, ConvTranspose2dParams const &p, Plan::tensor_type const &y_block,
           Kokkos::View<float ****, Kokkos::LayoutRight, Kokkos::HostSpace> const &x_global, Plan::tensor_type const &w,
           Kokkos::View<float *, Space::memory_space> const &cb,
           BiasClampScaleEpilogue<float, Space::memory_space> const &epi, Options const &options)
{
  auto const g = layout.global_y_extents();
  Kokkos::View<float ****, Kokkos::LayoutRight, Kokkos::HostSpace> gathered("gathered", world_rank == 0 ? g[0] : 0,
                                                                            g[1], g[2], g[3]);
  auto const yb = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, y_block);
  gather_blocks(layout, DistributedTensor::y, 0, yb, gathered);
  if (world_rank != 0)
    return 0;
  auto const x = Kokkos::create_mirror_view_and_copy(Space::memory_space{}, x_global);
  Plan::tensor_type y("y", g[0], g[1], g[2], g[3]);
  conv_transpose2d(Space(), p, x, w, cb, y, epi, options);
  auto const hy = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, y);
  long bad = 0;
  for (std::size_t i = 0; i < hy.span(); ++i)
    bad += std::memcmp(&hy.data()[i], &gathered.data()[i], sizeof(float)) != 0;
  return bad;
}
struct Shape
{
  int size, db, dr, dc;
  std::int64_t batch, ch, hh, ww;
  int reps;
};

void report(Shape const &s, double t, double t_seq, double t_halo, double hidden, long long max_bytes,
            long long total_bytes, long bad, bool csv)
{
  if (csv)
    std::printf("csv,%d,%d,%d,%d,%lld,%lld,%lld,%lld,%.4f,%.4f,%.4f,%.3f,%ld\n", s.size, s.db, s.dr, s.dc,
                (long long)s.batch, (long long)s.hh, (long long)s.ww, max_bytes, t, t_seq, t_halo, hidden, bad);
  std::printf("ktconv distributed seed workload: x (%lld, %lld, %lld, %lld) on %d ranks, grid %d x %d x %d "
              "(batch x rows x columns), %s\n",
              (long long)s.batch, (long long)s.ch, (long long)s.hh, (long long)s.ww, s.size, s.db, s.dr, s.dc,
              Space::name());
  std::printf("  time per forward: %.3f ms (median of %d, slowest rank), without overlap %.3f ms, "
              "halo exchange alone %.3f ms: %.0f%% of the exchange hidden\n",
              t, s.reps, t_seq, t_halo, 100 * hidden);
  std::printf("  halo received per call: %lld bytes on the busiest rank, %lld in all\n", max_bytes, total_bytes);
  if (bad < 0)
    std::printf("  check: skipped (--check 0)\n");
  else
    std::printf("  check: gathered y vs the single-process result, bit for bit: %s (%ld differ)\n",
                bad == 0 ? "PASS" : "FAIL", bad);
}
} // namespace

int main(int argc, char **argv)
{
  MPI_Init(&argc, &argv);
  int size = 1, status = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  {
    Kokkos::ScopeGuard guard(argc, argv);
    bench::Args a{argc, argv};
    std::int64_t const batch = a.num("--batch", 128), ch = a.num("--channels", 64);
    std::int64_t const hh = a.num("--height", a.num("--size", 128)), ww = a.num("--width", a.num("--size", 128));
    int const reps = int(a.num("--reps", 10)), warmup = int(a.num("--warmup", 2));
    int dims[3] = {int(a.num("--batch-ranks", 1)), 0, 0};
    for (int i = 1; i + 2 < argc; ++i)
      if (std::string(argv[i]) == "--grid")
      {
        dims[1] = std::atoi(argv[i + 1]);
        dims[2] = std::atoi(argv[i + 2]);
      }
    if (dims[1] == 0)
      MPI_Dims_create(size / dims[0], 2, dims + 1);
    int const periods[3] = {0, 0, 0};
    MPI_Comm cart;
    MPI_Cart_create(MPI_COMM_WORLD, 3, dims, periods, 0, &cart);

    ConvTranspose2dParams p;
    p.in_channels = p.out_channels = int(ch);
    p.kernel_size = 3;
    p.stride = 2;
    p.padding = 1;
    p.output_padding = 1;
    Options options;
    options.algorithm = bench::parse_algorithm(a.get("--algorithm", "automatic"));
    DistributedLayout layout(cart, p, {batch, ch, hh, ww});
    Plan plan(layout);
    DistributedOptions no_overlap;
    no_overlap.overlap = false;
    Plan plan_no_overlap(layout, no_overlap);

    // Replicated weights and biases (same seeds on every rank), x made on rank 0 and scattered.
    double const bound = 1.0 / std::sqrt(double(ch) * 9.0);
    Plan::tensor_type w("w", ch, ch, 3, 3);
    Kokkos::View<float *, Space::memory_space> cb("conv_bias", ch), b("bias", ch);
    bench::fill_uniform(w, 11, -bound, bound);
    bench::fill_uniform(cb, 12, -bound, bound);
    bench::fill_uniform(b, 13, -0.1, 0.1);
    BiasClampScaleEpilogue<float, Space::memory_space> epi;
    epi.bias = b;
    epi.scale = 2;
    Kokkos::View<float ****, Kokkos::LayoutRight, Kokkos::HostSpace> xg("x", world_rank == 0 ? batch : 0, ch, hh, ww);
    bench::fill_uniform(xg, 14, -1, 1);
    auto x = plan.make_x_block();
    auto hx = Kokkos::create_mirror_view(x);
    scatter_blocks(layout, DistributedTensor::x, 0, xg, hx);
    Kokkos::deep_copy(x, hx);
    auto y = plan.make_y_block();
    Kokkos::deep_copy(y, std::numeric_limits<float>::quiet_NaN());

    double const t = time_max_median([&] { plan.forward(Space(), x, w, cb, y, epi, options); }, warmup, reps);
    double const t_seq = time_max_median([&] { plan_no_overlap.forward(Space(), x, w, cb, y, epi, options); }, warmup,
                                         reps);
    double const t_halo = time_max_median([&] { plan.exchange_halo(Space(), x); }, warmup, reps);
    long long bytes = plan.halo_bytes_per_call(), max_bytes = 0, total_bytes = 0;
    MPI_Allreduce(&bytes, &max_bytes, 1, MPI_LONG_LONG, MPI_MAX, MPI_COMM_WORLD);
    MPI_Allreduce(&bytes, &total_bytes, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
    // The exchange forward hides: what overlapping saved, as a fraction of the exchange alone.
    // (nan on one rank: nothing to hide)
    double const hidden = max_bytes == 0 ? std::nan("") : std::clamp((t_seq - t) / std::max(t_halo, 1e-9), 0.0, 1.0);
    long const bad = a.num("--check", 1) ? check(layout, p, y, xg, w, cb, epi, options) : -1;
    if (world_rank == 0)
      report({size, dims[0], dims[1], dims[2], batch, ch, hh, ww, reps}, t, t_seq, t_halo, hidden, max_bytes,
             total_bytes, bad, a.has("--csv"));
    status = bad > 0;
    MPI_Comm_free(&cart);
  }
  MPI_Finalize();
  return status;
}
