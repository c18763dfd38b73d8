// Scrape cost per sample on a 100,000-sample exposition: the parse into a ScrapeBuffer
// (labels merged with the target's), the whole post-fetch path of a scrape (parse, staleness
// tracking, one TSDB AppendBatch with its WAL write, report series), and a full scrape of
// a local HTTP target (fetch included), plain and gzip. Figures: docs/scraping.md.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "http/server.h"
#include "ingest/scrape/scrape_gzip.h"
#include "ingest/scrape/scrape_loop.h"

using namespace perfwatch;
using namespace perfwatch::ingest;

namespace {

constexpr size_t kSamples = 100'000;

// Histograms of a busy service: per (route, method) 12 buckets + sum + count.
std::string Exposition(size_t target) {
  static const char* kLe[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"};
  static const char* kMethods[] = {"GET", "POST", "PUT", "DELETE"};
  std::string out = "# HELP http_request_duration_seconds Latency.\n# TYPE http_request_duration_seconds histogram\n";
  size_t n = 0;
  char buf[256];
  for (size_t route = 0; n < target; ++route) {
    for (const char* m : kMethods) {
      for (const char* le : kLe) {
        std::snprintf(buf, sizeof buf, "http_request_duration_seconds_bucket{method=\"%s\",route=\"/api/%zu\",le=\"%s\"} %zu\n",
                      m, route, le, route * 7 + n % 13);
        out += buf;
        ++n;
      }
      std::snprintf(buf, sizeof buf, "http_request_duration_seconds_sum{method=\"%s\",route=\"/api/%zu\"} %zu.25\n", m, route, n);
      out += buf;
      std::snprintf(buf, sizeof buf, "http_request_duration_seconds_count{method=\"%s\",route=\"/api/%zu\"} %zu\n", m, route, n);
      out += buf;
      n += 2;
      if (n >= target) break;
    }
  }
  return out;
}

const std::string& Body() {
  static const std::string body = Exposition(kSamples);
  return body;
}

ScrapeTarget Target(const std::string& address) {
  ScrapeTarget t;
  t.job = "bench";
  t.address = address;
  t.path_and_query = "/metrics";
  t.labels = tsdb::Labels::FromPairs({{"instance", address}, {"job", "bench"}});
  t.max_body_bytes = 64 << 20;
  return t;
}

struct Store {
  Store() {
    char tmpl[] = "/tmp/pw_scrape_bench_XXXXXX";
    dir = ::mkdtemp(tmpl);
    tsdb::TsdbOptions opts;
    opts.dir = dir / "tsdb";
    opts.maintenance_interval = std::chrono::milliseconds(0);
    tsdb = std::move(tsdb::Tsdb::Open(opts, &metrics)).value();
  }
  ~Store() {
    tsdb.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::filesystem::path dir;
  MetricsRegistry metrics;
  std::unique_ptr<tsdb::Tsdb> tsdb;
};

void BM_ScrapeParseIntoBuffer(benchmark::State& state) {
  ScrapeTarget target = Target("10.0.0.1:9100");
  ExpositionParser parser;
  ScrapeBuffer buffer;
  for (auto _ : state) {
    buffer.Reset(&target, 1'700'000'000'000);
    Status s = parser.Parse(Body(), ExpositionFormat::kPrometheusText, buffer);
    if (!s.ok()) state.SkipWithError(s.message().c_str());
    benchmark::DoNotOptimize(buffer.Batch().size());
  }
  state.counters["ns/sample"] = benchmark::Counter(static_cast<double>(state.iterations() * kSamples),
                                                   benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["samples"] = static_cast<double>(kSamples);
}
BENCHMARK(BM_ScrapeParseIntoBuffer)->Unit(benchmark::kMillisecond);

// Parse + staleness + append (+ WAL write) + report: everything a scrape does after the fetch.
void BM_ScrapeParseAndAppend(benchmark::State& state) {
  Store store;
  ScrapeLoop loop(Target("10.0.0.1:9100"), store.tsdb.get(), nullptr, &store.metrics, "bench");
  int64_t t = 1'700'000'000'000;
  for (auto _ : state) {
    FetchResult fetched;
    fetched.body = Body();  // the copy stands in for the fetch's buffer
    ScrapeReport r = loop.Complete(std::move(fetched), t += 15000, std::chrono::steady_clock::now());
    if (!r.up) state.SkipWithError(r.error.c_str());
  }
  state.counters["ns/sample"] = benchmark::Counter(static_cast<double>(state.iterations() * kSamples),
                                                   benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_ScrapeParseAndAppend)->Unit(benchmark::kMillisecond);

// A whole scrape of a local target serving the body (arg 1: gzip).
void BM_ScrapeLocalTarget(benchmark::State& state) {
  const bool gzip = state.range(0) == 1;
  const std::string gz = Gzip(Body());
  http::Router router;
  router.Handle("GET", "/metrics", [&](const http::Request&, http::Response& res) {
    res.content_type = "text/plain; version=0.0.4";
    if (gzip) {
      res.body = gz;
      res.headers.emplace_back("Content-Encoding", "gzip");
    } else {
      res.body = Body();
    }
  });
  HttpConfig hc;
  hc.listen = "127.0.0.1:0";
  hc.threads = 1;
  MetricsRegistry server_metrics;
  auto server = std::move(http::Server::Create(hc, std::move(router), &server_metrics)).value();
  (void)server->Start();
  Store store;
  ScrapeLoop loop(Target("127.0.0.1:" + std::to_string(server->port())), store.tsdb.get(), nullptr, &store.metrics,
                  "bench");
  int64_t t = 1'700'000'000'000;
  for (auto _ : state) {
    ScrapeReport r = loop.ScrapeOnce(t += 15'000);
    if (!r.up) state.SkipWithError(r.error.c_str());
  }
  state.counters["ns/sample"] = benchmark::Counter(static_cast<double>(state.iterations() * kSamples),
                                                   benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["body_bytes"] = static_cast<double>(gzip ? gz.size() : Body().size());
  server->Stop();
}
BENCHMARK(BM_ScrapeLocalTarget)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace
