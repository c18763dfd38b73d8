// The binary's command line: --help, --version, bad flags and config, /metrics, /healthz.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "support/http_client.h"
#include "support/run_perfwatch.h"
#include "support/server_process.h"

namespace perfwatch {
namespace {

using testing::RunPerfwatch;

TEST(CliTest, VersionAndHelp) {
  auto v = RunPerfwatch("--version");
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_NE(v.output.find("perfwatch "), std::string::npos);
  auto h = RunPerfwatch("serve --help");
  EXPECT_EQ(h.exit_code, 0);
  for (const char* flag : {"--listen", "--data-dir", "--config"}) {
    EXPECT_NE(h.output.find(flag), std::string::npos) << flag;
  }
  EXPECT_EQ(RunPerfwatch("--help").exit_code, 0);
}

TEST(CliTest, BadInvocationsFailWithAMessage) {
  auto unknown = RunPerfwatch("serve --no-such-flag");
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_FALSE(unknown.output.empty());
  auto missing = RunPerfwatch("serve --config /nonexistent/perfwatch.yml");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.output.find("/nonexistent/perfwatch.yml"), std::string::npos);
  char path[] = "/tmp/perfwatch-cli-XXXXXX";
  int fd = mkstemp(path);
  close(fd);
  std::ofstream(path) << "http:\n  max_body_bytes: 1048576\n  bogus_key: 1\n";
  auto typo = RunPerfwatch(std::string("serve --config ") + path);
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.output.find("bogus_key"), std::string::npos) << typo.output;
  std::remove(path);
}

TEST(CliTest, ConfigFileIsAppliedAndFlagsOverrideIt) {
  testing::ServerProcess server({}, "rum:\n  max_beacons_per_request: 2\nevents:\n  retention: 2d\n");
  ASSERT_TRUE(server.Start()) << server.log();
  testing::HttpClient client(server.port());
  auto r = client.Post("/api/rum", R"([{"name":"LCP","value":1},{"name":"LCP","value":2},{"name":"LCP","value":3}])");
  EXPECT_EQ(r.status, 413) << r.body;
}

TEST(CliTest, OperationalEndpoints) {
  testing::ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.log();
  testing::HttpClient client(server.port());
  EXPECT_EQ(client.Get("/healthz").status, 200);
  EXPECT_EQ(client.Get("/readyz").status, 200);
  ASSERT_EQ(client.Post("/api/rum", R"([{"name":"LCP","value":1},{"name":"LCP","value":-1}])").status, 200);
  auto m = client.Get("/metrics");
  EXPECT_EQ(m.status, 200);
  for (const char* name : {"perfwatch_http_requests_total", "perfwatch_http_request_duration_seconds_bucket",
                           "perfwatch_rum_beacons_accepted_total", "perfwatch_rum_beacons_rejected_total",
                           "perfwatch_events_stored", "process_resident_memory_bytes",
                           "process_cpu_seconds_total"}) {
    EXPECT_NE(m.body.find(name), std::string::npos) << name;
  }
  EXPECT_EQ(client.Get("/no/such/path").status, 404);
}

}  // namespace
}  // namespace perfwatch
