// The routing tree: inheritance, keys and Match, checked against what Alertmanager 0.25's
// dispatch/route.go produces for the same configuration.
#include <gtest/gtest.h>

#include "alert/am_config.h"

namespace perfwatch::alert {
namespace {

constexpr std::string_view kReceivers = R"(
receivers:
- name: notify-def
- name: notify-A
- name: notify-testing
- name: notify-productionA
- name: notify-productionB
- name: notify-BC
)";

AlertmanagerConfig MustParse(std::string_view route_yaml) {
  std::string text = std::string(route_yaml) + std::string(kReceivers);
  auto c = ParseAlertmanagerYaml(text);
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c.ok() ? std::move(c).value() : AlertmanagerConfig{};
}

std::vector<std::string> Keys(const std::vector<const Route*>& routes) {
  std::vector<std::string> out;
  for (const Route* r : routes) out.push_back(r->key);
  return out;
}

std::vector<std::string> Receivers(const std::vector<const Route*>& routes) {
  std::vector<std::string> out;
  for (const Route* r : routes) out.push_back(r->receiver);
  return out;
}

LabelSet Labels(LabelSet l) {
  NormalizeLabelSet(l);
  return l;
}

// The tree of Alertmanager's TestRouteMatch, written with new-style matchers.
constexpr std::string_view kTree = R"yaml(
route:
  receiver: notify-def
  routes:
  - matchers: ['{owner="team-A"}', '{level!="critical"}']
    receiver: notify-A
    routes:
    - matchers: ['{env="testing"}', '{baz!~".*quux"}']
      receiver: notify-testing
      group_by: [...]
    - matchers: ['{env="production"}']
      receiver: notify-productionA
      group_wait: 1m
      continue: true
    - matchers: [ env=~"produ.*", job=~".*"]
      receiver: notify-productionB
      group_wait: 30s
      group_interval: 5m
      repeat_interval: 1h
      group_by: ['job']
  - matchers: [owner=~"team-(B|C)"]
    group_by: ['foo', 'bar']
    group_wait: 2m
    receiver: notify-BC
  - matchers: [group_by="role"]
    group_by: ['role']
    routes:
    - matchers: ['{env="testing"}']
      receiver: notify-testing
      routes:
      - matchers: [wait="long"]
        group_wait: 2m
)yaml";

