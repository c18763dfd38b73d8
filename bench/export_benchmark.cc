// Raw-event export (GET /api/v1/events/export, issue 17): 1,000,000 stored beacons written
// as JSON lines (the default, `format=ndjson`) and as CSV (`format=csv`), to a null sink
// and to a file, against a peer measured in the same run: sqlite3's command-line shell
// writing the same rows and columns as CSV (`sqlite3 -csv -header db 'SELECT * FROM
// events' > file`, the table imported from our CSV export). Figures: docs/benchmarks.md
// ("Issue 17: export").
//
//   build-bundle/bench/export_benchmark --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "event_beacons.h"
#include "events/event_store.h"

namespace perfwatch::events {
namespace {

constexpr int64_t kDay = 24LL * 3600 * 1000;
constexpr int64_t kStart = 1700006400000;  // a UTC midnight
constexpr uint64_t kMillion = 1000000;

struct Shared {
  std::filesystem::path dir;
  std::unique_ptr<EventStore> store;
  ~Shared() {
    store.reset();
    std::error_code ec;
    if (!dir.empty()) std::filesystem::remove_all(dir, ec);
  }
};

// A store holding exactly 1,000,000 events (the generator repeats some (session, id)
// pairs, which replace: appends go on until the count is reached).
Shared& Store() {
  static Shared s;
  if (!s.store) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "pw-export-bench-XXXXXX").string();
    s.dir = ::mkdtemp(tmpl.data());
    EventsConfig c;
    c.retention_ms = 3650 * kDay;
    s.store = std::move(EventStore::Open(s.dir / "events", c, nullptr)).value();
    bench::BeaconGenerator gen(kStart, 7 * kDay);  // 7 daily partitions
    std::vector<EventInput> batch;
    while (s.store->Stats().events < kMillion) {
      const uint64_t left = kMillion - s.store->Stats().events;
      gen.Next(std::min<uint64_t>(20, left), batch);
      if (!s.store->Append(batch).ok()) std::abort();
    }
  }
  return s;
}

void Report(benchmark::State& state, uint64_t bytes) {
  state.counters["events"] = static_cast<double>(Store().store->Stats().events);
  state.counters["MB"] = static_cast<double>(bytes) / 1e6;
  state.counters["ns_per_event"] = benchmark::Counter(static_cast<double>(kMillion),
                                                      benchmark::Counter::kIsIterationInvariantRate |
                                                          benchmark::Counter::kInvert);
}

void BM_ExportNullSink(benchmark::State& state) {
  ExportQuery q;
  q.format = static_cast<ExportFormat>(state.range(0));
  EventStore& store = *Store().store;
  uint64_t bytes = 0;
  for (auto _ : state) {
    bytes = 0;
    Status st = store.Export(q, [&](std::string_view chunk) {
      bytes += chunk.size();
      return true;
    });
    if (!st.ok()) std::abort();
  }
  Report(state, bytes);
}
// 0: ndjson (the default), 1: csv.
BENCHMARK(BM_ExportNullSink)->ArgName("csv")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

// Into a file (page cache), as a client saving the download would.
void BM_ExportToFile(benchmark::State& state) {
  ExportQuery q;
  q.format = static_cast<ExportFormat>(state.range(0));
  EventStore& store = *Store().store;
  const auto path = Store().dir / "export.out";
  uint64_t bytes = 0;
  for (auto _ : state) {
    bytes = 0;
    std::FILE* f = std::fopen(path.c_str(), "w");
    Status st = store.Export(q, [&](std::string_view chunk) {
      bytes += chunk.size();
      return std::fwrite(chunk.data(), 1, chunk.size(), f) == chunk.size();
    });
    std::fclose(f);
    if (!st.ok()) std::abort();
  }
  std::filesystem::remove(path);
  Report(state, bytes);
}
BENCHMARK(BM_ExportToFile)->ArgName("csv")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

// The peer: sqlite3's shell writing the same 1M rows (our 17 CSV columns) as CSV to a
// file. Skipped when the sqlite3 command is missing.
void BM_Sqlite3ShellCsvToFile(benchmark::State& state) {
  if (std::system("command -v sqlite3 >/dev/null 2>&1") != 0) {
    state.SkipWithError("sqlite3 command not installed");
    return;
  }
  Shared& s = Store();
  const auto csv = s.dir / "import.csv", db = s.dir / "events.db", out = s.dir / "sqlite.csv";
  if (!std::filesystem::exists(db)) {
    std::FILE* f = std::fopen(csv.c_str(), "w");
    ExportQuery q;
    q.format = ExportFormat::kCsv;
    if (!s.store->Export(q, [&](std::string_view c) { return std::fwrite(c.data(), 1, c.size(), f) == c.size(); })
             .ok()) {
      std::abort();
    }
    std::fclose(f);
    const std::string import = "sqlite3 '" + db.string() + "' \".import --csv '" + csv.string() + "' events\"";
    if (std::system(import.c_str()) != 0) std::abort();
    std::filesystem::remove(csv);
  }
  const std::string cmd = "sqlite3 -csv -header '" + db.string() + "' 'SELECT * FROM events' > '" + out.string() + "'";
  // The shell runs in a child process: its CPU time is the children's rusage.
  auto children_cpu_s = [] {
    rusage u{};
    getrusage(RUSAGE_CHILDREN, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  };
  const double cpu0 = children_cpu_s();
  for (auto _ : state) {
    if (std::system(cmd.c_str()) != 0) std::abort();
  }
  state.counters["child_cpu_ms"] = (children_cpu_s() - cpu0) * 1e3 / static_cast<double>(state.iterations());
  Report(state, std::filesystem::file_size(out));
  std::filesystem::remove(out);
}
BENCHMARK(BM_Sqlite3ShellCsvToFile)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

}  // namespace
}  // namespace perfwatch::events
