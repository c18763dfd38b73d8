#include "ingest/metadata_store.h"

#include <gtest/gtest.h>

#include "http/router.h"
#include "ingest/metadata_api.h"

namespace perfwatch::ingest {
namespace {

TEST(MetadataStoreTest, MergesSourcesAndProvidersWithoutDuplicates) {
  MetadataStore store;
  store.ReplaceSource("a/1", {{"x_total", {"counter", "X.", ""}}, {"y", {"gauge", "Y.", ""}}});
  store.ReplaceSource("a/2", {{"x_total", {"counter", "X.", ""}}, {"x_total", {"counter", "Other help.", ""}}});
  store.AddProvider([](std::vector<FamilyMetadata>& out) { out.push_back({"z", {"histogram", "Z.", ""}}); });
  auto all = store.Query({});
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all["x_total"], (std::vector<MetricMetadata>{{"counter", "Other help.", ""}, {"counter", "X.", ""}}));
  EXPECT_EQ(all["z"], (std::vector<MetricMetadata>{{"histogram", "Z.", ""}}));

  EXPECT_EQ(store.Query({"y", 0, 0}).size(), 1u);
  EXPECT_TRUE(store.Query({"nope", 0, 0}).empty());
  auto limited = store.Query({"", 2, 1});
  ASSERT_EQ(limited.size(), 2u);
  EXPECT_EQ(limited.begin()->first, "x_total");
  EXPECT_EQ(limited["x_total"].size(), 1u);

  store.RemoveSource("a/2");
  EXPECT_EQ(store.Query({"x_total", 0, 0})["x_total"].size(), 1u);
  store.ReplaceSource("a/1", {});
  EXPECT_EQ(store.Query({}).size(), 1u);
}

TEST(MetadataStoreTest, RegistryAndRumProviders) {
  MetricsRegistry registry;
  registry.GetCounter("perfwatch_things_total", "Things done.")->Inc();
  registry.GetHistogram("perfwatch_latency_seconds", "Latency.", {0.1, 1});
  registry.AddCollector([](std::string& out) { out += "# HELP perfwatch_events_stored Stored \\\\ events.\n# TYPE perfwatch_events_stored gauge\nperfwatch_events_stored 3\n"; });
  MetadataStore store;
  store.AddProvider(RegistryMetadataProvider(&registry));
  store.AddProvider(RumMetadataProvider());
  auto all = store.Query({});
  EXPECT_EQ(all["perfwatch_things_total"], (std::vector<MetricMetadata>{{"counter", "Things done.", ""}}));
  EXPECT_EQ(all["perfwatch_latency_seconds"], (std::vector<MetricMetadata>{{"histogram", "Latency.", ""}}));
  EXPECT_EQ(all["perfwatch_events_stored"], (std::vector<MetricMetadata>{{"gauge", "Stored \\ events.", ""}}));
  ASSERT_EQ(all.count("process_resident_memory_bytes"), 1u);
  for (const char* rum : {"rum_lcp_seconds", "rum_inp_seconds", "rum_fcp_seconds", "rum_ttfb_seconds", "rum_cls"}) {
    ASSERT_EQ(all.count(rum), 1u) << rum;
    EXPECT_EQ(all[rum][0].type, "histogram");
    EXPECT_FALSE(all[rum][0].help.empty());
  }
}

http::Response Call(const http::Router& router, const std::string& query) {
  http::Request req;
  req.method = "GET";
  req.path = "/api/v1/metadata";
  req.query = query;
  http::Response res;
  auto m = router.Find(req.method, req.path);
  EXPECT_NE(m.handler, nullptr);
  (*m.handler)(req, res);
  return res;
}

TEST(MetadataApiTest, PrometheusShapeAndParameters) {
  MetadataStore store;
  store.ReplaceSource("t", {{"a", {"counter", "A \"quoted\".", ""}}, {"b", {"gauge", "B.", "bytes"}},
                            {"b", {"gauge", "B2.", ""}}});
  http::Router router;
  RegisterMetadataApi(router, &store);
  auto res = Call(router, "");
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body,
            R"({"status":"success","data":{"a":[{"type":"counter","help":"A \"quoted\".","unit":""}],)"
            R"("b":[{"type":"gauge","help":"B.","unit":"bytes"},{"type":"gauge","help":"B2.","unit":""}]}})");
  EXPECT_EQ(Call(router, "metric=a").body, R"({"status":"success","data":{"a":[{"type":"counter","help":"A \"quoted\".","unit":""}]}})");
  EXPECT_EQ(Call(router, "limit=1").body, R"({"status":"success","data":{"a":[{"type":"counter","help":"A \"quoted\".","unit":""}]}})");
  EXPECT_EQ(Call(router, "metric=b&limit_per_metric=1").body,
            R"({"status":"success","data":{"b":[{"type":"gauge","help":"B.","unit":"bytes"}]}})");
  EXPECT_EQ(Call(router, "limit=-1").body, Call(router, "").body);
  EXPECT_EQ(Call(router, "metric=zzz").body, R"({"status":"success","data":{}})");
  auto bad = Call(router, "limit=ten");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("bad_data"), std::string::npos);
  EXPECT_EQ(Call(router, "limit_per_metric=1.5").status, 400);
}

}  // namespace
}  // namespace perfwatch::ingest
