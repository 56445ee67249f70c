# Flags for ktconv's own targets only (the library, its tests, examples and benchmark); Kokkos
# is a separate target and keeps its own flags.
#   KTCONV_WARNINGS_AS_ERRORS  warnings become errors (CI)
#   KTCONV_SANITIZE            e.g. "address,undefined": -fsanitize=... on these targets
set(KTCONV_SANITIZE "" CACHE STRING "Sanitizers for ktconv's own targets, e.g. address,undefined (empty: none)")

function(ktconv_set_warnings target)
  if(KTCONV_HAVE_CUDA)
    # nvcc_wrapper forwards host flags; keep the set small so nvcc's own front end stays quiet.
    target_compile_options(${target} PRIVATE -Wall -Wextra)
  else()
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion)
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12
       AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
      # GCC 12's false -Wrestrict inside libstdc++'s std::string operator+ at -O3 (GCC bug 105329).
      target_compile_options(${target} PRIVATE -Wno-restrict)
    endif()
  endif()
  if(KTCONV_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(KTCONV_SANITIZE)
    # Any finding aborts the program, so a sanitized test fails instead of printing and passing.
    target_compile_options(${target} PRIVATE -fsanitize=${KTCONV_SANITIZE} -fno-sanitize-recover=all
                                             -fno-omit-frame-pointer)
    # The library passes the link flag on (also to an installed package's users): whatever links
    # a sanitized libktconv needs the sanitizer runtimes.
    get_target_property(_type ${target} TYPE)
    if(_type MATCHES "LIBRARY")
      target_link_options(${target} PUBLIC -fsanitize=${KTCONV_SANITIZE})
    else()
      target_link_options(${target} PRIVATE -fsanitize=${KTCONV_SANITIZE})
    endif()
  endif()
endfunction()
