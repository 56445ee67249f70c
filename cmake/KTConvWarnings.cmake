# Warnings apply to ktconv's own targets only; KTCONV_WARNINGS_AS_ERRORS (CI) makes them errors.
function(ktconv_set_warnings target)
  if(KTCONV_HAVE_CUDA)
    # nvcc_wrapper forwards host flags; keep the set small so nvcc's own front end stays quiet.
    target_compile_options(${target} PRIVATE -Wall -Wextra)
  else()
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion)
  endif()
  if(KTCONV_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
