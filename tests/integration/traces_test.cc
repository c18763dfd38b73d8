// The span store through the real binary (issue 14 item 2): traces posted to /v1/traces as
// OTLP protobuf and as OTLP JSON are read back as trees (GET /api/v1/traces/{traceId}) and
// as entry-span lists (GET /api/v1/traces: filters, sort, limit), bad parameters get 400,
// unknown traces 404, and an acknowledged span survives kill -9 right after the answer.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <string>

#include "ingest/otlp/proto_builder.h"
#include "support/http_client.h"
#include "support/server_process.h"

namespace perfwatch {
namespace {

using ingest::otlp::testing::ProtoBuilder;
using ingest::otlp::testing::StringAttr;
using ingest::otlp::testing::Unhex;
using testing::HttpClient;
using testing::ServerProcess;

constexpr char kTraceA[] = "5b8efff798038103d269b633813fc60c";
constexpr char kTraceB[] = "0af7651916cd43dd8448eb211c80319c";

uint64_t NowNs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

ProtoBuilder IntAttr(std::string_view key, int64_t v) {
  ProtoBuilder kv;
  kv.Bytes(1, key).Message(2, ProtoBuilder().Varint(3, static_cast<uint64_t>(v)));
  return kv;
}

ProtoBuilder ProtoSpan(std::string_view trace, std::string_view span, std::string_view parent, std::string_view name,
                       int kind, uint64_t start, uint64_t dur_ns) {
  ProtoBuilder s;
  s.Bytes(1, Unhex(trace)).Bytes(2, Unhex(span));
  if (!parent.empty()) s.Bytes(4, Unhex(parent));
  s.Bytes(5, name).Varint(6, static_cast<uint64_t>(kind)).Fixed64(7, start).Fixed64(8, start + dur_ns);
  return s;
}

ProtoBuilder Resource(std::string_view service, std::initializer_list<ProtoBuilder> spans) {
  ProtoBuilder scope;
  scope.Message(1, ProtoBuilder().Bytes(1, "test"));
  for (const auto& s : spans) scope.Message(2, s);
  ProtoBuilder rs;
  rs.Message(1, ProtoBuilder().Message(1, StringAttr("service.name", service))).Message(2, scope);
  return rs;
}

// Trace A (protobuf): api GET /cart/:id (server, 120 ms) -> db SELECT (client) -> nothing,
// plus an exception event on the server span, and a span whose parent was never sent.
std::string TraceAProto(uint64_t t) {
  ProtoBuilder root = ProtoSpan(kTraceA, "0000000000000001", "", "GET /cart/:id", 2, t, 120'000'000);
  root.Message(9, StringAttr("http.route", "/cart/:id"))
      .Message(9, StringAttr("http.request.method", "GET"))
      .Message(9, IntAttr("http.response.status_code", 200))
      .Message(11, ProtoBuilder().Fixed64(1, t + 5).Bytes(2, "exception").Message(3, StringAttr("exception.type", "E")));
  ProtoBuilder db = ProtoSpan(kTraceA, "0000000000000002", "0000000000000001", "SELECT cart", 3, t + 1'000'000, 30'000'000);
  db.Message(9, StringAttr("db.system", "postgresql"));
  ProtoBuilder later = ProtoSpan(kTraceA, "0000000000000003", "0000000000000001", "render", 1, t + 50'000'000, 1'000'000);
  ProtoBuilder orphan = ProtoSpan(kTraceA, "0000000000000009", "00000000000000ff", "lost parent", 1, t + 2, 1000);
  ProtoBuilder req;
  req.Message(1, Resource("api", {root, later, orphan})).Message(1, Resource("db", {db}));
  return req.bytes();
}

// Trace B (JSON): api POST /checkout, an error, 900 ms.
std::string TraceBJson(uint64_t t) {
  return std::string(R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},)"
                     R"("scopeSpans":[{"spans":[{"traceId":")") +
         kTraceB + R"(","spanId":"b7ad6b7169203331","name":"POST /checkout","kind":2,"startTimeUnixNano":")" +
         std::to_string(t) + R"(","endTimeUnixNano":")" + std::to_string(t + 900'000'000) +
         R"(","status":{"code":2,"message":"payment failed"},"attributes":[{"key":"http.route","value":{"stringValue":"/checkout"}},)"
         R"({"key":"http.method","value":{"stringValue":"POST"}},{"key":"http.status_code","value":{"intValue":"502"}}]}]}]}]})";
}

