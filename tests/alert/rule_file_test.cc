// Rule files: decoding, promtool's validation messages with positions, durations, globs.
#include "alert/rule_file.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "support/temp_dir.h"

namespace perfwatch::alert {
namespace {

// The error message of a file that must fail.
std::string Errors(std::string_view yaml) {
  auto r = ParseRuleFile(yaml, "rules.yml");
  EXPECT_FALSE(r.ok()) << yaml;
  return r.ok() ? "" : r.status().message();
}

constexpr std::string_view kNodeMixin = R"(groups:
  - name: node-exporter
    interval: 1m
    limit: 100
    rules:
      - alert: NodeFilesystemSpaceFillingUp
        expr: |
          (
            node_filesystem_avail_bytes{job="node",fstype!=""} / node_filesystem_size_bytes{job="node",fstype!=""} * 100 < 40
          and
            predict_linear(node_filesystem_avail_bytes{job="node",fstype!=""}[6h], 24*60*60) < 0
          and
            node_filesystem_readonly{job="node",fstype!=""} == 0
          )
        for: 1h
        keep_firing_for: 10m
        labels:
          severity: warning
        annotations:
          summary: Filesystem is predicted to run out of space within the next 24 hours.
          description: 'Filesystem on {{ $labels.device }} at {{ $labels.instance }} has only {{ printf "%.2f" $value }}% available space left and is filling up.'
          runbook_url: https://runbooks.prometheus-operator.dev/runbooks/node/nodefilesystemspacefillingup
  - name: node-exporter.rules
    query_offset: 30s
    rules:
      - record: instance:node_num_cpu:sum
        expr: count without (cpu, mode) (node_cpu_seconds_total{job="node",mode="idle"})
      - record: instance:node_cpu_utilisation:rate5m
        expr: 1 - avg without (cpu) (sum without (mode) (rate(node_cpu_seconds_total{job="node", mode=~"idle|iowait|steal"}[5m])))
        labels:
          source: "mixin"
)";

TEST(RuleFileTest, ParsesMixinStyleFile) {
  auto r = ParseRuleFile(kNodeMixin, "node.yml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 2u);
  const RuleGroupSpec& g = (*r)[0];
  EXPECT_EQ(g.file, "node.yml");
  EXPECT_EQ(g.name, "node-exporter");
  EXPECT_EQ(g.interval_ms, 60'000);
  EXPECT_EQ(g.limit, 100);
  EXPECT_EQ(g.query_offset_ms, -1);
  EXPECT_EQ(g.line, 2);
  ASSERT_EQ(g.rules.size(), 1u);
  const RuleSpec& a = g.rules[0];
  EXPECT_TRUE(a.is_alerting());
  EXPECT_EQ(a.name(), "NodeFilesystemSpaceFillingUp");
  EXPECT_EQ(a.record, "");
  EXPECT_EQ(a.line, 6);
  EXPECT_EQ(a.for_ms, 3'600'000);
  EXPECT_EQ(a.keep_firing_for_ms, 600'000);
  EXPECT_EQ(a.expr.substr(0, 14), "(\n  node_files");
  EXPECT_EQ(a.expr.back(), '\n');
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(a.labels, (Pairs{{"severity", "warning"}}));
  ASSERT_EQ(a.annotations.size(), 3u);
  EXPECT_EQ(a.annotations[0].first, "summary");
  EXPECT_EQ(a.annotations[1].second,
            "Filesystem on {{ $labels.device }} at {{ $labels.instance }} has only {{ printf "
            "\"%.2f\" $value }}% available space left and is filling up.");
  EXPECT_EQ(a.annotations[2].first, "runbook_url");

  const RuleGroupSpec& rec = (*r)[1];
  EXPECT_EQ(rec.name, "node-exporter.rules");
  EXPECT_EQ(rec.interval_ms, 0);
  EXPECT_EQ(rec.limit, 0);
  EXPECT_EQ(rec.query_offset_ms, 30'000);
  ASSERT_EQ(rec.rules.size(), 2u);
  EXPECT_FALSE(rec.rules[0].is_alerting());
  EXPECT_EQ(rec.rules[0].name(), "instance:node_num_cpu:sum");
  EXPECT_EQ(rec.rules[0].expr,
            "count without (cpu, mode) (node_cpu_seconds_total{job=\"node\",mode=\"idle\"})");
  EXPECT_EQ(rec.rules[0].line, 26);
  EXPECT_EQ(rec.rules[1].labels, (Pairs{{"source", "mixin"}}));
}

TEST(RuleFileTest, EmptyAndNullFilesHaveNoGroups) {
  for (std::string_view text : {"", "\n", "# only a comment\n", "groups:\n", "groups: []\n"}) {
    auto r = ParseRuleFile(text, "x.yml");
    ASSERT_TRUE(r.ok()) << text << r.status().message();
    EXPECT_TRUE(r->empty());
  }
  auto r = ParseRuleFile("groups:\n  - name: empty\n", "x.yml");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_TRUE((*r)[0].rules.empty());
}

TEST(RuleFileTest, ScalarsOfAnyTypeAreStrings) {
  auto r = ParseRuleFile("groups:\n- name: 1\n  rules:\n  - alert: 2\n    expr: 3\n    for: 0\n",
                         "x.yml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0].name, "1");
  EXPECT_EQ((*r)[0].rules[0].alert, "2");
  EXPECT_EQ((*r)[0].rules[0].expr, "3");
  EXPECT_EQ((*r)[0].rules[0].for_ms, 0);
}

TEST(RuleFileTest, MissingExpr) {
  EXPECT_EQ(Errors("groups:\n- name: g\n  rules:\n  - alert: A\n    for: 5m\n"),
            "rules.yml:4:5: group \"g\", rule 1, \"A\": field 'expr' must be set in rule");
  EXPECT_EQ(Errors("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: ''\n"),
            "rules.yml:5:11: group \"g\", rule 1, \"A\": field 'expr' must be set in rule");
}

TEST(RuleFileTest, RecordAndAlert) {
  EXPECT_EQ(Errors("groups:\n- name: g\n  rules:\n  - record: r\n    alert: A\n    expr: up\n"),
            "rules.yml:4:13: group \"g\", rule 1, \"A\": only one of 'record' and 'alert' must "
            "be set");
  EXPECT_EQ(Errors("groups:\n- name: g\n  rules:\n  - expr: up\n"),
            "rules.yml:4:5: group \"g\", rule 1, \"\": one of 'record' or 'alert' must be set");
}

TEST(RuleFileTest, BadPromQL) {
  EXPECT_EQ(Errors("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: sum(rate(x[5m])\n"),
            "rules.yml:5:11: group \"g\", rule 1, \"A\": could not parse expression: 1:16: parse "
            "error: unclosed left parenthesis");
}

TEST(RuleFileTest, BadDurations) {
  EXPECT_EQ(Errors("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n    for: 1.5m\n"),
            "rules.yml:6:10: not a valid duration string: \"1.5m\"");
  EXPECT_EQ(Errors("groups:\n- name: g\n  interval: 5\n"),
            "rules.yml:3:13: not a valid duration string: \"5\"");
  EXPECT_EQ(Errors("groups:\n- name: g\n  query_offset: ''\n"),
            "rules.yml:3:17: empty duration string");
}

TEST(RuleFileTest, UnknownKeysAndTypeErrorsAreAllReported) {
  EXPECT_EQ(Errors("groups:\n"
                   "- name: g\n"
                   "  labelz: {a: b}\n"
                   "  limit: ten\n"
                   "  rules:\n"
                   "  - alert: A\n"
                   "    expr: up\n"
                   "    annotation: {}\n"
                   "    labels: [a]\n"
                   "    expr: down\n"
                   "  - {record: r, expr: up, labels: {a: x, a: y}}\n"
                   "extra: 1\n"),
            "rules.yml:3:3: field labelz not found in type rulefmt.RuleGroup\n"
            "rules.yml:4:10: cannot unmarshal !!str `ten` into int\n"
            "rules.yml:8:5: field annotation not found in type rulefmt.RuleNode\n"
            "rules.yml:9:13: cannot unmarshal !!seq into map[string]string\n"
            "rules.yml:10:5: field expr already set in type rulefmt.RuleNode\n"
            "rules.yml:11:42: mapping key \"a\" already defined at line 11\n"
            "rules.yml:12:1: field extra not found in type rulefmt.RuleGroups");
  EXPECT_EQ(Errors("- name: g\n"), "rules.yml:1:1: cannot unmarshal !!seq into rulefmt.RuleGroups");
  EXPECT_EQ(Errors("groups: {name: g}\n"),
            "rules.yml:1:9: cannot unmarshal !!map into []rulefmt.RuleGroup");
  EXPECT_EQ(Errors("groups:\n- name: g\n  rules:\n  - alert: [A]\n"),
            "rules.yml:4:12: cannot unmarshal !!seq into string");
}

TEST(RuleFileTest, YamlSyntaxError) {
  EXPECT_EQ(Errors("groups:\n  - name: a\n   b: c\n"),
            "rules.yml:3:4: yaml: end of sequence not found");
  EXPECT_EQ(Errors("groups: [\n"), "rules.yml:2:1: yaml: end of sequence flow not found");
}

TEST(RuleFileTest, BadLabelAndAnnotationNames) {
  EXPECT_EQ(Errors("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n"
                   "    labels:\n      0bad: x\n      __name__: y\n      ok: z\n"
                   "    annotations:\n      bad-name: v\n      __name__: fine\n"),
            "rules.yml:7:7: group \"g\", rule 1, \"A\": invalid label name: 0bad\n"
            "rules.yml:8:7: group \"g\", rule 1, \"A\": invalid label name: __name__\n"
            "rules.yml:11:7: group \"g\", rule 1, \"A\": invalid annotation name: bad-name");
}

TEST(RuleFileTest, BadTemplate) {
  EXPECT_EQ(Errors("groups:\n- name: g\n  rules:\n  - alert: HighLatency\n    expr: up\n"
                   "    annotations:\n      summary: '{{ foo $labels.job }}'\n"),
            "rules.yml:7:16: group \"g\", rule 1, \"HighLatency\": annotation \"summary\": "
            "template: __alert_HighLatency:1: function \"foo\" not defined");
  EXPECT_EQ(Errors("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n"
                   "    labels:\n      team: \"ops\\n{{ bogus }}\"\n"),
            "rules.yml:7:13: group \"g\", rule 1, \"A\": label \"team\": template: __alert_A:2: "
            "function \"bogus\" not defined");
  // Recording rules' labels are not templates in Prometheus; nothing to check.
  EXPECT_TRUE(ParseRuleFile("groups:\n- name: g\n  rules:\n  - record: r\n    expr: up\n"
                            "    labels:\n      x: '{{ foo }}'\n",
                            "x.yml")
                  .ok());
}

TEST(RuleFileTest, DuplicateAndEmptyGroupNames) {
  EXPECT_EQ(Errors("groups:\n- name: g\n- name: h\n- name: g\n- rules: []\n"),
            "rules.yml:4:3: groupname: \"g\" is repeated in the same file\n"
            "rules.yml:5:3: Groupname must not be empty");
}

TEST(RuleFileTest, RecordingRuleRestrictions) {
  EXPECT_EQ(Errors("groups:\n- name: g\n  rules:\n  - record: 'job:up{x}'\n    expr: up\n"
                   "    for: 5m\n    keep_firing_for: 1m\n    annotations:\n      a: b\n"),
            "rules.yml:4:13: group \"g\", rule 1, \"job:up{x}\": invalid field 'annotations' in "
            "recording rule\n"
            "rules.yml:4:13: group \"g\", rule 1, \"job:up{x}\": invalid field 'for' in "
            "recording rule\n"
            "rules.yml:4:13: group \"g\", rule 1, \"job:up{x}\": invalid field "
            "'keep_firing_for' in recording rule\n"
            "rules.yml:4:13: group \"g\", rule 1, \"job:up{x}\": invalid recording rule name: "
            "job:up{x}");
}

TEST(RuleFileTest, ExcessiveAliasingIsRefused) {
  std::string text =
      "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n";
  text += "groups: [";
  for (int i = 0; i < 2000; ++i) text += "{name: n, rules: [*b, *b, *b, *b, *b, *b, *b, *b]},";
  text += "]\n";
  auto r = ParseRuleFile(text, "x.yml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("x.yml:"), std::string::npos);
}

TEST(RuleFileTest, Durations) {
  struct Case {
    const char* text;
    int64_t ms;
  };
  for (Case c : {Case{"0", 0}, Case{"0s", 0}, Case{"30s", 30'000}, Case{"5m", 300'000},
                 Case{"1h30m", 5'400'000}, Case{"1d", 86'400'000}, Case{"2w", 1'209'600'000},
                 Case{"1y", 31'536'000'000}, Case{"150ms", 150}, Case{"1m30s500ms", 90'500}}) {
    auto d = ParsePromDuration(c.text);
    ASSERT_TRUE(d.ok()) << c.text;
    EXPECT_EQ(*d, c.ms) << c.text;
  }
  for (const char* bad : {"1.5m", "30m1h", "5", "-5m", "1h1h", "5M", " 5m", "m", "1s1m"}) {
    auto d = ParsePromDuration(bad);
    ASSERT_FALSE(d.ok()) << bad;
    EXPECT_EQ(d.status().message(), std::string("not a valid duration string: \"") + bad + "\"");
  }
  EXPECT_EQ(ParsePromDuration("").status().message(), "empty duration string");
  EXPECT_EQ(ParsePromDuration("300y").status().message(), "duration out of range");
  EXPECT_EQ(ParsePromDuration("99999999999999999999s").status().message(), "duration out of range");
  EXPECT_TRUE(ParsePromDuration("292y").ok());
}

TEST(RuleFileTest, LoadRuleFileReportsOpenErrors) {
  auto r = LoadRuleFile("/nonexistent/rules.yml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "/nonexistent/rules.yml: open: No such file or directory");
}

class RuleGlobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_ + "/rules");
    for (const char* f : {"rules/b.yml", "rules/a.yml", "rules/c.yaml", "top.yml"}) {
      tmp_.Write(f, "groups: []\n");
    }
  }
  perfwatch::testing::TempDir tmp_{"perfwatch-rules-"};
  const std::string dir_ = tmp_.path().string();
};

TEST_F(RuleGlobTest, ExpandsSortsAndDeduplicates) {
  auto r =
      ExpandRuleFileGlobs({"rules/*.yml", "top.yml", dir_ + "/rules/a.yml", "none/*.yml"}, dir_);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, (std::vector<std::string>{dir_ + "/rules/a.yml", dir_ + "/rules/b.yml",
                                          dir_ + "/top.yml"}));
  auto missing = ExpandRuleFileGlobs({"missing.yml"}, dir_);
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->empty());
}

TEST_F(RuleGlobTest, RejectsMalformedPatterns) {
  auto bad = ExpandRuleFileGlobs({"rules/[a.yml"}, dir_);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "error retrieving rule files for rules/[a.yml: syntax error in pattern");
  auto star_dir = ExpandRuleFileGlobs({"*/a.yml"}, dir_);
  ASSERT_FALSE(star_dir.ok());
  EXPECT_EQ(star_dir.status().message(), "invalid rule file path \"*/a.yml\"");
}

}  // namespace
}  // namespace perfwatch::alert
