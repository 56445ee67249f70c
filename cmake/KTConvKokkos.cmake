# Kokkos: an installed Kokkos (find_package, any backend) first; otherwise the pinned
# Kokkos 5.0.2 release built from source with FetchContent, from the upstream URL with its
# SHA-256, or from a local archive (KTCONV_KOKKOS_ARCHIVE, cache variable or environment).

set(KTCONV_KOKKOS_VERSION 5.0.2)
set(KTCONV_KOKKOS_URL "https://github.com/kokkos/kokkos/releases/download/5.0.2/kokkos-5.0.2.tar.gz")
set(KTCONV_KOKKOS_SHA256 188817bb452ca805ee8701f1c5adbbb4fb83dc8d1c50624566a18a719ba0fa5e)

# Default archive: the environment, else a copy next to the checkout (../shared/deps, as on
# machines without internet here), else download.
set(_ktconv_default_archive "")
if(DEFINED ENV{KTCONV_KOKKOS_ARCHIVE})
  set(_ktconv_default_archive "$ENV{KTCONV_KOKKOS_ARCHIVE}")
elseif(EXISTS "${CMAKE_CURRENT_LIST_DIR}/../../shared/deps/kokkos-${KTCONV_KOKKOS_VERSION}.tar.gz")
  get_filename_component(_ktconv_default_archive
    "${CMAKE_CURRENT_LIST_DIR}/../../shared/deps/kokkos-${KTCONV_KOKKOS_VERSION}.tar.gz" ABSOLUTE)
endif()
set(KTCONV_KOKKOS_ARCHIVE "${_ktconv_default_archive}" CACHE FILEPATH
  "Local Kokkos ${KTCONV_KOKKOS_VERSION} release archive (empty: download ${KTCONV_KOKKOS_URL})")
option(KTCONV_FORCE_BUILTIN_KOKKOS "Build the pinned Kokkos even if an installed one is found" OFF)

include(FetchContent)
if(POLICY CMP0135)
  cmake_policy(SET CMP0135 NEW) # extracted files get the extraction time as timestamp
endif()

macro(_ktconv_declare_kokkos)
  if(KTCONV_KOKKOS_ARCHIVE)
    if(NOT EXISTS "${KTCONV_KOKKOS_ARCHIVE}")
      message(FATAL_ERROR "KTCONV_KOKKOS_ARCHIVE='${KTCONV_KOKKOS_ARCHIVE}' does not exist")
    endif()
    set(_ktconv_kokkos_url "${KTCONV_KOKKOS_ARCHIVE}")
  else()
    set(_ktconv_kokkos_url "${KTCONV_KOKKOS_URL}")
  endif()
  FetchContent_Declare(kokkos URL "${_ktconv_kokkos_url}" URL_HASH SHA256=${KTCONV_KOKKOS_SHA256})
endmacro()

# Before project(): a CUDA build needs Kokkos' nvcc_wrapper as the C++ compiler. With an
# installed CUDA Kokkos (Kokkos_ROOT, cache or environment) that is its bin/nvcc_wrapper; with
# the built-in Kokkos the sources are fetched now to use theirs. An explicit compiler wins.
function(ktconv_prepare_kokkos_compiler)
  if(NOT Kokkos_ENABLE_CUDA OR CMAKE_CXX_COMPILER OR DEFINED ENV{CXX})
    return()
  endif()
  set(_root "${Kokkos_ROOT}")
  if(NOT _root AND DEFINED ENV{Kokkos_ROOT})
    set(_root "$ENV{Kokkos_ROOT}")
  endif()
  if(_root)
    if(EXISTS "${_root}/bin/nvcc_wrapper")
      set(CMAKE_CXX_COMPILER "${_root}/bin/nvcc_wrapper" CACHE FILEPATH "C++ compiler" FORCE)
    endif()
    return()
  endif()
  _ktconv_declare_kokkos()
  FetchContent_GetProperties(kokkos)
  if(NOT kokkos_POPULATED)
    message(STATUS "ktconv: fetching Kokkos sources early to use its nvcc_wrapper")
    FetchContent_Populate(kokkos)
  endif()
  set(CMAKE_CXX_COMPILER "${kokkos_SOURCE_DIR}/bin/nvcc_wrapper" CACHE FILEPATH "C++ compiler" FORCE)
endfunction()

