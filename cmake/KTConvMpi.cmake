# ktconv::mpi, the distributed layer (KTCONV_ENABLE_MPI): ConvTranspose2d of an image split
# over the ranks of a Cartesian MPI communicator. Its headers are include/ktconv/KTConv_Distributed*.hpp
# and include/ktconv/details/mpi/; its sources src/mpi/. Included by the top-level CMakeLists.txt.
find_package(MPI REQUIRED COMPONENTS CXX)

add_library(ktconv_mpi
  src/mpi/KTConv_DistributedGeometry.cpp
  src/mpi/KTConv_DistributedLayout.cpp
  src/mpi/KTConv_DistributedCheck.cpp
  src/mpi/KTConv_MpiSupport.cpp
)
add_library(ktconv::mpi ALIAS ktconv_mpi)
set_target_properties(ktconv_mpi PROPERTIES EXPORT_NAME mpi VERSION ${PROJECT_VERSION}
                      SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
target_link_libraries(ktconv_mpi PUBLIC ktconv MPI::MPI_CXX)
ktconv_set_warnings(ktconv_mpi)
install(TARGETS ktconv_mpi EXPORT ktconvTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# How the tests and examples start N ranks. Open MPI needs --oversubscribe to start more ranks
# than cores (the tests use up to 4), and refuses to run as root unless told (CI runs as root).
set(_ktconv_mpiexec_flags "")
execute_process(COMMAND ${MPIEXEC_EXECUTABLE} --version OUTPUT_VARIABLE _ktconv_mpiexec_version
                ERROR_QUIET TIMEOUT 20)
if(_ktconv_mpiexec_version MATCHES "Open MPI|OpenRTE")
  set(_ktconv_mpiexec_flags "--oversubscribe")
endif()
set(KTCONV_MPIEXEC_FLAGS "${_ktconv_mpiexec_flags}" CACHE STRING "Extra mpiexec flags for the MPI tests")
set(KTCONV_MPI_TEST_ENVIRONMENT
    "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMP_NUM_THREADS=1;OMP_PROC_BIND=false")

if(KTCONV_ENABLE_TESTS)
  add_subdirectory(tests/mpi)
endif()
if(KTCONV_ENABLE_EXAMPLES)
  add_subdirectory(examples/mpi)
endif()