TEST(RouteTree, KeysAndInheritance) {
  AlertmanagerConfig c = MustParse(kTree);
  const Route& root = c.route;
  EXPECT_EQ(root.key, "{}");
  EXPECT_EQ(root.receiver, "notify-def");
  EXPECT_EQ(root.group_wait_ms, 30'000);
  EXPECT_EQ(root.group_interval_ms, 300'000);
  EXPECT_EQ(root.repeat_interval_ms, 4 * 3600'000);
  EXPECT_TRUE(root.group_by.empty());
  EXPECT_FALSE(root.group_by_all);
  ASSERT_EQ(root.routes.size(), 3u);

  const Route& a = root.routes[0];
  EXPECT_EQ(a.key, R"({}/{level!="critical",owner="team-A"})");
  EXPECT_EQ(a.index, 0);
  ASSERT_EQ(a.routes.size(), 3u);
  EXPECT_EQ(a.routes[0].key,
            R"({}/{level!="critical",owner="team-A"}/{baz!~".*quux",env="testing"})");
  EXPECT_TRUE(a.routes[0].group_by_all);
  EXPECT_TRUE(a.routes[0].group_by.empty());
  EXPECT_EQ(a.routes[1].group_wait_ms, 60'000);
  EXPECT_TRUE(a.routes[1].continue_matching);
  EXPECT_EQ(a.routes[2].key, R"({}/{level!="critical",owner="team-A"}/{env=~"produ.*",job=~".*"})");
  EXPECT_EQ(a.routes[2].repeat_interval_ms, 3600'000);
  EXPECT_EQ(a.routes[2].group_by, std::vector<std::string>{"job"});
  EXPECT_EQ(a.routes[2].index, 2);

  const Route& bc = root.routes[1];
  EXPECT_EQ(bc.key, R"x({}/{owner=~"team-(B|C)"})x");
  EXPECT_EQ(bc.group_by, (std::vector<std::string>{"bar", "foo"}));  // sorted
  EXPECT_EQ(bc.group_wait_ms, 120'000);
  EXPECT_EQ(bc.group_interval_ms, 300'000);

  const Route& role = root.routes[2];
  EXPECT_EQ(role.receiver, "notify-def");  // inherited
  const Route& leaf = role.routes[0].routes[0];
  EXPECT_EQ(leaf.key, R"({}/{group_by="role"}/{env="testing"}/{wait="long"})");
  EXPECT_EQ(leaf.receiver, "notify-testing");
  EXPECT_EQ(leaf.group_by, std::vector<std::string>{"role"});
  EXPECT_EQ(leaf.group_wait_ms, 120'000);
}

TEST(RouteMatch, AsAlertmanager) {
  AlertmanagerConfig c = MustParse(kTree);
  const Route& root = c.route;
  using V = std::vector<std::string>;

  EXPECT_EQ(Keys(root.Match(Labels({{"owner", "team-A"}}))),
            V{R"({}/{level!="critical",owner="team-A"})"});
  EXPECT_EQ(Receivers(root.Match(Labels({{"owner", "team-A"}, {"level", "critical"}}))),
            V{"notify-def"});
  EXPECT_EQ(Keys(root.Match(Labels({{"owner", "team-A"}, {"level", "critical"}}))), V{"{}"});
  EXPECT_EQ(Keys(root.Match(Labels({{"owner", "team-C"}}))), V{R"x({}/{owner=~"team-(B|C)"})x"});
  EXPECT_EQ(Receivers(root.Match(Labels({{"owner", "team-A"}, {"env", "testing"}}))),
            V{"notify-testing"});
  // continue: the production route matches and lets the next sibling match too.
  EXPECT_EQ(Keys(root.Match(Labels({{"owner", "team-A"}, {"env", "production"}}))),
            (V{R"({}/{level!="critical",owner="team-A"}/{env="production"})",
               R"({}/{level!="critical",owner="team-A"}/{env=~"produ.*",job=~".*"})"}));
  // baz!~".*quux" fails: the next child (without continue on the testing route).
  EXPECT_EQ(
      Receivers(root.Match(Labels({{"owner", "team-A"}, {"env", "testing"}, {"baz", "fooquux"}}))),
      V{"notify-A"});
  EXPECT_EQ(Receivers(root.Match(Labels({{"group_by", "role"}, {"env", "testing"}}))),
            V{"notify-testing"});
  EXPECT_EQ(Keys(root.Match(Labels({{"group_by", "role"}, {"env", "testing"}, {"wait", "long"}}))),
            V{R"({}/{group_by="role"}/{env="testing"}/{wait="long"})"});
  // Nothing matches below the root: the root itself.
  EXPECT_EQ(Keys(root.Match({})), V{"{}"});
  // A subtree whose root does not match returns nothing.
  EXPECT_TRUE(root.routes[1].Match(Labels({{"owner", "team-A"}})).empty());
}

TEST(RouteMatch, ContinueOnLastMatchAndDepthFirst) {
  AlertmanagerConfig c = MustParse(R"(
route:
  receiver: notify-def
  routes:
  - matchers: [a="1"]
    continue: true
    receiver: notify-A
    routes:
    - matchers: [b="1"]
      receiver: notify-testing
      continue: true
    - matchers: [c="1"]
      receiver: notify-BC
  - matchers: [a=~"1|2"]
    receiver: notify-productionA
  - receiver: notify-productionB
)");
  using V = std::vector<std::string>;
  EXPECT_EQ(Receivers(c.route.Match(Labels({{"a", "1"}, {"b", "1"}, {"c", "1"}}))),
            (V{"notify-testing", "notify-BC", "notify-productionA"}));
  EXPECT_EQ(Receivers(c.route.Match(Labels({{"a", "1"}}))), (V{"notify-A", "notify-productionA"}));
  EXPECT_EQ(Receivers(c.route.Match(Labels({{"a", "3"}}))), V{"notify-productionB"});
  // A route without matchers has the key "{}" after its parent's.
  EXPECT_EQ(c.route.routes[2].key, "{}/{}");
}

TEST(RouteTree, LegacyMatchAndMatchRe) {
  AlertmanagerConfig c = MustParse(R"(
route:
  receiver: notify-def
  routes:
  - match:
      severity: page
    receiver: notify-A
    routes:
    - match_re:
        team: a|b
      receiver: notify-BC
  - match:
      b: "2"
      a: "1"
    match_re:
      a: x.*
    matchers: [a!="0"]
)");
  const Route& page = c.route.routes[0];
  EXPECT_EQ(page.key, R"({}/{severity="page"})");
  // Alertmanager builds match_re matchers from the anchored regex text.
  EXPECT_EQ(page.routes[0].key, R"({}/{severity="page"}/{team=~"^(?:a|b)$"})");
  EXPECT_EQ(page.routes[0].matchers[0].value, "^(?:a|b)$");
  EXPECT_TRUE(page.routes[0].matchers[0].Matches("a"));
  EXPECT_FALSE(page.routes[0].matchers[0].Matches("ab"));
  // Sorted by name, value, type across the three kinds.
  EXPECT_EQ(c.route.routes[1].key, R"({}/{a!="0",a="1",a=~"^(?:x.*)$",b="2"})");
  using V = std::vector<std::string>;
  EXPECT_EQ(Receivers(c.route.Match(Labels({{"severity", "page"}, {"team", "b"}}))),
            V{"notify-BC"});
  EXPECT_EQ(Receivers(c.route.Match(Labels({{"severity", "page"}, {"team", "c"}}))), V{"notify-A"});
}

TEST(RouteTree, GroupByInheritance) {
  AlertmanagerConfig c = MustParse(R"(
route:
  receiver: notify-def
  group_by: [cluster, alertname]
  group_wait: 10s
  group_interval: 1m
  repeat_interval: 1d
  routes:
  - matchers: [env=parent]
    group_by: ['...']
    routes:
    - matchers: [env=child1]
    - matchers: [env=child2]
      group_by: [foo]
  - matchers: [x=y]
    group_by: []
  - matchers: [x=z]
    group_wait: 0s
)");
  const Route& root = c.route;
  EXPECT_EQ(root.group_by, (std::vector<std::string>{"alertname", "cluster"}));
  EXPECT_EQ(root.group_wait_ms, 10'000);
  EXPECT_EQ(root.repeat_interval_ms, 24 * 3600'000);
  const Route& parent = root.routes[0];
  EXPECT_TRUE(parent.group_by_all);
  EXPECT_TRUE(parent.group_by.empty());
  EXPECT_TRUE(parent.routes[0].group_by_all);
  EXPECT_FALSE(parent.routes[1].group_by_all);
  EXPECT_EQ(parent.routes[1].group_by, std::vector<std::string>{"foo"});
  EXPECT_EQ(parent.routes[1].group_interval_ms, 60'000);
  EXPECT_EQ(parent.routes[1].receiver, "notify-def");
  // An empty group_by list inherits (Alertmanager's GroupBy stays nil).
  EXPECT_EQ(root.routes[1].group_by, (std::vector<std::string>{"alertname", "cluster"}));
  EXPECT_EQ(root.routes[2].group_wait_ms, 0);
}

TEST(RouteTree, DefaultConfig) {
  AlertmanagerConfig c = DefaultAlertmanagerConfig();
  EXPECT_EQ(c.route.receiver, "default");
  EXPECT_EQ(c.route.key, "{}");
  EXPECT_EQ(c.route.group_wait_ms, 30'000);
  EXPECT_EQ(c.route.group_interval_ms, 300'000);
  EXPECT_EQ(c.route.repeat_interval_ms, 4 * 3600'000);
  EXPECT_TRUE(c.route.routes.empty());
  EXPECT_EQ(c.resolve_timeout_ms, 300'000);
  ASSERT_EQ(c.receivers.size(), 1u);
  EXPECT_EQ(c.receivers[0].name, "default");
  EXPECT_TRUE(c.receivers[0].webhook_configs.empty());
  ASSERT_NE(c.FindReceiver("default"), nullptr);
  EXPECT_EQ(c.FindReceiver("nope"), nullptr);
  auto routes = c.route.Match({{"a", "b"}});
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(routes[0], &c.route);
}

}  // namespace
}  // namespace perfwatch::alert
