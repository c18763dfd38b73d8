// RED metrics derivation speed (ingest/otlp/span_metrics.h): spans/s that SpanMetrics::Record
// counts for a typical export batch of 512 spans under one resource: 60% server spans over
// 8 routes (current and older HTTP conventions, 5% errors), 25% database client spans (24
// statements whose literals differ per span, so the fingerprint cache misses), 15% outgoing
// HTTP calls to 4 peers; 10 attributes per span. The receiver's target is >= 100,000
// spans/s end to end with this on.
//   BM_RecordCounting   flush_interval_ms > 0 (the server's setting): Record() only counts
//   BM_RecordAndWrite   flush_interval_ms = 0: every Record() also appends the touched
//                       label sets to a real TSDB (WAL included) - the worst case
//
//   nice ninja -C build bench/span_metrics_benchmark && build/bench/span_metrics_benchmark
#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>
#include <unistd.h>

#include "common/time.h"
#include "ingest/otlp/span_metrics.h"

namespace {

using namespace perfwatch;
using namespace perfwatch::ingest::otlp;

constexpr int kSpans = 512;
const char* const kRoutes[] = {"/api/users/:id", "/api/orders", "/api/orders/:id/items", "/health",
                               "/api/cart", "/api/search", "/login", "/api/products/:sku"};
const char* const kTables[] = {"users", "orders", "order_items", "products", "carts", "sessions"};
const char* const kPeers[] = {"payments.internal", "api.stripe.com", "inventory:8080", "search.svc"};

AnyValue S(std::string s) {
  AnyValue v;
  v.type = AnyValue::Type::kString;
  v.string_value = std::move(s);
  return v;
}
AnyValue I(int64_t i) {
  AnyValue v;
  v.type = AnyValue::Type::kInt;
  v.int_value = i;
  return v;
}

TracesRequest MakeBatch(uint64_t seed) {
  TracesRequest req;
  ResourceSpans rs;
  for (auto [k, v] : {std::pair{"service.name", "checkout"}, {"service.version", "1.4.2"},
                      {"telemetry.sdk.name", "opentelemetry"}, {"telemetry.sdk.language", "nodejs"},
                      {"host.name", "web-7f9c5d-x2x4q"}, {"process.runtime.name", "nodejs"}}) {
    rs.resource.attributes.push_back({k, S(v)});
  }
  ScopeSpans ss;
  const uint64_t t0 = 1'700'000'000'000'000'000ULL;
  for (int i = 0; i < kSpans; ++i) {
    Span s;
    s.start_time_unix_nano = t0 + i * 1000;
    s.end_time_unix_nano = s.start_time_unix_nano + 1'000'000 + (seed * 7919 + i * 104729) % 400'000'000;
    const int r = i % 20;
    if (r < 12) {  // server
      const char* route = kRoutes[i % 8];
      const bool old = i % 2 == 0;
      const int status = i % 20 == 0 ? 500 : 200;
      s.kind = SpanKind::kServer;
      s.name = std::string("GET ") + route;
      s.status_code = status >= 500 ? SpanStatusCode::kError : SpanStatusCode::kUnset;
      s.attributes = {{old ? "http.method" : "http.request.method", S("GET")},
                      {"http.route", S(route)},
                      {old ? "http.status_code" : "http.response.status_code", I(status)},
                      {"url.path", S(std::string("/api/x/") + std::to_string(i))},
                      {"url.scheme", S("http")},
                      {"server.address", S("shop.example.com")},
                      {"network.protocol.version", S("1.1")},
                      {"client.address", S("10.1.2.3")},
                      {"user_agent.original", S("Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0")},
                      {"net.host.port", I(8080)}};
    } else if (r < 17) {  // database
      const char* table = kTables[i % 6];
      s.kind = SpanKind::kClient;
      s.name = std::string("pg.query:SELECT ") + table;
      s.attributes = {{"db.system", S("postgresql")},
                      {"db.name", S("shop")},
                      {"db.user", S("app")},
                      {"db.statement", S(std::string("SELECT id, name, price FROM ") + table + " WHERE id = " +
                                         std::to_string(seed * 1000 + i) + " AND status IN ('a', 'b') LIMIT " +
                                         std::to_string(i % 4 + 1))},
                      {"net.peer.name", S("db.internal")},
                      {"net.peer.port", I(5432)},
                      {"db.connection_string", S("postgresql://db.internal:5432")},
                      {"thread.id", I(1)},
                      {"code.function", S("query")},
                      {"code.namespace", S("pg")}};
    } else {  // outgoing HTTP
      const char* peer = kPeers[i % 4];
      s.kind = SpanKind::kClient;
      s.name = "POST";
      s.attributes = {{"http.request.method", S("POST")},
                      {"url.full", S(std::string("https://") + peer + "/v1/charge/" + std::to_string(i))},
                      {"http.response.status_code", I(i % 10 == 0 ? 502 : 201)},
                      {"network.peer.address", S("10.9.8.7")},
                      {"network.protocol.version", S("1.1")},
                      {"user_agent.original", S("node")},
                      {"thread.id", I(1)},
                      {"code.function", S("fetch")},
                      {"http.request.body.size", I(512)},
                      {"http.response.body.size", I(64)}};
    }
    ss.spans.push_back(std::move(s));
  }
  rs.scope_spans.push_back(std::move(ss));
  req.resource_spans.push_back(std::move(rs));
  return req;
}

struct Db {
  std::filesystem::path dir;
  std::unique_ptr<tsdb::Tsdb> tsdb;
  Db() {
    char tmpl[] = "/tmp/span_metrics_bench_XXXXXX";
    dir = mkdtemp(tmpl);
    tsdb::TsdbOptions o;
    o.dir = dir;
    o.maintenance_interval = std::chrono::milliseconds(0);
    tsdb = std::move(tsdb::Tsdb::Open(o, nullptr)).value();
  }
  ~Db() {
    tsdb.reset();
    std::filesystem::remove_all(dir);
  }
};

void Run(benchmark::State& state, int64_t flush_interval_ms) {
  Db db;
  SpanMetricsOptions o;
  o.flush_interval_ms = flush_interval_ms;
  MetricsRegistry registry;
  auto sm = std::move(SpanMetrics::Create(o, db.tsdb.get(), &registry, NowMs())).value();
  std::vector<TracesRequest> batches;
  for (uint64_t seed = 0; seed < 8; ++seed) batches.push_back(MakeBatch(seed));
  int64_t t = NowMs();
  size_t i = 0;
  for (auto _ : state) {
    Status st = sm->Record(batches[i++ % batches.size()], t++);
    if (!st.ok()) state.SkipWithError(st.ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations() * kSpans);
  state.counters["label_sets"] = static_cast<double>(sm->num_label_sets());
}

void BM_RecordCounting(benchmark::State& state) { Run(state, 60'000); }
void BM_RecordAndWrite(benchmark::State& state) { Run(state, 0); }
BENCHMARK(BM_RecordCounting)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RecordAndWrite)->Unit(benchmark::kMicrosecond);

}  // namespace
