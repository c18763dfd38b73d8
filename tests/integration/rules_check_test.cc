// `perfwatch rules check`: promtool's report format and exit codes, run on the built binary.
#include <gtest/gtest.h>

#include <string>

#include "support/run_perfwatch.h"
#include "support/temp_dir.h"

namespace perfwatch {
namespace {

using testing::RunPerfwatch;

class RulesCheckTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    return tmp_.Write(name, text);
  }
  testing::TempDir tmp_{"perfwatch-rules-check-"};
  const std::string dir_ = tmp_.path().string();
};

constexpr const char* kGood = R"(groups:
  - name: node
    rules:
      - record: instance:node_cpu_utilisation:rate5m
        expr: 1 - avg without (cpu) (rate(node_cpu_seconds_total{mode="idle"}[5m]))
      - alert: NodeHighCPU
        expr: instance:node_cpu_utilisation:rate5m > 0.9
        for: 15m
        labels:
          severity: warning
        annotations:
          summary: 'CPU on {{ $labels.instance }} is {{ $value | humanizePercentage }} busy'
  - name: web
    interval: 30s
    rules:
      - alert: SlowLCP
        expr: histogram_quantile(0.75, sum by (le) (rate(rum_lcp_seconds_bucket[10m]))) > 2.5
)";

TEST_F(RulesCheckTest, ValidFiles) {
  std::string good = Write("good.yml", kGood);
  std::string empty = Write("empty.yml", "");
  auto r = RunPerfwatch("rules check " + good + " " + empty);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "Checking " + good + "\n  SUCCESS: 3 rules found\n\nChecking " + empty +
                          "\n  SUCCESS: 0 rules found\n\n");
}

TEST_F(RulesCheckTest, InvalidFileFailsWithPositionedErrors) {
  std::string good = Write("good.yml", kGood);
  std::string bad = Write("bad.yml",
                          "groups:\n"
                          "- name: g\n"
                          "  rules:\n"
                          "  - record: job:up\n"
                          "    expr: sum(up\n"
                          "    for: 5m\n"
                          "  - alert: A\n"
                          "- name: g\n");
  auto r = RunPerfwatch("rules check " + bad + " " + good);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.output,
            "Checking " + bad + "\n  FAILED:\n" + bad +
                ":5:11: group \"g\", rule 1, \"job:up\": could not parse expression: 1:7: "
                "parse error: unclosed left parenthesis\n" +
                bad +
                ":4:13: group \"g\", rule 1, \"job:up\": invalid field 'for' in recording "
                "rule\n" +
                bad + ":7:5: group \"g\", rule 2, \"A\": field 'expr' must be set in rule\n" + bad +
                ":8:3: groupname: \"g\" is repeated in the same file\n\n" + "Checking " + good +
                "\n  SUCCESS: 3 rules found\n\n");
}

TEST_F(RulesCheckTest, DecodeErrors) {
  std::string bad = Write("typo.yml",
                          "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n"
                          "    for: 1.5m\n");
  auto r = RunPerfwatch("rules check " + bad);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.output, "Checking " + bad + "\n  FAILED:\n" + bad +
                          ":6:10: not a valid duration string: \"1.5m\"\n\n");
  std::string unknown = Write("unknown.yml", "groups:\n- name: g\n  rule: []\n");
  r = RunPerfwatch("rules check " + unknown);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.output, "Checking " + unknown + "\n  FAILED:\n" + unknown +
                          ":3:3: field rule not found in type rulefmt.RuleGroup\n\n");
}

TEST_F(RulesCheckTest, DuplicateRulesLint) {
  std::string dup = Write("dup.yml",
                          "groups:\n"
                          "- name: a\n"
                          "  rules:\n"
                          "  - record: job:up:sum\n"
                          "    expr: sum by (job) (up)\n"
                          "    labels: {team: web, env: prod}\n"
                          "- name: b\n"
                          "  rules:\n"
                          "  - record: job:up:sum\n"
                          "    expr: sum by (job) (up)\n"
                          "    labels: {env: prod, team: web}\n");
  const std::string report = "Checking " + dup +
                             "\n  FAILED:\nlint error 1 duplicate rule(s) found.\n"
                             "Metric: job:up:sum\nLabel(s):\n\tenv: prod\n\tteam: web\n"
                             "Might cause inconsistency while recording expressions\n\n";
  auto r = RunPerfwatch("rules check " + dup);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.output, report);
  r = RunPerfwatch("rules check --lint-fatal " + dup);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.output, report);
  r = RunPerfwatch("rules check --lint=none " + dup);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.output, "Checking " + dup + "\n  SUCCESS: 2 rules found\n\n");
}

TEST_F(RulesCheckTest, MissingFileAndUsage) {
  auto r = RunPerfwatch("rules check " + dir_ + "/nope.yml");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.output,
            "perfwatch: error: path '" + dir_ + "/nope.yml' does not exist, try --help\n");
  auto help = RunPerfwatch("rules check --help");
  EXPECT_EQ(help.exit_code, 0);
  for (const char* s : {"--lint", "--lint-fatal", "SUCCESS: N rules found", "FILE:LINE:COL"}) {
    EXPECT_NE(help.output.find(s), std::string::npos) << s << "\n" << help.output;
  }
  EXPECT_NE(RunPerfwatch("rules check").exit_code, 0);
  EXPECT_NE(RunPerfwatch("rules").exit_code, 0);
}

}  // namespace
}  // namespace perfwatch
