// Explicit instantiations of ktconv::conv_transpose2d for double, for every enabled backend and
// every epilogue the library provides. (One file per value type keeps each compile smaller.)
#include "KTConv_InstantiateConvTranspose2d.hpp"

KTCONV_INSTANTIATE_CONV_TRANSPOSE2D(double)
