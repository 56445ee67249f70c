# Kokkos Kernels (BLAS component), for Algorithm::gemm: an installed Kokkos Kernels
# (find_package, KokkosKernels_ROOT or CMAKE_PREFIX_PATH) first; otherwise the pinned 4.7.00
# release built in-tree from a local archive (KTCONV_KOKKOS_KERNELS_ARCHIVE, cache variable or
# environment; default ../shared/deps/kokkos-kernels-4.7.00.tar.gz next to the checkout), its
# SHA-256 checked. Only the BLAS component, no explicit instantiations (ktconv instantiates the
# two GEMMs it calls), the cuBLAS TPL on for CUDA. KTCONV_ENABLE_KOKKOS_KERNELS=OFF builds
# without it: Algorithm::gemm is then rejected.
#
# The archive is `git archive` of the upstream tag 4.7.00, whose bytes differ from GitHub's
# generated tarball, so there is no download fallback with a checkable hash.

option(KTCONV_ENABLE_KOKKOS_KERNELS "Use Kokkos Kernels (Algorithm::gemm)" ON)
option(KTCONV_FORCE_BUILTIN_KOKKOS_KERNELS "Build the pinned Kokkos Kernels even if an installed one is found" OFF)
set(KTCONV_KOKKOS_KERNELS_VERSION 4.7.00)
set(KTCONV_KOKKOS_KERNELS_SHA256 5c7c8c8f91817ab22dbc50ea72f02292bbd6c5b412d6f1588b27574600c478ef)

set(_ktconv_default_kk_archive "")
if(DEFINED ENV{KTCONV_KOKKOS_KERNELS_ARCHIVE})
  set(_ktconv_default_kk_archive "$ENV{KTCONV_KOKKOS_KERNELS_ARCHIVE}")
elseif(EXISTS "${CMAKE_CURRENT_LIST_DIR}/../../shared/deps/kokkos-kernels-${KTCONV_KOKKOS_KERNELS_VERSION}.tar.gz")
  get_filename_component(_ktconv_default_kk_archive
    "${CMAKE_CURRENT_LIST_DIR}/../../shared/deps/kokkos-kernels-${KTCONV_KOKKOS_KERNELS_VERSION}.tar.gz" ABSOLUTE)
endif()
set(KTCONV_KOKKOS_KERNELS_ARCHIVE "${_ktconv_default_kk_archive}" CACHE FILEPATH
  "Local Kokkos Kernels ${KTCONV_KOKKOS_KERNELS_VERSION} release archive (git archive of the tag)")

