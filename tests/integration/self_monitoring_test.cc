// Self-monitoring through the real binary (docs/operations.md): the reload outcome on
// /metrics after POST /-/reload and SIGHUP, perfwatch_build_info, and the Grafana dashboard
// docs/grafana/perfwatch.json: every panel's query parses on perfwatch and every metric it
// reads is one perfwatch exposes (a renamed metric fails here).
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cctype>
#include <cmath>
#include <csignal>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/http_client.h"
#include "support/server_process.h"

namespace perfwatch {
namespace {

using testing::HttpClient;
using testing::ServerProcess;

// The value of the unlabelled sample `name` in an exposition, or NaN when absent.
double SampleValue(const std::string& metrics, const std::string& name) {
  const std::string key = "\n" + name + " ";
  const size_t at = metrics.find(key);
  if (at == std::string::npos) return std::nan("");
  return std::stod(metrics.substr(at + key.size(), metrics.find('\n', at + 1) - at - key.size()));
}

constexpr const char* kConfig = "alerts:\n  defaults: false\n";

TEST(SelfMonitoringTest, ReloadOutcomeIsOnMetrics) {
  ServerProcess server({}, kConfig);
  ASSERT_TRUE(server.Start()) << server.log();
  const auto config_path = server.data_dir().parent_path() / "perfwatch.yml";
  HttpClient client(server.port());
  std::string m = client.Get("/metrics").body;
  EXPECT_EQ(SampleValue(m, "perfwatch_config_last_reload_successful"), 1) << m;
  const double started = SampleValue(m, "perfwatch_config_last_reload_success_timestamp_seconds");
  const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_GT(started, now - 600);  // the start time until the first reload
  EXPECT_LE(started, now + 1);
  EXPECT_NE(m.find("# TYPE perfwatch_config_last_reload_successful gauge\n"), std::string::npos);

  // A broken file: the reload fails, the gauge says so, the timestamp stays.
  std::ofstream(config_path) << "alerts:\n  defaults: [\n";
  auto r = client.Post("/-/reload", "", "text/plain");
  EXPECT_EQ(r.status, 500) << r.body;
  m = client.Get("/metrics").body;
  EXPECT_EQ(SampleValue(m, "perfwatch_config_last_reload_successful"), 0) << m;
  EXPECT_EQ(SampleValue(m, "perfwatch_config_last_reload_success_timestamp_seconds"), started);

  // Fixed: success again, at a later time.
  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // the timestamp has ms resolution
  std::ofstream(config_path) << kConfig;
  r = client.Post("/-/reload", "", "text/plain");
  EXPECT_EQ(r.status, 200) << r.body;
  m = client.Get("/metrics").body;
  EXPECT_EQ(SampleValue(m, "perfwatch_config_last_reload_successful"), 1) << m;
  const double reloaded = SampleValue(m, "perfwatch_config_last_reload_success_timestamp_seconds");
  EXPECT_GT(reloaded, started);

  // SIGHUP goes the same way.
  std::ofstream(config_path) << "nosuchkey: 1\n";
  server.Signal(SIGHUP);
  double ok = 1;
  for (int i = 0; i < 200 && ok != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    ok = SampleValue(client.Get("/metrics").body, "perfwatch_config_last_reload_successful");
  }
  EXPECT_EQ(ok, 0);
  std::ofstream(config_path) << kConfig;
  server.Signal(SIGHUP);
  for (int i = 0; i < 200 && ok != 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    ok = SampleValue(client.Get("/metrics").body, "perfwatch_config_last_reload_successful");
  }
  EXPECT_EQ(ok, 1);
  EXPECT_GT(SampleValue(client.Get("/metrics").body, "perfwatch_config_last_reload_success_timestamp_seconds"),
            reloaded);
}

TEST(SelfMonitoringTest, BuildInfo) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient client(server.port());
  const std::string m = client.Get("/metrics").body;
  const size_t at = m.find("\nperfwatch_build_info{");
  ASSERT_NE(at, std::string::npos) << m;
  const std::string line = m.substr(at + 1, m.find('\n', at + 1) - at - 1);
  EXPECT_NE(line.find("version=\"0."), std::string::npos) << line;  // the CMake project version
  for (const char* label : {"revision=\"", "branch=\"", "goversion=\""}) {
    const size_t l = line.find(label);
    ASSERT_NE(l, std::string::npos) << line;
    EXPECT_NE(line[l + std::string(label).size()], '"') << "empty " << label << " in " << line;
  }
  EXPECT_TRUE(line.ends_with("} 1")) << line;
  EXPECT_NE(m.find("# TYPE perfwatch_build_info gauge\n"), std::string::npos);
  // The version on /metrics is the one the build-info API reports.
  auto info = client.Get("/api/v1/status/buildinfo");
  simdjson::dom::parser parser;
  const std::string version{std::string_view(parser.parse(info.body)["data"]["perfwatchVersion"])};
  EXPECT_NE(line.find("version=\"" + version + "\""), std::string::npos) << line << " " << info.body;
}

// Metric names a PromQL expression reads: identifiers that are not functions, keywords,
// label lists of by/without/on/ignoring/group_*, matcher contents, strings or durations.
std::set<std::string> MetricNames(const std::string& expr) {
  static const std::set<std::string> kKeywords = {
      "by",    "without", "on",     "ignoring", "group_left", "group_right", "and",   "or",
      "unless", "offset", "bool",   "inf",      "nan",        "Inf",         "NaN",   "sum",
      "min",   "max",     "avg",    "group",    "stddev",     "stdvar",      "count", "count_values",
      "bottomk", "topk",  "quantile"};  // aggregations may be followed by `by (...)` instead of `(`
  static const std::set<std::string> kLabelLists = {"by", "without", "on", "ignoring", "group_left", "group_right"};
  std::set<std::string> names;
  size_t i = 0;
  auto skip_to = [&](char close) {
    while (i < expr.size() && expr[i] != close) {
      if (expr[i] == '"' || expr[i] == '\'') {
        const char q = expr[i++];
        while (i < expr.size() && expr[i] != q) i += expr[i] == '\\' ? 2 : 1;
      }
      ++i;
    }
    ++i;
  };
  while (i < expr.size()) {
    const char c = expr[i];
    if (c == '{') { ++i; skip_to('}'); continue; }
    if (c == '[') { ++i; skip_to(']'); continue; }
    if (c == '"' || c == '\'') { ++i; skip_to(c); continue; }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      while (i < expr.size() && (std::isalnum(static_cast<unsigned char>(expr[i])) || expr[i] == '.')) ++i;
      continue;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':') {
      const size_t start = i;
      while (i < expr.size() && (std::isalnum(static_cast<unsigned char>(expr[i])) || expr[i] == '_' || expr[i] == ':')) ++i;
      const std::string word = expr.substr(start, i - start);
      size_t j = i;
      while (j < expr.size() && expr[j] == ' ') ++j;
      const bool call = j < expr.size() && expr[j] == '(';
      if (kLabelLists.count(word) && call) {
        i = j + 1;
        skip_to(')');
      } else if (!call && !kKeywords.count(word)) {
        names.insert(word);
      }
      continue;
    }
    ++i;
  }
  return names;
}

