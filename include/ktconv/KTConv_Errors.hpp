#ifndef KTCONV_ERRORS_HPP
#define KTCONV_ERRORS_HPP

#include <cstddef>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>

namespace ktconv
{

// Thrown for every invalid argument, before any output is written. The message names the
// parameter and the offending values.
class InvalidArgument : public std::invalid_argument
{
public:
  explicit InvalidArgument(std::string const &what) : std::invalid_argument("ktconv: " + what) {}
};

// Thrown when a buffer ktconv allocates for itself (packed weights, per-thread staging) cannot
// be had: the allocator failed, or the request exceeds Options::workspace_limit. Thrown
// before any output is written; nothing is left allocated and the next call may proceed. A
// std::bad_alloc, so code that handles out-of-memory in general handles it too.
class AllocationError : public std::bad_alloc
{
public:
  AllocationError(std::string label, std::size_t bytes, std::string const &reason)
      : label_(std::move(label)), bytes_(bytes),
        what_("ktconv: could not allocate " + label_ + " (" + std::to_string(bytes) + " bytes): " + reason)
  {
  }
  char const *what() const noexcept override { return what_.c_str(); }
  std::string const &label() const noexcept { return label_; } // what was being allocated
  std::size_t bytes() const noexcept { return bytes_; }        // how much

private:
  std::string label_;
  std::size_t bytes_;
  std::string what_;
};

} // namespace ktconv

#endif
