// The OTLP/HTTP receiver through the real HTTP server: status codes and bodies in both
// encodings, gzip, limits, sink errors, partial success, authentication and metrics. The
// sink records what it was given; responses are decoded here by hand.
#include "ingest/otlp/otlp_handler.h"

#include <gtest/gtest.h>

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "http/auth.h"
#include "http/blocking_client.h"
#include "http/server_fixture.h"
#include "ingest/otlp/otlp_json.h"
#include "ingest/otlp/otlp_proto.h"
#include "proto_builder.h"
#include "ingest/scrape/scrape_gzip.h"

namespace perfwatch::ingest::otlp {
namespace {

using testing::ProtoBuilder;
using testing::StringAttr;
using testing::Unhex;

constexpr char kProto[] = "application/x-protobuf";
constexpr char kJson[] = "application/json";

// ---- Requests: the same content as protobuf and as JSON ----

ProtoBuilder ProtoSpan(std::string_view span_id_hex, std::string_view name) {
  ProtoBuilder s;
  s.Bytes(1, Unhex("5b8efff798038103d269b633813fc60c"))
      .Bytes(2, Unhex(span_id_hex))
      .Bytes(5, name)
      .Varint(6, 2)
      .Fixed64(7, 1544712660000000000ull)
      .Fixed64(8, 1544712661000000000ull);
  return s;
}

std::string TracesProto() {
  ProtoBuilder scope_spans;
  scope_spans.Message(1, ProtoBuilder().Bytes(1, "t"))
      .Message(2, ProtoSpan("eee19b7ec3c1b174", "GET /a"))
      .Message(2, ProtoSpan("eee19b7ec3c1b175", "GET /b"));
  ProtoBuilder rs;
  rs.Message(1, ProtoBuilder().Message(1, StringAttr("service.name", "checkout"))).Message(2, scope_spans);
  return ProtoBuilder().Message(1, rs).bytes();
}

std::string JsonSpan(std::string_view span_id, std::string_view name) {
  return R"({"traceId":"5b8efff798038103d269b633813fc60c","spanId":")" + std::string(span_id) + R"(","name":")" +
         std::string(name) +
         R"(","kind":2,"startTimeUnixNano":"1544712660000000000","endTimeUnixNano":"1544712661000000000"})";
}

std::string TracesJson() {
  return R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"checkout"}}]},)"
         R"("scopeSpans":[{"scope":{"name":"t"},"spans":[)" +
         JsonSpan("eee19b7ec3c1b174", "GET /a") + "," + JsonSpan("eee19b7ec3c1b175", "GET /b") + "]}]}]}";
}

std::string MetricsProto() {
  ProtoBuilder point;
  point.Fixed64(3, 1544712660000000000ull).Double(4, 1.5);
  ProtoBuilder metric;
  metric.Bytes(1, "queue.depth").Message(5, ProtoBuilder().Message(1, point).Message(1, point).Message(1, point));
  ProtoBuilder rm;
  rm.Message(2, ProtoBuilder().Message(2, metric));
  return ProtoBuilder().Message(1, rm).bytes();
}

std::string MetricsJson() {
  std::string p = R"({"timeUnixNano":"1544712660000000000","asDouble":1.5})";
  return R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"queue.depth","gauge":{"dataPoints":[)" + p +
         "," + p + "," + p + "]}}]}]}]}";
}

std::string LogsProto() {
  ProtoBuilder record;
  record.Fixed64(1, 1544712660000000000ull).Message(5, ProtoBuilder().Bytes(1, "hi"));
  ProtoBuilder rl;
  rl.Message(2, ProtoBuilder().Message(2, record));
  return ProtoBuilder().Message(1, rl).bytes();
}

std::string LogsJson() {
  return R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"1544712660000000000","body":{"stringValue":"hi"}}]}]}]})";
}

// ---- Responses decoded by hand ----

