# Installation and the packages consumers find it with.
#
# Installed tree (paths relative to the prefix; lib/ is CMAKE_INSTALL_LIBDIR):
#   bin/enlace-broker, bin/enlace, bin/enlace-{nmea,sbs,tak}-gateway, bin/enlace-web (those built)
#   share/enlace/web/                                  the web COP page (gateways/web/CMakeLists.txt)
#   lib/systemd/system/*.service, lib/sysusers.d/enlace.conf, share/enlace/broker.toml.example
#                                                      (packaging/CMakeLists.txt)
#   include/enlace/*.hpp, include/enlace/enlace.h      public API: sdk/include/enlace/ and the
#                                                      protocol core's vocabulary headers
#                                                      (protocol/include/enlace/)
#   include/enlace/wire/*_generated.h                  generated from schemas/*.fbs
#   lib/libenlace.so.* or lib/libenlace.a
#   lib/cmake/Enlace/EnlaceConfig.cmake (+ ConfigVersion, Targets, EnlaceSchemas.cmake)
#   lib/pkgconfig/enlace.pc
#   share/enlace/schemas/*.fbs
#
# Consumers use find_package(Enlace) and the target Enlace::sdk, the same name the build
# tree uses through its ALIAS. Every installed file locates the prefix relative to itself,
# so the tree can be moved (or installed with `cmake --install --prefix`) without edits.
include(CMakePackageConfigHelpers)

set(ENLACE_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/Enlace")
set(ENLACE_INSTALL_SCHEMADIR "${CMAKE_INSTALL_DATADIR}/enlace/schemas")

get_target_property(_enlace_sdk_type enlace_sdk TYPE)
if(_enlace_sdk_type STREQUAL "STATIC_LIBRARY")
  set(ENLACE_SDK_STATIC ON)
else()
  set(ENLACE_SDK_STATIC OFF)
endif()

# --- The SDK library and its headers ---------------------------------------------------
install(TARGETS enlace_sdk
  EXPORT EnlaceTargets
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT Enlace_Runtime
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT Enlace_Runtime
          NAMELINK_COMPONENT Enlace_Development
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT Enlace_Development)

# A static libenlace needs the protocol core's archive beside it; a shared one contains it.
if(ENLACE_SDK_STATIC)
  install(TARGETS enlace_protocol
    EXPORT EnlaceTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT Enlace_Development)
endif()

# The public headers: the SDK's and the vocabulary its API is written in (error codes,
# results, topics, keys, wire tables), which the protocol core owns. The core's own API
# (protocol/internal/) and every component's src/ stay internal.
foreach(_enlace_public_dir IN ITEMS sdk/include/enlace protocol/include/enlace)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${_enlace_public_dir}/
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/enlace
    COMPONENT Enlace_Development
    FILES_MATCHING PATTERN "*.hpp" PATTERN "*.h")
endforeach()

# The generated headers go beside them, so <enlace/wire/envelope_generated.h> resolves the
# same way in the build tree (generated/) and once installed. The list comes from the
# schema target itself, so a stale header left in the build tree is never shipped.
get_target_property(_enlace_generated_headers enlace_schemas ENLACE_GENERATED_HEADERS)
if(NOT _enlace_generated_headers)
  message(FATAL_ERROR "Install.cmake: enlace_schemas lists no generated headers")
endif()
install(FILES ${_enlace_generated_headers}
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/enlace/wire
  COMPONENT Enlace_Development)

# The schemas and the function that compiles them, so vendors generate code exactly as we
# do (same flatc, same flags).
install(FILES ${ENLACE_SCHEMA_FILES}
  DESTINATION ${ENLACE_INSTALL_SCHEMADIR}
  COMPONENT Enlace_Development)
install(FILES ${PROJECT_SOURCE_DIR}/cmake/EnlaceSchemas.cmake
  DESTINATION ${ENLACE_INSTALL_CMAKEDIR}
  COMPONENT Enlace_Development)

# --- Programs ----------------------------------------------------------------------------
# With a shared libenlace the programs find it relative to themselves, wherever the tree
# is installed or moved to.
file(RELATIVE_PATH _enlace_bin_to_lib
  "${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}" "${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}")