function(ktconv_find_or_fetch_kokkos)
  if(NOT KTCONV_FORCE_BUILTIN_KOKKOS)
    find_package(Kokkos ${KTCONV_KOKKOS_VERSION} CONFIG QUIET)
  endif()
  if(Kokkos_FOUND)
    message(STATUS "ktconv: using installed Kokkos ${Kokkos_VERSION} from ${Kokkos_DIR}")
    # Backends asked for explicitly (a preset, -D) must match the installed Kokkos: a `serial`
    # build that silently ran on OpenMP, or a `cuda` build without CUDA, would mislead.
    foreach(_b CUDA OPENMP SERIAL)
      if(DEFINED CACHE{Kokkos_ENABLE_${_b}})
        kokkos_check(DEVICES ${_b} RETURN_VALUE _has_raw)
        set(_has OFF)
        set(_want OFF)
        if(_has_raw)
          set(_has ON)
        endif()
        if($CACHE{Kokkos_ENABLE_${_b}})
          set(_want ON)
        endif()
        if(NOT _want STREQUAL _has)
          message(FATAL_ERROR "ktconv: Kokkos_ENABLE_${_b}=${_want} was requested, but the installed Kokkos "
            "in ${Kokkos_DIR} has ${_b} ${_has} (its backends: ${Kokkos_DEVICES}). Point Kokkos_ROOT at a "
            "Kokkos built with the backends of this configuration, or leave Kokkos_ROOT unset to build "
            "the pinned Kokkos in-tree.")
        endif()
      endif()
    endforeach()
    set(KTCONV_KOKKOS_IS_BUILTIN OFF PARENT_SCOPE)
    set(KTCONV_KOKKOS_DIR "${Kokkos_DIR}" PARENT_SCOPE)
    set(KTCONV_KOKKOS_USED_VERSION "${Kokkos_VERSION}" PARENT_SCOPE)
  else()
    if(NOT Kokkos_ENABLE_CUDA AND NOT Kokkos_ENABLE_OPENMP AND NOT Kokkos_ENABLE_SERIAL)
      # A host build with nothing chosen gets OpenMP (with Serial beside it).
      set(Kokkos_ENABLE_OPENMP ON CACHE BOOL "Kokkos OpenMP backend")
    endif()
    if(NOT DEFINED Kokkos_ENABLE_SERIAL)
      set(Kokkos_ENABLE_SERIAL ON CACHE BOOL "Kokkos Serial backend")
    endif()
    if(Kokkos_ENABLE_CUDA)
      set(_any_arch OFF)
      get_cmake_property(_vars VARIABLES)
      foreach(_v IN LISTS _vars)
        if(_v MATCHES "^Kokkos_ARCH_(AMPERE|HOPPER|ADA|BLACKWELL|VOLTA|TURING|PASCAL|MAXWELL|KEPLER)" AND ${_v})
          set(_any_arch ON)
        endif()
      endforeach()
      if(NOT _any_arch)
        set(Kokkos_ARCH_HOPPER90 ON CACHE BOOL "Kokkos CUDA architecture (default: Hopper)")
      endif()
    endif()
    message(STATUS "ktconv: building Kokkos ${KTCONV_KOKKOS_VERSION} from source")
    _ktconv_declare_kokkos()
    # Not FetchContent_MakeAvailable: for CUDA the sources may already be populated (before
    # project(), for nvcc_wrapper), and MakeAvailable would then skip add_subdirectory.
    FetchContent_GetProperties(kokkos)
    if(NOT kokkos_POPULATED)
      FetchContent_Populate(kokkos)
    endif()
    add_subdirectory(${kokkos_SOURCE_DIR} ${kokkos_BINARY_DIR})
    set(KTCONV_KOKKOS_IS_BUILTIN ON PARENT_SCOPE)
    set(KTCONV_KOKKOS_DIR "" PARENT_SCOPE) # installed beside ktconv by `cmake --install`
    set(KTCONV_KOKKOS_USED_VERSION "${KTCONV_KOKKOS_VERSION}" PARENT_SCOPE)
  endif()
  # Backends for the generated config header.
  foreach(_b CUDA OPENMP SERIAL)
    set(_on OFF)
    if(Kokkos_FOUND)
      kokkos_check(DEVICES ${_b} RETURN_VALUE _on)
    elseif(Kokkos_ENABLE_${_b})
      set(_on ON)
    endif()
    set(KTCONV_HAVE_${_b} ${_on} PARENT_SCOPE)
  endforeach()
endfunction()
