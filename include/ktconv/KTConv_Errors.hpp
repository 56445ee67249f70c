#ifndef KTCONV_ERRORS_HPP
#define KTCONV_ERRORS_HPP

#include <stdexcept>
#include <string>

namespace ktconv
{

// Thrown for every invalid argument, before any output is written. The message names the
// parameter and the offending values.
class InvalidArgument : public std::invalid_argument
{
public:
  explicit InvalidArgument(std::string const &what) : std::invalid_argument("ktconv: " + what) {}
};

} // namespace ktconv

#endif
