// `perfwatch config check FILE...` on the built binary: one SUCCESS/FAILED line per file,
// the reason with its line, exit 0/1/2, and no secret value in any answer
// (docs/operations.md "Configuration check and reload").
#include <gtest/gtest.h>

#include <string>

#include "support/run_perfwatch.h"
#include "support/temp_dir.h"

namespace perfwatch {
namespace {

using testing::RunPerfwatch;

class ConfigCheckTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& text) { return tmp_.Write(name, text); }
  testing::TempDir tmp_{"perfwatch-config-check-"};
};

constexpr const char* kRules = R"(groups:
  - name: latency
    rules:
      - alert: HighLatency
        expr: latency_seconds > 1
      - record: job:up:sum
        expr: sum by (job) (up)
)";

constexpr const char* kGood = R"(listen: 127.0.0.1:9797
rule_files: [rules.yml]
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ["127.0.0.1:9100"]
alerts:
  defaults: false
alerting:
  route:
    receiver: team
  receivers:
    - name: team
      webhook_configs:
        - url: http://127.0.0.1:9/hook
    - name: other
)";

TEST_F(ConfigCheckTest, GoodFilePassesWithASummary) {
  Write("rules.yml", kRules);
  const std::string good = Write("perfwatch.yml", kGood);
  auto r = RunPerfwatch("config check " + good);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, good + ": SUCCESS: 1 rule file, 1 rule group, 2 rules, 2 receivers, 0 SLOs, 0 synthetic checks, "
                             "1 scrape job, 0 remote_write targets, 0 auth tokens\n");
}

TEST_F(ConfigCheckTest, BadYamlNamesTheLine) {
  const std::string bad = Write("bad.yml", "listen: 127.0.0.1:9797\nhttp:\n  threads: [1\n  max_body_bytes: : 2\n");
  auto r = RunPerfwatch("config check " + bad);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(r.output.rfind(bad + ": FAILED: invalid YAML: ", 0), 0u) << r.output;
  EXPECT_NE(r.output.find("line 4"), std::string::npos) << r.output;
}

TEST_F(ConfigCheckTest, UnknownKeyAndOutOfRangeValueNameKeyAndLine) {
  const std::string typo = Write("typo.yml", "listen: 127.0.0.1:9797\nhttp:\n  thread: 4\n");
  auto r = RunPerfwatch("config check " + typo);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("thread"), std::string::npos) << r.output;
  const std::string range = Write("range.yml", "listen: 127.0.0.1:9797\nhttp:\n  threads: 999\n");
  r = RunPerfwatch("config check " + range);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(r.output, range + ": FAILED: http.threads must be 0..256 (" + range + ":3)\n");
}