foreach(_enlace_program IN ITEMS enlace-broker enlace enlace-nmea-gateway enlace-sbs-gateway
                                 enlace-tak-gateway enlace-web)
  if(TARGET ${_enlace_program})
    get_target_property(_enlace_rpath ${_enlace_program} INSTALL_RPATH)
    if(NOT ENLACE_SDK_STATIC AND NOT _enlace_rpath)
      set_target_properties(${_enlace_program} PROPERTIES
        INSTALL_RPATH "$ORIGIN/${_enlace_bin_to_lib}")
    endif()
    install(TARGETS ${_enlace_program}
      RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT Enlace_Runtime)
  endif()
endforeach()

# --- CMake package -----------------------------------------------------------------------
install(EXPORT EnlaceTargets
  NAMESPACE Enlace::
  FILE EnlaceTargets.cmake
  DESTINATION ${ENLACE_INSTALL_CMAKEDIR}
  COMPONENT Enlace_Development)

# The generated headers static_assert the exact FlatBuffers version that flatc came from,
# so the config asks for that version rather than letting a consumer fail at compile time.
set(ENLACE_FLATBUFFERS_VERSION "${FlatBuffers_VERSION}")
if(ENLACE_FLATBUFFERS_VERSION)
  set(ENLACE_FLATBUFFERS_FIND_ARGS "${ENLACE_FLATBUFFERS_VERSION} EXACT")
else()
  set(ENLACE_FLATBUFFERS_FIND_ARGS "")
endif()
set(ENLACE_SCHEMA_NAMES "")
foreach(_enlace_schema IN LISTS ENLACE_SCHEMA_FILES)
  get_filename_component(_enlace_schema_name "${_enlace_schema}" NAME)
  list(APPEND ENLACE_SCHEMA_NAMES "${_enlace_schema_name}")
endforeach()

configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/EnlaceConfig.cmake.in
  ${PROJECT_BINARY_DIR}/EnlaceConfig.cmake
  INSTALL_DESTINATION ${ENLACE_INSTALL_CMAKEDIR}
  PATH_VARS ENLACE_INSTALL_SCHEMADIR)
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/EnlaceConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/EnlaceConfig.cmake
  ${PROJECT_BINARY_DIR}/EnlaceConfigVersion.cmake
  DESTINATION ${ENLACE_INSTALL_CMAKEDIR}
  COMPONENT Enlace_Development)

# --- pkg-config --------------------------------------------------------------------------
# prefix is derived from the .pc file's own location (${pcfiledir}), so the file stays
# right after `cmake --install --prefix` or moving the tree. pkg-config and pkgconf both
# define pcfiledir.
set(_enlace_pc_dir "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(ENLACE_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(ENLACE_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  file(RELATIVE_PATH _enlace_pc_up "/root/${_enlace_pc_dir}" "/root")  # "../.." or deeper
  string(REGEX REPLACE "/+$" "" _enlace_pc_up "${_enlace_pc_up}")
  set(ENLACE_PC_PREFIX "\${pcfiledir}/${_enlace_pc_up}")
  set(ENLACE_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(ENLACE_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(ENLACE_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
# FlatBuffers provides headers the C++ API includes: its Cflags always apply (pkg-config
# takes Cflags from Requires.private too), its library is never needed.
if(ENLACE_FLATBUFFERS_VERSION)
  set(_enlace_pc_flatbuffers "flatbuffers = ${ENLACE_FLATBUFFERS_VERSION}")
else()
  set(_enlace_pc_flatbuffers "flatbuffers")
endif()
if(ENLACE_SDK_STATIC)
  # A plain `pkg-config --libs enlace` must link: libenlace.a needs libzmq, libsodium and
  # the C++ runtime (a C program does not link the latter by itself). These go in Requires
  # and Libs rather than behind --static, which would also drag in static libzmq's own
  # private dependencies (Debian's are not linkable statically).
  set(ENLACE_PC_REQUIRES "libzmq, libsodium")
  set(ENLACE_PC_REQUIRES_PRIVATE "${_enlace_pc_flatbuffers}")
  set(ENLACE_PC_LIBS "-L\${libdir} -lenlace -lstdc++ -lm -pthread")
else()
  # libenlace.so records its own dependencies; consumers link libenlace alone.
  set(ENLACE_PC_REQUIRES "")
  set(ENLACE_PC_REQUIRES_PRIVATE "${_enlace_pc_flatbuffers}, libzmq, libsodium")
  set(ENLACE_PC_LIBS "-L\${libdir} -lenlace")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/enlace.pc.in ${PROJECT_BINARY_DIR}/enlace.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/enlace.pc
  DESTINATION ${_enlace_pc_dir}
  COMPONENT Enlace_Development)
