// The fuzz target: decodes one call (FuzzCase.hpp) and checks ktconv's contract on it. The call
// either throws InvalidArgument whose message names a parameter, with y untouched (or
// AllocationError under a workspace limit, y untouched), or its output matches a double
// reference (every element of small outputs, a sample of large ones). Anything else (another
// exception, a wrong value, a crash, a sanitizer report) aborts. Data sizes are capped so every
// run is quick and small; larger requests only check output_extents, and impossible extents
// (more than 2^60 elements) go through unmanaged views over a small buffer, which ktconv must
// reject without reading or writing.
#include "FuzzCase.hpp"
#include "FuzzChecks.hpp"

#include <cstdio>
#include <cstdlib>
#include <exception>

namespace ktconv::fuzz
{
Outcomes outcomes;

namespace
{

template <class T, class Space>
void run_real(Case const &c, Extents const &e)
{
  using M = typename Space::memory_space;
  Tensors<T, M> t(c, e);
  t.fill(c);
  std::int64_t const y_h = e.y[2] + (c.wrong_y ? 1 : 0);
  Kokkos::View<T ****, Kokkos::LayoutRight, M> y("y", std::size_t(e.y[0]), std::size_t(e.y[1]), std::size_t(y_h),
                                                 std::size_t(e.y[3]));
  Kokkos::deep_copy(y, sentinel<T>());
  Space space{};
  try
  {
    if (c.epilogue)
    {
      BiasClampScaleEpilogue<T, M> epi;
      epi.bias = t.epilogue_bias;
      epi.lower = T(c.lower);
      epi.upper = T(c.upper);
      epi.scale = T(c.scale);
      conv_transpose2d(space, c.p, t.x, t.w, t.cb, y, epi, c.options);
    }
    else
      conv_transpose2d(space, c.p, t.x, t.w, t.cb, y, NoEpilogue{}, c.options);
    space.fence();
  }
  catch (InvalidArgument const &err)
  {
    expect_names_parameter(c, err.what());
    expect_untouched<T>(c, y);
    ++outcomes.rejected;
    if (e.torch_valid && !c.wrong_y && !c.wrong_conv_bias && epilogue_valid<T>(c) && !names_ktconv_limit(err.what()))
      fail(c, std::string("rejected a valid call: ") + err.what());
    return;
  }
  catch (AllocationError const &err)
  {
    if (c.options.workspace_limit == 0)
      fail(c, std::string("AllocationError without a workspace limit: ") + err.what());
    expect_untouched<T>(c, y);
    ++outcomes.allocation_errors;
    return;
  }
  if (!e.torch_valid || c.wrong_y || c.wrong_conv_bias || !epilogue_valid<T>(c))
    fail(c, "accepted a call that is invalid (PyTorch's rules or mismatched extents)");
  check_against_reference(c, t, y);
  ++outcomes.computed;
}

// Extents no allocation can have: ktconv must reject them before touching anything.
template <class T, class Space>
void run_fake(Case const &c, Extents const &e)
{
  using M = typename Space::memory_space;
  using U = Kokkos::View<T ****, Kokkos::LayoutRight, M, Kokkos::MemoryUnmanaged>;
  using U1 = Kokkos::View<T *, M, Kokkos::MemoryUnmanaged>;
  static T buffer[4][64];
  for (auto &b : buffer)
    for (T &v : b)
      v = sentinel<T>();
  auto ext = [](std::int64_t v) { return std::size_t(v < 0 ? 0 : v); };
  U x(buffer[0], ext(c.n), ext(c.p.in_channels), ext(c.h), ext(c.w));
  U w(buffer[1], ext(e.w[0]), ext(e.w[1]), ext(e.w[2]), ext(e.w[3]));
  U y(buffer[2], ext(c.n), ext(c.p.out_channels), 1, 1);
  U1 cb(buffer[3], c.p.bias ? ext(c.p.out_channels) : 0);
  try
  {
    conv_transpose2d(Space{}, c.p, x, w, cb, y, NoEpilogue{}, c.options);
    fail(c, "accepted views of more than 2^60 elements");
  }
  catch (InvalidArgument const &err)
  {
    expect_names_parameter(c, err.what());
    ++outcomes.impossible_rejected;
  }
  for (auto &b : buffer)
    for (T &v : b)
      if (!same_bits(v, sentinel<T>()))
        fail(c, "touched memory of a rejected call");
}

template <class T, class Space>
void run_case(Case const &c)
{
  Extents const e = check_output_extents(c);
  if (c.fake_extents && e.impossible)
    run_fake<T, Space>(c, e);
  else if (e.fits_budget)
    run_real<T, Space>(c, e);
  else
    ++outcomes.extents_only;
}

template <class T>
void run_on_space(Case const &c)
{
#if KTCONV_HAVE_SERIAL
  if (c.serial)
    return run_case<T, Kokkos::Serial>(c);
#endif
  run_case<T, Kokkos::DefaultHostExecutionSpace>(c);
}

} // namespace

void run_one(std::uint8_t const *data, std::size_t size)
{
  Case const c = decode(data, size);
  static bool const verbose = std::getenv("KTCONV_FUZZ_VERBOSE") != nullptr;
  if (verbose) // each case before it runs, for a crash that bypasses fail()
    std::fprintf(stderr, "ktconv fuzz case: %s\n", describe(c).c_str());
  try
  {
    if (c.is_double)
      run_on_space<double>(c);
    else
      run_on_space<float>(c);
  }
  catch (std::exception const &err)
  {
    fail(c, std::string("unexpected exception: ") + err.what());
  }
}

} // namespace ktconv::fuzz

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const *data, std::size_t size)
{
  ktconv::fuzz::run_one(data, size);
  return 0;
}
