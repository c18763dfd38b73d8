// The span store (issue 14 item 2; docs/benchmarks.md "Span store (issue 14)"):
//   BM_SpanAppend          spans/s appended (batches of 1,000 spans = 200 traces of 5 spans,
//                          as an SDK batch exporter sends them), write(2) per batch and the
//                          default group fsync (100 ms)
//   BM_SpanTraceLookup     GET /api/v1/traces/{id}'s store call at a store of
//                          PW_SPAN_BENCH_SPANS spans (default 2,000,000)
//   BM_SpanSlowest         the slowest 20 entry spans of the last hour, all services and for
//                          one service and route
// Counters: bytes_per_span (log bytes / spans), index_bytes_per_span (heap of the
// in-memory indexes and dictionaries / spans).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <random>

#include "events/span_store.h"

namespace perfwatch::events {
namespace {

constexpr uint64_t kBaseNs = 1'733'280'000ull * 1'000'000'000;
const char* kRoutes[] = {"/api/cart/:id", "/api/products", "/api/products/:id", "/api/checkout", "/api/users/:id",
                         "/health", "/api/search", "/api/orders/:id"};

// One trace: an api SERVER span, a db CLIENT span, an HTTP CLIENT span to a payment
// service, and two INTERNAL spans (middleware), with the attributes the Node SDK writes.
void AddTrace(std::mt19937_64& rng, uint64_t n, uint64_t start, std::vector<SpanRecord>& out) {
  SpanRecord root;
  uint64_t a = rng(), b = rng();
  std::memcpy(root.trace_id.data(), &a, 8);
  std::memcpy(root.trace_id.data() + 8, &b, 8);
  auto span_id = [&] {
    std::array<uint8_t, 8> id;
    uint64_t v = rng();
    std::memcpy(id.data(), &v, 8);
    return id;
  };
  root.span_id = span_id();
  const char* route = kRoutes[n % 8];
  root.service = "api";
  root.name = std::string("GET ") + route;
  root.kind = kSpanKindServer;
  root.start_time_unix_nano = start;
  uint64_t dur = 2'000'000 + rng() % 200'000'000;
  root.end_time_unix_nano = start + dur;
  bool error = rng() % 50 == 0;
  root.status_code = error ? kSpanStatusError : 0;
  root.attributes = {SpanAttribute::String("http.request.method", "GET"),
                     SpanAttribute::String("http.route", route),
                     SpanAttribute::Int("http.response.status_code", error ? 500 : 200),
                     SpanAttribute::String("url.path", "/api/cart/" + std::to_string(rng() % 1'000'000)),
                     SpanAttribute::String("url.scheme", "http"),
                     SpanAttribute::String("server.address", "shop.example.com"),
                     SpanAttribute::Int("server.port", 8080),
                     SpanAttribute::String("network.protocol.version", "1.1"),
                     SpanAttribute::String("client.address", "10.0." + std::to_string(rng() % 256) + "." +
                                                                 std::to_string(rng() % 256)),
                     SpanAttribute::String("user_agent.original",
                                           "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")};
  auto child = [&](std::string service, std::string name, uint8_t kind, uint64_t off, uint64_t d) {
    SpanRecord s;
    s.trace_id = root.trace_id;
    s.span_id = span_id();
    s.parent_span_id = root.span_id;
    s.service = std::move(service);
    s.name = std::move(name);
    s.kind = kind;
    s.start_time_unix_nano = start + off;
    s.end_time_unix_nano = start + off + d;
    return s;
  };
  out.push_back(root);
  SpanRecord db = child("api", "SELECT shop.carts", 3, dur / 10, dur / 3);
  db.attributes = {SpanAttribute::String("db.system", "postgresql"), SpanAttribute::String("db.name", "shop"),
                   SpanAttribute::String("db.statement", "SELECT * FROM carts WHERE id = $1"),
                   SpanAttribute::String("db.operation", "SELECT"), SpanAttribute::String("net.peer.name", "db")};
  out.push_back(std::move(db));
  SpanRecord http = child("api", "POST", 3, dur / 2, dur / 3);
  http.attributes = {SpanAttribute::String("http.request.method", "POST"),
                     SpanAttribute::String("server.address", "payments.internal"),
                     SpanAttribute::Int("http.response.status_code", 200),
                     SpanAttribute::String("url.full", "http://payments.internal/charge")};
  out.push_back(std::move(http));
  SpanRecord mw = child("api", "middleware - jsonParser", 1, 1000, 50'000);
  mw.attributes = {SpanAttribute::String("express.type", "middleware"),
                   SpanAttribute::String("express.name", "jsonParser")};
  out.push_back(mw);
  mw.span_id = span_id();
  mw.name = "request handler - " + std::string(route);
  mw.attributes = {SpanAttribute::String("express.type", "request_handler"), SpanAttribute::String("http.route", route)};
  out.push_back(std::move(mw));
}

// Batches of 200 traces (1,000 spans), 500 µs apart per trace.
struct Workload {
  std::mt19937_64 rng{42};
  uint64_t n = 0;
  std::vector<SpanRecord> Next() {
    std::vector<SpanRecord> batch;
    batch.reserve(1000);
    for (int i = 0; i < 200; ++i, ++n) AddTrace(rng, n, kBaseNs + n * 500'000, batch);
    return batch;
  }
};

std::string TempPath(const char* name) {
  std::string dir = std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + "/" + name;
  std::filesystem::remove_all(dir);
  return dir;
}

void SetStoreCounters(benchmark::State& state, const SpanStore& store) {
  auto s = store.Stats();
  state.counters["bytes_per_span"] = static_cast<double>(s.disk_bytes) / static_cast<double>(s.spans);
  state.counters["index_bytes_per_span"] = static_cast<double>(s.memory_bytes) / static_cast<double>(s.spans);
  state.counters["stored_spans"] = static_cast<double>(s.spans);
}

void BM_SpanAppend(benchmark::State& state) {
  std::string dir = TempPath("pw_span_append_bench");
  auto store = SpanStore::Open(dir, SpanStoreOptions{.retention_ms = 0}, nullptr);
  if (!store.ok()) return state.SkipWithError(store.status().ToString().c_str());
  (*store)->Start();
  Workload w;
  std::vector<std::vector<SpanRecord>> batches;
  for (int i = 0; i < 64; ++i) batches.push_back(w.Next());
  size_t i = 0;
  uint64_t spans = 0;
  for (auto _ : state) {
    // Fresh start times so the partitions fill as they would live.
    std::vector<SpanRecord>& b = batches[i++ % batches.size()];
    for (auto& s : b) {
      s.start_time_unix_nano += 100'000'000;
      s.end_time_unix_nano += 100'000'000;
    }
    Status st = (*store)->Append(b);
    if (!st.ok()) return state.SkipWithError(st.ToString().c_str());
    spans += b.size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(spans));
  SetStoreCounters(state, **store);
  store->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_SpanAppend)->Unit(benchmark::kMicrosecond)->UseRealTime();

// One large store shared by the query benchmarks.
struct Large {
  std::string dir;
  std::unique_ptr<SpanStore> store;
  std::vector<std::array<uint8_t, 16>> sample_ids;
  int64_t last_ns = 0;
  static Large& Get() {
    static Large l = [] {
      Large l;
      l.dir = TempPath("pw_span_query_bench");
      l.store = std::move(SpanStore::Open(l.dir, SpanStoreOptions{.retention_ms = 0}, nullptr)).value();
      const char* env = std::getenv("PW_SPAN_BENCH_SPANS");
      uint64_t target = env ? std::strtoull(env, nullptr, 10) : 2'000'000;
      Workload w;
      std::mt19937_64 pick(7);
      for (uint64_t n = 0; n < target; n += 1000) {
        auto b = w.Next();
        l.sample_ids.push_back(b[pick() % b.size()].trace_id);
        l.last_ns = static_cast<int64_t>(b.back().start_time_unix_nano);
        if (!l.store->Append(b).ok()) std::abort();
      }
      return l;
    }();
    return l;
  }
};

void BM_SpanTraceLookup(benchmark::State& state) {
  Large& l = Large::Get();
  size_t i = 0;
  std::vector<SpanRecord> out;
  uint64_t total = 0;
  for (auto _ : state) {
    Status s = l.store->GetTrace(l.sample_ids[i++ % l.sample_ids.size()], 10000, &out, &total);
    if (!s.ok() || total != 5) return state.SkipWithError("lookup failed");
  }
  SetStoreCounters(state, *l.store);
}
BENCHMARK(BM_SpanTraceLookup)->Unit(benchmark::kMicrosecond);

void BM_SpanSlowest(benchmark::State& state) {
  Large& l = Large::Get();
  SpanListQuery q;
  q.sort = SpanListQuery::Sort::kSlowest;
  q.limit = 20;
  q.to_ns = l.last_ns;
  q.from_ns = l.last_ns - 3600ll * 1'000'000'000;
  if (state.range(0)) {
    q.service = "api";
    q.route = "/api/checkout";
  }
  std::vector<SpanRecord> out;
  for (auto _ : state) {
    Status s = l.store->ListEntrySpans(q, &out);
    if (!s.ok() || out.size() != 20) return state.SkipWithError("query failed");
  }
  SetStoreCounters(state, *l.store);
}
BENCHMARK(BM_SpanSlowest)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace perfwatch::events
