// `perfwatch budget check --server` against a real perfwatch holding known field data:
// a field budget just below the page's p75 fails (exit 1), just above passes (exit 0);
// too few samples skip; --upload stores the run (POST /api/v1/budget-runs) and --baseline
// reads it back (by commit, then by branch) and fails a regression beyond tolerance,
// with Welch's t-test over the stored Lighthouse runs.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>
#include <memory>
#include <string>

#include "budget/lhr_fixture.h"
#include "support/http_client.h"
#include "support/run_perfwatch.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

namespace perfwatch {
namespace {

using testing::HttpClient;
using testing::RunPerfwatch;
using testing::ServerProcess;

std::string Beacon(const std::string& name, double value, int id, const std::string& path) {
  return R"({"type":"vital","name":")" + name + R"(","value":)" + std::to_string(value) + R"(,"id":"b)" +
         std::to_string(id) + R"(","sessionId":"s)" + std::to_string(id) + R"(","url":"https://shop.example)" + path +
         R"(","userAgent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"})";
}

class BudgetCheckServer : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>();
    ASSERT_TRUE(server_->Start()) << server_->log();
    client_ = std::make_unique<HttpClient>(server_->port());
    // "/": LCP 1000, 1100, ..., 2900 (20 samples): p75 at rank 0.75 * 19 = 14.25 between
    // 2400 and 2500 = 2425. "/cart": 3 INP samples only.
    std::string batch = "[";
    for (int i = 0; i < 20; ++i) batch += (i ? "," : "") + Beacon("LCP", 1000 + 100 * i, i, "/");
    for (int i = 0; i < 3; ++i) batch += "," + Beacon("INP", 100, 100 + i, "/cart");
    batch += "]";
    ASSERT_EQ(client_->Post("/api/rum?app=shop", batch).status, 204);
    server_url_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }

  std::string Budget(double lcp, double tolerance = 0) {
    return tmp_.Write("budget.json", R"([{"field": {"window": "1h", "min_samples": 10, "vitals": [
      {"metric": "LCP", "budget": )" + std::to_string(lcp) + R"(, "tolerance": )" + std::to_string(tolerance) + R"(},
      {"metric": "INP", "budget": 200}]}}])");
  }
  testing::CommandResult Check(const std::string& budget, const std::string& extra = "") {
    return RunPerfwatch("budget check --budget " + budget + " --server " + server_url_ + " --app shop " + extra);
  }
  // The same with stderr dropped (RunPerfwatch merges it into the output), for JSON.
  testing::CommandResult CheckJson(const std::string& budget, const std::string& extra = "") {
    return RunPerfwatch("--version >/dev/null; { " + std::string(PERFWATCH_BINARY) + " budget check --format json --budget " +
                        budget + " --server " + server_url_ + " --app shop " + extra + " 2>/dev/null; }");
  }

  testing::TempDir tmp_{"perfwatch-budget-server-"};
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<HttpClient> client_;
  std::string server_url_;
};

TEST_F(BudgetCheckServer, FieldBudgetJustBelowP75FailsJustAbovePasses) {
  auto below = Check(Budget(2424));
  EXPECT_EQ(below.exit_code, 1) << below.output;
  EXPECT_NE(below.output.find("FAIL field p75 LCP 2425 ms over 2424 ms by 1 ms (20 samples in 1h)"), std::string::npos)
      << below.output;
  auto above = CheckJson(Budget(2426));
  EXPECT_EQ(above.exit_code, 0) << above.output;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(above.output).get(root), simdjson::SUCCESS) << above.output;
  EXPECT_TRUE(bool(root["passed"]));
  EXPECT_EQ(std::string_view(root["app"]), "shop");
  // Page order from the server: "/" then "/cart"; LCP applies on both, INP only has /cart data.
  bool seen_lcp = false, seen_inp = false;
  for (simdjson::dom::element r : root["results"].get_array()) {
    std::string_view name = r["name"], path = r["path"], status = r["status"];
    EXPECT_EQ(std::string_view(r["kind"]), "field");
    if (name == "LCP" && path == "/") {
      seen_lcp = true;
      EXPECT_EQ(double(r["value"]), 2425);
      EXPECT_EQ(int64_t(r["samples"]), 20);
      EXPECT_EQ(status, "pass");
      EXPECT_NEAR(double(r["headroom_ratio"]), 1.0 / 2426, 1e-9);
    }
    if (name == "INP" && path == "/cart") {
      seen_inp = true;
      EXPECT_EQ(status, "skipped");  // 3 samples < min_samples 10
      EXPECT_EQ(int64_t(r["samples"]), 3);
    }
  }
  EXPECT_TRUE(seen_lcp && seen_inp) << above.output;
  // Another app has no data: the budget is skipped, which passes.
  auto other = RunPerfwatch("budget check --budget " + Budget(1) + " --server " + server_url_ + " --app blog");
  EXPECT_EQ(other.exit_code, 0) << other.output;
  EXPECT_NE(other.output.find("no field data for pages matching / in the last 1h"), std::string::npos) << other.output;
}