struct Wire {
  std::string_view in;
  bool ok = true;
  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && !in.empty(); shift += 7) {
      uint8_t b = static_cast<uint8_t>(in.front());
      in.remove_prefix(1);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    ok = false;
    return 0;
  }
  std::string_view Bytes() {
    uint64_t n = Varint();
    if (!ok || n > in.size()) {
      ok = false;
      return {};
    }
    std::string_view out = in.substr(0, n);
    in.remove_prefix(n);
    return out;
  }
};

// google.rpc.Status{code = 1, message = 2}; only these two fields may appear.
struct RpcStatus {
  int64_t code = 0;
  std::string message;
};
std::optional<RpcStatus> DecodeStatusProto(std::string_view body) {
  RpcStatus s;
  Wire w{body};
  while (w.ok && !w.in.empty()) {
    uint64_t tag = w.Varint();
    if (tag == (1 << 3 | 0)) {
      s.code = static_cast<int64_t>(w.Varint());
    } else if (tag == (2 << 3 | 2)) {
      s.message = std::string(w.Bytes());
    } else {
      return std::nullopt;
    }
  }
  if (!w.ok) return std::nullopt;
  return s;
}

// Export*ServiceResponse{partial_success = 1 {rejected = 1, error_message = 2}}.
struct PartialSuccess {
  bool present = false;
  int64_t rejected = 0;
  std::string message;
};
std::optional<PartialSuccess> DecodeExportResponseProto(std::string_view body) {
  PartialSuccess p;
  Wire w{body};
  while (w.ok && !w.in.empty()) {
    if (w.Varint() != (1 << 3 | 2)) return std::nullopt;
    p.present = true;
    Wire inner{w.Bytes()};
    while (w.ok && inner.ok && !inner.in.empty()) {
      uint64_t tag = inner.Varint();
      if (tag == (1 << 3 | 0)) {
        p.rejected = static_cast<int64_t>(inner.Varint());
      } else if (tag == (2 << 3 | 2)) {
        p.message = std::string(inner.Bytes());
      } else {
        return std::nullopt;
      }
    }
    if (!inner.ok) return std::nullopt;
  }
  if (!w.ok) return std::nullopt;
  return p;
}

// ---- The recording sink and the server ----

struct Recorder {
  std::mutex mu;
  std::vector<TracesRequest> traces;
  std::vector<MetricsRequest> metrics;
  std::vector<LogsRequest> logs;
  Status answer = Status::Ok();  // what every sink returns
  OtlpPartial partial;           // what every sink reports on OK

  size_t calls() {
    std::lock_guard lock(mu);
    return traces.size() + metrics.size() + logs.size();
  }
  template <typename R>
  Status Record(std::vector<R>& into, const R& request, OtlpPartial* out) {
    std::lock_guard lock(mu);
    into.push_back(request);
    if (answer.ok()) *out = partial;
    return answer;
  }
  OtlpSinks Sinks() {
    return OtlpSinks{
        .traces = [this](const TracesRequest& r, OtlpPartial* p) { return Record(traces, r, p); },
        .metrics = [this](const MetricsRequest& r, OtlpPartial* p) { return Record(metrics, r, p); },
        .logs = [this](const LogsRequest& r, OtlpPartial* p) { return Record(logs, r, p); },
    };
  }
};

