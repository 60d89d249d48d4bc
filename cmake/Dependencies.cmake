# Every dependency comes from the distribution (Debian 12 packages, see scripts/setup.sh).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(cppzmq REQUIRED)  # brings libzmq as the `libzmq` target
find_package(FlatBuffers REQUIRED)
find_package(fmt REQUIRED)
find_package(tomlplusplus REQUIRED)
pkg_check_modules(sodium REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(sqlite3 REQUIRED IMPORTED_TARGET sqlite3)
if(ENLACE_BUILD_TESTS)
  find_package(Catch2 2 REQUIRED)
endif()
