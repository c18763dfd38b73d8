// GET /api/v1/network's work at 1,000,000 stored events (the issue asks < 100 ms): the
// handler's cached path (ComputeNetwork with a NetworkCache: select the rows, parse only
// events appended since the last request, answer unchanged pages from the page memo,
// analyse the others), cold (first request) and warm, and as baselines in the same run the
// cached path without the page memo (every page analysed at every request, as before the
// memo) and the uncached path (one record scan of the real event store decoding every
// resource beacon's attrs_json with simdjson, then the analysis).
//
//   build/bench/network_benchmark --benchmark_counters_tabular=true
//
// Generator (fixed seed 16): page views of one app over 40 pages, 3 views per session,
// each view sending what the full SDK build sends: one resource summary beacon (summary
// plus the 20 slowest of a 30-URL pool per page, all fields, ~4.5 KB of attrs_json),
// LCP, FCP, TTFB, CLS and INP vitals and a navigation beacon: 7 events per view, 142,858
// views, 1,000,000 events, over 6 hours of one day (one partition).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "analysis/network.h"
#include "analysis/network_api.h"
#include "analysis/record_cache.h"
#include "events/event_store.h"

namespace perfwatch::analysis {
namespace {

constexpr int64_t kStart = 1700006400000;  // a UTC midnight
constexpr size_t kEvents = 1'000'000;
constexpr int kPages = 40;

struct GenEvent {
  events::EventType type;
  events::Vital vital;
  double value;
  std::string page, session, id, attrs;
  int64_t time_ms;
};

std::string Fixed(double v) {
  char b[32];
  std::snprintf(b, sizeof(b), "%.1f", v);
  return b;
}

std::vector<GenEvent> Generate() {
  std::mt19937_64 rng(16);
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> n(0, 0.5);
  static const char* kTypes[] = {"script", "css", "img", "font", "fetch"};
  static const char* kExt[] = {".js", ".css", ".jpg", ".woff2", ""};
  std::vector<GenEvent> out;
  out.reserve(kEvents);
  for (uint64_t view = 0; out.size() < kEvents; ++view) {
    const int page_no = static_cast<int>(rng() % kPages);
    const std::string page = "/p" + std::to_string(page_no);
    const std::string session = "s" + std::to_string(view / 3);
    const std::string pv = "pv" + std::to_string(view);
    const int64_t t = kStart + static_cast<int64_t>(u(rng) * 6 * 3600 * 1000);
    const double lcp = 2000 * std::exp(n(rng));
    std::string list;
    for (int r = 0; r < 20; ++r) {
      const int k = static_cast<int>(rng() % 30);
      const int type = k % 5;
      const bool tp = k % 7 == 0;
      const double s = u(rng) * lcp, d = 50 + 400 * std::exp(n(rng));
      const double b = 2000 + u(rng) * 200000, e = type == 2 ? b : b * 0.3;
      const bool cached = u(rng) < 0.3;
      if (r) list += ',';
      list += R"({"u":")" + std::string(tp ? "https://cdn.third.example" : "https://shop.example") + "/p" +
              std::to_string(page_no) + "/r" + std::to_string(k) + "/" + std::to_string(view % 97) + "/asset" +
              kExt[type] + R"(","i":")" + (type == 4 ? "fetch" : type == 1 ? "link" : "img") + R"(","t":")" +
              kTypes[type] + R"(","s":)" + Fixed(s) + R"(,"d":)" + Fixed(d) +
              R"(,"dns":1.5,"tcp":3.2,"tls":4.1,"req":)" + Fixed(d * 0.4) + R"(,"res":)" + Fixed(d * 0.6) +
              R"(,"z":)" + std::to_string(cached ? 0 : static_cast<int64_t>(e) + 300) + R"(,"e":)" +
              std::to_string(static_cast<int64_t>(e)) + R"(,"b":)" + std::to_string(static_cast<int64_t>(b)) +
              R"(,"p":"h2")" + (type < 2 && k < 10 ? R"(,"rb":1)" : "") + (cached ? R"(,"c":1)" : "") +
              (tp ? R"(,"tp":1)" : "") + (r == 0 ? R"(,"lcp":1)" : "") + "}";
    }
    const std::string summary =
        R"({"pageViewId":")" + pv +
        R"(","summary":{"byType":{"script":{"n":9,"transfer":90000,"encoded":90000,"decoded":300000},"css":{"n":4,"transfer":20000,"encoded":20000,"decoded":80000},"img":{"n":12,"transfer":900000,"encoded":900000,"decoded":900000},"font":{"n":2,"transfer":40000,"encoded":40000,"decoded":40000},"fetch":{"n":6,"transfer":30000,"encoded":30000,"decoded":60000},"other":{"n":1,"transfer":1000,"encoded":1000,"decoded":1000}},"firstParty":{"n":30,"transfer":1000000,"encoded":1000000,"decoded":1300000},"thirdParty":{"n":4,"transfer":81000,"encoded":81000,"decoded":81000},"cacheHits":8,"protocols":{"h2":34},"blocking":3,"beforeFcp":4,"beforeLcp":12},"resources":[)" +
        list + "]}";
    const std::string small = R"({"delta":1,"pageViewId":")" + pv + "\"}";
    auto push = [&](events::EventType type, events::Vital vital, double value, const std::string& id, std::string attrs) {
      if (out.size() < kEvents) out.push_back({type, vital, value, page, session, id, std::move(attrs), t});
    };
    push(events::EventType::kResource, events::Vital::kNone, 20, pv + "-r", summary);
    push(events::EventType::kVital, events::Vital::kLCP, std::round(lcp), pv + "-1",
         R"({"pageViewId":")" + pv + R"(","attribution":{"element":"img.hero","url":"https://shop.example/hero.jpg"}})");
    push(events::EventType::kVital, events::Vital::kFCP, std::round(lcp * 0.6), pv + "-2", small);
    push(events::EventType::kVital, events::Vital::kTTFB, std::round(lcp * 0.2), pv + "-3", small);
    push(events::EventType::kVital, events::Vital::kCLS, 0.05, pv + "-4", small);
    push(events::EventType::kVital, events::Vital::kINP, 150, pv + "-5", small);
    push(events::EventType::kNavigation, events::Vital::kNone, std::round(lcp * 1.3), pv + "-n", small);
  }
  return out;
}

