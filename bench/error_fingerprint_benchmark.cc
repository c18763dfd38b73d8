// Error fingerprinting throughput (docs/benchmarks.md "Error grouping (issue 14)"): one
// fingerprint = stack parse + message normalisation + hash, for a typical browser error
// (a V8 stack of 10 frames) and a Node span exception.
#include <benchmark/benchmark.h>

#include <string>

#include "ingest/errors/fingerprint.h"

namespace {

std::string BrowserStack() {
  std::string s = "TypeError: Cannot read properties of undefined (reading 'id')\n";
  for (int i = 0; i < 10; ++i) {
    s += "    at fn" + std::to_string(i) + " (https://shop.example/assets/" +
         (i < 4 ? "app" : "node_modules/react") + ".3f2a9b1c.js:" + std::to_string(100 + i) + ":17)\n";
  }
  return s;
}

void BM_FingerprintBrowserError(benchmark::State& state) {
  const std::string stack = BrowserStack();
  const std::string message = "Uncaught TypeError: order 3f2a9b1c-1234-4abc-8def-0123456789ab for user 4242 failed at https://api.example/cart/17?x=1";
  for (auto _ : state) {
    auto fp = perfwatch::ingest::errors::FingerprintError("", message, stack);
    benchmark::DoNotOptimize(fp);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FingerprintBrowserError);

void BM_FingerprintNodeException(benchmark::State& state) {
  const std::string stack =
      "TimeoutError: db timeout after 31000 ms\n    at query (/app/src/db.js:12:3)\n"
      "    at handler (/app/src/routes/cart.js:40:9)\n"
      "    at Layer.handle (/app/node_modules/express/lib/router/layer.js:95:5)\n"
      "    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)\n";
  for (auto _ : state) {
    auto fp = perfwatch::ingest::errors::FingerprintError("TimeoutError", "db timeout after 31000 ms", stack);
    benchmark::DoNotOptimize(fp);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FingerprintNodeException);

}  // namespace
