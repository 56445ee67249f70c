# Spack package for ktconv: PyTorch's ConvTranspose2d with a fused epilogue, as Kokkos kernels.
#
#   spack repo add spack            # from the root of a ktconv checkout
#   spack install ktconv+openmp
#   spack install ktconv+cuda cuda_arch=90
#   spack install ktconv+openmp+mpi          # also ktconv::mpi (find_package(ktconv COMPONENTS mpi))
#
# CudaPackage brings the `cuda` variant and `cuda_arch` (and rejects +cuda with cuda_arch=none).
# The version must equal the file VERSION, and the CMake options used below are checked against the project's CMake files by
# spack/check-recipe.py (run by .ci/run).

from spack.package import *


class Ktconv(CMakePackage, CudaPackage):
    """ConvTranspose2d (PyTorch semantics) with a fused bias/clamp/scale epilogue, as Kokkos
    kernels for CUDA, OpenMP and Serial, with a CMake package (ktconv::ktconv)."""

    homepage = "https://example.invalid/ktconv"
    # PLACEHOLDER: ktconv has no public release archive yet. Make one from a checkout with
    #   git archive --prefix=ktconv-0.1.0/ -o ktconv-0.1.0.tar.gz v0.1.0
    # and either serve it at this URL or point Spack at the file:
    #   spack install ktconv@0.1.0 ... with `url = "file:///path/to/ktconv-0.1.0.tar.gz"` here,
    # then replace the checksum below with the output of `sha256sum ktconv-0.1.0.tar.gz`.
    # Without an archive, `spack dev-build ktconv@0.1.0` builds a local checkout.
    url = "https://example.invalid/ktconv/ktconv-0.1.0.tar.gz"

    license("Apache-2.0 WITH LLVM-exception")

    version("0.1.0", sha256="0000000000000000000000000000000000000000000000000000000000000000")

    variant("openmp", default=True, description="Build for the Kokkos OpenMP backend")
    variant("serial", default=True, description="Build for the Kokkos Serial backend")
    variant("examples", default=False, description="Build the seed-workload example and the benchmark")
    variant("shared", default=False, description="Build a shared library")
    variant("kernels", default=True, description="Use Kokkos Kernels (BLAS) for Algorithm::gemm")
    variant("mpi", default=False, description="Build ktconv::mpi: ConvTranspose2d with the image split over MPI ranks")

    depends_on("cxx", type="build")
    depends_on("cmake@3.22:", type="build")
    depends_on("googletest", type="test")
    depends_on("mpi", when="+mpi")

    # The same Kokkos as the kernels are instantiated for: backends must match.
    depends_on("kokkos@5.0.2:5.0")
    depends_on("kokkos+openmp", when="+openmp")
    depends_on("kokkos~openmp", when="~openmp")
    depends_on("kokkos+serial", when="+serial")
    depends_on("kokkos~cuda", when="~cuda")
    depends_on("kokkos+cuda+wrapper", when="+cuda")
    for _arch in CudaPackage.cuda_arch_values:
        depends_on(f"kokkos cuda_arch={_arch}", when=f"+cuda cuda_arch={_arch}")

    # Kokkos Kernels for Algorithm::gemm (its BLAS component; cuBLAS behind it on CUDA), built on
    # the same Kokkos.
    depends_on("kokkos-kernels@4.7.00:", when="+kernels")
    depends_on("kokkos-kernels+cublas", when="+kernels+cuda")

    conflicts("~openmp~serial~cuda", msg="ktconv needs at least one backend")

    def cmake_args(self):
        spec = self.spec
        args = [
            self.define("Kokkos_ROOT", spec["kokkos"].prefix),
            self.define("KTCONV_FORCE_BUILTIN_KOKKOS", False),
            self.define("KTCONV_ENABLE_TESTS", self.run_tests),  # spack install --test=root
            self.define_from_variant("KTCONV_ENABLE_EXAMPLES", "examples"),
            self.define_from_variant("KTCONV_ENABLE_BENCHMARKS", "examples"),
            self.define_from_variant("BUILD_SHARED_LIBS", "shared"),
            self.define_from_variant("KTCONV_ENABLE_MPI", "mpi"),
            self.define("KTCONV_WARNINGS_AS_ERRORS", False),
            self.define_from_variant("KTCONV_ENABLE_KOKKOS_KERNELS", "kernels"),
        ]
        if spec.satisfies("+kernels"):
            args.append(self.define("KokkosKernels_ROOT", spec["kokkos-kernels"].prefix))
            args.append(self.define("KTCONV_FORCE_BUILTIN_KOKKOS_KERNELS", False))
        if spec.satisfies("+cuda"):
            # Kokkos' CUDA builds compile with its nvcc_wrapper.
            args.append(self.define("CMAKE_CXX_COMPILER", spec["kokkos"].package.kokkos_cxx))
        return args
