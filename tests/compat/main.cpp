// Catch2 2.x supplies main() for the compat test executables. Messages are not wrapped, so
// that a golden mismatch's diff stays aligned and its paths can be copied as printed.
#define CATCH_CONFIG_MAIN
#define CATCH_CONFIG_CONSOLE_WIDTH 160
#include <catch2/catch.hpp>
