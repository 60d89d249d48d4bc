# enlace_generate_schemas(<target> SCHEMAS <file.fbs>... [OUTPUT_DIR <dir>] [INCLUDE_DIR <dir>])
#
# Generates C++ headers from FlatBuffers schemas with flatc, exactly as Enlace itself does,
# and creates an INTERFACE library <target> that adds INCLUDE_DIR (default: OUTPUT_DIR) to
# its users' include path; give OUTPUT_DIR = INCLUDE_DIR/some/prefix to include the
# generated headers as <some/prefix/envelope_generated.h>. Shipped
# with the installed package so vendors generate code from our .fbs the same way.
function(enlace_generate_schemas target)
  cmake_parse_arguments(ARG "" "OUTPUT_DIR;INCLUDE_DIR" "SCHEMAS" ${ARGN})
  if(NOT ARG_SCHEMAS)
    message(FATAL_ERROR "enlace_generate_schemas: SCHEMAS is required")
  endif()
  if(NOT ARG_OUTPUT_DIR)
    set(ARG_OUTPUT_DIR "${CMAKE_CURRENT_BINARY_DIR}/${target}")
  endif()
  if(NOT ARG_INCLUDE_DIR)
    set(ARG_INCLUDE_DIR "${ARG_OUTPUT_DIR}")
  endif()
  if(NOT TARGET flatbuffers::flatc)
    find_package(FlatBuffers REQUIRED)
  endif()

  set(headers "")
  set(include_dirs "")
  foreach(schema IN LISTS ARG_SCHEMAS)
    get_filename_component(abs "${schema}" ABSOLUTE)
    get_filename_component(stem "${schema}" NAME_WE)
    get_filename_component(dir "${abs}" DIRECTORY)
    list(APPEND include_dirs "${dir}")
    list(APPEND headers "${ARG_OUTPUT_DIR}/${stem}_generated.h")
  endforeach()
  list(REMOVE_DUPLICATES include_dirs)
  set(include_flags "")
  foreach(dir IN LISTS include_dirs)
    list(APPEND include_flags -I "${dir}")
  endforeach()

  set(abs_schemas "")
  foreach(schema IN LISTS ARG_SCHEMAS)
    get_filename_component(abs "${schema}" ABSOLUTE)
    list(APPEND abs_schemas "${abs}")
  endforeach()

  add_custom_command(
    OUTPUT ${headers}
    COMMAND flatbuffers::flatc --cpp --scoped-enums --keep-prefix ${include_flags}
            -o "${ARG_OUTPUT_DIR}" ${abs_schemas}
    DEPENDS ${abs_schemas} flatbuffers::flatc
    COMMENT "Generating C++ from FlatBuffers schemas for ${target}"
    VERBATIM)
  add_custom_target(${target}_generate DEPENDS ${headers})

  add_library(${target} INTERFACE)
  add_dependencies(${target} ${target}_generate)
  # Generated code needs only the FlatBuffers headers, not its library.
  target_include_directories(${target} INTERFACE "$<BUILD_INTERFACE:${ARG_INCLUDE_DIR}>")
  set_property(TARGET ${target} PROPERTY ENLACE_GENERATED_HEADERS "${headers}")
endfunction()
