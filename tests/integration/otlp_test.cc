// OTLP/HTTP through the real binary (issue 14): spans posted to /v1/traces become the RED
// series perfwatch_span_calls_total / perfwatch_span_duration_seconds, counted exactly and
// durable across kill -9 right after the answer; data points posted to /v1/metrics become
// Prometheus series; a span with end before start is rejected with partialSuccess and the
// rest is kept; /v1/logs is served (error logs: tests/integration/errors_test.cc).
#include <gtest/gtest.h>

#include <string>

#include "support/http_client.h"
#include "support/server_process.h"

namespace perfwatch {
namespace {

using testing::HttpClient;
using testing::ServerProcess;
using testing::UrlEncode;


// One server span of `ms` milliseconds ending now-ish; `end_before_start` makes it invalid.
std::string Span(int i, int64_t start_ns, int64_t ms, int status_code, const std::string& route) {
  char ids[128];
  std::snprintf(ids, sizeof(ids), R"("traceId":"%032x","spanId":"%016x")", i + 1, i + 1);
  return std::string("{") + ids + R"(,"name":"GET )" + route + R"(","kind":2,"startTimeUnixNano":")" +
         std::to_string(start_ns) + R"(","endTimeUnixNano":")" + std::to_string(start_ns + ms * 1'000'000) +
         R"(","status":{"code":)" + std::to_string(status_code) +
         R"(},"attributes":[{"key":"http.route","value":{"stringValue":")" + route +
         R"("}},{"key":"http.request.method","value":{"stringValue":"GET"}},)"
         R"({"key":"http.response.status_code","value":{"intValue":")" + (status_code == 2 ? "500" : "200") +
         R"("}}]})";
}

std::string Traces(const std::vector<std::string>& spans) {
  std::string out = R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"checkout"}}]},"scopeSpans":[{"scope":{"name":"t"},"spans":[)";
  for (size_t i = 0; i < spans.size(); ++i) out += (i ? "," : "") + spans[i];
  return out + "]}]}]}";
}

std::string Query(HttpClient& client, const std::string& expr) {
  return client.Get("/api/v1/query?query=" + UrlEncode(expr)).body;
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

TEST(OtlpIntegration, TracesBecomeDurableRedSeriesAndMetricsBecomeSeries) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient client(server.port());
  const int64_t t = NowNs() - 5'000'000'000;
  std::vector<std::string> spans;
  for (int i = 0; i < 7; ++i) spans.push_back(Span(i, t, 20, 1, "/cart"));
  for (int i = 7; i < 10; ++i) spans.push_back(Span(i, t, 300, 2, "/cart"));
  // An invalid span: end before start.
  std::string bad = Span(99, t, 1, 1, "/cart");
  const std::string end_key = R"("endTimeUnixNano":")";
  bad.replace(bad.find(end_key) + end_key.size(), std::to_string(t + 1'000'000).size(), std::to_string(t - 1'000'000));
  spans.push_back(bad);
  auto res = client.Post("/v1/traces", Traces(spans));
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_NE(res.body.find(R"("rejectedSpans":"1")"), std::string::npos) << res.body;

  // Durable once answered: kill -9 at once, restart, the counts are there.
  server.Kill();
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient after(server.port());
  std::string ok = Query(after, R"(sum(perfwatch_span_calls_total{service="checkout",http_route="/cart",status_code="STATUS_CODE_OK"}))");
  EXPECT_NE(ok.find(R"("7"])"), std::string::npos) << ok;
  std::string err = Query(after, R"(sum(perfwatch_span_calls_total{service="checkout",span_kind="SPAN_KIND_SERVER",http_method="GET",http_status_class="5xx",status_code="STATUS_CODE_ERROR"}))");
  EXPECT_NE(err.find(R"("3"])"), std::string::npos) << err;
  std::string slow = Query(after, R"(sum(perfwatch_span_duration_seconds_bucket{service="checkout",le="0.25"}))");
  EXPECT_NE(slow.find(R"("7"])"), std::string::npos) << slow;  // the 20 ms ones, not the 300 ms ones

  // Metrics: a cumulative monotonic sum with a unit.
  const std::string metrics = std::string(R"({"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"checkout"}}]},"scopeMetrics":[{"metrics":[{"name":"http.server.requests","unit":"1","sum":{"aggregationTemporality":2,"isMonotonic":true,"dataPoints":[{"asInt":"42","startTimeUnixNano":")") +
                              std::to_string(t - 60'000'000'000) + R"(","timeUnixNano":")" + std::to_string(t) + R"("}]}}]}]}]})";
  auto m = after.Post("/v1/metrics", metrics);
  ASSERT_EQ(m.status, 200) << m.body;
  EXPECT_EQ(m.body, "{}");
  std::string series = Query(after, R"(http_server_requests_total{job="checkout"})");
  EXPECT_NE(series.find(R"("42"])"), std::string::npos) << series;

  // Bad data: 400 with a google.rpc.Status, and what was stored stays.
  auto bad_req = after.Post("/v1/traces", "{not json");
  EXPECT_EQ(bad_req.status, 400);
  EXPECT_NE(bad_req.body.find(R"("code":3)"), std::string::npos) << bad_req.body;
  EXPECT_NE(Query(after, R"(sum(perfwatch_span_calls_total{service="checkout"}))").find(R"("10"])"), std::string::npos);

  // Logs are served (errors grouping, docs/errors.md): an empty request is a success.
  EXPECT_EQ(after.Post("/v1/logs", R"({"resourceLogs":[]})").status, 200);
}

}  // namespace
}  // namespace perfwatch
