#ifndef KTCONV_DISTRIBUTED_HPP
#define KTCONV_DISTRIBUTED_HPP

// ConvTranspose2d + epilogue of a global NCHW tensor split over the ranks of a Cartesian MPI
// communicator (ktconv::mpi, built with KTCONV_ENABLE_MPI; not included by ktconv.hpp). Each
// rank passes its block of x and receives its block of y, bitwise identical to the same block
// of the single-process result by the same algorithm; weights and biases are replicated. The
// local work is ktconv's own conv_transpose2d on the block extended by its halo. See
// docs/DISTRIBUTED.md for ownership, halos and the local calls.

#include <ktconv/KTConv_ConvTranspose2d.hpp>
#include <ktconv/KTConv_DistributedLayout.hpp>
#include <ktconv/KTConv_DistributedScatter.hpp>
#include <ktconv/details/mpi/KTConv_HaloExchange.hpp>
#include <ktconv/details/mpi/KTConv_LocalCall.hpp>

#include <Kokkos_Core.hpp>

#include <exception>
#include <string>
#include <type_traits>
#include <utility>

namespace ktconv
{

enum class GpuAwareMpi
{
  automatic, // device buffers to MPI when the library says it is CUDA-aware, else host copies
  on,        // device buffers to MPI (the MPI library must accept them)
  off,       // always through host copies
};

enum class LocalPaddingParity
{
  automatic, // `equal` on CUDA, `any` elsewhere
  equal,     // every local call has padding % stride equal on both axes, as the CUDA tiled kernel
             // needs (else `automatic` runs `direct`), at the cost of a cropped row or column
  any,       // the fewest cropped outputs
};

struct DistributedOptions
{
  // Compute the block while the halo is in flight, then recompute the outputs that read the
  // halo (the border) once it has arrived. Off: wait for the halo, then compute once.
  bool overlap = true;
  GpuAwareMpi gpu_aware = GpuAwareMpi::automatic;
  LocalPaddingParity parity = LocalPaddingParity::automatic;
};

// The plan of a distributed transposed convolution: layout, neighbours, halo buffers, the
// halo-extended input block and the local calls, kept across forward() calls.
template <class ExecutionSpace = Kokkos::DefaultExecutionSpace, class T = float>
class DistributedConvTranspose2d
{
public:
  using execution_space = ExecutionSpace;
  using memory_space = typename ExecutionSpace::memory_space;
  using value_type = T;
  using tensor_type = Kokkos::View<T ****, Kokkos::LayoutRight, memory_space>;

  // Collective over the layout's communicator (an error on any rank throws on all).
  explicit DistributedConvTranspose2d(DistributedLayout const &layout, DistributedOptions const &options = {})
      : layout_(layout), options_(options)
  {
    std::string error;
    try
    {
      setup();
    }
    catch (std::exception const &e)
    {
      error = e.what();
    }
    Details::agree_on_errors(layout_.comm(), error);
  }

  DistributedLayout const &layout() const { return layout_; }
  DistributedOptions const &options() const { return options_; }
  // Bytes this rank receives per forward (its halo rows, columns and corner).
  std::int64_t halo_bytes_per_call() const { return exchange_.elements_received() * std::int64_t(sizeof(T)); }
  // Whether MPI reads and writes the halo buffers in the execution space's memory directly.
  bool mpi_uses_space_memory() const { return !exchange_.staged(); }

  // This rank's blocks, allocated.
  tensor_type make_x_block() const { return make("ktconv::mpi::x", layout_.x_block()); }
  tensor_type make_y_block() const { return make("ktconv::mpi::y", layout_.y_block()); }