# Sets KTCONV_HAVE_KOKKOS_KERNELS, KTCONV_KOKKOS_KERNELS_DIR (empty when built in-tree) and
# KTCONV_KOKKOS_KERNELS_USED_VERSION in the caller's scope.
function(ktconv_find_or_fetch_kokkos_kernels)
  set(KTCONV_HAVE_KOKKOS_KERNELS OFF PARENT_SCOPE)
  set(KTCONV_KOKKOS_KERNELS_DIR "" PARENT_SCOPE)
  set(KTCONV_KOKKOS_KERNELS_USED_VERSION "" PARENT_SCOPE)
  if(NOT KTCONV_ENABLE_KOKKOS_KERNELS)
    message(STATUS "ktconv: Kokkos Kernels disabled (KTCONV_ENABLE_KOKKOS_KERNELS=OFF): no Algorithm::gemm")
    return()
  endif()
  # Kokkos is already a target here; its config must not be loaded twice by Kokkos Kernels'.
  set(Kokkos_FOUND TRUE)
  if(NOT KTCONV_FORCE_BUILTIN_KOKKOS_KERNELS)
    find_package(KokkosKernels 4.7 CONFIG QUIET)
  endif()
  if(KokkosKernels_FOUND)
    message(STATUS "ktconv: using installed Kokkos Kernels ${KokkosKernels_VERSION} from ${KokkosKernels_DIR}")
    set(KTCONV_KOKKOS_KERNELS_DIR "${KokkosKernels_DIR}" PARENT_SCOPE)
    set(KTCONV_KOKKOS_KERNELS_USED_VERSION "${KokkosKernels_VERSION}" PARENT_SCOPE)
  else()
    if(NOT KTCONV_KOKKOS_KERNELS_ARCHIVE OR NOT EXISTS "${KTCONV_KOKKOS_KERNELS_ARCHIVE}")
      message(FATAL_ERROR "ktconv: no installed Kokkos Kernels found and no archive to build it from "
        "(KTCONV_KOKKOS_KERNELS_ARCHIVE='${KTCONV_KOKKOS_KERNELS_ARCHIVE}'). Set KokkosKernels_ROOT to an install "
        "(scripts/build-kokkos-kernels.sh makes one), point KTCONV_KOKKOS_KERNELS_ARCHIVE at "
        "kokkos-kernels-${KTCONV_KOKKOS_KERNELS_VERSION}.tar.gz, or configure with -DKTCONV_ENABLE_KOKKOS_KERNELS=OFF.")
    endif()
    message(STATUS "ktconv: building Kokkos Kernels ${KTCONV_KOKKOS_KERNELS_VERSION} (BLAS only) from source")
    # An installed Kokkos was found in another scope: load its variables (version, backends)
    # here too, for Kokkos Kernels' configuration. Its targets already exist and are kept.
    if(NOT KTCONV_KOKKOS_IS_BUILTIN)
      find_package(Kokkos ${KTCONV_KOKKOS_VERSION} CONFIG REQUIRED QUIET)
    endif()
    foreach(_opt ENABLE_ALL_COMPONENTS ADD_DEFAULT_ETI INST_DOUBLE INST_FLOAT INST_COMPLEX_DOUBLE
                 INST_COMPLEX_FLOAT INST_ORDINAL_INT INST_ORDINAL_INT64_T INST_OFFSET_INT INST_OFFSET_SIZE_T
                 INST_LAYOUTLEFT INST_LAYOUTRIGHT ENABLE_TPL_BLAS ENABLE_TPL_LAPACK ENABLE_TPL_CUSPARSE
                 ENABLE_TPL_CUSOLVER ENABLE_TESTS ENABLE_EXAMPLES)
      set(KokkosKernels_${_opt} OFF CACHE BOOL "set by ktconv" FORCE)
    endforeach()
    set(KokkosKernels_ENABLE_COMPONENT_BLAS ON CACHE BOOL "set by ktconv" FORCE)
    set(KokkosKernels_ENABLE_TPL_CUBLAS ${KTCONV_HAVE_CUDA} CACHE BOOL "set by ktconv" FORCE)
    include(FetchContent)
    FetchContent_Declare(kokkoskernels URL "${KTCONV_KOKKOS_KERNELS_ARCHIVE}"
                         URL_HASH SHA256=${KTCONV_KOKKOS_KERNELS_SHA256})
    FetchContent_GetProperties(kokkoskernels)
    if(NOT kokkoskernels_POPULATED)
      FetchContent_Populate(kokkoskernels)
    endif()
    if(CMAKE_VERSION VERSION_GREATER_EQUAL 3.25)
      add_subdirectory(${kokkoskernels_SOURCE_DIR} ${kokkoskernels_BINARY_DIR} SYSTEM)
    else()
      add_subdirectory(${kokkoskernels_SOURCE_DIR} ${kokkoskernels_BINARY_DIR})
    endif()
    set(KTCONV_KOKKOS_KERNELS_USED_VERSION "${KTCONV_KOKKOS_KERNELS_VERSION}" PARENT_SCOPE)
  endif()
  if(NOT TARGET Kokkos::kokkoskernels)
    message(FATAL_ERROR "ktconv: Kokkos Kernels was found but defines no Kokkos::kokkoskernels target")
  endif()
  set(KTCONV_HAVE_KOKKOS_KERNELS ON PARENT_SCOPE)
endfunction()