class OtlpHandlerTest : public ::testing::Test {
 protected:
  void StartServer(OtlpConfig config = {}, OtlpSinks sinks = {}, std::vector<http::AuthToken> tokens = {}) {
    if (!sinks.traces && !sinks.metrics && !sinks.logs) sinks = recorder_.Sinks();
    receiver_ = std::make_unique<OtlpReceiver>(config, std::move(sinks), &metrics_);
    http::Router router;
    receiver_->Register(router);
    if (!tokens.empty()) router.AddGuard(std::make_shared<http::AuthGuard>(std::move(tokens), nullptr));
    HttpConfig http_config = http::testing::TestConfig();
    http_config.max_body_bytes = 64 << 20;
    server_ = std::make_unique<http::testing::TestServer>(std::move(router), http_config);
    client_ = std::make_unique<http::BlockingClient>(server_->port());
  }
  http::ClientResponse Post(const std::string& path, std::string_view body, const std::string& type,
                            std::vector<std::pair<std::string, std::string>> headers = {}) {
    return client_->Post(path, body, type, headers);
  }
  uint64_t CounterValue(std::string_view series) {
    std::string text = metrics_.Render();
    size_t at = text.find("\n" + std::string(series) + " ");
    if (at == std::string::npos) return UINT64_MAX;
    return std::stoull(text.substr(at + series.size() + 2));
  }

  Recorder recorder_;
  MetricsRegistry metrics_;
  std::unique_ptr<OtlpReceiver> receiver_;
  std::unique_ptr<http::testing::TestServer> server_;
  std::unique_ptr<http::BlockingClient> client_;
};

TEST_F(OtlpHandlerTest, FullSuccessAnswersAnEmptyResponseInTheRequestsEncoding) {
  StartServer();
  http::ClientResponse p = Post("/v1/traces", TracesProto(), kProto);
  EXPECT_EQ(p.status, 200);
  EXPECT_EQ(p.Header("content-type"), kProto);
  EXPECT_EQ(p.body, "");
  http::ClientResponse j = Post("/v1/traces", TracesJson(), kJson);
  EXPECT_EQ(j.status, 200);
  EXPECT_EQ(j.Header("content-type"), kJson);
  EXPECT_EQ(j.body, "{}");
  ASSERT_EQ(recorder_.traces.size(), 2u);
  EXPECT_EQ(recorder_.traces[0].span_count(), 2u);
  EXPECT_EQ(recorder_.traces[0], recorder_.traces[1]);  // the same content either way
  EXPECT_EQ(recorder_.traces[0].resource_spans[0].resource.service_name(), "checkout");

  EXPECT_EQ(Post("/v1/metrics", MetricsProto(), kProto).status, 200);
  EXPECT_EQ(Post("/v1/metrics", MetricsJson(), "Application/JSON; charset=utf-8").status, 200);
  ASSERT_EQ(recorder_.metrics.size(), 2u);
  EXPECT_EQ(recorder_.metrics[0].data_point_count(), 3u);
  EXPECT_EQ(recorder_.metrics[0], recorder_.metrics[1]);
  EXPECT_EQ(Post("/v1/logs", LogsProto(), kProto).status, 200);
  EXPECT_EQ(Post("/v1/logs", LogsJson(), kJson).status, 200);
  ASSERT_EQ(recorder_.logs.size(), 2u);
  EXPECT_EQ(recorder_.logs[0].log_record_count(), 1u);
  EXPECT_EQ(recorder_.logs[0], recorder_.logs[1]);

  EXPECT_EQ(CounterValue(R"(perfwatch_otlp_requests_total{signal="traces",encoding="protobuf",code="200"})"), 1u);
  EXPECT_EQ(CounterValue(R"(perfwatch_otlp_requests_total{signal="traces",encoding="json",code="200"})"), 1u);
  EXPECT_EQ(CounterValue("perfwatch_otlp_spans_received_total"), 4u);
  EXPECT_EQ(CounterValue("perfwatch_otlp_data_points_received_total"), 6u);
  EXPECT_EQ(CounterValue("perfwatch_otlp_log_records_received_total"), 2u);
  EXPECT_EQ(CounterValue("perfwatch_otlp_spans_rejected_total"), 0u);
}

