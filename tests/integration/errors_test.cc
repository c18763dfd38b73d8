// Errors grouped through the real binary (issue 14 item 5; docs/errors.md): RUM error and
// unhandled-rejection beacons, OTLP span exceptions and OTLP error logs (JSON and protobuf)
// become error groups with exact counts, sessions, first/last seen and new=true; the
// detail answers frames and recent occurrences; unknown fingerprints are 404; the
// perfwatch_error_events_total series counts; kill -9 right after the answers keeps it all.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>

#include "ingest/otlp/proto_builder.h"
#include "support/http_client.h"
#include "support/server_process.h"

namespace perfwatch {
namespace {

using ingest::otlp::testing::ProtoBuilder;
using testing::HttpClient;
using testing::ServerProcess;
using testing::UrlEncode;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string BrowserError(const std::string& session, int order, const std::string& host) {
  return R"({"type":"error","name":"Uncaught TypeError: order )" + std::to_string(order) +
         R"( missing","message":"Uncaught TypeError: order )" + std::to_string(order) +
         R"( missing","url":"https://shop.example/cart/)" + std::to_string(order) + R"(","sessionId":")" + session +
         R"(","userId":"u-)" + session + R"(","userAgent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",)"
         R"("stack":"TypeError: order )" + std::to_string(order) + R"( missing\n    at renderCart (https://)" + host +
         R"(/assets/app.3f2a9b1c.js:10:20)\n    at https://)" + host + R"(/assets/vendor/node_modules/react.js:1:1"})";
}

std::string SpanWithExceptions(int64_t t, const std::vector<int>& ms) {
  std::string events;
  for (size_t i = 0; i < ms.size(); ++i) {
    events += std::string(i ? "," : "") + R"({"name":"exception","timeUnixNano":")" + std::to_string(t) +
              R"(","attributes":[{"key":"exception.type","value":{"stringValue":"TimeoutError"}},)"
              R"({"key":"exception.message","value":{"stringValue":"db timeout after )" + std::to_string(ms[i]) +
              R"J( ms"}},{"key":"exception.stacktrace","value":{"stringValue":"TimeoutError: db timeout\n    at query (/app/src/db.js:12:3)\n    at Layer.handle (/app/node_modules/express/lib/layer.js:95:5)"}}]})J";
  }
  return R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"1112131415161718","name":"GET /cart/:id","kind":2,"startTimeUnixNano":")" +
         std::to_string(t - 1000000) + R"(","endTimeUnixNano":")" + std::to_string(t + 1000000) +
         R"(","attributes":[{"key":"http.route","value":{"stringValue":"/cart/:id"}}],"status":{"code":2},"events":[)" + events +
         "]}]}]}]}";
}

std::string LogsJson(int64_t t) {
  return R"({"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},"scopeLogs":[{"logRecords":[)"
         R"({"timeUnixNano":")" + std::to_string(t) + R"(","severityNumber":17,"severityText":"ERROR","body":{"stringValue":"payment 123 declined for bob@example.com"}},)"
         R"({"timeUnixNano":")" + std::to_string(t) + R"(","severityNumber":9,"severityText":"INFO","body":{"stringValue":"all fine"}}]}]}]})";
}

std::string LogsProto(int64_t t) {
  ProtoBuilder kv, any, resource, record, body, scope_logs, resource_logs, req;
  any.Bytes(1, "api");
  kv.Bytes(1, "service.name").Message(2, any);
  resource.Message(1, kv);
  body.Bytes(1, "payment 98765 declined for alice@example.org");
  record.Fixed64(1, static_cast<uint64_t>(t)).Varint(2, 18).Bytes(3, "ERROR").Message(5, body);
  scope_logs.Message(2, record);
  resource_logs.Message(1, resource).Message(2, scope_logs);
  req.Message(1, resource_logs);
  return req.bytes();
}

struct Group {
  std::string fingerprint, type, message, source, scope;
  int64_t count = 0, sessions = 0, users = 0;
  bool is_new = false;
  std::string first_seen, last_seen;
};

std::map<std::string, Group> Groups(HttpClient& client, const std::string& params) {
  auto res = client.Get("/api/v1/errors" + params);
  EXPECT_EQ(res.status, 200) << res.body;
  std::map<std::string, Group> out;  // by type
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(res.body).get(doc) != simdjson::SUCCESS) {
    ADD_FAILURE() << res.body;
    return out;
  }
  for (simdjson::dom::element g : doc["data"].get_array()) {
    Group r;
    r.fingerprint = std::string(g["fingerprint"].get_string().value());
    r.type = std::string(g["type"].get_string().value());
    r.message = std::string(g["message"].get_string().value());
    r.source = std::string(g["source"].get_string().value());
    r.scope = std::string(r.source == "browser" ? g["app"].get_string().value() : g["service"].get_string().value());
    r.count = g["count"].get_int64().value();
    r.sessions = g["sessions"].get_int64().value();
    r.users = g["users"].get_int64().value();
    r.is_new = g["new"].get_bool().value();
    r.first_seen = std::string(g["firstSeen"].get_string().value());
    r.last_seen = std::string(g["lastSeen"].get_string().value());
    out[r.type] = r;
  }
  return out;
}

std::string Query(HttpClient& client, const std::string& expr) {
  return client.Get("/api/v1/query?query=" + UrlEncode(expr)).body;
}