  // Collective. x and y are this rank's blocks (layout().x_block(), y_block()); weight and
  // conv_bias the whole, as for conv_transpose2d. Throws InvalidArgument on every rank, before
  // any halo is sent, if any rank's arguments do not fit. Returns with work still enqueued on
  // `space`, as conv_transpose2d does; the halo messages have completed.
  template <class XView, class WView, class BView, class YView, class Epilogue = NoEpilogue>
  void forward(ExecutionSpace const &space, XView const &x, WView const &weight, BView const &conv_bias, YView const &y,
               Epilogue const &epilogue = {}, Options const &options = {})
  {
    Details::static_check_view<ExecutionSpace, XView, 4>("x");
    Details::static_check_view<ExecutionSpace, WView, 4>("weight");
    Details::static_check_view<ExecutionSpace, BView, 1>("conv_bias");
    Details::static_check_view<ExecutionSpace, YView, 4>("y");
    static_assert(std::is_same_v<typename YView::non_const_value_type, T> &&
                      std::is_same_v<typename XView::non_const_value_type, T>,
                  "ktconv: x and y must have the plan's value type");
    auto const xi = Details::as_input4<memory_space>(x);
    auto const wi = Details::as_input4<memory_space>(weight);
    auto const bi = Details::as_input1<memory_space>(conv_bias);
    auto const yo = Details::as_output4<memory_space>(y);
    auto const epi = Details::canonical_epilogue<T, memory_space>(epilogue);
    Details::agree_on_errors(layout_.comm(), check(xi, wi, bi, yo, Details::epilogue_facts(epi), options));
    run(space, xi, wi, bi, yo, epi, options);
  }

  // Collective: only the halo exchange of forward() (post, pack, send, wait, unpack), and a
  // fence; for benchmarks that measure how much of it forward() hides.
  template <class XView>
  void exchange_halo(ExecutionSpace const &space, XView const &x)
  {
    Details::static_check_view<ExecutionSpace, XView, 4>("x");
    exchange_.post_receives();
    exchange_.send(space, Details::as_input4<memory_space>(x));
    exchange_.wait();
    if (has_ext_)
      exchange_.unpack(space, Out4(x_ext_));
    space.fence("ktconv::mpi::exchange_halo");
  }

private:
  using In4 = Details::Input4<T, memory_space>;
  using In1 = Details::Input1<T, memory_space>;
  using Out4 = Details::Output4<T, memory_space>;
  struct Scratch
  {
    bool in = false, out = false; // the call reads a copy of part of the block / writes a scratch
    tensor_type x, y;
  };

  static tensor_type make(char const *label, Block4 const &b)
  {
    return tensor_type(label, b.extent[0], b.extent[1], b.extent[2], b.extent[3]);
  }

  void setup()
  {
    bool const direct = options_.gpu_aware == GpuAwareMpi::on ||
                        (options_.gpu_aware == GpuAwareMpi::automatic && Details::mpi_is_cuda_aware());
    exchange_ = Details::HaloExchange<ExecutionSpace, T>(layout_, direct);
    auto const &r = layout_.row_plan();
    auto const &c = layout_.col_plan();
    auto const b = layout_.x_block();
    has_ext_ = r.halo > 0 || c.halo > 0;
    if (has_ext_)
      x_ext_ = tensor_type("ktconv::mpi::x_with_halo", b.extent[0], b.extent[1], r.halo + b.extent[2],
                           c.halo + b.extent[3]);
    whole_ = {r.whole, c.whole, true};
    top_ = {r.head, c.whole, r.border > 0};
    left_ = {r.tail, c.head, c.border > 0 && r.out_begin + r.border < r.out_end};
    if (equal_parity())
    {
      equalize(whole_, true);
      equalize(top_, false);
      equalize(left_, false);
    }
    allocate(whole_, whole_s_, true);
    allocate(top_, top_s_, false);
    allocate(left_, left_s_, false);
  }

  bool equal_parity() const
  {
    bool cuda = false;
#if defined(KOKKOS_ENABLE_CUDA)
    cuda = std::is_same_v<ExecutionSpace, Kokkos::Cuda>;
#endif
    return options_.parity == LocalPaddingParity::equal || (options_.parity == LocalPaddingParity::automatic && cuda);
  }

