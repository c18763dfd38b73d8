#include "ingest/otlp/span_metrics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <random>

#include "common/time.h"
#include "ingest/rum/rum_aggregator.h"  // FormatPrometheusFloat
#include "tsdb/matcher.h"
#include "tsdb/tsdb_test_util.h"

namespace perfwatch::ingest::otlp {
namespace {

using tsdb::testing::TempDir;

// Recent: the TSDB applies its retention (relative to the wall clock) when flushing.
const int64_t kT0 = NowMs() / 1000 * 1000 - 3600 * 1000;
constexpr uint64_t kStartNs = 1'700'000'000'000'000'000ULL;
constexpr uint64_t kMs = 1'000'000;

std::unique_ptr<tsdb::Tsdb> OpenTsdb(const std::filesystem::path& dir, uint64_t max_series = 0) {
  tsdb::TsdbOptions o;
  o.dir = dir;
  o.maintenance_interval = std::chrono::milliseconds(0);
  o.head.limits.max_series = max_series;
  auto db = tsdb::Tsdb::Open(o, nullptr);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return db.ok() ? std::move(db).value() : nullptr;
}

AnyValue S(std::string s) {
  AnyValue v;
  v.type = AnyValue::Type::kString;
  v.string_value = std::move(s);
  return v;
}
AnyValue I(int64_t i) {
  AnyValue v;
  v.type = AnyValue::Type::kInt;
  v.int_value = i;
  return v;
}

Span MakeSpan(std::string name, SpanKind kind, uint64_t duration_ns, Attributes attrs = {},
              SpanStatusCode status = SpanStatusCode::kUnset) {
  Span s;
  s.name = std::move(name);
  s.kind = kind;
  s.start_time_unix_nano = kStartNs;
  s.end_time_unix_nano = kStartNs + duration_ns;
  s.attributes = std::move(attrs);
  s.status_code = status;
  return s;
}

// One resource (service.name = `service`, none when empty) holding `spans`.
ResourceSpans Resource(std::string service, std::vector<Span> spans) {
  ResourceSpans rs;
  if (!service.empty()) rs.resource.attributes.push_back({"service.name", S(service)});
  rs.resource.attributes.push_back({"telemetry.sdk.language", S("nodejs")});
  ScopeSpans ss;
  ss.scope.name = "@opentelemetry/instrumentation-http";
  ss.spans = std::move(spans);
  rs.scope_spans.push_back(std::move(ss));
  return rs;
}

using LabelList = std::initializer_list<std::pair<std::string_view, std::string_view>>;

std::string Id(std::string_view name, LabelList labels, std::string_view le = "") {
  std::vector<tsdb::LabelView> views = {{"__name__", name}};
  for (auto& [k, v] : labels) views.push_back({k, v});
  if (!le.empty()) views.push_back({"le", le});
  return tsdb::Labels::FromViews(views).ToString();
}

// Every series of the RED metrics: id -> samples in time order.
std::map<std::string, std::vector<tsdb::Sample>> ReadAll(const tsdb::Tsdb& db) {
  auto m = tsdb::Matcher::Make(tsdb::MatchType::kRegexMatch, "__name__",
                               "perfwatch_(span|db|http_client)_.*");
  EXPECT_TRUE(m.ok());
  auto q = db.NewQuerier(0, INT64_MAX);
  auto set = q->Select(std::span(&*m, 1));
  std::map<std::string, std::vector<tsdb::Sample>> out;
  while (set->Next()) {
    auto it = set->At().Iterator();
    auto& v = out[set->At().labels().ToString()];
    while (it.Next()) v.push_back({it.t(), it.v()});
  }
  EXPECT_TRUE(set->status().ok());
  return out;
}

double Last(const std::map<std::string, std::vector<tsdb::Sample>>& all, const std::string& id) {
  auto it = all.find(id);
  if (it == all.end() || it->second.empty()) {
    ADD_FAILURE() << "no series " << id;
    return -1;
  }
  return it->second.back().v;
}

// Checks a histogram's last values against the durations (seconds) observed.
void ExpectHistogram(const std::map<std::string, std::vector<tsdb::Sample>>& all, std::string_view base,
                     LabelList labels, const std::vector<double>& seconds) {
  auto bounds = SpanDurationBounds();
  for (size_t b = 0; b <= bounds.size(); ++b) {
    std::string le = b == bounds.size() ? "+Inf" : FormatPrometheusFloat(bounds[b]);
    double want = 0;
    for (double s : seconds) want += (b == bounds.size() || s <= bounds[b]) ? 1 : 0;
    EXPECT_EQ(Last(all, Id(std::string(base) + "_bucket", labels, le)), want) << base << " le=" << le;
  }
  double sum = 0;
  for (double s : seconds) sum += s;
  EXPECT_NEAR(Last(all, Id(std::string(base) + "_sum", labels)), sum, 1e-12 * std::max(1.0, sum)) << base;
  EXPECT_EQ(Last(all, Id(std::string(base) + "_count", labels)), static_cast<double>(seconds.size())) << base;
}

void ExpectMonotonic(const tsdb::Tsdb& db) {
  for (const auto& [id, samples] : ReadAll(db)) {
    for (size_t i = 1; i < samples.size(); ++i) {
      ASSERT_GT(samples[i].t, samples[i - 1].t) << id;
      ASSERT_GE(samples[i].v, samples[i - 1].v) << id;
    }
  }
}

// A scripted batch: both HTTP conventions, database and HTTP client spans, errors,
// invalid times, a resource without service.name.
TracesRequest ScriptedBatch() {
  TracesRequest req;
  std::vector<Span> shop;
  // Current HTTP conventions: 1 ms, 3 ms, 20 ms and exactly 5 ms (on a bound: le is inclusive).
  for (uint64_t d : {1 * kMs, 3 * kMs, 20 * kMs, 5 * kMs}) {
    shop.push_back(MakeSpan("GET /users/:id", SpanKind::kServer, d,
                            {{"http.request.method", S("GET")},
                             {"http.route", S("/users/:id")},
                             {"http.response.status_code", I(200)},
                             {"url.path", S("/users/42")}}));
  }
  // Older conventions: http.method, http.status_code (one as a string), errors.
  for (uint64_t d : {250 * kMs, 1500 * kMs}) {
    shop.push_back(MakeSpan("POST /orders", SpanKind::kServer, d,
                            {{"http.method", S("POST")},
                             {"http.route", S("/orders")},
                             {"http.status_code", d == 250 * kMs ? I(503) : S("500")}},
                            SpanStatusCode::kError));
  }
  // An unknown method, 4xx (status Unset on a server span, as the semconv says), no route.
  shop.push_back(MakeSpan("BREW", SpanKind::kServer, 7 * kMs,
                          {{"http.request.method", S("BREW")}, {"http.response.status_code", I(418)}}));
  // An internal span: HTTP attributes are not labels.
  shop.push_back(MakeSpan("middleware - query", SpanKind::kInternal, 123'456,
                          {{"http.route", S("/users/:id")}}, SpanStatusCode::kOk));
  // Database client spans: old and new conventions; literals differ, fingerprints agree.
  shop.push_back(MakeSpan("pg.query:SELECT", SpanKind::kClient, 2 * kMs,
                          {{"db.system", S("postgresql")},
                           {"db.statement", S("SELECT * FROM users WHERE id = 42")}}));
  shop.push_back(MakeSpan("pg.query:SELECT", SpanKind::kClient, 4 * kMs,
                          {{"db.system", S("postgresql")},
                           {"db.statement", S("select *\n  from users where id=7")}}));
  shop.push_back(MakeSpan("SELECT shop.t", SpanKind::kClient, 30 * kMs,
                          {{"db.system.name", S("mysql")},
                           {"db.operation.name", S("SELECT")},
                           {"db.query.text", S("SELECT a FROM t WHERE name = \"bob\" AND id IN (1, 2, 3)")}},
                          SpanStatusCode::kError));
  // Outgoing HTTP calls: new conventions (default port dropped), old ones (userinfo dropped,
  // host lower-cased, port kept), an error.
  shop.push_back(MakeSpan("GET", SpanKind::kClient, 80 * kMs,
                          {{"http.request.method", S("GET")},
                           {"server.address", S("api.example.com")},
                           {"server.port", I(443)},
                           {"url.full", S("https://api.example.com/v1/x")},
                           {"http.response.status_code", I(200)}}));
  shop.push_back(MakeSpan("HTTP GET", SpanKind::kClient, 600 * kMs,
                          {{"http.method", S("GET")},
                           {"http.url", S("http://user:pw@Example.ORG:8080/p?q=1")},
                           {"http.status_code", I(503)}},
                          SpanStatusCode::kError));
  // Invalid times: not counted, reported.
  Span backwards = MakeSpan("GET /users/:id", SpanKind::kServer, 0);
  backwards.end_time_unix_nano = kStartNs - 1;
  shop.push_back(backwards);
  Span no_start = MakeSpan("GET /users/:id", SpanKind::kServer, 1);
  no_start.start_time_unix_nano = 0;
  shop.push_back(no_start);
  req.resource_spans.push_back(Resource("shop", std::move(shop)));
  req.resource_spans.push_back(Resource("", {MakeSpan("job", SpanKind::kUnspecified, 10 * kMs)}));
  return req;
}

TEST(SpanMetricsTest, BoundsCoverTwoMillisecondsToFifteenSeconds) {
  auto b = SpanDurationBounds();
  ASSERT_FALSE(b.empty());
  EXPECT_EQ(b.front(), 0.002);
  EXPECT_EQ(b.back(), 15);
  EXPECT_TRUE(std::is_sorted(b.begin(), b.end()));
  EXPECT_EQ(std::adjacent_find(b.begin(), b.end()), b.end());
}

TEST(SpanMetricsTest, ScriptedBatchGivesExactCountsAndSums) {
  TempDir dir;
  auto db = OpenTsdb(dir.path());
  MetricsRegistry registry;
  auto sm = SpanMetrics::Create({}, db.get(), &registry, kT0);
  ASSERT_TRUE(sm.ok()) << sm.status().ToString();
  SpanMetricsResult r;
  ASSERT_TRUE((*sm)->Record(ScriptedBatch(), kT0, &r).ok());
  EXPECT_EQ(r.counted, 14u);
  EXPECT_EQ(r.end_before_start, 1u);
  EXPECT_EQ(r.missing_timestamp, 1u);
  EXPECT_EQ(r.rejected(), 2u);
  EXPECT_EQ(r.Message(),
            "2 spans not counted in RED metrics: 1 with end_time_unix_nano before start_time_unix_nano, 1 without "
            "start or end time");
  EXPECT_EQ(registry.GetCounter("perfwatch_otlp_spans_invalid_total", "", {{"reason", "end_before_start"}})->Value(), 1u);
  EXPECT_EQ(registry.GetCounter("perfwatch_otlp_spans_invalid_total", "", {{"reason", "missing_timestamp"}})->Value(), 1u);
  EXPECT_EQ(registry.GetCounter("perfwatch_otlp_red_spans_total", "")->Value(), 14u);

  auto all = ReadAll(*db);
  for (const auto& [id, samples] : all) {
    ASSERT_EQ(samples.size(), 1u) << id;
    EXPECT_EQ(samples[0].t, kT0) << id;
  }
  const std::string_view span = "perfwatch_span_duration_seconds";
  const std::string_view calls = "perfwatch_span_calls_total";
  LabelList get = {{"service", "shop"},
                   {"span_name", "GET /users/:id"},
                   {"span_kind", "SPAN_KIND_SERVER"},
                   {"status_code", "STATUS_CODE_UNSET"},
                   {"http_route", "/users/:id"},
                   {"http_method", "GET"},
                   {"http_status_class", "2xx"}};
  ExpectHistogram(all, span, get, {0.001, 0.003, 0.020, 0.005});
  EXPECT_EQ(Last(all, Id(calls, get)), 4);
  // Both old-convention spans (503 as an int, "500" as a string) in one label set.
  LabelList post = {{"service", "shop"},
                    {"span_name", "POST /orders"},
                    {"span_kind", "SPAN_KIND_SERVER"},
                    {"status_code", "STATUS_CODE_ERROR"},
                    {"http_route", "/orders"},
                    {"http_method", "POST"},
                    {"http_status_class", "5xx"}};
  ExpectHistogram(all, span, post, {0.25, 1.5});
  EXPECT_EQ(Last(all, Id(calls, post)), 2);
  LabelList brew = {{"service", "shop"},
                    {"span_name", "BREW"},
                    {"span_kind", "SPAN_KIND_SERVER"},
                    {"status_code", "STATUS_CODE_UNSET"},
                    {"http_method", "_OTHER"},
                    {"http_status_class", "4xx"}};
  ExpectHistogram(all, span, brew, {0.007});
  LabelList internal = {{"service", "shop"},
                        {"span_name", "middleware - query"},
                        {"span_kind", "SPAN_KIND_INTERNAL"},
                        {"status_code", "STATUS_CODE_OK"}};
  ExpectHistogram(all, span, internal, {0.000123456});
  LabelList pg_span = {{"service", "shop"},
                       {"span_name", "pg.query:SELECT"},
                       {"span_kind", "SPAN_KIND_CLIENT"},
                       {"status_code", "STATUS_CODE_UNSET"}};
  ExpectHistogram(all, span, pg_span, {0.002, 0.004});
  LabelList unnamed = {{"span_name", "job"}, {"span_kind", "SPAN_KIND_UNSPECIFIED"}, {"status_code", "STATUS_CODE_UNSET"}};
  ExpectHistogram(all, span, unnamed, {0.010});

  const std::string_view dbh = "perfwatch_db_duration_seconds";
  ExpectHistogram(all, dbh,
                  {{"service", "shop"},
                   {"db_system", "postgresql"},
                   {"db_operation", "SELECT"},
                   {"db_statement", "select * from users where id = ?"}},
                  {0.002, 0.004});
  ExpectHistogram(all, dbh,
                  {{"service", "shop"},
                   {"db_system", "mysql"},
                   {"db_operation", "SELECT"},
                   {"db_statement", "select a from t where name = ? and id in (?)"}},
                  {0.030});

  const std::string_view client = "perfwatch_http_client_duration_seconds";
  ExpectHistogram(all, client,
                  {{"service", "shop"}, {"peer", "api.example.com"}, {"http_method", "GET"}, {"http_status_class", "2xx"}},
                  {0.080});
  ExpectHistogram(all, client,
                  {{"service", "shop"}, {"peer", "example.org:8080"}, {"http_method", "GET"}, {"http_status_class", "5xx"}},
                  {0.600});

  // Nothing else: 9 span label sets (+calls), 2 db, 2 client; 16 bounds + Inf + sum + count.
  const size_t per_histogram = SpanDurationBounds().size() + 3;
  EXPECT_EQ(all.size(), 9 * (per_histogram + 1) + 4 * per_histogram);
  EXPECT_EQ((*sm)->num_label_sets(), 13u);
}

TEST(SpanMetricsTest, CardinalityCapsCountUnderOther) {
  TempDir dir;
  auto db = OpenTsdb(dir.path());
  MetricsRegistry registry;
  SpanMetricsOptions o;
  o.max_services = 1;
  o.max_routes_per_service = 2;
  o.max_span_names_per_service = 3;
  o.max_db_statements_per_service = 1;
  o.max_peers_per_service = 1;
  auto sm = SpanMetrics::Create(o, db.get(), &registry, kT0);
  ASSERT_TRUE(sm.ok());
  TracesRequest req;
  std::vector<Span> spans;
  for (int i = 0; i < 4; ++i) {  // routes /r0 /r1 admitted, /r2 /r3 -> other; names: 3 then other
    spans.push_back(MakeSpan("GET /r" + std::to_string(i), SpanKind::kServer, kMs,
                             {{"http.request.method", S("GET")}, {"http.route", S("/r" + std::to_string(i))}}));
  }
  for (const char* stmt : {"SELECT 1 FROM a", "SELECT 2 FROM a", "SELECT x FROM b"}) {
    spans.push_back(MakeSpan("q", SpanKind::kClient, kMs, {{"db.system", S("postgresql")}, {"db.statement", S(stmt)}}));
  }
  for (const char* host : {"a.example", "b.example", "c.example"}) {
    spans.push_back(MakeSpan("GET", SpanKind::kClient, kMs, {{"http.request.method", S("GET")}, {"server.address", S(host)}}));
  }
  req.resource_spans.push_back(Resource("first", std::move(spans)));
  req.resource_spans.push_back(Resource("second", {MakeSpan("GET /r0", SpanKind::kServer, kMs)}));
  req.resource_spans.push_back(Resource("third", {MakeSpan("GET /r0", SpanKind::kServer, kMs)}));
  ASSERT_TRUE((*sm)->Record(req, kT0).ok());

  auto all = ReadAll(*db);
  const std::string_view calls = "perfwatch_span_calls_total";
  auto route = [](std::string_view name, std::string_view r) {
    return Id("perfwatch_span_calls_total", {{"service", "first"},
                                             {"span_name", name},
                                             {"span_kind", "SPAN_KIND_SERVER"},
                                             {"status_code", "STATUS_CODE_UNSET"},
                                             {"http_route", r},
                                             {"http_method", "GET"}});
  };
  EXPECT_EQ(Last(all, route("GET /r0", "/r0")), 1);
  EXPECT_EQ(Last(all, route("GET /r1", "/r1")), 1);
  EXPECT_EQ(Last(all, route("GET /r2", "other")), 1);  // third name admitted, route over the cap
  EXPECT_EQ(Last(all, route("other", "other")), 1);
  // "q" was the 5th name: other.
  EXPECT_EQ(Last(all, Id(calls, {{"service", "first"},
                                 {"span_name", "other"},
                                 {"span_kind", "SPAN_KIND_CLIENT"},
                                 {"status_code", "STATUS_CODE_UNSET"}})),
            6);
  // Statements: "select ? from a" admitted (both literals), "select x from b" over.
  EXPECT_EQ(Last(all, Id("perfwatch_db_duration_seconds_count",
                         {{"service", "first"}, {"db_system", "postgresql"}, {"db_operation", "SELECT"},
                          {"db_statement", "select ? from a"}})),
            2);
  EXPECT_EQ(Last(all, Id("perfwatch_db_duration_seconds_count",
                         {{"service", "first"}, {"db_system", "postgresql"}, {"db_operation", "SELECT"},
                          {"db_statement", "other"}})),
            1);
  EXPECT_EQ(Last(all, Id("perfwatch_http_client_duration_seconds_count",
                         {{"service", "first"}, {"peer", "a.example"}, {"http_method", "GET"}})),
            1);
  EXPECT_EQ(Last(all, Id("perfwatch_http_client_duration_seconds_count",
                         {{"service", "first"}, {"peer", "other"}, {"http_method", "GET"}})),
            2);
  // Services: "first" admitted; "second" and "third" share service="other".
  EXPECT_EQ(Last(all, Id(calls, {{"service", "other"},
                                 {"span_name", "GET /r0"},
                                 {"span_kind", "SPAN_KIND_SERVER"},
                                 {"status_code", "STATUS_CODE_UNSET"}})),
            2);
  EXPECT_EQ(registry.GetCounter("perfwatch_otlp_services_overflow_total", "")->Value(), 2u);  // per span
  EXPECT_EQ(registry.GetCounter("perfwatch_otlp_routes_overflow_total", "")->Value(), 2u);
  EXPECT_EQ(registry.GetCounter("perfwatch_otlp_span_names_overflow_total", "")->Value(), 7u);
  EXPECT_EQ(registry.GetCounter("perfwatch_otlp_db_statements_overflow_total", "")->Value(), 1u);
  EXPECT_EQ(registry.GetCounter("perfwatch_otlp_peers_overflow_total", "")->Value(), 2u);
}

TEST(SpanMetricsTest, ContinuesFromStoredValuesAcrossRestart) {
  TempDir dir;
  std::mt19937 rng(7);
  std::map<int, std::vector<double>> truth;  // route index -> seconds
  int64_t t = kT0;
  auto random_request = [&] {
    TracesRequest req;
    std::vector<Span> spans;
    for (int i = 0; i < 20; ++i) {
      int r = static_cast<int>(rng() % 3);
      uint64_t ns = rng() % (3ULL * 1000 * kMs);
      truth[r].push_back(static_cast<double>(ns) / 1e9);
      spans.push_back(MakeSpan("GET /r" + std::to_string(r), SpanKind::kServer, ns,
                               {{"http.method", S("GET")}, {"http.route", S("/r" + std::to_string(r))}}));
    }
    req.resource_spans.push_back(Resource("svc", std::move(spans)));
    return req;
  };
  auto check = [&](const tsdb::Tsdb& db) {
    auto all = ReadAll(db);
    for (const auto& [r, seconds] : truth) {
      std::string name = "GET /r" + std::to_string(r), route = "/r" + std::to_string(r);
      LabelList labels = {{"service", "svc"},
                          {"span_name", name},
                          {"span_kind", "SPAN_KIND_SERVER"},
                          {"status_code", "STATUS_CODE_UNSET"},
                          {"http_route", route},
                          {"http_method", "GET"}};
      ExpectHistogram(all, "perfwatch_span_duration_seconds", labels, seconds);
      EXPECT_EQ(Last(all, Id("perfwatch_span_calls_total", labels)), static_cast<double>(seconds.size()));
    }
  };
  for (int round = 0; round < 3; ++round) {
    auto db = OpenTsdb(dir.path());
    ASSERT_NE(db, nullptr);
    auto sm = SpanMetrics::Create({}, db.get(), nullptr, t);
    ASSERT_TRUE(sm.ok()) << sm.status().ToString();
    for (int req = 0; req < 5; ++req) {
      ASSERT_TRUE((*sm)->Record(random_request(), t).ok());
      t += 1000;
    }
    t -= 3000;  // the clock stepped back across the restart: stamps still increase
    check(*db);
    ExpectMonotonic(*db);
  }
  {  // after a flush to blocks, the state is read back from blocks
    auto db = OpenTsdb(dir.path());
    ASSERT_TRUE(db->Flush().ok());
  }
  auto db = OpenTsdb(dir.path());
  auto sm = SpanMetrics::Create({}, db.get(), nullptr, t);
  ASSERT_TRUE(sm.ok());
  ASSERT_TRUE((*sm)->Record(random_request(), t).ok());
  check(*db);
  ExpectMonotonic(*db);
}

TEST(SpanMetricsTest, RestartKeepsCapsAndLoweredCapDropsStoredLabelSets) {
  TempDir dir;
  SpanMetricsOptions o;
  o.max_routes_per_service = 2;
  auto request = [](std::vector<std::string> routes) {
    TracesRequest req;
    std::vector<Span> spans;
    for (const auto& r : routes) {
      spans.push_back(MakeSpan("GET", SpanKind::kServer, kMs, {{"http.method", S("GET")}, {"http.route", S(r)}}));
    }
    req.resource_spans.push_back(Resource("svc", std::move(spans)));
    return req;
  };
  {
    auto db = OpenTsdb(dir.path());
    auto sm = SpanMetrics::Create(o, db.get(), nullptr, kT0);
    ASSERT_TRUE(sm.ok());
    ASSERT_TRUE((*sm)->Record(request({"/a", "/b", "/c"}), kT0).ok());
    EXPECT_EQ((*sm)->num_label_sets(), 3u);  // /a, /b, other
  }
  {  // the loaded routes fill the cap again: a new route is "other"
    auto db = OpenTsdb(dir.path());
    auto sm = SpanMetrics::Create(o, db.get(), nullptr, kT0 + 1000);
    ASSERT_TRUE(sm.ok());
    EXPECT_EQ((*sm)->num_label_sets(), 3u);
    ASSERT_TRUE((*sm)->Record(request({"/d"}), kT0 + 1000).ok());
    EXPECT_EQ((*sm)->num_label_sets(), 3u);
    auto all = ReadAll(*db);
    EXPECT_EQ(Last(all, Id("perfwatch_span_calls_total", {{"service", "svc"},
                                                          {"span_name", "GET"},
                                                          {"span_kind", "SPAN_KIND_SERVER"},
                                                          {"status_code", "STATUS_CODE_UNSET"},
                                                          {"http_route", "other"},
                                                          {"http_method", "GET"}})),
              2);
  }
  o.max_routes_per_service = 1;
  auto db = OpenTsdb(dir.path());
  auto sm = SpanMetrics::Create(o, db.get(), nullptr, kT0 + 2000);
  ASSERT_TRUE(sm.ok());
  EXPECT_EQ((*sm)->num_label_sets(), 2u);  // /a and other; /b is beyond the lowered cap
}

TEST(SpanMetricsTest, AppendFailureKeepsStateAndIsReturned) {
  TempDir dir;
  const size_t per_span_set = SpanDurationBounds().size() + 4;  // buckets, +Inf, sum, count, calls
  auto db = OpenTsdb(dir.path(), per_span_set);                // room for one label set
  MetricsRegistry registry;
  auto sm = SpanMetrics::Create({}, db.get(), &registry, kT0);
  ASSERT_TRUE(sm.ok());
  TracesRequest one;
  one.resource_spans.push_back(Resource("svc", {MakeSpan("a", SpanKind::kInternal, kMs)}));
  ASSERT_TRUE((*sm)->Record(one, kT0).ok());
  TracesRequest two;
  two.resource_spans.push_back(
      Resource("svc", {MakeSpan("a", SpanKind::kInternal, 2 * kMs), MakeSpan("b", SpanKind::kInternal, kMs)}));
  Status st = (*sm)->Record(two, kT0 + 1000);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("span metrics"), std::string::npos) << st.ToString();
  EXPECT_EQ(registry.GetCounter("perfwatch_otlp_red_append_failures_total", "")->Value(), 1u);
  EXPECT_EQ((*sm)->num_label_sets(), 2u);
  // The next write still carries "a"'s counts (cumulative: 2 spans, 3 ms).
  ASSERT_FALSE((*sm)->Record(one, kT0 + 2000).ok());
  auto all = ReadAll(*db);
  LabelList a = {{"service", "svc"}, {"span_name", "a"}, {"span_kind", "SPAN_KIND_INTERNAL"}, {"status_code", "STATUS_CODE_UNSET"}};
  EXPECT_EQ(Last(all, Id("perfwatch_span_calls_total", a)), 3);
  EXPECT_NEAR(Last(all, Id("perfwatch_span_duration_seconds_sum", a)), 0.004, 1e-12);
}

TEST(SpanMetricsTest, BackgroundWriterWritesOnFlushAndStop) {
  TempDir dir;
  auto db = OpenTsdb(dir.path());
  SpanMetricsOptions o;
  o.flush_interval_ms = 3600 * 1000;  // never by itself during the test
  auto sm = SpanMetrics::Create(o, db.get(), nullptr, kT0);
  ASSERT_TRUE(sm.ok());
  (*sm)->Start();
  ASSERT_TRUE((*sm)->Record(ScriptedBatch(), kT0).ok());
  EXPECT_TRUE(ReadAll(*db).empty());
  ASSERT_TRUE((*sm)->Record(ScriptedBatch(), kT0 + 5).ok());
  (*sm)->Stop();
  auto all = ReadAll(*db);
  EXPECT_FALSE(all.empty());
  for (const auto& [id, samples] : all) {
    ASSERT_EQ(samples.size(), 1u) << id;
    EXPECT_EQ(samples[0].t, kT0 + 5) << id;  // the latest receive time counted
  }
  EXPECT_EQ(Last(all, Id("perfwatch_span_calls_total", {{"service", "shop"},
                                                        {"span_name", "POST /orders"},
                                                        {"span_kind", "SPAN_KIND_SERVER"},
                                                        {"status_code", "STATUS_CODE_ERROR"},
                                                        {"http_route", "/orders"},
                                                        {"http_method", "POST"},
                                                        {"http_status_class", "5xx"}})),
            4);
}

TEST(SpanMetricsTest, PeerAndStatusClassEdgeCases) {
  TempDir dir;
  auto db = OpenTsdb(dir.path());
  auto sm = SpanMetrics::Create({}, db.get(), nullptr, kT0);
  ASSERT_TRUE(sm.ok());
  auto call = [](Attributes attrs) {
    attrs.push_back({"http.request.method", S("PUT")});
    return MakeSpan("PUT", SpanKind::kClient, kMs, std::move(attrs));
  };
  TracesRequest req;
  req.resource_spans.push_back(Resource(
      "svc", {call({{"server.address", S("10.0.0.1")}, {"server.port", I(80)}, {"url.scheme", S("http")}}),
              call({{"server.address", S("10.0.0.1")}, {"server.port", I(443)}, {"url.scheme", S("http")}}),
              call({{"server.address", S("::1")}, {"server.port", I(8443)}}),
              call({{"net.peer.name", S("Legacy.Host")}, {"net.peer.port", S("9000")}}),
              call({{"url.full", S("https://[2001:db8::1]:443/x")}}),
              call({{"http.response.status_code", I(99)}}),  // no peer, status out of range
              call({{"http.response.status_code", S("abc")}})}));
  ASSERT_TRUE((*sm)->Record(req, kT0).ok());
  auto all = ReadAll(*db);
  auto count = [&](LabelList labels) { return Last(all, Id("perfwatch_http_client_duration_seconds_count", labels)); };
  EXPECT_EQ(count({{"service", "svc"}, {"peer", "10.0.0.1"}, {"http_method", "PUT"}}), 1);
  EXPECT_EQ(count({{"service", "svc"}, {"peer", "10.0.0.1:443"}, {"http_method", "PUT"}}), 1);
  EXPECT_EQ(count({{"service", "svc"}, {"peer", "[::1]:8443"}, {"http_method", "PUT"}}), 1);
  EXPECT_EQ(count({{"service", "svc"}, {"peer", "legacy.host:9000"}, {"http_method", "PUT"}}), 1);
  EXPECT_EQ(count({{"service", "svc"}, {"peer", "[2001:db8::1]"}, {"http_method", "PUT"}}), 1);
  EXPECT_EQ(count({{"service", "svc"}, {"http_method", "PUT"}}), 2);
}

}  // namespace
}  // namespace perfwatch::ingest::otlp

