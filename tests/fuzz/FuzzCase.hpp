#ifndef KTCONV_TESTS_FUZZ_CASE_HPP
#define KTCONV_TESTS_FUZZ_CASE_HPP

// The fuzzer's input format: bytes -> one call of ktconv (parameters, extents, value type,
// algorithm, epilogue, workspace limit, deliberate mistakes). Each integer is a one-byte
// selector: < 128 a small value (0-5), < 224 an entry of an adversarial table (0, negatives,
// 1, 2^15, 2^30, INT_MAX, ...), else the next 4 (int) or 8 (extent) bytes verbatim. Missing
// bytes read as zero, so every byte string is a case. make_regressions.py writes cases.
// Small values per field: channels 1-5, groups 1-2, kernel 1-5, stride 1-4, padding 0-2,
// output_padding 0-1, dilation 1-3, extents 1-9.

#include "support/Harness.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <sstream>
#include <string>

namespace ktconv::fuzz
{

class Reader
{
public:
  Reader(std::uint8_t const *data, std::size_t size) : data_(data), size_(size) {}
  std::uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  template <class I>
  I raw()
  {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < sizeof(I); ++i)
      v |= std::uint64_t(byte()) << (8 * i);
    I r;
    std::memcpy(&r, &v, sizeof(I)); // little-endian bytes
    return r;
  }
  // Small values are `base + s % range`, chosen per field so that small cases are often valid.
  int integer(int base = 1, int range = 5)
  {
    static constexpr int table[] = {0,
                                    -1,
                                    1,
                                    2,
                                    3,
                                    7,
                                    1 << 15,
                                    (1 << 15) + 1,
                                    1 << 30,
                                    (1 << 30) + 1,
                                    std::numeric_limits<int>::max(),
                                    std::numeric_limits<int>::min(),
                                    -(1 << 30),
                                    65535};
    std::uint8_t const s = byte();
    if (s < 128)
      return base + s % range;
    if (s < 224)
      return table[s % std::size(table)];
    return raw<int>();
  }
  std::int64_t extent()
  {
    static constexpr std::int64_t table[] = {0,
                                             1,
                                             2,
                                             3,
                                             -1,
                                             1 << 15,
                                             1 << 30,
                                             std::int64_t(1) << 31,
                                             std::int64_t(1) << 40,
                                             std::int64_t(1) << 62,
                                             std::numeric_limits<std::int64_t>::max(),
                                             std::numeric_limits<int>::max()};
    std::uint8_t const s = byte();
    if (s < 128)
      return 1 + s % 9;
    if (s < 224)
      return table[s % std::size(table)];
    return raw<std::int64_t>();
  }
  double real()
  {
    static constexpr double table[] = {0,
                                       1,
                                       -1,
                                       0.5,
                                       2,
                                       3,
                                       -2,
                                       1000,
                                       0.25,
                                       std::numeric_limits<double>::quiet_NaN(),
                                       std::numeric_limits<double>::infinity(),
                                       -std::numeric_limits<double>::infinity()};
    return table[byte() % std::size(table)];
  }

private:
  std::uint8_t const *data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

// What the runs came to (the replay driver prints it, to show the cases reach the kernels).
struct Outcomes
{
  long computed = 0, rejected = 0, allocation_errors = 0, impossible_rejected = 0, extents_only = 0;
};
extern Outcomes outcomes;

struct Case
{
  ConvTranspose2dParams p;
  Options options;
  std::int64_t n = 1, h = 1, w = 1;
  bool is_double = false, epilogue = false, epilogue_bias = false, serial = false;
  bool wrong_y = false, wrong_conv_bias = false, nonfinite_x = false, fake_extents = false;
  double lower = 0, upper = 1, scale = 1;
  std::uint32_t seed = 0;
};

__extension__ typedef __int128 int128; // GCC and Clang; -Wpedantic would warn on the bare name

// PyTorch's output extent without overflow (128-bit).
inline int128 torch_extent(std::int64_t in, int k, int s, int pad, int op, int d)
{
  return (int128(in) - 1) * s - 2 * int128(pad) + int128(d) * (int128(k) - 1) + int128(op) + 1;
}

// Padding that makes the output `target` or target + 1 wide (the kind of case: huge
// stride or dilation cancelled by padding), when such a padding is a valid int.
inline void cancel_padding(int &pad, std::int64_t in, int k, int s, int op, int d, int target)
{
  int128 const x = torch_extent(in, k, s, 0, op, d);
  int128 const p = (x - target) / 2;
  if (p >= 0 && p <= std::numeric_limits<int>::max())
    pad = int(p);
}

inline Case decode(std::uint8_t const *data, std::size_t size)
{
  Reader r(data, size);
  Case c;
  std::uint8_t const f0 = r.byte(), f1 = r.byte();
  c.is_double = f0 & 1;
  c.epilogue = f0 & 2;
  c.epilogue_bias = f0 & 4;
  c.p.bias = f0 & 8;
  c.serial = f0 & 64;
  c.wrong_y = (f0 & 128) && (f1 & 16); // mistakes take two bits: most cases are well-formed

  c.nonfinite_x = f1 & 1;
  c.fake_extents = f1 & 2;
  c.wrong_conv_bias = (f1 & 4) && (f1 & 32);
  c.options.algorithm = test::all_algorithms[r.byte() % std::size(test::all_algorithms)];
  c.options.math = MathMode(r.byte() % 3);
  if (f1 & 8)
    c.options.workspace_limit = std::size_t(1) << (r.byte() % 40);
  c.p.in_channels = r.integer();
  c.p.out_channels = r.integer();
  c.p.groups = r.integer(1, 2);
  struct Field
  {
    Size2 *value;
    int base, range;
  };
  Field const fields[] = {{&c.p.kernel_size, 1, 5},
                          {&c.p.stride, 1, 4},
                          {&c.p.padding, 0, 3},
                          {&c.p.output_padding, 0, 2},
                          {&c.p.dilation, 1, 3}};
  for (Field const &f : fields)
  {
    f.value->h = r.integer(f.base, f.range);
    f.value->w = r.integer(f.base, f.range);
  }
  c.n = r.extent();
  c.h = r.extent();
  c.w = r.extent();
  c.lower = r.real();
  c.upper = r.real();
  c.scale = r.real();
  c.seed = r.raw<std::uint32_t>();
  if (f0 & 16)
    cancel_padding(c.p.padding.h, c.h, c.p.kernel_size.h, c.p.stride.h, c.p.output_padding.h, c.p.dilation.h,
                   1 + int(c.seed % 8));
  if (f0 & 32)
    cancel_padding(c.p.padding.w, c.w, c.p.kernel_size.w, c.p.stride.w, c.p.output_padding.w, c.p.dilation.w,
                   1 + int(c.seed / 8 % 8));
  return c;
}

inline std::string describe(Case const &c)
{
  std::ostringstream s;
  auto const &p = c.p;
  s << (c.is_double ? "double" : "float") << " " << (c.serial ? "Serial" : "default host space") << " x(" << c.n << ","
    << p.in_channels << "," << c.h << "," << c.w << ") out " << p.out_channels << " groups " << p.groups << " k("
    << p.kernel_size.h << "," << p.kernel_size.w << ") s(" << p.stride.h << "," << p.stride.w << ") p(" << p.padding.h
    << "," << p.padding.w << ") op(" << p.output_padding.h << "," << p.output_padding.w << ") d(" << p.dilation.h << ","
    << p.dilation.w << ") bias " << p.bias << " algorithm " << to_string(c.options.algorithm) << " math "
    << to_string(c.options.math) << " workspace_limit " << c.options.workspace_limit << " epilogue " << c.epilogue
    << " (bias " << c.epilogue_bias << ", " << c.lower << ", " << c.upper << ", " << c.scale << ") wrong_y "
    << c.wrong_y << " wrong_conv_bias " << c.wrong_conv_bias << " nonfinite_x " << c.nonfinite_x << " fake_extents "
    << c.fake_extents << " seed " << c.seed;
  return s.str();
}

} // namespace ktconv::fuzz

#endif