struct Fixture {
  std::filesystem::path dir;
  std::unique_ptr<events::EventStore> store;
  size_t events = 0;
  Fixture() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "pw-network-bench-XXXXXX").string();
    dir = ::mkdtemp(tmpl.data());
    EventsConfig config;
    config.retention_ms = 3650LL * 24 * 3600 * 1000;
    store = std::move(events::EventStore::Open(dir, config, nullptr)).value();
    std::vector<GenEvent> gen = Generate();
    events = gen.size();
    std::vector<events::EventInput> batch;
    for (size_t i = 0; i < gen.size(); ++i) {
      const GenEvent& g = gen[i];
      events::EventInput e;
      e.type = g.type;
      e.vital = g.vital;
      e.time_ms = e.received_ms = g.time_ms;
      e.value = g.value;
      e.dims[events::kApp] = "shop";
      e.dims[events::kPage] = g.page;
      e.dims[events::kDevice] = "desktop";
      e.dims[events::kConnection] = "4g";
      e.dims[events::kBrowser] = "Chrome";
      e.session_id = g.session;
      e.id = g.id;
      e.attrs_json = g.attrs;
      batch.push_back(e);
      if (batch.size() == 1000 || i + 1 == gen.size()) {
        if (!store->Append(batch).ok()) std::abort();
        batch.clear();
      }
    }
  }
  ~Fixture() {
    store.reset();
    std::filesystem::remove_all(dir);
  }
};

Fixture& Shared() {
  static Fixture f;
  return f;
}

enum class Mode { kUncached, kCold, kWarmNoMemo, kWarm, kWarmAfterAppend, kWarmAfterAppendEveryPage, kSlidingEveryPage };

NetworkRequest Request(std::optional<std::string> page) {
  NetworkRequest req;
  req.app = "shop";
  req.page = page;
  req.from_ms = kStart;
  req.to_ms = kStart + 24LL * 3600 * 1000;
  return req;
}

