#ifndef KTCONV_HPP
#define KTCONV_HPP

// ktconv: PyTorch's ConvTranspose2d with a fused epilogue, as Kokkos kernels.
// The umbrella header: everything a user needs.

#include <ktconv/KTConv_Config.hpp>
#include <ktconv/KTConv_ConvTranspose2d.hpp>
#include <ktconv/KTConv_Epilogue.hpp>
#include <ktconv/KTConv_Errors.hpp>
#include <ktconv/KTConv_FusedConvTranspose2d.hpp>
#include <ktconv/KTConv_Params.hpp>
#include <ktconv/KTConv_Version.hpp>

#endif