TEST(SelfMonitoringTest, MetricNamesOfAnExpression) {
  EXPECT_EQ(MetricNames("sum by (le, route) (rate(a_bucket{job=~\"$job\",x=\"y}\"}[5m])) > 0.5 or on(x) b"),
            (std::set<std::string>{"a_bucket", "b"}));
  EXPECT_EQ(MetricNames("time() - c_seconds offset 5m"), (std::set<std::string>{"c_seconds"}));
}

std::string Substitute(std::string expr) {
  for (auto [var, value] : std::vector<std::pair<std::string, std::string>>{
           {"$__rate_interval", "1m"}, {"${datasource}", ""}, {"$job", ".+"}, {"$instance", ".+"}}) {
    for (size_t at = expr.find(var); at != std::string::npos; at = expr.find(var)) expr.replace(at, var.size(), value);
  }
  return expr;
}

TEST(SelfMonitoringTest, GrafanaDashboardQueriesParseAndReadRealMetrics) {
  const auto path = std::filesystem::path(__FILE__).parent_path() / "../../docs/grafana/perfwatch.json";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  std::stringstream text;
  text << in.rdbuf();
  simdjson::dom::parser parser;
  simdjson::dom::element dash;
  ASSERT_EQ(parser.parse(text.str()).get(dash), simdjson::SUCCESS);
  EXPECT_GE(int64_t(dash["schemaVersion"]), 36);
  bool has_datasource_var = false;
  std::vector<std::string> exprs;
  for (simdjson::dom::element v : dash["templating"]["list"].get_array()) {
    if (std::string_view(v["name"]) == "datasource") {
      has_datasource_var = std::string_view(v["type"]) == "datasource" && std::string_view(v["query"]) == "prometheus";
    } else {
      // label_values(METRIC{...}, label): the metric has to exist too.
      std::string q{std::string_view(v["query"]["query"])};
      ASSERT_TRUE(q.starts_with("label_values(")) << q;
      exprs.push_back(q.substr(13, q.rfind(',') - 13));
    }
  }
  EXPECT_TRUE(has_datasource_var);

  std::vector<simdjson::dom::element> panels;
  for (simdjson::dom::element p : dash["panels"].get_array()) {
    panels.push_back(p);
    simdjson::dom::array nested;
    if (!p["panels"].get_array().get(nested)) {
      for (simdjson::dom::element n : nested) panels.push_back(n);
    }
  }
  size_t queries = 0;
  for (simdjson::dom::element p : panels) {
    if (std::string_view(p["type"]) == "row") continue;
    EXPECT_EQ(std::string_view(p["datasource"]["uid"]), "${datasource}") << std::string_view(p["title"]);
    for (simdjson::dom::element t : p["targets"].get_array()) {
      exprs.emplace_back(std::string_view(t["expr"]));
      EXPECT_EQ(std::string_view(t["datasource"]["uid"]), "${datasource}");
      ++queries;
    }
  }
  EXPECT_GE(queries, 20u);

  // Families that appear with their first sample: a scrape target that refuses connections
  // (perfwatch_scrape_failures_total) and a query (the HTTP histogram's route).
  const uint16_t closed = testing::FreePort();
  ServerProcess server({}, "scrape_configs:\n  - job_name: down\n    scrape_interval: 1s\n    scrape_timeout: 1s\n"
                           "    static_configs:\n      - targets: ['127.0.0.1:" + std::to_string(closed) + "']\n");
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient client(server.port());
  ASSERT_EQ(client.Get("/api/v1/query?query=up").status, 200);
  std::string metrics = client.Get("/metrics").body;
  for (int i = 0; i < 100 && metrics.find("\nperfwatch_scrape_failures_total{") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    metrics = client.Get("/metrics").body;
  }
  const std::string stored = client.Get("/api/v1/label/__name__/values").body;
  std::set<std::string> missing;
  for (const std::string& raw : exprs) {
    const std::string expr = Substitute(raw);
    auto r = client.Post("/api/v1/query", "query=" + testing::UrlEncode(expr), "application/x-www-form-urlencoded");
    EXPECT_EQ(r.status, 200) << expr << "\n" << r.body;
    EXPECT_NE(r.body.find("\"status\":\"success\""), std::string::npos) << expr << "\n" << r.body;
    const auto names = MetricNames(expr);
    EXPECT_FALSE(names.empty()) << expr;
    for (const std::string& name : names) {
      const bool exposed = metrics.find("\n" + name + " ") != std::string::npos ||
                           metrics.find("\n" + name + "{") != std::string::npos ||
                           stored.find("\"" + name + "\"") != std::string::npos;
      if (!exposed) missing.insert(name);
    }
  }
  EXPECT_TRUE(missing.empty()) << "metrics the dashboard reads that perfwatch does not expose: "
                               << ::testing::PrintToString(missing);
}

}  // namespace
}  // namespace perfwatch
