// Release impact over the real span and error stores (analysis/release_impact.h): routes'
// p95 and error ratios before and after a service's deploy, and new error groups.
#include "analysis/release_impact.h"

#include <gtest/gtest.h>

#include <cmath>

#include "common/time.h"
#include "events/error_store.h"
#include "events/span_store.h"
#include "support/temp_dir.h"

namespace perfwatch::analysis {
namespace {

using events::SpanAttribute;
using events::SpanRecord;

constexpr int64_t kMinute = 60'000;

SpanRecord Span(uint64_t n, const std::string& route, int64_t start_ms, double duration_s, bool error) {
  SpanRecord s;
  s.trace_id[0] = static_cast<uint8_t>(n);
  s.trace_id[1] = static_cast<uint8_t>(n >> 8);
  s.span_id[0] = 1;
  s.service = "api";
  s.name = "GET";
  s.kind = events::kSpanKindServer;
  s.status_code = error ? events::kSpanStatusError : 0;
  s.start_time_unix_nano = static_cast<uint64_t>(start_ms) * 1'000'000;
  s.end_time_unix_nano = s.start_time_unix_nano + static_cast<uint64_t>(duration_s * 1e9);
  s.attributes = {SpanAttribute::String("http.route", route)};
  return s;
}

const ImpactComparison* Find(const std::vector<ImpactComparison>& v, std::string_view scope, std::string_view metric) {
  for (const auto& c : v) {
    if (c.scope == scope && c.metric == metric) return &c;
  }
  return nullptr;
}

TEST(ReleaseImpactTest, RoutesAndNewErrorsOfAServiceDeploy) {
  testing::TempDir dir;
  const int64_t now = NowMs();
  const int64_t t = now - 30 * kMinute;
  auto spans = events::SpanStore::Open(dir.path() / "spans", {}, nullptr);
  ASSERT_TRUE(spans.ok()) << spans.status().message();
  auto errors = events::ErrorStore::Open(dir.path() / "errors", {}, nullptr);
  ASSERT_TRUE(errors.ok()) << errors.status().message();

  std::vector<SpanRecord> batch;
  uint64_t n = 0;
  for (int side = 0; side < 2; ++side) {
    for (int i = 0; i < 60; ++i) {
      const int64_t at = t + (side == 0 ? -1 : 1) * (1000 + i * 9000);  // within 10 minutes
      const double base = 0.1 + 0.002 * ((i * 17) % 60);
      batch.push_back(Span(++n, "/fast", at, base, false));
      batch.push_back(Span(++n, "/slow", at, side == 1 ? base * 2 : base, false));
      batch.push_back(Span(++n, "/flaky", at, base, side == 1 && i % 3 == 0));
    }
  }
  // Outside both windows: ignored.
  batch.push_back(Span(++n, "/fast", t - 20 * kMinute, 99, true));
  batch.push_back(Span(++n, "/fast", t + 11 * kMinute, 99, true));
  ASSERT_TRUE((*spans)->Append(batch).ok());

  events::ErrorGroupInfo old_group{.fingerprint = 1, .source = events::ErrorSource::kBackend, .scope = "api",
                                   .type = "Old", .message = "old"};
  events::ErrorGroupInfo new_group{.fingerprint = 2, .source = events::ErrorSource::kBackend, .scope = "api",
                                   .type = "TypeError", .message = "x is undefined"};
  events::ErrorGroupInfo other{.fingerprint = 3, .source = events::ErrorSource::kBackend, .scope = "billing",
                               .type = "Other", .message = "other service"};
  std::vector<events::ErrorOccurrenceInput> occ;
  auto add = [&](const events::ErrorGroupInfo& g, int64_t at) {
    events::ErrorOccurrenceInput o;
    o.group = &g;
    o.time_ms = at;
    o.scope = g.scope;
    occ.push_back(o);
  };
  add(old_group, t - 5 * kMinute);
  add(old_group, t + 1 * kMinute);
  add(new_group, t + 2 * kMinute);
  add(new_group, t + 3 * kMinute);
  add(new_group, t + 4 * kMinute);
  add(other, t + 2 * kMinute);
  ASSERT_TRUE((*errors)->Append(occ).ok());

  events::Deploy d;
  d.id = "00000000000000aa";
  d.service = "api";
  d.version = "7";
  d.time_ms = t;
  ImpactOptions options;
  options.window_ms = 10 * kMinute;
  auto r = ComputeReleaseImpact(d, options, now, nullptr, spans->get(), errors->get());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->window_ms, 10 * kMinute);
  EXPECT_TRUE(r->pages.empty());
  ASSERT_EQ(r->routes.size(), 6u);