TEST_F(OtlpHandlerTest, PartialSuccessCarriesTheRejectedCountAndMessage) {
  StartServer();
  recorder_.partial = {2, "2 spans too old"};
  http::ClientResponse p = Post("/v1/traces", TracesProto(), kProto);
  ASSERT_EQ(p.status, 200);
  EXPECT_EQ(p.Header("content-type"), kProto);
  auto decoded = DecodeExportResponseProto(p.body);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_TRUE(decoded->present);
  EXPECT_EQ(decoded->rejected, 2);
  EXPECT_EQ(decoded->message, "2 spans too old");
  http::ClientResponse j = Post("/v1/traces", TracesJson(), kJson);
  ASSERT_EQ(j.status, 200);
  EXPECT_EQ(j.body, R"({"partialSuccess":{"rejectedSpans":"2","errorMessage":"2 spans too old"}})");

  recorder_.partial = {3, "delta \"temporality\""};
  EXPECT_EQ(Post("/v1/metrics", MetricsJson(), kJson).body,
            R"({"partialSuccess":{"rejectedDataPoints":"3","errorMessage":"delta \"temporality\""}})");
  recorder_.partial = {1, ""};
  EXPECT_EQ(Post("/v1/logs", LogsJson(), kJson).body, R"({"partialSuccess":{"rejectedLogRecords":"1"}})");
  decoded = DecodeExportResponseProto(Post("/v1/logs", LogsProto(), kProto).body);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->rejected, 1);
  EXPECT_EQ(decoded->message, "");
  // A warning: nothing rejected, a message.
  recorder_.partial = {0, "deprecated"};
  EXPECT_EQ(Post("/v1/traces", TracesJson(), kJson).body, R"({"partialSuccess":{"errorMessage":"deprecated"}})");
  decoded = DecodeExportResponseProto(Post("/v1/traces", TracesProto(), kProto).body);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_TRUE(decoded->present);
  EXPECT_EQ(decoded->rejected, 0);
  EXPECT_EQ(decoded->message, "deprecated");

  EXPECT_EQ(CounterValue("perfwatch_otlp_spans_rejected_total"), 4u);
  EXPECT_EQ(CounterValue("perfwatch_otlp_data_points_rejected_total"), 3u);
  EXPECT_EQ(CounterValue("perfwatch_otlp_log_records_rejected_total"), 2u);
}

TEST_F(OtlpHandlerTest, LargeRejectedCountsEncodeAsInt64) {
  OtlpPartial big{int64_t{1} << 40, "m"};
  auto decoded = DecodeExportResponseProto(EncodeExportResponseProto(big));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->rejected, int64_t{1} << 40);
  EXPECT_EQ(EncodeExportResponseJson(big, "rejectedSpans"),
            R"({"partialSuccess":{"rejectedSpans":"1099511627776","errorMessage":"m"}})");
  EXPECT_EQ(EncodeExportResponseProto({}), "");
  EXPECT_EQ(EncodeExportResponseJson({}, "rejectedSpans"), "{}");
}