  // Re-solves one axis of a call so that both axes' paddings have the same parity (modulo the
  // stride), choosing the axis whose change computes fewer extra (cropped) outputs.
  void equalize(Details::LocalCall &call, bool fixed_input) const
  {
    auto const &rp = layout_.row_plan();
    auto const &cp = layout_.col_plan();
    int const s = rp.spec.stride;
    if (!call.active || s != cp.spec.stride || call.rows.padding % s == call.cols.padding % s)
      return;
    auto solve = [&](Details::AxisPlan const &ap, Details::LocalAxisCall const &c, int parity) {
      return Details::solve_local_axis(ap.spec, c.out_begin + c.crop_lo, c.out_begin + c.out_count - c.crop_hi,
                                       ap.ext_begin(), ap.in_end, fixed_input, parity);
    };
    auto const rows = solve(rp, call.rows, call.cols.padding % s);
    auto const cols = solve(cp, call.cols, call.rows.padding % s);
    if ((rows.out_count - call.rows.out_count) * call.cols.out_count <=
        (cols.out_count - call.cols.out_count) * call.rows.out_count)
      call.rows = rows;
    else
      call.cols = cols;
  }

  // A call reads the whole extended block in place or a copy of its part, and writes y in
  // place only when its window is all of y and nothing is cropped.
  void allocate(Details::LocalCall const &call, Scratch &s, bool whole_window)
  {
    if (!call.active)
      return;
    auto const &r = layout_.row_plan();
    auto const &c = layout_.col_plan();
    auto const b = layout_.x_block();
    s.in = call.rows.in_begin != r.ext_begin() || call.rows.in_end != r.in_end || call.cols.in_begin != c.ext_begin() ||
           call.cols.in_end != c.in_end;
    s.out = !(whole_window && call.rows.exact() && call.cols.exact());
    if (s.in)
      s.x = tensor_type("ktconv::mpi::x_part", b.extent[0], b.extent[1], call.rows.in_end - call.rows.in_begin,
                        call.cols.in_end - call.cols.in_begin);
    if (s.out)
      s.y = tensor_type("ktconv::mpi::y_part", b.extent[0], layout_.global_y_extents()[1], call.rows.out_count,
                        call.cols.out_count);
  }

  static bool overlaps(Details::ViewFacts const &a, Details::ViewFacts const &b)
  {
    auto const *pa = static_cast<char const *>(a.data), *pb = static_cast<char const *>(b.data);
    return a.bytes != 0 && b.bytes != 0 && pa < pb + b.bytes && pb < pa + a.bytes;
  }

  std::string check(In4 x, In4 w, In1 b, Out4 y, Details::EpilogueFacts const &epi, Options const &options) const
  {
    auto const xb = layout_.x_block(), yb = layout_.y_block();
    for (int i = 0; i < 4; ++i)
    {
      if (std::int64_t(x.extent(std::size_t(i))) != xb.extent[std::size_t(i)] ||
          std::int64_t(y.extent(std::size_t(i))) != yb.extent[std::size_t(i)])
        return "x block (" + extents(x) + ") or y block (" + extents(y) + ") of this rank should be (" + extents(xb) +
               ") and (" + extents(yb) + ")";
    }
    auto const yf = Details::facts_of(y);
    if (overlaps(yf, Details::facts_of(x)) || overlaps(yf, Details::facts_of(w)) || overlaps(yf, Details::facts_of(b)))
      return "y shares memory with x, weight or conv_bias";
    std::pair<Details::LocalCall const *, Scratch const *> const calls[3] = {
        {&whole_, &whole_s_}, {&top_, &top_s_}, {&left_, &left_s_}};
    for (auto const &[call, s] : calls)
    {
      if (!call->active)
        continue;
      // the views the call will get: a copy of part of the block or the (extended) block, a
      // scratch output or y
      In4 const in = s->in ? In4(s->x) : has_ext_ ? In4(x_ext_) : x;
      Out4 const out = s->out ? Out4(s->y) : y;
      std::string e = Details::check_local_call<ExecutionSpace, T>(
          call->params(layout_.params()), Details::facts_of(in), Details::facts_of(w), Details::facts_of(b),
          Details::facts_of(out), epi, options);
      if (!e.empty())
        return e;
    }
    return {};
  }
  template <class V>
  static std::string extents(V const &v)
  {
    return std::to_string(v.extent(0)) + ", " + std::to_string(v.extent(1)) + ", " + std::to_string(v.extent(2)) +
           ", " + std::to_string(v.extent(3));
  }
  static std::string extents(Block4 const &b)
  {
    return std::to_string(b.extent[0]) + ", " + std::to_string(b.extent[1]) + ", " + std::to_string(b.extent[2]) +
           ", " + std::to_string(b.extent[3]);
  }