  const ImpactComparison* fast = Find(r->routes, "/fast", "p95");
  ASSERT_NE(fast, nullptr);
  EXPECT_EQ(fast->before_count, 60u);
  EXPECT_EQ(fast->after_count, 60u);
  EXPECT_NEAR(fast->change, 0, 1e-6);
  EXPECT_FALSE(fast->significant);
  EXPECT_EQ(fast->verdict, "unchanged");

  const ImpactComparison* slow = Find(r->routes, "/slow", "p95");
  ASSERT_NE(slow, nullptr);
  EXPECT_NEAR(slow->change, 1.0, 1e-6);  // every duration doubled
  EXPECT_TRUE(slow->significant);
  EXPECT_EQ(slow->verdict, "worse");
  EXPECT_LT(slow->p_value, 1e-6);

  const ImpactComparison* flaky = Find(r->routes, "/flaky", "error_ratio");
  ASSERT_NE(flaky, nullptr);
  EXPECT_DOUBLE_EQ(flaky->before, 0);
  EXPECT_DOUBLE_EQ(flaky->after, 20.0 / 60);
  EXPECT_TRUE(std::isnan(flaky->change));  // from 0
  EXPECT_TRUE(flaky->significant);
  EXPECT_EQ(flaky->verdict, "worse");
  const ImpactComparison* flaky_latency = Find(r->routes, "/flaky", "p95");
  ASSERT_NE(flaky_latency, nullptr);
  EXPECT_FALSE(flaky_latency->significant);

  ASSERT_EQ(r->new_errors.size(), 1u);
  EXPECT_EQ(r->new_errors[0].fingerprint, 2u);
  EXPECT_EQ(r->new_errors[0].count, 3u);
  EXPECT_EQ(r->new_errors[0].first_seen_ms, t + 2 * kMinute);

  std::string json = RenderImpactJson(*r);
  EXPECT_NE(json.find(R"({"service":"api","route":"/flaky","metric":"error_ratio","before":0,)"), std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("change":null)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("new_errors":[{"fingerprint":"0000000000000002","type":"TypeError")"), std::string::npos)
      << json;

  // A running after window: both windows shrink to now - t.
  auto running = ComputeReleaseImpact(d, ImpactOptions{.window_ms = 3600'000}, t + 5 * kMinute, nullptr, spans->get(),
                                      errors->get());
  ASSERT_TRUE(running.ok());
  EXPECT_EQ(running->window_ms, 5 * kMinute);
  EXPECT_EQ(running->before_start_ms, t - 5 * kMinute);
  // A deploy in the future: empty windows, nothing compared.
  auto future = ComputeReleaseImpact(d, options, t - kMinute, nullptr, spans->get(), errors->get());
  ASSERT_TRUE(future.ok());
  EXPECT_EQ(future->window_ms, 0);
  EXPECT_TRUE(future->routes.empty());
}

TEST(ReleaseImpactTest, CompareSamplesNeedsMinSamples) {
  std::vector<double> before = {1, 2, 3, 4, 5}, after = {11, 12, 13, 14, 15};
  ImpactComparison c;
  CompareSamples(before, after, 75, ImpactOptions{.min_samples = 10}, &c);
  EXPECT_LT(c.p_value, 0.05);
  EXPECT_FALSE(c.significant);  // 5 < 10 values per window
  EXPECT_EQ(c.verdict, "unchanged");
  EXPECT_DOUBLE_EQ(c.before, 4);
  EXPECT_DOUBLE_EQ(c.after, 14);
  CompareSamples(after, before, 75, ImpactOptions{.min_samples = 5}, &c);
  EXPECT_TRUE(c.significant);
  EXPECT_EQ(c.verdict, "better");
}

}  // namespace
}  // namespace perfwatch::analysis
