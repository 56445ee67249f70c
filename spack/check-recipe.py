#!/usr/bin/env python3
"""Checks spack/packages/ktconv/package.py without Spack: it must import against a stub
`spack.package`, its version must be the one in VERSION, and cmake_args() must only pass
-D options that our CMake files define (for every backend combination). Run by .ci/run."""
import pathlib
import re
import sys
import types

root = pathlib.Path(__file__).resolve().parent.parent
recipe = root / "spack" / "packages" / "ktconv" / "package.py"
directives = {"version": [], "variant": [], "depends_on": [], "conflicts": []}


def directive(name):
    def record(*args, **kwargs):
        directives.setdefault(name, []).append((args, kwargs))

    return record


class Prefix(str):
    def __getattr__(self, name):
        return Prefix(f"{self}/{name}")


class FakeSpec:
    """Just enough of a concrete spec: satisfies('+v', '~v', '+a+b') and spec['kokkos']."""

    def __init__(self, on):
        self.on = set(on)

    def satisfies(self, constraint):
        for sign, name in re.findall(r"([+~])(\w+)", constraint):
            if (name in self.on) != (sign == "+"):
                return False
        return True

    def __getitem__(self, name):
        return types.SimpleNamespace(prefix=Prefix(f"/opt/{name}"),
                                     package=types.SimpleNamespace(kokkos_cxx=f"/opt/{name}/bin/nvcc_wrapper"))


class CMakePackage:
    run_tests = False

    def __init__(self, spec):
        self.spec = spec

    @staticmethod
    def define(name, value):
        if isinstance(value, bool):
            return f"-D{name}:BOOL={'ON' if value else 'OFF'}"
        return f"-D{name}={value}"

    def define_from_variant(self, name, variant):
        return self.define(name, self.spec.satisfies("+" + variant))


class CudaPackage:
    cuda_arch_values = ("70", "80", "90", "100")


stub = types.ModuleType("spack.package")
for name in ("version", "variant", "depends_on", "conflicts", "license", "requires", "maintainers", "provides"):
    setattr(stub, name, directive(name))
stub.CMakePackage, stub.CudaPackage = CMakePackage, CudaPackage
stub.__all__ = [n for n in dir(stub) if not n.startswith("_")]
sys.modules["spack"] = types.ModuleType("spack")
sys.modules["spack.package"] = stub

namespace = {}
exec(compile(recipe.read_text(), str(recipe), "exec"), namespace)
package = namespace["Ktconv"]
problems = []

version = (root / "VERSION").read_text().strip()
versions = [args[0] for args, _ in directives["version"]]
if version not in versions:
    problems.append(f"package.py versions {versions} lack VERSION's {version}")

cmake_text = "\n".join(p.read_text() for p in [root / "CMakeLists.txt", *sorted((root / "cmake").glob("*.cmake"))])
known = {"CMAKE_CXX_COMPILER", "BUILD_SHARED_LIBS", "Kokkos_ROOT", "KokkosKernels_ROOT"}  # CMake's own, find_package's
passed = set()
for on in ({"openmp", "serial"}, {"serial"}, {"cuda", "serial"}, {"openmp", "serial", "kernels"},
           {"cuda", "openmp", "serial", "examples", "shared", "kernels"}):
    for arg in package(FakeSpec(on)).cmake_args():
        m = re.match(r"-D([A-Za-z_][A-Za-z0-9_]*)(:\w+)?=", arg)
        if not m:
            problems.append(f"cmake_args() item is not -DNAME=VALUE: {arg!r}")
            continue
        passed.add(m.group(1))
for name in sorted(passed - known):
    if not re.search(rf"(option\(\s*{name}\b|set\(\s*{name}\b[^)]*\bCACHE\b)", cmake_text):
        problems.append(f"package.py passes -D{name}, which our CMake files do not define (option/cache)")
if "CMAKE_CXX_COMPILER" not in passed:
    problems.append("package.py does not set CMAKE_CXX_COMPILER (nvcc_wrapper) for +cuda")

print(f"package.py: versions {versions}, {len(directives['variant'])} variants, "
      f"{len(directives['depends_on'])} dependencies, -D options {sorted(passed)}")
for p in problems:
    print("error:", p)
sys.exit(1 if problems else 0)
