# Warnings and sanitizers, applied to Enlace's own targets through enlace_options.
add_library(enlace_options INTERFACE)
target_compile_options(enlace_options INTERFACE -Wall -Wextra -Wpedantic -Wshadow
                                                -Wnon-virtual-dtor -Wold-style-cast)
if(ENLACE_WERROR)
  target_compile_options(enlace_options INTERFACE -Werror)
endif()
if(ENLACE_SANITIZE)
  set(sanitize_flags -fsanitize=address,undefined -fno-omit-frame-pointer
                     -fno-sanitize-recover=undefined)
  add_compile_options(${sanitize_flags})
  add_link_options(${sanitize_flags})
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # Clang links its sanitizer runtime statically into executables only, so libenlace.so
    # would reach a program built without the sanitizers (the README's tour, a vendor's
    # build) with the runtime's symbols undefined. Linked as a shared library, as GCC does,
    # the runtime comes with libenlace.so; the run path finds it outside the system's.
    execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=libclang_rt.asan-x86_64.so
                    OUTPUT_VARIABLE _enlace_asan_runtime OUTPUT_STRIP_TRAILING_WHITESPACE)
    get_filename_component(_enlace_asan_runtime_dir "${_enlace_asan_runtime}" DIRECTORY)
    add_link_options(-shared-libsan "LINKER:-rpath,${_enlace_asan_runtime_dir}")
  endif()
endif()
