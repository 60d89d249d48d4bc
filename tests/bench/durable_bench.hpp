// enlace-bench --durable: what durable streams cost a publisher, and what replay and
// recovery take (durable_bench.cpp).
#pragma once

namespace enlace::bench {

/// Runs the durable scenario with its own flags (durable_bench.cpp); the process exit code.
int run_durable(int argc, char** argv);

}  // namespace enlace::bench
