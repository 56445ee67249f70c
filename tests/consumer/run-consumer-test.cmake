# The consumer test: install a ktconv build tree into a fresh prefix, configure and build the
# separate project in this folder against that install, and run it (unless RUN=OFF, e.g. a
# CUDA build on a machine without a GPU).
#
#   cmake -DKTCONV_BUILD_DIR=build/openmp -DWORK_DIR=/tmp/ktconv-consumer [-DRUN=OFF]
#         -P tests/consumer/run-consumer-test.cmake
#
# The consumer uses the same C++ compiler and build type as the ktconv build (read from its
# CMakeCache.txt) and finds Kokkos only through the installed ktconvConfig.cmake.
cmake_minimum_required(VERSION 3.22)
foreach(_v KTCONV_BUILD_DIR WORK_DIR)
  if(NOT ${_v})
    message(FATAL_ERROR "run-consumer-test.cmake: set -D${_v}=...")
  endif()
endforeach()
if(NOT DEFINED RUN)
  set(RUN ON)
endif()
get_filename_component(KTCONV_BUILD_DIR "${KTCONV_BUILD_DIR}" ABSOLUTE)
get_filename_component(WORK_DIR "${WORK_DIR}" ABSOLUTE)
load_cache("${KTCONV_BUILD_DIR}" READ_WITH_PREFIX K_ CMAKE_CXX_COMPILER CMAKE_BUILD_TYPE CMAKE_GENERATOR)

function(step)
  string(JOIN " " _cmd ${ARGV})
  message(STATUS "consumer test: ${_cmd}")
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "consumer test: failed (${_rc}): ${_cmd}")
  endif()
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
set(_prefix "${WORK_DIR}/prefix")
step(${CMAKE_COMMAND} --install "${KTCONV_BUILD_DIR}" --prefix "${_prefix}")
step(${CMAKE_COMMAND} -S "${CMAKE_CURRENT_LIST_DIR}" -B "${WORK_DIR}/build" -G "${K_CMAKE_GENERATOR}"
     "-DCMAKE_CXX_COMPILER=${K_CMAKE_CXX_COMPILER}" "-DCMAKE_BUILD_TYPE=${K_CMAKE_BUILD_TYPE}"
     "-DCMAKE_PREFIX_PATH=${_prefix}")
step(${CMAKE_COMMAND} --build "${WORK_DIR}/build")
if(RUN)
  step("${WORK_DIR}/build/app")
else()
  message(STATUS "consumer test: built; not run (RUN=OFF)")
endif()
