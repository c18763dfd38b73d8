// `perfwatch budget check` through the real binary: exit codes (0 within budget, 1 over,
// 2 bad input) with their one-line messages, the output files, the CI defaults of
// --commit/--branch/--build-id, and --help.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "budget/lhr_fixture.h"
#include "support/run_perfwatch.h"
#include "support/temp_dir.h"

namespace perfwatch::budget {
namespace {

using testing::RunPerfwatch;

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs `perfwatch ARGS` with stderr dropped (RunPerfwatch merges it into the output).
// `env` (VAR=value ...) is set for that run only.
testing::CommandResult RunStdout(const std::string& args, const std::string& env = "") {
  return RunPerfwatch("--version >/dev/null; { env -u PERFWATCH_COMMIT -u PERFWATCH_BRANCH -u PERFWATCH_BUILD_ID "
                      "-u GITHUB_HEAD_REF " + env + " " + std::string(PERFWATCH_BINARY) + " " + args + " 2>/dev/null; }");
}

class BudgetCli : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(tmp_.path() / "lh");
    // Three runs of one page: LCP 2000 / 2400 / 2200 -> median 2200; script 30 KB.
    tmp_.Write("lh/lhr-1.json", Lhr("http://127.0.0.1:8080/", 900, 2000, 2500, 0.01, 30720, 2, 0.95));
    tmp_.Write("lh/lhr-2.json", Lhr("http://127.0.0.1:8080/", 950, 2400, 2600, 0.01, 30720, 2, 0.91));
    tmp_.Write("lh/lhr-3.json", Lhr("http://127.0.0.1:8080/", 1000, 2200, 2700, 0.01, 30720, 2, 0.93));
    tmp_.Write("lh/manifest.json", R"([{"url":"http://127.0.0.1:8080/","isRepresentativeRun":true}])");
    std::filesystem::create_directories(tmp_.path() / "dist/assets");
    tmp_.Write("dist/assets/app.js", std::string(5000, 'a'));
    lh_ = (tmp_.path() / "lh").string();
  }
  std::string Budget(double lcp, double script_kb) {
    return tmp_.Write("budget.json", R"([{"path": "/", "timings": [{"metric": "largest-contentful-paint", "budget": )" +
                                         std::to_string(lcp) + R"(}], "resourceSizes": [{"resourceType": "script", "budget": )" +
                                         std::to_string(script_kb) + "}]}]");
  }
  std::string Path(const char* name) { return (tmp_.path() / name).string(); }