TEST_F(OtlpHandlerTest, BadDataIs400WithAStatusAndReachesNoSink) {
  StartServer();
  for (const std::string path : {"/v1/traces", "/v1/metrics", "/v1/logs"}) {
    SCOPED_TRACE(path);
    http::ClientResponse p = Post(path, "\x0a\x05\x01", kProto);  // a length past the end
    EXPECT_EQ(p.status, 400);
    EXPECT_EQ(p.Header("content-type"), kProto);
    auto st = DecodeStatusProto(p.body);
    ASSERT_TRUE(st.has_value());
    EXPECT_EQ(st->code, 3);
    EXPECT_NE(st->message.find("otlp protobuf"), std::string::npos) << st->message;
    http::ClientResponse j = Post(path, R"({"resourceSpans":[{)", kJson);
    EXPECT_EQ(j.status, 400);
    EXPECT_EQ(j.Header("content-type"), kJson);
    EXPECT_EQ(j.body.rfind(R"({"code":3,"message":")", 0), 0u) << j.body;
  }
  // A trace id of the wrong length: the JSON decoder's message names the field.
  std::string bad = TracesJson();
  bad.replace(bad.find("5b8efff7"), 2, "");
  http::ClientResponse j = Post("/v1/traces", bad, kJson);
  EXPECT_EQ(j.status, 400);
  EXPECT_NE(j.body.find("traceId"), std::string::npos) << j.body;
  EXPECT_EQ(recorder_.calls(), 0u);
  EXPECT_EQ(CounterValue(R"(perfwatch_otlp_requests_total{signal="traces",encoding="json",code="400"})"), 2u);
  EXPECT_EQ(CounterValue("perfwatch_otlp_spans_received_total"), 0u);
  // The next good request is taken as usual (nothing of the bad ones lingers).
  EXPECT_EQ(Post("/v1/traces", TracesJson(), kJson).status, 200);
  ASSERT_EQ(recorder_.traces.size(), 1u);
  EXPECT_EQ(recorder_.traces[0].span_count(), 2u);
}

TEST_F(OtlpHandlerTest, UnsupportedContentTypeOrEncodingIs415) {
  StartServer();
  http::ClientResponse t = Post("/v1/traces", TracesJson(), "text/plain");
  EXPECT_EQ(t.status, 415);
  EXPECT_EQ(t.Header("content-type"), kJson);
  EXPECT_EQ(t.body.rfind(R"({"code":3,"message":"unsupported Content-Type \"text/plain\")", 0), 0u) << t.body;
  EXPECT_EQ(Post("/v1/traces", TracesProto(), "application/protobuf").status, 415);
  http::ClientResponse p = Post("/v1/traces", TracesProto(), kProto, {{"Content-Encoding", "br"}});
  EXPECT_EQ(p.status, 415);
  EXPECT_EQ(p.Header("content-type"), kProto);
  auto st = DecodeStatusProto(p.body);
  ASSERT_TRUE(st.has_value());
  EXPECT_NE(st->message.find("Content-Encoding \"br\""), std::string::npos) << st->message;
  http::ClientResponse j = Post("/v1/metrics", MetricsJson(), kJson, {{"Content-Encoding", "zstd"}});
  EXPECT_EQ(j.status, 415);
  EXPECT_EQ(j.Header("content-type"), kJson);
  EXPECT_EQ(recorder_.calls(), 0u);
  // identity is no encoding.
  EXPECT_EQ(Post("/v1/logs", LogsJson(), kJson, {{"Content-Encoding", "identity"}}).status, 200);
  EXPECT_EQ(CounterValue(R"(perfwatch_otlp_requests_total{signal="traces",encoding="unknown",code="415"})"), 2u);
}

TEST_F(OtlpHandlerTest, GzipBodiesAreDecompressed) {
  StartServer();
  EXPECT_EQ(Post("/v1/traces", Gzip(TracesProto()), kProto, {{"Content-Encoding", "gzip"}}).status, 200);
  EXPECT_EQ(Post("/v1/traces", Gzip(TracesJson()), kJson, {{"Content-Encoding", "GZIP"}}).status, 200);
  ASSERT_EQ(recorder_.traces.size(), 2u);
  EXPECT_EQ(recorder_.traces[0], recorder_.traces[1]);
  EXPECT_EQ(recorder_.traces[0].span_count(), 2u);
  // A corrupt gzip stream is bad data.
  std::string corrupt = Gzip(TracesProto());
  corrupt.resize(corrupt.size() / 2);
  http::ClientResponse c = Post("/v1/traces", corrupt, kProto, {{"Content-Encoding", "gzip"}});
  EXPECT_EQ(c.status, 400);
  auto st = DecodeStatusProto(c.body);
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->code, 3);
  EXPECT_EQ(recorder_.traces.size(), 2u);
}

