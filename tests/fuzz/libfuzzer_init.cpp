// libFuzzer's start-up hook for the fuzz target: Kokkos is initialized once for the process
// and finalized at exit.
#include <Kokkos_Core.hpp>

#include <cstdlib>

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
  Kokkos::initialize();
  std::atexit([] { Kokkos::finalize(); });
  return 0;
}