TEST_F(BudgetCheckServer, UploadThenBaselineFailsOnRegressionBeyondTolerance) {
  auto up = Check(Budget(3000), "--upload --commit aaa1111 --branch main --build-id 1");
  ASSERT_EQ(up.exit_code, 0) << up.output;
  EXPECT_NE(up.output.find("perfwatch budget check: uploaded run "), std::string::npos) << up.output;
  auto listed = client_->Get("/api/v1/budget-runs?app=shop");
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_NE(listed.body.find(R"("commit":"aaa1111")"), std::string::npos) << listed.body;
  EXPECT_NE(listed.body.find(R"("value":2425)"), std::string::npos) << listed.body;

  // Production gets slower: 20 more samples of 2800 -> p75 2800, still within 3000.
  std::string batch = "[";
  for (int i = 0; i < 20; ++i) batch += (i ? "," : "") + Beacon("LCP", 2800, 200 + i, "/");
  batch += "]";
  ASSERT_EQ(client_->Post("/api/rum?app=shop", batch).status, 204);
  EXPECT_EQ(Check(Budget(3000)).exit_code, 0);

  // Against the stored commit: rose 375 ms beyond a tolerance of 0 -> fails.
  auto by_commit = Check(Budget(3000), "--baseline aaa1111");
  EXPECT_EQ(by_commit.exit_code, 1) << by_commit.output;
  EXPECT_NE(by_commit.output.find("regressed against baseline aaa1111: rose from 2425 ms beyond the tolerance 0 ms"),
            std::string::npos)
      << by_commit.output;
  // By branch (no commit "main" is stored), with a tolerance that covers the rise: passes.
  auto by_branch = CheckJson(Budget(3000, 400), "--baseline main");
  EXPECT_EQ(by_branch.exit_code, 0) << by_branch.output;
  EXPECT_NE(by_branch.output.find(R"("baseline":2425)"), std::string::npos) << by_branch.output;
  // An unknown baseline is a warning, not a failure.
  auto none = Check(Budget(3000), "--baseline nosuchref");
  EXPECT_EQ(none.exit_code, 0) << none.output;
  EXPECT_NE(none.output.find("warning: no stored run of commit or branch \"nosuchref\""), std::string::npos)
      << none.output;
}

// Lab runs stored with their per-run values: a later check compares with Welch's t-test,
// so a noisy difference passes and a consistent one fails.
TEST_F(BudgetCheckServer, BaselineOfLighthouseRunsUsesTheTTest) {
  const std::string budget =
      tmp_.Write("lab.json", R"([{"timings": [{"metric": "largest-contentful-paint", "budget": 5000}]}])");
  auto write_runs = [&](const std::string& dir, double a, double b, double c) {
    std::filesystem::create_directories(tmp_.path() / dir);
    tmp_.Write(dir + "/1.json", budget::Lhr("http://h/", 500, a, 900, 0, 1000, 1, 0.9));
    tmp_.Write(dir + "/2.json", budget::Lhr("http://h/", 500, b, 900, 0, 1000, 1, 0.9));
    tmp_.Write(dir + "/3.json", budget::Lhr("http://h/", 500, c, 900, 0, 1000, 1, 0.9));
    return (tmp_.path() / dir).string();
  };
  const std::string base = write_runs("base", 990, 1000, 1010);
  auto up = Check(budget, "--lighthouse " + base + " --upload --commit bbb2222 --branch main");
  ASSERT_EQ(up.exit_code, 0) << up.output;
  auto noisy = CheckJson(budget, "--lighthouse " + write_runs("noisy", 800, 1100, 1400) + " --baseline bbb2222");
  EXPECT_EQ(noisy.exit_code, 0) << noisy.output;
  EXPECT_NE(noisy.output.find("not significant (Welch p ="), std::string::npos) << noisy.output;
  auto slower = Check(budget, "--lighthouse " + write_runs("slower", 1190, 1200, 1210) + " --baseline bbb2222");
  EXPECT_EQ(slower.exit_code, 1) << slower.output;
  EXPECT_NE(slower.output.find("regressed against baseline bbb2222: rose from 1000 ms"), std::string::npos)
      << slower.output;
}

}  // namespace
}  // namespace perfwatch
