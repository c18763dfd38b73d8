// RUM beacon ingest speed: parse + derive per beacon (the figure: ns/beacon), and the two
// derivations on their own. Run: build/bench/beacon_parse_benchmark
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "common/config.h"
#include "ingest/rum/beacon_parser.h"
#include "ingest/rum/route_templater.h"
#include "ingest/rum/user_agent.h"

namespace perfwatch::ingest {
namespace {

constexpr int64_t kNow = 1700000100000;

const char* const kUserAgents[] = {
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
    "Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
};

// DESIGN.md's example beacon with a real user agent.
std::string TypicalBeacon(const char* user_agent, int n = 0) {
  return std::string(R"({"type":"vital","name":"LCP","value":2345.6,"rating":"good","delta":2345.6,"id":"v4-)") +
         std::to_string(n) +
         R"(","navigationType":"navigate","sessionId":"1700000000000-abc","url":"https://shop.example/p/42?q=1",)"
         R"("timestamp":1700000000000,"userAgent":")" +
         user_agent + R"(","connection":"4g","deviceMemory":8,"hardwareConcurrency":8})";
}

std::unique_ptr<BeaconParser> MakeParser() {
  RumConfig config;
  std::shared_ptr<const RouteTemplater> templater = RouteTemplater::Create({}).value();
  return std::make_unique<BeaconParser>(config, templater);
}

void SetPerBeacon(benchmark::State& state, int64_t beacons_per_iteration) {
  state.SetItemsProcessed(state.iterations() * beacons_per_iteration);
  state.counters["ns/beacon"] = benchmark::Counter(
      static_cast<double>(state.iterations() * beacons_per_iteration),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// One beacon per request, same user agent each time (the classifier cache hits).
void BM_ParseSingleBeacon(benchmark::State& state) {
  auto parser = MakeParser();
  const std::string body = TypicalBeacon(kUserAgents[0]);
  BeaconContext context{kNow, "", ""};
  for (auto _ : state) {
    ParsedBatch b = parser->Parse(body, context);
    benchmark::DoNotOptimize(b.events.data());
  }
  SetPerBeacon(state, 1);
}
BENCHMARK(BM_ParseSingleBeacon);

// One beacon per request, the user agent changing every request (cache always misses).
void BM_ParseSingleBeaconDistinctUa(benchmark::State& state) {
  auto parser = MakeParser();
  std::vector<std::string> bodies;
  for (const char* ua : kUserAgents) bodies.push_back(TypicalBeacon(ua));
  BeaconContext context{kNow, "", ""};
  size_t i = 0;
  for (auto _ : state) {
    ParsedBatch b = parser->Parse(bodies[i++ % bodies.size()], context);
    benchmark::DoNotOptimize(b.events.data());
  }
  SetPerBeacon(state, 1);
}
BENCHMARK(BM_ParseSingleBeaconDistinctUa);

// A 20-beacon batch as the SDK sends on page hide: vitals, navigation, resources, a long task.
void BM_ParseBatch20(benchmark::State& state) {
  auto parser = MakeParser();
  std::string body = "[";
  for (int i = 0; i < 20; ++i) {
    if (i) body += ",";
    switch (i % 4) {
      case 0: body += TypicalBeacon(kUserAgents[1], i); break;
      case 1:
        body += R"({"name":"CLS","value":0.04,"rating":"good","delta":0.01,"id":"v4-c)" + std::to_string(i) +
                R"(","navigationType":"navigate","entries":[],"sessionId":"s1","url":"/products/123e4567-e89b-12d3-a456-426614174000","timestamp":1700000000500})";
        break;
      case 2:
        body += R"({"type":"navigation","url":"https://shop.example/cart","dns":12.5,"tcp":30,"ttfb":210,"download":15,"domParsing":120,"domComplete":800,"load":950,"sessionId":"s1","timestamp":1700000000000})";
        break;
      case 3:
        body += R"({"type":"long-task","value":180,"url":"/checkout/step/2","attribution":[{"name":"self","containerType":"window"}],"sessionId":"s1"})";
        break;
    }
  }
  body += "]";
  BeaconContext context{kNow, "", kUserAgents[1]};
  for (auto _ : state) {
    ParsedBatch b = parser->Parse(body, context);
    if (b.events.size() != 20) state.SkipWithError("batch not fully accepted");
    benchmark::DoNotOptimize(b.events.data());
  }
  SetPerBeacon(state, 20);
}
BENCHMARK(BM_ParseBatch20);

void BM_RouteTemplate(benchmark::State& state) {
  auto templater = RouteTemplater::Create({}).value();
  const std::string_view urls[] = {
      "https://shop.example/p/42?q=1",
      "https://shop.example/users/123e4567-e89b-12d3-a456-426614174000/orders/98765#top",
      "/blog/2023/11/how-we-made-it-fast",
      "/",
  };
  std::string out;
  size_t i = 0;
  for (auto _ : state) {
    out.clear();
    templater->Template(urls[i++ & 3], out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RouteTemplate);

void BM_RouteTemplateCustomRule(benchmark::State& state) {
  auto templater = RouteTemplater::Create({{"[a-z0-9]+(-[a-z0-9]+)+", ":slug"}}).value();
  std::string out;
  for (auto _ : state) {
    out.clear();
    templater->Template("/blog/2023/11/how-we-made-it-fast", out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RouteTemplateCustomRule);

void BM_ClassifyUserAgent(benchmark::State& state) {
  size_t i = 0;
  for (auto _ : state) {
    UserAgentClass c = ClassifyUserAgent(kUserAgents[i++ & 3]);
    benchmark::DoNotOptimize(c);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ClassifyUserAgent);

}  // namespace
}  // namespace perfwatch::ingest