  template <class Epilogue>
  void run(ExecutionSpace const &space, In4 x, In4 w, In1 b, Out4 y, Epilogue const &epi, Options const &options)
  {
    exchange_.post_receives();
    exchange_.send(space, x);
    In4 src = x;
    if (has_ext_)
    {
      Details::copy_box(
          space, Out4(x_ext_), {0, 0, layout_.halo_rows(), layout_.halo_cols()}, x, {0, 0, 0, 0},
          {std::int64_t(x.extent(0)), std::int64_t(x.extent(1)), std::int64_t(x.extent(2)), std::int64_t(x.extent(3))});
      src = In4(x_ext_);
    }
    bool const overlap = options_.overlap && exchange_.active();
    if (overlap) // the border's outputs are wrong until recomputed below
      compute(space, whole_, whole_s_, src, w, b, y, epi, options);
    exchange_.wait();
    if (has_ext_)
      exchange_.unpack(space, Out4(x_ext_));
    if (!overlap)
      compute(space, whole_, whole_s_, src, w, b, y, epi, options);
    else
    {
      if (top_.active)
        compute(space, top_, top_s_, src, w, b, y, epi, options);
      if (left_.active)
        compute(space, left_, left_s_, src, w, b, y, epi, options);
    }
  }

  template <class Epilogue>
  void compute(ExecutionSpace const &space, Details::LocalCall const &call, Scratch &s, In4 src, In4 w, In1 b, Out4 y,
               Epilogue const &epi, Options const &options)
  {
    auto const &rp = layout_.row_plan();
    auto const &cp = layout_.col_plan();
    auto const &r = call.rows;
    auto const &c = call.cols;
    std::int64_t const n = std::int64_t(src.extent(0)), ci = std::int64_t(src.extent(1));
    In4 in = src;
    if (s.in)
    {
      Details::copy_box(space, Out4(s.x), {0, 0, 0, 0}, src,
                        {0, 0, r.in_begin - rp.ext_begin(), c.in_begin - cp.ext_begin()},
                        {n, ci, r.in_end - r.in_begin, c.in_end - c.in_begin});
      in = In4(s.x);
    }
    Out4 out = s.out ? Out4(s.y) : y;
    conv_transpose2d(space, call.params(layout_.params()), in, w, b, out, epi, options);
    if (s.out)
      Details::copy_box(
          space, y, {0, 0, r.out_begin + r.crop_lo - rp.out_begin, c.out_begin + c.crop_lo - cp.out_begin}, In4(s.y),
          {0, 0, r.crop_lo, c.crop_lo},
          {n, std::int64_t(y.extent(1)), r.out_count - r.crop_lo - r.crop_hi, c.out_count - c.crop_lo - c.crop_hi});
  }

  DistributedLayout layout_;
  DistributedOptions options_;
  Details::HaloExchange<ExecutionSpace, T> exchange_;
  bool has_ext_ = false;
  tensor_type x_ext_; // the block with its halo rows and columns in front (empty without halo)
  Details::LocalCall whole_, top_, left_;
  Scratch whole_s_, top_s_, left_s_;
};

// The functional form: plans, computes and waits for `space` (the plan is freed on return).
template <class ExecutionSpace, class XView, class WView, class BView, class YView, class Epilogue = NoEpilogue>
void distributed_conv_transpose2d(ExecutionSpace const &space, DistributedLayout const &layout, XView const &x,
                                  WView const &weight, BView const &conv_bias, YView const &y,
                                  Epilogue const &epilogue = {}, Options const &options = {},
                                  DistributedOptions const &distributed = {})
{
  DistributedConvTranspose2d<ExecutionSpace, typename YView::non_const_value_type> plan(layout, distributed);
  plan.forward(space, x, weight, conv_bias, y, epilogue, options);
  space.fence("ktconv::distributed_conv_transpose2d");
}

} // namespace ktconv

#endif
