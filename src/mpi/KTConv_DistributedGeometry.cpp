// The distributed layer's arithmetic (see details/mpi/KTConv_DistributedGeometry.hpp and
// docs/DISTRIBUTED.md): block splits, ownership, halos and the local calls' parameters.

#include <ktconv/KTConv_Errors.hpp>
#include <ktconv/details/mpi/KTConv_DistributedGeometry.hpp>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace ktconv::Details
{

namespace
{
std::int64_t floor_mod(std::int64_t a, std::int64_t b)
{
  return ((a % b) + b) % b;
}
bool output_padding_ok(AxisSpec const &a, std::int64_t op)
{
  return op < a.stride || op < a.dilation;
}
} // namespace

void inputs_read(AxisSpec const &a, std::int64_t u, std::int64_t v, std::int64_t &lo, std::int64_t &hi)
{
  lo = hi = 0;
  bool any = false;
  for (std::int64_t o = u; o < v; ++o)
    for (int t = 0; t < a.kernel; ++t)
    {
      std::int64_t const num = o + a.padding - std::int64_t(t) * a.dilation;
      if (floor_mod(num, a.stride) != 0)
        continue;
      std::int64_t const i = (num - floor_mod(num, a.stride)) / a.stride;
      if (i < 0 || i >= a.in)
        continue;
      lo = any ? std::min(lo, i) : i;
      hi = any ? std::max(hi, i + 1) : i + 1;
      any = true;
    }
}

LocalAxisCall solve_local_axis(AxisSpec const &a, std::int64_t u, std::int64_t v, std::int64_t avail_begin,
                               std::int64_t avail_end, bool fixed_input, int parity)
{
  std::int64_t lo = 0, hi = 0;
  inputs_read(a, u, v, lo, hi);
  if (lo == hi) // the window reads nothing (phases without taps): any one available input serves
  {
    lo = avail_begin;
    hi = avail_begin + 1;
  }
  if (lo < avail_begin || hi > avail_end || v <= u)
    throw std::logic_error("ktconv: internal error: the inputs of outputs [" + std::to_string(u) + ", " +
                           std::to_string(v) + ") are not all available");
  std::int64_t const e = std::int64_t(a.kernel - 1) * a.dilation, h = a.halo();
  std::int64_t const slack = h + 2, max_crop = 4 * (e + a.stride + a.dilation + a.padding) + 8;
  std::int64_t const a_first = fixed_input ? avail_begin : std::max(avail_begin, lo - slack);
  std::int64_t const b_last = fixed_input ? avail_end : std::min(avail_end, hi + slack);
  bool found = false;
  LocalAxisCall best;
  std::int64_t best_cost[3] = {0, 0, 0};
  for (std::int64_t c_lo = 0; c_lo <= max_crop; ++c_lo)
    for (std::int64_t ib = fixed_input ? avail_begin : lo; ib >= a_first; --ib)
      for (std::int64_t ie = fixed_input ? avail_end : hi; ie <= b_last; ++ie)
      {
        std::int64_t const start = u - c_lo;
        std::int64_t const pad = a.padding + start - ib * a.stride;
        if (pad < 0 || pad > (std::int64_t(1) << 30) || (parity >= 0 && pad % a.stride != parity))
          continue;
        std::int64_t const end0 = start + (ie - ib - 1) * a.stride - 2 * pad + e + 1;
        std::int64_t const op = std::max<std::int64_t>(0, v - end0);
        if (!output_padding_ok(a, op))
          continue;
        std::int64_t const c_hi = end0 + op - v;
        std::int64_t const cost[3] = {c_lo + c_hi, ie - ib, pad % a.stride != a.padding % a.stride};
        if (found && !std::lexicographical_compare(cost, cost + 3, best_cost, best_cost + 3))
          continue;
        found = true;
        std::copy(cost, cost + 3, best_cost);
        best = {ib, ie, int(pad), int(op), start, c_lo + (v - u) + c_hi, c_lo, c_hi};
      }
  if (!found)
    throw std::logic_error("ktconv: internal error: no local call computes outputs [" + std::to_string(u) + ", " +
                           std::to_string(v) + ")");
  return best;
}

std::vector<std::int64_t> block_starts(std::int64_t extent, int parts, std::vector<std::int64_t> const &sizes,
                                       char const *what)
{
  std::vector<std::int64_t> starts(std::size_t(parts) + 1, 0);
  if (sizes.empty())
  {
    for (int j = 0; j < parts; ++j)
      starts[std::size_t(j) + 1] = starts[std::size_t(j)] + extent / parts + (j < extent % parts ? 1 : 0);
    return starts;
  }
  if (sizes.size() != std::size_t(parts))
    throw InvalidArgument(std::string("split of ") + what + ": " + std::to_string(sizes.size()) +
                          " block sizes given for " + std::to_string(parts) + " ranks along that axis");
  for (int j = 0; j < parts; ++j)
  {
    if (sizes[std::size_t(j)] < 0)
      throw InvalidArgument(std::string("split of ") + what + ": block " + std::to_string(j) + " has negative size " +
                            std::to_string(sizes[std::size_t(j)]));
    starts[std::size_t(j) + 1] = starts[std::size_t(j)] + sizes[std::size_t(j)];
  }
  if (starts.back() != extent)
    throw InvalidArgument(std::string("split of ") + what + ": block sizes sum to " + std::to_string(starts.back()) +
                          " but the global extent is " + std::to_string(extent));
  return starts;
}

void owned_outputs(AxisSpec const &spec, std::vector<std::int64_t> const &starts, int coord, std::int64_t &begin,
                   std::int64_t &end)
{
  int const dims = int(starts.size()) - 1;
  auto boundary = [&](int j) { // first output owned by block j (j > 0)
    return std::clamp<std::int64_t>(starts[std::size_t(j)] * spec.stride - spec.padding, 0, spec.out);
  };
  begin = coord == 0 ? 0 : boundary(coord);
  end = coord == dims - 1 ? spec.out : boundary(coord + 1);
}

AxisPlan plan_axis(AxisSpec const &spec, std::vector<std::int64_t> const &starts, int coord, char const *what)
{
  int const dims = int(starts.size()) - 1, h = spec.halo();
  for (int j = 0; j < dims; ++j)
  {
    std::int64_t const size = starts[std::size_t(j) + 1] - starts[std::size_t(j)];
    if (size < 1)
      throw InvalidArgument(std::string("split of ") + what + ": block " + std::to_string(j) + " is empty");
    if (j < dims - 1 && size < h)
      throw InvalidArgument(std::string("split of ") + what + ": block " + std::to_string(j) + " has " +
                            std::to_string(size) + " inputs, fewer than the halo of " + std::to_string(h) +
                            " (= floor((kernel - 1) * dilation / stride)) that the next block reads from it");
    std::int64_t b = 0, e = 0;
    owned_outputs(spec, starts, j, b, e);
    if (e <= b)
      throw InvalidArgument(std::string("split of ") + what + ": block " + std::to_string(j) + " (inputs [" +
                            std::to_string(starts[std::size_t(j)]) + ", " + std::to_string(starts[std::size_t(j) + 1]) +
                            ")) owns no output (padding " + std::to_string(spec.padding) + ", stride " +
                            std::to_string(spec.stride) + ", output extent " + std::to_string(spec.out) + ")");
  }
  AxisPlan p;
  p.spec = spec;
  p.coord = coord;
  p.dims = dims;
  p.in_begin = starts[std::size_t(coord)];
  p.in_end = starts[std::size_t(coord) + 1];
  owned_outputs(spec, starts, coord, p.out_begin, p.out_end);
  p.halo = coord > 0 ? h : 0;
  p.whole = solve_local_axis(spec, p.out_begin, p.out_end, p.ext_begin(), p.in_end, true);
  for (std::int64_t o = p.out_begin; p.halo > 0 && o < p.out_end; ++o)
  {
    std::int64_t lo = 0, hi = 0;
    inputs_read(spec, o, o + 1, lo, hi);
    if (lo < hi && lo < p.in_begin)
      p.border = o - p.out_begin + 1;
    if (o > p.out_begin + std::int64_t(h + 1) * spec.stride)
      break; // outputs further on read only inputs >= in_begin
  }
  if (p.border > 0)
    p.head = solve_local_axis(spec, p.out_begin, p.out_begin + p.border, p.ext_begin(), p.in_end, false);
  if (p.out_begin + p.border < p.out_end)
    p.tail = solve_local_axis(spec, p.out_begin + p.border, p.out_end, p.ext_begin(), p.in_end, false);
  return p;
}

AxisSpec axis_spec_h(ConvTranspose2dParams const &p, std::int64_t in)
{
  AxisSpec a{in, 0, p.kernel_size.h, p.stride.h, p.padding.h, p.output_padding.h, p.dilation.h};
  a.out = conv_transpose_output_extent(in, a.kernel, a.stride, a.padding, a.output_padding, a.dilation);
  return a;
}
AxisSpec axis_spec_w(ConvTranspose2dParams const &p, std::int64_t in)
{
  AxisSpec a{in, 0, p.kernel_size.w, p.stride.w, p.padding.w, p.output_padding.w, p.dilation.w};
  a.out = conv_transpose_output_extent(in, a.kernel, a.stride, a.padding, a.output_padding, a.dilation);
  return a;
}

} // namespace ktconv::Details