TEST(ErrorsIntegration, GroupsFromRumSpansAndLogsSurviveKill9) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient client(server.port());
  const int64_t t = NowNs() - 5'000'000'000;

  // Browser: three occurrences of one bug (other ids, other CDN host), one rejection, one vital.
  std::string beacons = "[" + BrowserError("s1", 17, "cdn-a.example") + "," + BrowserError("s1", 4242, "cdn-b.example") +
                        "," + BrowserError("s2", 9, "cdn-a.example") +
                        R"(,{"type":"unhandled-rejection","name":"x","message":"network down","sessionId":"s3"})"
                        R"(,{"type":"vital","name":"LCP","value":1200,"sessionId":"s1"}])";
  auto rum = client.Post("/api/rum?app=shop", beacons);
  ASSERT_EQ(rum.status, 204) << rum.body;

  // Backend: a span with two exceptions of one bug; error logs in JSON and protobuf.
  auto traces = client.Post("/v1/traces", SpanWithExceptions(t, {30, 31000}));
  ASSERT_EQ(traces.status, 200) << traces.body;
  auto logs = client.Post("/v1/logs", LogsJson(t));
  ASSERT_EQ(logs.status, 200) << logs.body;
  auto logs_pb = client.Post("/v1/logs", LogsProto(t + 1'000'000), "application/x-protobuf");
  ASSERT_EQ(logs_pb.status, 200) << logs_pb.body;
  // Bad data loses nothing already accepted.
  EXPECT_EQ(client.Post("/v1/logs", "{nope").status, 400);

  auto check = [&](HttpClient& c) {
    auto groups = Groups(c, "");
    ASSERT_EQ(groups.size(), 4u);
    const Group& te = groups["TypeError"];
    EXPECT_EQ(te.count, 3);
    EXPECT_EQ(te.sessions, 2);
    EXPECT_EQ(te.users, 2);
    EXPECT_EQ(te.source, "browser");
    EXPECT_EQ(te.scope, "shop");
    EXPECT_EQ(te.message, "order <n> missing");
    EXPECT_TRUE(te.is_new);
    EXPECT_FALSE(te.first_seen.empty());
    EXPECT_LE(te.first_seen, te.last_seen);
    EXPECT_EQ(groups["UnhandledRejection"].count, 1);
    const Group& timeout = groups["TimeoutError"];
    EXPECT_EQ(timeout.count, 2);
    EXPECT_EQ(timeout.scope, "api");
    EXPECT_EQ(timeout.message, "db timeout after <n> ms");
    EXPECT_EQ(groups["ERROR"].count, 2);  // JSON + protobuf log records, one group
    EXPECT_EQ(groups["ERROR"].message, "payment <n> declined for <email>");
    EXPECT_EQ(Groups(c, "?source=browser").size(), 2u);
    EXPECT_EQ(Groups(c, "?service=api").size(), 2u);
    EXPECT_EQ(Groups(c, "?app=shop&new=true").size(), 2u);
    EXPECT_EQ(Groups(c, "?app=other").size(), 0u);

    auto detail = c.Get("/api/v1/errors/" + te.fingerprint);
    EXPECT_EQ(detail.status, 200) << detail.body;
    EXPECT_NE(detail.body.find(R"("frames":[{"function":"renderCart")"), std::string::npos) << detail.body;
    EXPECT_NE(detail.body.find(R"("inApp":true)"), std::string::npos);
    EXPECT_NE(detail.body.find(R"("sessionId":"s2")"), std::string::npos);
    EXPECT_NE(detail.body.find(R"("page":"/cart/:id")"), std::string::npos) << detail.body;
    EXPECT_NE(detail.body.find(R"("hourly":[[)"), std::string::npos);
    auto span_detail = c.Get("/api/v1/errors/" + timeout.fingerprint);
    EXPECT_NE(span_detail.body.find(R"("traceId":"0102030405060708090a0b0c0d0e0f10")"), std::string::npos)
        << span_detail.body;
    EXPECT_NE(span_detail.body.find(R"("routes":[{"route":"/cart/:id","count":2}])"), std::string::npos);
    auto missing = c.Get("/api/v1/errors/0123456789abcdef");
    EXPECT_EQ(missing.status, 404);
    EXPECT_NE(missing.body.find(R"("errorType":"not_found")"), std::string::npos);
    EXPECT_EQ(c.Get("/api/v1/errors/nothex").status, 400);
    EXPECT_EQ(c.Get("/api/v1/errors?source=mobile").status, 400);
  };
  check(client);

  // The series (stamped a few ms apart, so ask a moment later).
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_NE(Query(client, R"(sum(perfwatch_error_events_total{app="shop",source="browser"}))").find(R"("4"])"),
            std::string::npos);
  EXPECT_NE(Query(client, R"(sum(perfwatch_error_events_total{app="shop",new="true"}))").find(R"("2"])"),
            std::string::npos);
  EXPECT_NE(Query(client, R"(sum(perfwatch_error_events_total{service="api",source="backend"}))").find(R"("4"])"),
            std::string::npos)
      << Query(client, R"(perfwatch_error_events_total)");

  server.Kill();
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient after(server.port());
  check(after);
  // One more of a known group: not new; the series continues from its stored value.
  ASSERT_EQ(after.Post("/api/rum?app=shop", "[" + BrowserError("s9", 1, "cdn-c.example") + "]").status, 204);
  EXPECT_EQ(Groups(after, "")["TypeError"].count, 4);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto series = Query(after, R"(sum(perfwatch_error_events_total{app="shop",new="false"}))");
  EXPECT_NE(series.find(R"("3"])"), std::string::npos) << series;
}

}  // namespace
}  // namespace perfwatch