namespace perfwatch::ingest::otlp {
namespace {

// SetCaps (otlp.max_* reloaded): from the next Record(); a raised cap admits new values, a
// lowered one keeps the values admitted and counts further new ones as "other".
TEST(SpanMetricsTest, SetCapsAppliesToTheNextRecord) {
  TempDir dir;
  auto db = OpenTsdb(dir.path());
  MetricsRegistry registry;
  SpanMetricsOptions o;
  o.max_services = 1;
  o.max_span_names_per_service = 1;
  auto sm = SpanMetrics::Create(o, db.get(), &registry, kT0);
  ASSERT_TRUE(sm.ok());
  auto record = [&](const std::string& service, const std::string& name, int64_t t) {
    TracesRequest req;
    req.resource_spans.push_back(Resource(service, {MakeSpan(name, SpanKind::kInternal, kMs)}));
    ASSERT_TRUE((*sm)->Record(req, t).ok());
  };
  auto calls = [](std::string_view service, std::string_view name) {
    return Id("perfwatch_span_calls_total", {{"service", service},
                                             {"span_name", name},
                                             {"span_kind", "SPAN_KIND_INTERNAL"},
                                             {"status_code", "STATUS_CODE_UNSET"}});
  };
  Counter* services_over = registry.GetCounter("perfwatch_otlp_services_overflow_total", "");
  record("a", "n1", kT0);
  record("b", "n1", kT0 + 1);
  EXPECT_EQ(services_over->Value(), 1u);

  (*sm)->SetCaps(/*max_services=*/3, /*routes=*/200, /*span_names=*/2, /*db=*/200, /*peers=*/50);
  record("b", "n1", kT0 + 2);
  record("a", "n2", kT0 + 3);
  EXPECT_EQ(services_over->Value(), 1u) << "b admitted under the raised cap";

  (*sm)->SetCaps(/*max_services=*/1, 200, /*span_names=*/1, 200, 50);
  record("c", "n1", kT0 + 4);  // new service beyond the lowered cap
  record("b", "n1", kT0 + 5);  // admitted already: keeps its series
  record("a", "n3", kT0 + 6);  // new name beyond the lowered cap
  EXPECT_EQ(services_over->Value(), 2u);

  auto all = ReadAll(*db);
  EXPECT_EQ(Last(all, calls("a", "n1")), 1);
  EXPECT_EQ(Last(all, calls("a", "n2")), 1);
  EXPECT_EQ(Last(all, calls("a", "other")), 1);
  EXPECT_EQ(Last(all, calls("b", "n1")), 2);
  EXPECT_EQ(Last(all, calls("other", "n1")), 2);  // b before the raise, c after the lowering
}

}  // namespace
}  // namespace perfwatch::ingest::otlp
