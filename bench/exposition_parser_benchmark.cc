// ExpositionParser throughput: ns per sample on generated expositions shaped like a busy
// service's /metrics (RED histograms per route, counters, gauges, HELP/TYPE lines) and on
// the committed real fixtures. Figures and commands: docs/exposition.md.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "ingest/scrape/exposition_parser.h"

using namespace perfwatch;
using namespace perfwatch::ingest;

namespace {

// Touches everything the parser hands over so nothing is optimised away.
class CountingSink : public ExpositionSink {
 public:
  Status OnSample(const ExpositionSample& s) override {
    ++samples;
    checksum += s.name.size() + s.labels.size() + static_cast<size_t>(s.value);
    for (const ExpositionLabel& l : s.labels) checksum += l.value.size();
    return Status::Ok();
  }
  Status OnMetadata(const ExpositionMetadata& m) override {
    checksum += m.help.size();
    return Status::Ok();
  }
  size_t samples = 0;
  size_t checksum = 0;
};

// About `target` samples: per (service, route, method) a latency histogram (12 buckets +
// sum + count), a request counter per status code, and an in-flight gauge. OpenMetrics
// output adds _created series, exemplars on some buckets, and "# EOF".
std::string Generate(size_t target, bool om) {
  static const char* kMethods[] = {"GET", "POST", "PUT", "DELETE"};
  static const char* kCodes[] = {"200", "404", "500"};
  static const char* kLe[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
                              "0.5",   "1",    "2.5",   "5",    "10",  "+Inf"};
  std::string out;
  char buf[512];
  size_t samples = 0;
  std::string hist =
      "# HELP http_request_duration_seconds Latency of HTTP requests.\n"
      "# TYPE http_request_duration_seconds histogram\n";
  std::string counter =
      "# HELP http_requests Requests handled, by status code.\n# TYPE http_requests counter\n";
  std::string gauge =
      "# HELP http_requests_in_flight Requests being served.\n# TYPE http_requests_in_flight "
      "gauge\n";
  for (size_t route = 0; samples < target; ++route) {
    for (const char* method : kMethods) {
      std::snprintf(
          buf, sizeof buf,
          "instance=\"10.0.%zu.%zu:8080\",job=\"api\",method=\"%s\",route=\"/api/v1/items/%zu\"",
          route / 250, route % 250, method, route);
      std::string labels = buf;
      double count = 1000.0 + static_cast<double>(route * 7);
      for (size_t b = 0; b < 12; ++b) {
        double v = count * static_cast<double>(b + 1) / 12.0;
        int n = om && b == 5
                    ? std::snprintf(buf, sizeof buf,
                                    "http_request_duration_seconds_bucket{%s,le=\"%s\"} %.0f # "
                                    "{trace_id=\"4bf92f3577b34da6\"} 0.2 1700000000.123\n",
                                    labels.c_str(), kLe[b], v)
                    : std::snprintf(buf, sizeof buf,
                                    "http_request_duration_seconds_bucket{%s,le=\"%s\"} %.0f\n",
                                    labels.c_str(), kLe[b], v);
        hist.append(buf, static_cast<size_t>(n));
      }
      std::snprintf(buf, sizeof buf,
                    "http_request_duration_seconds_sum{%s} "
                    "%.6f\nhttp_request_duration_seconds_count{%s} %.0f\n",
                    labels.c_str(), count * 0.0731, labels.c_str(), count);
      hist += buf;
      samples += 14;
      for (const char* code : kCodes) {
        std::snprintf(buf, sizeof buf, "http_requests_total{code=\"%s\",%s} %.0f\n", code,
                      labels.c_str(), count / 3);
        counter += buf;
        ++samples;
        if (om) {
          std::snprintf(buf, sizeof buf, "http_requests_created{code=\"%s\",%s} 1.7e+09\n", code,
                        labels.c_str());
          counter += buf;
          ++samples;
        }
      }
      std::snprintf(buf, sizeof buf, "http_requests_in_flight{%s} %zu\n", labels.c_str(),
                    route % 5);
      gauge += buf;
      ++samples;
    }
  }
  out = hist + counter + gauge;
  out +=
      "# HELP process_resident_memory_bytes Resident memory size in bytes.\n# TYPE "
      "process_resident_memory_bytes gauge\n"
      "process_resident_memory_bytes 4.2e+07\n";
  if (om) out += "# EOF\n";
  return out;
}

void Run(benchmark::State& state, const std::string& body, ExpositionFormat format) {
  ExpositionParser parser;
  CountingSink sink;
  size_t per_parse = 0;
  for (auto _ : state) {
    sink.samples = 0;
    Status s = parser.Parse(body, format, sink);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      return;
    }
    per_parse = sink.samples;
    benchmark::DoNotOptimize(sink.checksum);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
  state.counters["samples"] = static_cast<double>(per_parse);
  state.counters["ns_per_sample"] =
      benchmark::Counter(static_cast<double>(per_parse) * state.iterations(),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_ParseText(benchmark::State& state) {
  std::string local = Generate(static_cast<size_t>(state.range(0)), false);
  Run(state, local, ExpositionFormat::kPrometheusText);
}
BENCHMARK(BM_ParseText)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMicrosecond);

void BM_ParseOpenMetrics(benchmark::State& state) {
  std::string body = Generate(static_cast<size_t>(state.range(0)), true);
  Run(state, body, ExpositionFormat::kOpenMetrics);
}
BENCHMARK(BM_ParseOpenMetrics)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMicrosecond);

void BM_ParseFixture(benchmark::State& state, const char* file) {
  std::filesystem::path path =
      std::filesystem::path(__FILE__).parent_path() / "../tests/ingest/scrape/testdata/exposition" / file;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    state.SkipWithError(("missing " + path.string()).c_str());
    return;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  bool om = std::string_view(file).ends_with(".om.txt");
  Run(state, ss.str(), om ? ExpositionFormat::kOpenMetrics : ExpositionFormat::kPrometheusText);
}
BENCHMARK_CAPTURE(BM_ParseFixture, prometheus, "prometheus.txt")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ParseFixture, perfwatch, "perfwatch.txt")->Unit(benchmark::kMicrosecond);

}  // namespace