TEST_F(OtlpHandlerTest, TheBodyLimitAppliesAfterDecompression) {
  OtlpConfig config;
  config.max_body_bytes = 4096;
  StartServer(config);
  // A valid request of ~10 KB that compresses to a few hundred bytes.
  std::string big = R"({"resourceSpans":[{"resource":{"attributes":[{"key":"pad","value":{"stringValue":")" +
                    std::string(10000, 'x') + R"("}}]},"scopeSpans":[]}]})";
  std::string gz = Gzip(big);
  ASSERT_LT(gz.size(), 4096u);
  http::ClientResponse j = Post("/v1/traces", gz, kJson, {{"Content-Encoding", "gzip"}});
  EXPECT_EQ(j.status, 413);
  EXPECT_EQ(j.Header("content-type"), kJson);
  EXPECT_NE(j.body.find("otlp.max_body_bytes"), std::string::npos) << j.body;
  // Uncompressed past the limit, too.
  http::ClientResponse p = Post("/v1/traces", std::string(5000, '\0'), kProto);
  EXPECT_EQ(p.status, 413);
  auto st = DecodeStatusProto(p.body);
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->code, 8);
  EXPECT_EQ(recorder_.calls(), 0u);
  // At the limit it is taken.
  EXPECT_EQ(Post("/v1/traces", Gzip(TracesJson()), kJson, {{"Content-Encoding", "gzip"}}).status, 200);
  EXPECT_EQ(CounterValue(R"(perfwatch_otlp_requests_total{signal="traces",encoding="json",code="413"})"), 1u);
  EXPECT_EQ(CounterValue(R"(perfwatch_otlp_requests_total{signal="traces",encoding="protobuf",code="413"})"), 1u);
}