TEST_F(ConfigCheckTest, BadRuleFileFailsWithItsPosition) {
  Write("rules.yml", "groups:\n  - name: g\n    rules:\n      - alert: Broken\n        expr: sum(up\n");
  const std::string config = Write("perfwatch.yml", "rule_files: [rules.yml]\n");
  auto r = RunPerfwatch("config check " + config);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(r.output.rfind(config + ": FAILED: load rule files: ", 0), 0u) << r.output;
  EXPECT_NE(r.output.find("rules.yml:5:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("unclosed left parenthesis"), std::string::npos) << r.output;
}

TEST_F(ConfigCheckTest, SectionsTheServerParsesAtStartAreChecked) {
  // `synthetic:` and `alerting:` are read by the server, not by the core config parser.
  const std::string synthetic = Write("synthetic.yml", "synthetic:\n  checks:\n    - name: x\n      type: nosuch\n");
  auto r = RunPerfwatch("config check " + synthetic);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(r.output.rfind(synthetic + ": FAILED: ", 0), 0u) << r.output;
  const std::string alerting = Write("alerting.yml", "alerting:\n  route:\n    receiver: missing\n  receivers:\n    - name: a\n");
  r = RunPerfwatch("config check " + alerting);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("missing"), std::string::npos) << r.output;
  // The secure default: a non-loopback listen address without auth.tokens.
  const std::string open = Write("open.yml", "listen: 0.0.0.0:9797\n");
  r = RunPerfwatch("config check " + open);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(r.output.rfind(open + ": FAILED: ", 0), 0u) << r.output;
}

TEST_F(ConfigCheckTest, TwoFilesOneBadExitsOneAndReportsBoth) {
  Write("rules.yml", kRules);
  const std::string good = Write("perfwatch.yml", kGood);
  const std::string bad = Write("bad.yml", "nosuchkey: 1\n");
  auto r = RunPerfwatch("config check " + bad + " " + good);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(bad + ": FAILED: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("nosuchkey"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(good + ": SUCCESS: "), std::string::npos) << r.output;
  const std::string missing = (tmp_.path() / "missing.yml").string();
  r = RunPerfwatch("config check " + good + " " + missing);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(missing + ": FAILED: "), std::string::npos) << r.output;
}

TEST_F(ConfigCheckTest, UsageErrorsExitTwo) {
  auto r = RunPerfwatch("config check");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = RunPerfwatch("config");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = RunPerfwatch("config check --nosuchflag " + Write("x.yml", ""));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = RunPerfwatch("config check --help");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("FILE: FAILED"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Exit status"), std::string::npos) << r.output;
}

// A broken configuration around a secret value: the check fails and never prints it.
void ExpectFailsWithoutSecret(const std::string& file, const std::string& secret) {
  auto r = RunPerfwatch("config check " + file);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(": FAILED: "), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find(secret), std::string::npos) << r.output;
}

TEST_F(ConfigCheckTest, SecretsAreNeverEchoed) {
  ExpectFailsWithoutSecret(
      Write("token.yml", "auth:\n  tokens:\n    - {name: a, token_sha256: TOKENSECRET41, scopes: [read]}\n"),
      "TOKENSECRET41");
  // A webhook URL missing its "@host": Go would quote the "port", which is the password.
  ExpectFailsWithoutSecret(Write("hook.yml", "alerting:\n  route: {receiver: r}\n  receivers:\n    - name: r\n"
                                             "      webhook_configs:\n        - url: 'https://user:HOOKSECRET42/x'\n"),
                           "HOOKSECRET42");
  ExpectFailsWithoutSecret(Write("slack.yml", "alerting:\n  global:\n    slack_api_url: 'https://hooks.slack.com:SLACKSECRET43/T0'\n"
                                              "  route: {receiver: r}\n  receivers:\n    - name: r\n"),
                           "SLACKSECRET43");
  ExpectFailsWithoutSecret(Write("smtp.yml", "alerting:\n  global:\n    smtp_auth_password: SMTPSECRET44\n    smtp_from: [x]\n"
                                             "  route: {receiver: r}\n  receivers:\n    - name: r\n"),
                           "SMTPSECRET44");
  ExpectFailsWithoutSecret(Write("basic.yml", "alerting:\n  route: {receiver: r}\n  receivers:\n    - name: r\n"
                                              "      webhook_configs:\n        - url: http://127.0.0.1:9/\n"
                                              "          http_config:\n            basic_auth: {username: u, "
                                              "password: BASICSECRET45, password_file: /nonexistent}\n"),
                           "BASICSECRET45");
  ExpectFailsWithoutSecret(Write("pd.yml", "alerting:\n  route: {receiver: r}\n  receivers:\n    - name: r\n"
                                           "      pagerduty_configs:\n        - routing_key: PDSECRET46\n"
                                           "          url: 'https://events.pagerduty.com:PDSECRET46'\n"),
                           "PDSECRET46");
  // remote_write refuses user info in its URL and quotes the URL: the password is hidden.
  ExpectFailsWithoutSecret(Write("rw.yml", "remote_write:\n  - url: 'https://u:RWSECRET47@example.com/api/v1/write'\n"),
                           "RWSECRET47");
}

}  // namespace
}  // namespace perfwatch
