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
endif()
