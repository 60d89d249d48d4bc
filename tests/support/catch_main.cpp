// Catch2 2.x's main(), compiled once for every Catch test executable (enlace_catch_main):
// its implementation is the slowest file of the suite to compile. Messages are not wrapped,
// so that a golden mismatch's diff stays aligned and its paths can be copied as printed.
#define CATCH_CONFIG_MAIN
#define CATCH_CONFIG_CONSOLE_WIDTH 160
#include <catch2/catch.hpp>
