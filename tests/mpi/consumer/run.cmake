# The ktconv::mpi consumer test: install a ktconv build tree (built with KTCONV_ENABLE_MPI) into
# a fresh prefix, build this folder's project against it, and run it on 2 ranks (unless RUN=OFF).
#   cmake -DKTCONV_BUILD_DIR=build/openmp-mpi -DWORK_DIR=/tmp/x -DMPIEXEC="mpiexec;-n;2" -P run.cmake
cmake_minimum_required(VERSION 3.22)
get_filename_component(KTCONV_BUILD_DIR "${KTCONV_BUILD_DIR}" ABSOLUTE)
load_cache("${KTCONV_BUILD_DIR}" READ_WITH_PREFIX K_ CMAKE_CXX_COMPILER CMAKE_BUILD_TYPE CMAKE_GENERATOR)
function(step)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    string(JOIN " " _cmd ${ARGV})
    message(FATAL_ERROR "mpi consumer test: failed (${_rc}): ${_cmd}")
  endif()
endfunction()
file(REMOVE_RECURSE "${WORK_DIR}")
step(${CMAKE_COMMAND} --install "${KTCONV_BUILD_DIR}" --prefix "${WORK_DIR}/prefix")
step(${CMAKE_COMMAND} -S "${CMAKE_CURRENT_LIST_DIR}" -B "${WORK_DIR}/build" -G "${K_CMAKE_GENERATOR}"
     "-DCMAKE_CXX_COMPILER=${K_CMAKE_CXX_COMPILER}" "-DCMAKE_BUILD_TYPE=${K_CMAKE_BUILD_TYPE}"
     "-DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix")
step(${CMAKE_COMMAND} --build "${WORK_DIR}/build")
if(NOT DEFINED RUN OR RUN)
  step(${MPIEXEC} "${WORK_DIR}/build/app")
endif()