TEST_F(OtlpHandlerTest, SinkErrorsMapToRetryableOrPermanentCodes) {
  StartServer();
  struct Case {
    Status answer;
    int http;
    int64_t code;
    bool retry_after;
  };
  const Case cases[] = {
      {ResourceExhausted("series limit"), 429, 8, true},
      {Unavailable("write-ahead log closed"), 503, 14, true},
      {Status(StatusCode::kIo, "disk full"), 503, 14, true},
      {Internal("bug"), 500, 13, false},
      {InvalidArgument("no service.name"), 400, 3, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.answer.ToString());
    recorder_.answer = c.answer;
    recorder_.partial = {1, "ignored on failure"};
    http::ClientResponse p = Post("/v1/traces", TracesProto(), kProto);
    EXPECT_EQ(p.status, c.http);
    EXPECT_EQ(p.Header("content-type"), kProto);
    EXPECT_EQ(p.Header("retry-after"), c.retry_after ? "1" : "");
    auto st = DecodeStatusProto(p.body);
    ASSERT_TRUE(st.has_value());
    EXPECT_EQ(st->code, c.code);
    EXPECT_NE(st->message.find(c.answer.message()), std::string::npos) << st->message;
    http::ClientResponse j = Post("/v1/metrics", MetricsJson(), kJson);
    EXPECT_EQ(j.status, c.http);
    EXPECT_EQ(j.Header("retry-after"), c.retry_after ? "1" : "");
    EXPECT_EQ(j.body.rfind(R"({"code":)" + std::to_string(c.code) + R"(,"message":"storing data points failed: )", 0), 0u)
        << j.body;
  }
  EXPECT_EQ(CounterValue(R"(perfwatch_otlp_requests_total{signal="traces",encoding="protobuf",code="503"})"), 2u);
  EXPECT_EQ(CounterValue(R"(perfwatch_otlp_requests_total{signal="metrics",encoding="json",code="429"})"), 1u);
  EXPECT_EQ(CounterValue("perfwatch_otlp_spans_rejected_total"), 10u);  // 5 requests x 2 spans
}

TEST_F(OtlpHandlerTest, AnEmptyRequestSucceedsWithoutTheSink) {
  StartServer();
  EXPECT_EQ(Post("/v1/traces", "", kProto).status, 200);
  EXPECT_EQ(Post("/v1/traces", "{}", kJson).body, "{}");
  EXPECT_EQ(Post("/v1/metrics", R"({"resourceMetrics":[{"scopeMetrics":[]}]})", kJson).status, 200);
  EXPECT_EQ(recorder_.calls(), 0u);
}

TEST_F(OtlpHandlerTest, OnlySignalsWithASinkHaveARoute) {
  Recorder only_traces;
  OtlpSinks sinks;
  sinks.traces = [&](const TracesRequest& r, OtlpPartial* p) { return only_traces.Record(only_traces.traces, r, p); };
  MetricsRegistry metrics;
  OtlpReceiver receiver(OtlpConfig{}, sinks, &metrics);
  EXPECT_TRUE(receiver.serves_any());
  http::Router router;
  receiver.Register(router);
  EXPECT_EQ(router.route_count(), 1u);
  http::Router::Match m = router.Find("POST", "/v1/traces");
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(m.options->scope, http::Scope::kIngest);
  EXPECT_EQ(m.options->route_class, http::RouteClass::kIngest);
  EXPECT_EQ(router.Find("POST", "/v1/metrics").handler, nullptr);
  EXPECT_EQ(router.Find("POST", "/v1/logs").handler, nullptr);
  EXPECT_FALSE(OtlpReceiver(OtlpConfig{}, OtlpSinks{}, &metrics).serves_any());
}

TEST_F(OtlpHandlerTest, TheIngestScopeIsRequired) {
  std::vector<http::AuthToken> tokens = {{"writer", http::Sha256("w-secret"), http::ScopeBit(http::Scope::kIngest)},
                                         {"reader", http::Sha256("r-secret"), http::ScopeBit(http::Scope::kRead)}};
  StartServer(OtlpConfig{}, {}, tokens);
  EXPECT_EQ(Post("/v1/traces", TracesProto(), kProto).status, 401);
  EXPECT_EQ(Post("/v1/traces", TracesProto(), kProto, {{"Authorization", "Bearer r-secret"}}).status, 403);
  EXPECT_EQ(recorder_.calls(), 0u);
  EXPECT_EQ(Post("/v1/traces", TracesProto(), kProto, {{"Authorization", "Bearer w-secret"}}).status, 200);
  EXPECT_EQ(recorder_.calls(), 1u);
}

TEST_F(OtlpHandlerTest, StatusBodiesAreValid) {
  auto st = DecodeStatusProto(EncodeStatusProto(14, "try later"));
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->code, 14);
  EXPECT_EQ(st->message, "try later");
  // Bytes that are not printable ASCII (e.g. echoed from a header) never reach the body.
  EXPECT_EQ(EncodeStatusJson(3, "bad \"\xff\x01\""), R"({"code":3,"message":"bad \"??\""})");
}

// SetMaxBodyBytes (otlp.max_body_bytes reloaded): from the next request; a bad one never
// reaches the handler (the reload checks ValidateConfig's minimum first).
TEST_F(OtlpHandlerTest, SetMaxBodyBytesAppliesToTheNextRequest) {
  OtlpConfig config;
  config.max_body_bytes = 64 << 10;
  StartServer(config);
  const std::string body = std::string(5000, '\0');  // over 4096, under 64 KiB: not a valid request
  http::ClientResponse before = Post("/v1/traces", body, kProto);
  EXPECT_NE(before.status, 413);
  receiver_->SetMaxBodyBytes(4096);
  EXPECT_EQ(receiver_->max_body_bytes(), 4096u);
  http::ClientResponse after = Post("/v1/traces", body, kProto);
  EXPECT_EQ(after.status, 413);
  EXPECT_EQ(Post("/v1/traces", TracesProto(), kProto).status, 200);
  receiver_->SetMaxBodyBytes(64 << 10);
  EXPECT_NE(Post("/v1/traces", body, kProto).status, 413);
}

}  // namespace
}  // namespace perfwatch::ingest::otlp
