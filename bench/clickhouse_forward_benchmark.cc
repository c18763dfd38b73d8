// events.backend: clickhouse: events per second written to a real clickhouse-server
// (Debian's 18.16, started by the benchmark on loopback) by perfwatch's forwarder, reading
// them from a local event store, against the peer: clickhouse-client inserting the same
// rows (the same TabSeparated bytes) directly over its native protocol. Also the row
// encoding alone (ns/row). Skipped when clickhouse-server or clickhouse-client is missing.
//
//   ninja -C build clickhouse_forward_benchmark && build/bench/clickhouse_forward_benchmark
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <random>
#include <thread>

#include "clickhouse/forwarder.h"
#include "clickhouse/schema.h"
#include "events/event_store.h"
#include "support/clickhouse_server.h"

namespace {

using namespace perfwatch;

constexpr int kEvents = 200'000;
constexpr const char* kClient = "/usr/bin/clickhouse-client";

struct Fixture {
  std::filesystem::path dir;
  std::unique_ptr<testing::ClickHouseServer> server;
  std::unique_ptr<events::EventStore> store;
  std::string tsv;  // the store's rows as the forwarder encodes them
  int databases = 0;

  Fixture() {
    dir = std::filesystem::temp_directory_path() / ("pw-ch-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    server = std::make_unique<testing::ClickHouseServer>();
    if (!server->Start()) {
      server.reset();
      return;
    }
    store = events::EventStore::Open(dir / "events", EventsConfig{}, nullptr).value();
    std::mt19937 rng(1);
    std::deque<std::string> keep;
    std::vector<events::EventInput> batch;
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    const char* pages[] = {"/", "/products/:id", "/cart", "/checkout", "/search"};
    const char* devices[] = {"mobile", "desktop", "tablet"};
    for (int i = 0; i < kEvents; ++i) {
      events::EventInput e;
      e.type = events::EventType::kVital;
      e.vital = static_cast<events::Vital>(1 + rng() % 5);
      e.time_ms = now - 3'600'000 + static_cast<int64_t>(rng() % 3'500'000);
      e.received_ms = e.time_ms;
      e.value = std::round(std::uniform_real_distribution<double>(0, 50000)(rng)) / 10;
      e.dims[events::kApp] = "shop";
      e.dims[events::kPage] = pages[rng() % 5];
      e.dims[events::kDevice] = devices[rng() % 3];
      e.dims[events::kConnection] = "4g";
      e.dims[events::kBrowser] = "Chrome";
      e.name = events::VitalName(e.vital);
      e.session_id = keep.emplace_back("1700000000000-" + std::to_string(i / 5));
      e.id = keep.emplace_back("v4-" + std::to_string(i));
      e.attrs_json = "{\"delta\":12.5,\"deviceMemory\":8,\"hardwareConcurrency\":8}";
      batch.push_back(e);
      if (batch.size() == 1000) {
        (void)store->Append(batch);
        batch.clear();
        keep.clear();
      }
    }
    for (const auto& p : store->ListPartitions()) {
      (void)store->ReadRows(p.partition, 0, p.row_count, {}, {}, [&](uint32_t row, const events::EventRecord& e) {
        clickhouse::EncodeEventRow(tsv, e, "0123456789abcdef", p.start_ms, row);
      });
    }
  }
  ~Fixture() {
    store.reset();
    server.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  // A fresh database with the schema, for one run.
  std::shared_ptr<const clickhouse::Client> FreshDatabase(clickhouse::ClickHouseConfig* config) {
    config->url = server->url();
    config->database = "bench_" + std::to_string(++databases);
    config->poll_interval_ms = 5;
    auto client = std::shared_ptr<const clickhouse::Client>(clickhouse::Client::Create(*config, "").value());
    (void)clickhouse::EnsureSchema(*client);
    return client;
  }
};

Fixture& GetFixture() {
  static Fixture f;
  return f;
}

bool Ready(benchmark::State& state, Fixture& f) {
  if (!testing::ClickHouseServer::Available() || ::access(kClient, X_OK) != 0) {
    state.SkipWithError("clickhouse-server / clickhouse-client not installed");
    return false;
  }
  if (!f.server) {
    state.SkipWithError("clickhouse-server did not start");
    return false;
  }
  return true;
}

// perfwatch: the forwarder reads the store and inserts batches over HTTP.
void BM_ForwarderToClickHouse(benchmark::State& state) {
  Fixture& f = GetFixture();
  if (!Ready(state, f)) return;
  for (auto _ : state) {
    state.PauseTiming();
    clickhouse::ClickHouseConfig config;
    config.batch_size = static_cast<uint32_t>(state.range(0));
    auto client = f.FreshDatabase(&config);
    auto state_dir = f.dir / ("fwd-" + std::to_string(f.databases));
    auto fwd = clickhouse::Forwarder::Create(config, client, f.store.get(), state_dir, nullptr).value();
    state.ResumeTiming();
    fwd->Start();
    while (fwd->Stats().events_sent < static_cast<uint64_t>(kEvents)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    fwd->Stop();
  }
  state.SetItemsProcessed(state.iterations() * kEvents);
}
BENCHMARK(BM_ForwarderToClickHouse)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

// The peer: clickhouse-client inserting the same TabSeparated rows over the native
// protocol in one INSERT (the rows already encoded: no store read, no encoding).
void BM_ClickHouseClientInsert(benchmark::State& state) {
  Fixture& f = GetFixture();
  if (!Ready(state, f)) return;
  const auto file = f.dir / "rows.tsv";
  std::ofstream(file, std::ios::binary) << f.tsv;
  for (auto _ : state) {
    state.PauseTiming();
    clickhouse::ClickHouseConfig config;
    (void)f.FreshDatabase(&config);
    const std::string cmd = std::string(kClient) + " --port " + std::to_string(f.server->tcp_port()) +
                            " --query 'INSERT INTO " + config.database + ".events " +
                            std::string(clickhouse::kEventColumns) + " FORMAT TabSeparated' < " + file.string();
    state.ResumeTiming();
    if (std::system(cmd.c_str()) != 0) {
      state.SkipWithError("clickhouse-client failed");
      return;
    }
  }
  state.SetItemsProcessed(state.iterations() * kEvents);
}
BENCHMARK(BM_ClickHouseClientInsert)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

// Encoding alone: ns per row (EncodeEventRow).
void BM_EncodeEventRow(benchmark::State& state) {
  events::EventRecord e;
  e.type = events::EventType::kVital;
  e.vital = events::Vital::kLCP;
  e.time_ms = 1700000000123;
  e.received_ms = 1700000000456;
  e.value = 2345.6;
  e.dims = {"shop", "/products/:id", "mobile", "4g", "Chrome"};
  e.name = "LCP";
  e.session_id = "1700000000000-abc";
  e.id = "v4-1";
  e.attrs_json = "{\"delta\":12.5,\"deviceMemory\":8,\"hardwareConcurrency\":8}";
  std::string out;
  for (auto _ : state) {
    out.clear();
    for (int i = 0; i < 1000; ++i) clickhouse::EncodeEventRow(out, e, "0123456789abcdef", 1699920000000, i);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_EncodeEventRow);

}  // namespace
