// write_relabel_configs semantics (remote/relabel.h), as Prometheus applies them.
#include "remote/relabel.h"

#include <gtest/gtest.h>

namespace perfwatch::remote {
namespace {

Relabeler Make(std::vector<RelabelConfig> rules) {
  auto r = Relabeler::Create(rules);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return std::move(r).value();
}

RelabelConfig Rule(std::string action, std::vector<std::string> src, std::string regex) {
  RelabelConfig c;
  c.action = std::move(action);
  c.source_labels = std::move(src);
  c.regex = std::move(regex);
  return c;
}

TEST(Relabel, KeepAndDropAreAnchored) {
  Relabeler keep = Make({Rule("keep", {"__name__"}, "rum_.*")});
  LabelPairs a = {{"__name__", "rum_lcp_seconds_bucket"}, {"le", "2.5"}};
  LabelPairs b = {{"__name__", "x_rum_lcp"}};
  EXPECT_TRUE(keep.Apply(a));
  EXPECT_FALSE(keep.Apply(b));  // "rum_.*" must match the whole value
  Relabeler drop = Make({Rule("drop", {"__name__"}, "go_.*")});
  LabelPairs g = {{"__name__", "go_goroutines"}};
  LabelPairs h = {{"__name__", "http_requests_total"}};
  EXPECT_FALSE(drop.Apply(g));
  EXPECT_TRUE(drop.Apply(h));
  EXPECT_EQ(h, (LabelPairs{{"__name__", "http_requests_total"}}));
}

TEST(Relabel, SourceLabelsJoinedWithSeparatorMissingIsEmpty) {
  RelabelConfig c = Rule("keep", {"job", "instance"}, "api;");
  Relabeler r = Make({c});
  LabelPairs only_job = {{"__name__", "up"}, {"job", "api"}};
  LabelPairs both = {{"__name__", "up"}, {"instance", "h:1"}, {"job", "api"}};
  EXPECT_TRUE(r.Apply(only_job));
  EXPECT_FALSE(r.Apply(both));
  c.separator = "/";
  c.regex = "api/h:1";
  Relabeler r2 = Make({c});
  LabelPairs both2 = {{"__name__", "up"}, {"instance", "h:1"}, {"job", "api"}};
  EXPECT_TRUE(r2.Apply(both2));
}

TEST(Relabel, ReplaceExpandsGroupsAndKeepsOrder) {
  RelabelConfig c = Rule("replace", {"instance"}, "(?P<host>[^:]+):(\\d+)");
  c.target_label = "host";
  c.replacement = "${host}-$2";
  Relabeler r = Make({c});
  LabelPairs l = {{"__name__", "up"}, {"instance", "web1:9100"}};
  ASSERT_TRUE(r.Apply(l));
  EXPECT_EQ(l, (LabelPairs{{"__name__", "up"}, {"host", "web1-9100"}, {"instance", "web1:9100"}}));
  // No match: unchanged. An empty result removes the target.
  LabelPairs nomatch = {{"__name__", "up"}, {"instance", "nocolon"}};
  ASSERT_TRUE(r.Apply(nomatch));
  EXPECT_EQ(nomatch.size(), 2u);
  RelabelConfig clear = Rule("replace", {"x"}, "(.*)");
  clear.target_label = "instance";
  clear.replacement = "$1";
  Relabeler r3 = Make({clear});
  LabelPairs l3 = {{"__name__", "up"}, {"instance", "a"}};
  ASSERT_TRUE(r3.Apply(l3));
  EXPECT_EQ(l3, (LabelPairs{{"__name__", "up"}}));
}

TEST(Relabel, LabelDropKeepAndCase) {
  Relabeler drop = Make({Rule("labeldrop", {}, "inst.*")});
  LabelPairs l = {{"__name__", "up"}, {"instance", "a"}, {"job", "j"}};
  ASSERT_TRUE(drop.Apply(l));
  EXPECT_EQ(l, (LabelPairs{{"__name__", "up"}, {"job", "j"}}));
  Relabeler keep = Make({Rule("labelkeep", {}, "__name__|job")});
  LabelPairs k = {{"__name__", "up"}, {"instance", "a"}, {"job", "j"}};
  ASSERT_TRUE(keep.Apply(k));
  EXPECT_EQ(k, (LabelPairs{{"__name__", "up"}, {"job", "j"}}));
  RelabelConfig lower = Rule("lowercase", {"job"}, "(.*)");
  lower.target_label = "job_lower";
  Relabeler lo = Make({lower});
  LabelPairs m = {{"job", "API"}};
  ASSERT_TRUE(lo.Apply(m));
  EXPECT_EQ(m, (LabelPairs{{"job", "API"}, {"job_lower", "api"}}));
  // Dropping every label drops the series.
  Relabeler all = Make({Rule("labeldrop", {}, ".*")});
  LabelPairs n = {{"a", "b"}};
  EXPECT_FALSE(all.Apply(n));
}

TEST(Relabel, ExternalLabelsAddedWhereMissingThenRelabeled) {
  // As Prometheus: external labels never override a series' own label, and write
  // relabeling sees them (a drop on an external label drops everything).
  auto r = Relabeler::Create({}, {{"edge", "a"}, {"cluster", "eu"}});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->empty());
  LabelPairs plain = {{"__name__", "up"}, {"job", "api"}};
  EXPECT_TRUE(r->Apply(plain));
  EXPECT_EQ(plain, (LabelPairs{{"__name__", "up"}, {"cluster", "eu"}, {"edge", "a"}, {"job", "api"}}));
  LabelPairs own = {{"__name__", "up"}, {"edge", "mine"}};
  EXPECT_TRUE(r->Apply(own));
  EXPECT_EQ(own, (LabelPairs{{"__name__", "up"}, {"cluster", "eu"}, {"edge", "mine"}}));
  auto dropping = Relabeler::Create({Rule("drop", {"cluster"}, "eu")}, {{"cluster", "eu"}});
  ASSERT_TRUE(dropping.ok());
  LabelPairs any = {{"__name__", "up"}};
  EXPECT_FALSE(dropping->Apply(any));
}

TEST(Relabel, BadRegexIsAnError) {
  auto r = Relabeler::Create({Rule("keep", {"a"}, "(")});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("invalid regex"), std::string::npos);
}

}  // namespace
}  // namespace perfwatch::remote