simdjson::dom::element Data(simdjson::dom::parser& parser, const std::string& body) {
  auto doc = parser.parse(body);
  EXPECT_FALSE(doc.error()) << body;
  EXPECT_EQ(std::string_view(doc["status"].get_string().value_unsafe()), "success") << body;
  return doc["data"].value_unsafe();
}

std::vector<std::string> TraceIds(const std::string& body) {
  simdjson::dom::parser parser;
  std::vector<std::string> out;
  simdjson::dom::array rows;
  auto doc = parser.parse(body);
  if (doc.error() || doc["data"].get_array().get(rows)) {
    ADD_FAILURE() << body;
    return {"error"};
  }
  for (auto row : rows) out.emplace_back(row["traceId"].get_string().value_unsafe());
  return out;
}

TEST(TracesIntegration, StoredTracesReadBackAsTreesAndListsAndSurviveKill9) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.log();
  const uint64_t t = NowNs() - 60'000'000'000;
  {
    HttpClient client(server.port());
    auto a = client.Post("/v1/traces", TraceAProto(t), "application/x-protobuf");
    ASSERT_EQ(a.status, 200) << a.body;
    auto b = client.Post("/v1/traces", TraceBJson(t + 1'000'000'000));
    ASSERT_EQ(b.status, 200) << b.body;
  }
  server.Kill();  // acknowledged = durable
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient client(server.port());

  // The tree.
  auto res = client.Get(std::string("/api/v1/traces/") + "5B8EFFF798038103D269B633813FC60C");
  ASSERT_EQ(res.status, 200) << res.body;
  simdjson::dom::parser parser;
  auto trace = Data(parser, res.body);
  EXPECT_EQ(std::string_view(trace["traceId"].get_string().value_unsafe()), kTraceA);
  EXPECT_EQ(trace["spanCount"].get_int64().value_unsafe(), 4);
  EXPECT_EQ(trace["errorCount"].get_int64().value_unsafe(), 0);
  EXPECT_DOUBLE_EQ(trace["durationMs"].get_double().value_unsafe(), 120.0);
  EXPECT_EQ(std::string_view(trace["startTimeUnixNano"].get_string().value_unsafe()), std::to_string(t));
  auto services = trace["services"].get_array().value_unsafe();
  ASSERT_EQ(services.size(), 2u);
  auto roots = trace["roots"].get_array().value_unsafe();
  ASSERT_EQ(roots.size(), 2u) << res.body;
  auto root = roots.at(0).value_unsafe();
  EXPECT_EQ(std::string_view(root["spanId"].get_string().value_unsafe()), "0000000000000001");
  EXPECT_EQ(std::string_view(root["parentSpanId"].get_string().value_unsafe()), "");
  EXPECT_EQ(std::string_view(root["kind"].get_string().value_unsafe()), "SPAN_KIND_SERVER");
  EXPECT_EQ(root["attributes"]["http.response.status_code"].get_int64().value_unsafe(), 200);
  EXPECT_EQ(std::string_view(root["events"].at(0)["name"].get_string().value_unsafe()), "exception");
  auto children = root["children"].get_array().value_unsafe();
  ASSERT_EQ(children.size(), 2u);
  EXPECT_EQ(std::string_view(children.at(0)["service"].get_string().value_unsafe()), "db");  // by start time
  EXPECT_EQ(std::string_view(children.at(1)["name"].get_string().value_unsafe()), "render");
  auto orphan = roots.at(1).value_unsafe();
  EXPECT_EQ(std::string_view(orphan["name"].get_string().value_unsafe()), "lost parent");
  EXPECT_TRUE(orphan["orphan"].get_bool().value_unsafe());

  // The lists: entry spans only (the two roots), newest first by default.
  res = client.Get("/api/v1/traces?service=api");
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(TraceIds(res.body), (std::vector<std::string>{kTraceB, kTraceA}));
  res = client.Get("/api/v1/traces?service=api&route=/cart/:id");
  EXPECT_EQ(TraceIds(res.body), (std::vector<std::string>{kTraceA}));
  res = client.Get("/api/v1/traces?status=error");
  EXPECT_EQ(TraceIds(res.body), (std::vector<std::string>{kTraceB}));
  res = client.Get("/api/v1/traces?min_duration=500ms");
  EXPECT_EQ(TraceIds(res.body), (std::vector<std::string>{kTraceB}));
  res = client.Get("/api/v1/traces?name=GET%20/cart/:id&sort=slowest&limit=1");
  EXPECT_EQ(TraceIds(res.body), (std::vector<std::string>{kTraceA}));
  res = client.Get("/api/v1/traces?sort=slowest&limit=1");
  EXPECT_EQ(TraceIds(res.body), (std::vector<std::string>{kTraceB}));
  res = client.Get("/api/v1/traces?service=db");
  EXPECT_TRUE(TraceIds(res.body).empty());  // a client span with a parent is no entry span
  res = client.Get("/api/v1/traces?end=" + std::to_string(t / 1'000'000'000 - 10));
  EXPECT_TRUE(TraceIds(res.body).empty());  // before both traces
  res = client.Get("/api/v1/traces?status=error");
  simdjson::dom::parser p2;
  auto row = Data(p2, res.body).at(0).value_unsafe();
  EXPECT_EQ(std::string_view(row["route"].get_string().value_unsafe()), "/checkout");
  EXPECT_EQ(std::string_view(row["method"].get_string().value_unsafe()), "POST");
  EXPECT_EQ(row["httpStatusCode"].get_int64().value_unsafe(), 502);
  EXPECT_EQ(std::string_view(row["statusCode"].get_string().value_unsafe()), "STATUS_CODE_ERROR");
  EXPECT_EQ(std::string_view(row["kind"].get_string().value_unsafe()), "SPAN_KIND_SERVER");
  EXPECT_DOUBLE_EQ(row["durationMs"].get_double().value_unsafe(), 900.0);
  EXPECT_TRUE(row["error"].get_bool().value_unsafe());
  EXPECT_EQ(std::string_view(row["spanId"].get_string().value_unsafe()), "b7ad6b7169203331");

  // Errors.
  for (const char* bad : {"/api/v1/traces/xyz", "/api/v1/traces/5b8efff798038103d269b633813fc60", "/api/v1/traces/",
                          "/api/v1/traces?status=broken", "/api/v1/traces?sort=oldest", "/api/v1/traces?limit=0",
                          "/api/v1/traces?limit=ten", "/api/v1/traces?min_duration=fast", "/api/v1/traces?start=x",
                          "/api/v1/traces?start=2000&end=1000"}) {
    res = client.Get(bad);
    EXPECT_EQ(res.status, 400) << bad << " " << res.body;
    EXPECT_NE(res.body.find(R"("errorType":"bad_data")"), std::string::npos) << bad << " " << res.body;
  }
  res = client.Get("/api/v1/traces/00000000000000000000000000000001");
  EXPECT_EQ(res.status, 404) << res.body;
  EXPECT_NE(res.body.find(R"("errorType":"not_found")"), std::string::npos) << res.body;
}

}  // namespace
}  // namespace perfwatch