// Appends `views` more page views (3 events each: resources, LCP, navigation) of page /p7,
// or with `every_page` one to each page in turn.
void AppendViews(Fixture& f, int views, bool every_page = false) {
  static uint64_t next = 0;
  std::vector<std::string> attrs;
  std::vector<std::string> ids, pages;  // the inputs' string_views point into these
  std::vector<events::EventInput> batch;
  attrs.reserve(views * 3);
  ids.reserve(views * 3);
  pages.reserve(views);
  for (int v = 0; v < views; ++v, ++next) {
    const std::string pv = "late" + std::to_string(next);
    pages.push_back(every_page ? "/p" + std::to_string(next % kPages) : "/p7");
    attrs.push_back(R"({"pageViewId":")" + pv +
                    R"(","summary":{"byType":{"img":{"n":1,"transfer":5000}}},"resources":[{"u":"https://shop.example/late.jpg","t":"img","s":10.5,"d":99.5,"z":5000,"e":5000,"b":5000,"lcp":1}]})");
    attrs.push_back(R"({"pageViewId":")" + pv + "\"}");
    ids.push_back(pv + "-r");
    ids.push_back(pv + "-1");
    ids.push_back(pv + "-n");
    for (int k = 0; k < 3; ++k) {
      events::EventInput e;
      e.type = k == 0 ? events::EventType::kResource : k == 1 ? events::EventType::kVital : events::EventType::kNavigation;
      e.vital = k == 1 ? events::Vital::kLCP : events::Vital::kNone;
      e.time_ms = e.received_ms = kStart + 7 * 3600 * 1000 + static_cast<int64_t>(next);
      e.value = k == 0 ? 1 : 1500;
      e.dims[events::kApp] = "shop";
      e.dims[events::kPage] = pages.back();
      e.dims[events::kDevice] = "desktop";
      e.dims[events::kConnection] = "4g";
      e.dims[events::kBrowser] = "Chrome";
      e.session_id = "late";
      e.attrs_json = attrs[attrs.size() - (k == 0 ? 2 : 1)];
      e.id = ids[ids.size() - 3 + k];
      batch.push_back(e);
    }
  }
  if (!f.store->Append(batch).ok()) std::abort();
}

void Run(benchmark::State& state, std::optional<std::string> page, Mode mode, int threads = 0) {
  Fixture& f = Shared();
  NetworkRequest req = Request(page);
  NetworkReport r;
  size_t bytes = 0;
  uint64_t parsed_before = 0;
  std::unique_ptr<NetworkCache> cache;
  if (mode != Mode::kUncached && mode != Mode::kCold) {
    cache = std::make_unique<NetworkCache>(size_t{512} << 20, mode != Mode::kWarmNoMemo, threads);
    if (!ComputeNetwork(*f.store, req, *cache).ok()) std::abort();  // warm it
    parsed_before = cache->Stats().parsed;
  }
  for (auto _ : state) {
    if (mode == Mode::kCold) {
      state.PauseTiming();
      cache = std::make_unique<NetworkCache>();
      state.ResumeTiming();
    } else if (mode == Mode::kWarmAfterAppend || mode == Mode::kWarmAfterAppendEveryPage ||
               mode == Mode::kSlidingEveryPage) {
      state.PauseTiming();
      if (mode == Mode::kWarmAfterAppend) AppendViews(f, 10);
      else AppendViews(f, kPages, true);
      // The dashboard's window ends now: as views arrive, the oldest leave (6 s of the
      // generator's 6.6 views/s, about as many as were appended).
      if (mode == Mode::kSlidingEveryPage) req.from_ms += 6000;
      state.ResumeTiming();
    }
    r = std::move(mode == Mode::kUncached ? ComputeNetwork(*f.store, req) : ComputeNetwork(*f.store, req, *cache))
            .value();
    bytes = RenderNetworkJson(r).size();
  }
  // PW_NETWORK_DUMP=DIR: the last answer of each benchmark into
  // DIR/<page>-mode<mode>-threads<threads>.json (to compare
  // the answers of two builds byte for byte after a change to the analysis).
  if (const char* dump = std::getenv("PW_NETWORK_DUMP")) {
    std::string name = (page ? page->substr(1) : "all") + "-mode" + std::to_string(static_cast<int>(mode)) + "-threads" +
                       std::to_string(threads);
    if (FILE* out = std::fopen((std::string(dump) + "/" + name + ".json").c_str(), "w")) {
      const std::string json = RenderNetworkJson(r);
      std::fwrite(json.data(), 1, json.size(), out);
      std::fclose(out);
    }
  }
  int64_t views = 0;
  for (const PageNetwork& p : r.pages) views += p.views;
  state.counters["events"] = static_cast<double>(f.events);
  state.counters["pages"] = static_cast<double>(r.pages.size());
  state.counters["views"] = static_cast<double>(views);
  state.counters["answer_bytes"] = static_cast<double>(bytes);
  if (cache) {
    const RecordCacheStats s = cache->Stats();
    state.counters["cache_MiB"] = static_cast<double>(s.bytes) / (1 << 20);
    state.counters["memo_MiB"] = static_cast<double>(cache->MemoBytes()) / (1 << 20);
    state.counters["incremental_pages"] = static_cast<double>(r.incremental);
    state.counters["cache_entries"] = static_cast<double>(s.entries);
    // Warm: the events parsed per timed request (those appended since the previous one).
    if (mode != Mode::kCold) {
      state.counters["parsed_per_request"] =
          static_cast<double>(s.parsed - parsed_before) / static_cast<double>(state.iterations());
    }
  }
}

