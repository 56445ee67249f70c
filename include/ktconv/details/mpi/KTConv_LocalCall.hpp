#ifndef KTCONV_DETAILS_LOCAL_CALL_HPP
#define KTCONV_DETAILS_LOCAL_CALL_HPP

// One local ktconv call of the distributed layer: the window it computes (rows x columns, see
// LocalAxisCall), its parameters, and the check that ktconv would accept it, run before any
// rank communicates (defined in src/mpi/ for every enabled backend).

#include <ktconv/KTConv_Epilogue.hpp>
#include <ktconv/KTConv_Params.hpp>
#include <ktconv/details/common/KTConv_ArgumentCheck.hpp>
#include <ktconv/details/mpi/KTConv_DistributedGeometry.hpp>

#include <string>

namespace ktconv::Details
{

struct LocalCall
{
  LocalAxisCall rows, cols;
  bool active = false;
  // The global parameters with this call's padding and output_padding.
  ConvTranspose2dParams params(ConvTranspose2dParams p) const
  {
    p.padding = Size2(rows.padding, cols.padding);
    p.output_padding = Size2(rows.output_padding, cols.output_padding);
    return p;
  }
};

// "" if ktconv accepts the local call (arguments and the forced algorithm), else its message.
template <class ExecutionSpace, class T>
std::string check_local_call(ConvTranspose2dParams const &local, ViewFacts const &x, ViewFacts const &weight,
                             ViewFacts const &conv_bias, ViewFacts const &y, EpilogueFacts const &epilogue,
                             Options const &options);

} // namespace ktconv::Details

#endif