  testing::TempDir tmp_{"perfwatch-budget-cli-"};
  std::string lh_;
};

TEST_F(BudgetCli, WithinBudgetExits0) {
  auto r = RunPerfwatch("budget check --budget " + Budget(2201, 30.5) + " --lighthouse " + lh_ + " --junit " +
                        Path("junit.xml") + " --markdown " + Path("pr.md"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("within budget: 2 passed, 0 failed, 0 skipped"), std::string::npos) << r.output;
  const std::string junit = Slurp(Path("junit.xml"));
  EXPECT_NE(junit.find(R"(tests="2" failures="0")"), std::string::npos) << junit;
  EXPECT_EQ(Slurp(Path("pr.md")).rfind("### ✅ Performance budgets: 0 over budget, 2 within, 0 skipped", 0), 0u);
}

TEST_F(BudgetCli, OverBudgetExits1AndNamesTheBudgets) {
  auto r = RunPerfwatch("budget check --budget " + Budget(2199, 29.9) + " --lighthouse " + lh_ + " --junit " +
                        Path("junit.xml"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("FAIL largest-contentful-paint 2200 ms over 2199 ms by 1 ms"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("perfwatch budget check: over budget: 2 failed, 0 passed, 0 skipped"), std::string::npos);
  const std::string junit = Slurp(Path("junit.xml"));
  EXPECT_NE(junit.find(R"(name="/ largest-contentful-paint">)"), std::string::npos) << junit;
  EXPECT_NE(junit.find(R"(name="/ script">)"), std::string::npos);
  EXPECT_NE(junit.find("value 2200 ms, budget 2199 ms"), std::string::npos);
  EXPECT_NE(junit.find("value 30.0 KB, budget 29.9 KB"), std::string::npos);
}

TEST_F(BudgetCli, JsonOutputWithCommitFromCiVariables) {
  const std::string budget = Budget(2500, 100);
  const std::string with_bundles = tmp_.Write(
      "bundles.json", R"([{"bundles": [{"path": "assets/*.js"}, {"path": "assets/app.js", "raw": 4}]}])");
  auto r = RunStdout("budget check --format json --budget " + with_bundles + " --bundles " + Path("dist"));
  ASSERT_EQ(r.exit_code, 1) << r.output;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(r.output).get(root), simdjson::SUCCESS) << r.output;
  // assets/*.js without a limit is tracked (raw, gzip, brotli); app.js is 5000 bytes > 4 KB.
  ASSERT_EQ(root["results"].get_array().size(), 4u);
  EXPECT_EQ(std::string_view(root["results"].at(3)["status"]), "fail");
  EXPECT_EQ(double(root["results"].at(3)["value"]), 5000);
  EXPECT_EQ(double(root["results"].at(3)["budget"]), 4096);
  const std::string cmd = "budget check --format json --budget " + budget + " --lighthouse " + lh_;
  // No commit flags: GitHub Actions' variables.
  auto gh = RunStdout(cmd, "GITHUB_SHA=deadbeef GITHUB_REF_NAME=feature/x GITHUB_RUN_ID=77");
  ASSERT_EQ(gh.exit_code, 0) << gh.output;
  ASSERT_EQ(parser.parse(gh.output).get(root), simdjson::SUCCESS) << gh.output;
  EXPECT_EQ(std::string_view(root["commit"]), "deadbeef");
  EXPECT_EQ(std::string_view(root["branch"]), "feature/x");
  EXPECT_EQ(std::string_view(root["build_id"]), "77");
  EXPECT_TRUE(bool(root["passed"]));
  EXPECT_EQ(root["results"].get_array().size(), 2u);
  EXPECT_EQ(int64_t(root["results"].at(0)["samples"]), 3);
  // GitLab's variables; flags win over the environment.
  auto gl = RunStdout(cmd, "CI_COMMIT_SHA=f00d CI_COMMIT_REF_NAME=mr-1 CI_PIPELINE_ID=5");
  ASSERT_EQ(parser.parse(gl.output).get(root), simdjson::SUCCESS) << gl.output;
  EXPECT_EQ(std::string_view(root["commit"]), "f00d");
  EXPECT_EQ(std::string_view(root["branch"]), "mr-1");
  EXPECT_EQ(std::string_view(root["build_id"]), "5");
  auto flags = RunStdout(cmd + " --commit c0ffee --branch main --build-id 9", "GITHUB_SHA=deadbeef");
  ASSERT_EQ(parser.parse(flags.output).get(root), simdjson::SUCCESS) << flags.output;
  EXPECT_EQ(std::string_view(root["commit"]), "c0ffee");
  EXPECT_EQ(std::string_view(root["branch"]), "main");
  EXPECT_EQ(std::string_view(root["build_id"]), "9");
}

TEST_F(BudgetCli, BadInputExits2WithOneLine) {
  const std::string budget = Budget(2500, 100);
  struct Case {
    std::string args;
    std::string message;
  };
  const Case cases[] = {
      {"--budget " + budget, "perfwatch budget check: nothing to check: give --lighthouse, --bundles and/or --server"},
      {"--budget " + Path("none.json") + " --lighthouse " + lh_, "perfwatch budget check: cannot read the budget file"},
      {"--budget " + tmp_.Write("bad.json", "[\n  {\"timings\": [{\"metric\": \"LCP\", \"budget\": 1}]}\n]") +
           " --lighthouse " + lh_,
       "bad.json: budgets[0].timings[0].metric (line 2, column 27): unknown timing metric \"LCP\""},
      {"--budget " + budget + " --lighthouse " + Path("nope"), "--lighthouse " + Path("nope") + ": no such file or folder"},
      {"--budget " + budget + " --lighthouse " + Path("dist"),
       "--lighthouse " + Path("dist") + ": no Lighthouse JSON report in this folder"},
      {"--budget " + budget + " --lighthouse " + Path("lh/manifest.json"),
       "manifest.json: not a Lighthouse report (expected a JSON object)"},
      {"--budget " + budget + " --bundles " + Path("nope"), "--bundles: "},
      {"--budget " + budget + " --lighthouse " + lh_ + " --baseline main", "--baseline needs --server and --app"},
      {"--budget " + budget + " --lighthouse " + lh_ + " --upload", "--upload needs --server and --app"},
      {"--budget " + budget + " --server http://127.0.0.1:1", "--server needs --app"},
      {"--budget " + budget + " --server https://x --app shop", "https is not supported"},
      {"--budget " + budget + " --lighthouse " + lh_ + " --format xml", "--format: expected table or json, got \"xml\""},
      {"--budget " + budget + " --lighthouse " + lh_ + " --aggregate mean", "--aggregate: expected median or median-run"},
  };
  for (const Case& c : cases) {
    auto r = RunPerfwatch("budget check " + c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.output;
    EXPECT_NE(r.output.find(c.message), std::string::npos) << c.args << "\n" << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  }
  // An unreachable server is not a verdict either.
  tmp_.Write("field.json", R"([{"field": {"vitals": [{"metric": "LCP", "budget": 2500}]}}])");
  auto r = RunPerfwatch("budget check --budget " + Path("field.json") + " --server http://127.0.0.1:1 --app shop");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("cannot reach the server at http://127.0.0.1:1"), std::string::npos) << r.output;
}

TEST(BudgetCliHelp, ListsEveryFlag) {
  auto r = RunPerfwatch("budget check --help");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  for (const char* flag : {"--budget", "--lighthouse", "--aggregate", "--bundles", "--server", "--app", "--token",
                           "--format", "--junit", "--markdown", "--baseline", "--upload", "--commit", "--branch",
                           "--build-id"}) {
    EXPECT_NE(r.output.find(flag), std::string::npos) << flag;
  }
  EXPECT_EQ(RunPerfwatch("budget").exit_code, 2);  // a subcommand is required: a usage error
}

}  // namespace
}  // namespace perfwatch::budget
