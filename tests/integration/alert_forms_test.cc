// perfwatch's rule forms (`alerts:`) through the real binary: the generated groups show in
// /api/v1/rules beside the rule files', GET /api/v1/slos answers, /-/reload recompiles
// (and a bad entry keeps the running rules), a bad entry stops start-up with its line,
// and /metrics carries the data disk gauges the default disk rule reads.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <fstream>
#include <set>

#include "support/http_client.h"
#include "support/server_process.h"

namespace perfwatch {
namespace {

using testing::HttpClient;
using testing::ServerProcess;

constexpr const char* kForms = R"(alerts:
  threshold:
    - name: HotCpu
      metric: cpu_temp
      levels:
        - {severity: warning, threshold: 80, resolve_threshold: 75}
        - {severity: critical, threshold: 90}
  slo:
    - name: api
      objective: 99.9
      ratio:
        errors: 'requests_total{code=~"5.."}'
        total: requests_total
)";

std::set<std::string> GroupNames(const std::string& body, const std::string& file_suffix) {
  simdjson::dom::parser parser;
  std::set<std::string> out;
  for (simdjson::dom::element g : simdjson::dom::array(parser.parse(body)["data"]["groups"])) {
    std::string file{std::string_view(g["file"])};
    EXPECT_TRUE(file.ends_with(file_suffix)) << file;
    out.insert(std::string(std::string_view(g["name"])));
  }
  return out;
}

TEST(AlertFormsIntegration, GeneratedGroupsShowAsRulesAndSlosAnswer) {
  ServerProcess server({}, kForms);
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient client(server.port());

  auto r = client.Get("/api/v1/rules");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(GroupNames(r.body, "perfwatch.yml#alerts"),
            (std::set<std::string>{"perfwatch:threshold", "perfwatch:slo", "perfwatch:defaults"}));
  simdjson::dom::parser parser;
  simdjson::dom::element threshold = parser.parse(r.body)["data"]["groups"].at(0);
  EXPECT_EQ(std::string_view(threshold["name"]), "perfwatch:threshold");
  simdjson::dom::element warning = threshold["rules"].at(0);
  EXPECT_EQ(std::string_view(warning["type"]), "alerting");
  EXPECT_EQ(std::string_view(warning["name"]), "HotCpu");
  EXPECT_EQ(std::string_view(warning["labels"]["severity"]), "warning");
  std::string query{std::string_view(warning["query"])};
  EXPECT_NE(query.find("cpu_temp > 75"), std::string::npos) << query;
  EXPECT_NE(query.find("ALERTS{"), std::string::npos) << query;
  EXPECT_EQ(std::string_view(threshold["rules"].at(1)["query"]), "cpu_temp > 90");
  EXPECT_NE(r.body.find("\"name\":\"slo:sli_error:ratio_rate5m\""), std::string::npos);
  EXPECT_NE(r.body.find("\"name\":\"PerfwatchWalFsyncFailing\""), std::string::npos);

  r = client.Get("/api/v1/slos");
  ASSERT_EQ(r.status, 200) << r.body;
  simdjson::dom::element slos = parser.parse(r.body);
  EXPECT_EQ(std::string_view(slos["status"]), "success");
  simdjson::dom::element slo = slos["data"].at(0);
  EXPECT_EQ(std::string_view(slo["name"]), "api");
  EXPECT_EQ(double(slo["objective"]), 99.9);
  EXPECT_EQ(std::string_view(slo["window"]), "30d");
  EXPECT_TRUE(slo["sli"].is_null());  // no traffic yet
  EXPECT_TRUE(slo["burnRates"]["1h"].is_null());
  EXPECT_EQ(simdjson::dom::array(slo["alerts"]).size(), 2u);
  EXPECT_EQ(std::string_view(slo["alerts"].at(0)["severity"]), "critical");
  EXPECT_EQ(std::string_view(slo["alerts"].at(0)["state"]), "inactive");

  r = client.Get("/metrics");
  EXPECT_NE(r.body.find("\nperfwatch_data_disk_free_bytes "), std::string::npos);
  EXPECT_NE(r.body.find("\nperfwatch_data_disk_size_bytes "), std::string::npos);

  // Reload: a bad entry keeps the running rules; a good file replaces them.
  const auto config_path = server.data_dir().parent_path() / "perfwatch.yml";
  std::ofstream(config_path) << "alerts:\n  defaults: false\n  threshold:\n    - {name: X, metric: x, op: '=>', threshold: 1}\n";
  r = client.Post("/-/reload", "", "text/plain");
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("line 4: alerts.threshold[0]: op must be one of >, >=, <, <="), std::string::npos) << r.body;
  EXPECT_NE(client.Get("/api/v1/rules").body.find("HotCpu"), std::string::npos);

  std::ofstream(config_path) << "alerts:\n  defaults: false\n  threshold:\n    - {name: Cold, metric: x, op: '<', threshold: 1}\n";
  r = client.Post("/-/reload", "", "text/plain");
  EXPECT_EQ(r.status, 200) << r.body;
  r = client.Get("/api/v1/rules");
  EXPECT_EQ(GroupNames(r.body, "perfwatch.yml#alerts"), (std::set<std::string>{"perfwatch:threshold"}));
  EXPECT_NE(r.body.find("\"query\":\"x \\u003c 1\""), std::string::npos) << r.body;
  r = client.Get("/api/v1/slos");
  EXPECT_EQ(r.body, "{\"status\":\"success\",\"data\":[]}");
}

TEST(AlertFormsIntegration, BadEntryStopsStartupWithItsLine) {
  ServerProcess server({}, "alerts:\n  vitals_budget:\n    - {name: V, metric: LCP}\n");
  EXPECT_FALSE(server.Start());
  EXPECT_NE(server.log().find("line 3: alerts.vitals_budget[0]: app is required"), std::string::npos) << server.log();
}

}  // namespace
}  // namespace perfwatch
