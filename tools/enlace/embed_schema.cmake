# cmake -DINPUT=<file.bfbs> -DOUTPUT=<file.cpp> -P embed_schema.cmake
#
# Writes a C++ source defining enlace::cli::detail::embedded_schema(), the bytes of INPUT.
# The array is 16-byte aligned: FlatBuffers reads 64-bit fields in place.
if(NOT INPUT OR NOT OUTPUT)
  message(FATAL_ERROR "embed_schema.cmake: INPUT and OUTPUT are required")
endif()
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
# About 16 bytes per line, so the generated file stays readable in a debugger.
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n  " bytes "${bytes}")
get_filename_component(name "${INPUT}" NAME)
file(WRITE "${OUTPUT}.tmp" "// Generated from ${name} by tools/enlace/embed_schema.cmake. Do not edit.
#include <cstddef>
#include <cstdint>
#include <span>

namespace enlace::cli::detail {

alignas(16) static const std::uint8_t kSchema[${size}] = {
  ${bytes}
};

std::span<const std::uint8_t> embedded_schema() noexcept { return {kSchema, sizeof(kSchema)}; }

}  // namespace enlace::cli::detail
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