// One page (the dashboard's request): 1/40 of the views. Uncached: the handler before the
// cache (read and parse every matching event per request) — the baseline.
void BM_Network1M_OnePage_Uncached(benchmark::State& state) { Run(state, "/p7", Mode::kUncached); }
BENCHMARK(BM_Network1M_OnePage_Uncached)->Unit(benchmark::kMillisecond)->UseRealTime();
// Every page of the app in one answer.
void BM_Network1M_AllPages_Uncached(benchmark::State& state) { Run(state, std::nullopt, Mode::kUncached); }
BENCHMARK(BM_Network1M_AllPages_Uncached)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2)->MeasureProcessCPUTime();

// The first request after start (an empty cache: parses every stored resource, LCP and
// navigation event of the partition, whatever the page asked).
void BM_Network1M_AllPages_Cold(benchmark::State& state) { Run(state, std::nullopt, Mode::kCold); }
BENCHMARK(BM_Network1M_AllPages_Cold)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2)->MeasureProcessCPUTime();
void BM_Network1M_OnePage_Cold(benchmark::State& state) { Run(state, "/p7", Mode::kCold); }
BENCHMARK(BM_Network1M_OnePage_Cold)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2);

// Every later request (nothing appended since the previous one). NoMemo: the handler
// without its page memo (every page analysed from the cached entries at every request,
// as before the memo) — the baseline of the warm figures.
void BM_Network1M_OnePage_WarmNoMemo(benchmark::State& state) { Run(state, "/p7", Mode::kWarmNoMemo); }
BENCHMARK(BM_Network1M_OnePage_WarmNoMemo)->Unit(benchmark::kMillisecond)->UseRealTime();
void BM_Network1M_AllPages_WarmNoMemo(benchmark::State& state) { Run(state, std::nullopt, Mode::kWarmNoMemo); }
BENCHMARK(BM_Network1M_AllPages_WarmNoMemo)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime();
void BM_Network1M_OnePage_Warm(benchmark::State& state) { Run(state, "/p7", Mode::kWarm); }
BENCHMARK(BM_Network1M_OnePage_Warm)->Unit(benchmark::kMillisecond)->UseRealTime();
void BM_Network1M_AllPages_Warm(benchmark::State& state) { Run(state, std::nullopt, Mode::kWarm); }
BENCHMARK(BM_Network1M_AllPages_Warm)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime();

// Warm, with 10 page views (30 events) appended before each request (untimed): the
// request parses those and answers with them. Runs last: it grows the shared store.
void BM_Network1M_AllPages_WarmAfterAppend(benchmark::State& state) {
  Run(state, std::nullopt, Mode::kWarmAfterAppend);
}
BENCHMARK(BM_Network1M_AllPages_WarmAfterAppend)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime();
// The same with one view appended to each of the 40 pages: no page's answer can come from
// the memo (what a busy site sees when every page has traffic between two requests).
// Pages are analysed on the machine's cores (at most 8); OneThread is the same on one
// thread (the handler before the pages were analysed in parallel) — the baseline. CPU
// time is the process's (all threads).
void BM_Network1M_AllPages_WarmAfterAppendEveryPage(benchmark::State& state) {
  Run(state, std::nullopt, Mode::kWarmAfterAppendEveryPage);
}
BENCHMARK(BM_Network1M_AllPages_WarmAfterAppendEveryPage)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime();
// The same while the window slides: every page also loses its oldest views at each request
// (the dashboard's window=1h ends now). The page state follows both (docs/analysis.md
// "Incremental pages").
void BM_Network1M_AllPages_SlidingWindowEveryPage(benchmark::State& state) {
  Run(state, std::nullopt, Mode::kSlidingEveryPage);
}
BENCHMARK(BM_Network1M_AllPages_SlidingWindowEveryPage)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime();
void BM_Network1M_AllPages_SlidingWindowEveryPage_OneThread(benchmark::State& state) {
  Run(state, std::nullopt, Mode::kSlidingEveryPage, 1);
}
BENCHMARK(BM_Network1M_AllPages_SlidingWindowEveryPage_OneThread)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime();
void BM_Network1M_AllPages_WarmAfterAppendEveryPage_OneThread(benchmark::State& state) {
  Run(state, std::nullopt, Mode::kWarmAfterAppendEveryPage, 1);
}
BENCHMARK(BM_Network1M_AllPages_WarmAfterAppendEveryPage_OneThread)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime();

}  // namespace
}  // namespace perfwatch::analysis
