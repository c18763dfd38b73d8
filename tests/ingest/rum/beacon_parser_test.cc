#include "ingest/rum/beacon_parser.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <string>

namespace perfwatch::ingest {
namespace {

using events::EventType;
using events::Vital;

constexpr int64_t kNow = 1700000100000;  // 100 s after the example's timestamp

constexpr std::string_view kDesignExample =
    R"({"type":"vital","name":"LCP","value":2345.6,"rating":"good","delta":2345.6,"id":"v4-1",
 "navigationType":"navigate","sessionId":"1700000000000-abc","url":"https://shop.example/p/42?q=1",
 "timestamp":1700000000000,"userAgent":"Mozilla/5.0 ...","connection":"4g",
 "deviceMemory":8,"hardwareConcurrency":8})";

constexpr std::string_view kIPhoneUa =
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.1 Mobile/15E148 Safari/604.1";

bool IsValidJson(std::string_view s) {
  simdjson::dom::parser p;
  simdjson::padded_string ps(s);
  simdjson::dom::element e;
  return !p.parse(ps).get(e);
}

class BeaconParserTest : public ::testing::Test {
 protected:
  void SetUp() override { Rebuild(); }
  void Rebuild() {
    templater_ = std::shared_ptr<const RouteTemplater>(RouteTemplater::Create(config_.route_rules).value());
    parser_ = std::make_unique<BeaconParser>(config_, templater_);
  }
  ParsedBatch Parse(std::string_view body) { return parser_->Parse(body, context_); }

  // Parses a single beacon expected to be rejected; returns its rejection.
  BeaconRejection RejectOne(std::string_view body) {
    ParsedBatch b = Parse(body);
    EXPECT_TRUE(b.events.empty()) << body;
    EXPECT_EQ(b.rejections.size(), 1u) << body;
    if (b.rejections.empty()) return {};
    return b.rejections[0];
  }
  const events::EventInput& AcceptOne(std::string_view body) {
    ParsedBatch b = Parse(body);
    EXPECT_TRUE(b.rejections.empty()) << body << ": " << (b.rejections.empty() ? "" : b.rejections[0].reason);
    EXPECT_EQ(b.events.size(), 1u) << body;
    static const events::EventInput kEmpty;
    return b.events.empty() ? kEmpty : b.events[0];
  }

  RumConfig config_;
  std::shared_ptr<const RouteTemplater> templater_;
  std::unique_ptr<BeaconParser> parser_;
  BeaconContext context_{kNow, "", ""};
};

TEST_F(BeaconParserTest, QueryStringsAndFragmentsAreStrippedUnlessKept) {
  EXPECT_EQ(AcceptOne(R"({"name":"LCP","value":1,"url":"/a?email=x@y.z#frag"})").url, "/a");
  EXPECT_EQ(AcceptOne(R"({"name":"LCP","value":1,"url":"/b#only?frag"})").url, "/b");
  EXPECT_EQ(AcceptOne(R"({"name":"LCP","value":1,"url":"?q"})").url, "");
  config_.keep_query_strings = true;
  Rebuild();
  EXPECT_EQ(AcceptOne(R"({"name":"LCP","value":1,"url":"/a?email=x@y.z#frag"})").url, "/a?email=x@y.z#frag");
}

TEST_F(BeaconParserTest, DesignExampleVerbatim) {
  const events::EventInput& ev = AcceptOne(kDesignExample);
  EXPECT_EQ(ev.type, EventType::kVital);
  EXPECT_EQ(ev.vital, Vital::kLCP);
  EXPECT_EQ(ev.name, "LCP");
  EXPECT_DOUBLE_EQ(ev.value, 2345.6);
  EXPECT_EQ(ev.time_ms, 1700000000000);
  EXPECT_EQ(ev.received_ms, kNow);
  EXPECT_EQ(ev.dims[events::kApp], "default");
  EXPECT_EQ(ev.dims[events::kPage], "/p/:id");
  EXPECT_EQ(ev.dims[events::kDevice], "desktop");
  EXPECT_EQ(ev.dims[events::kConnection], "4g");
  EXPECT_EQ(ev.dims[events::kBrowser], "other");
  EXPECT_EQ(ev.url, "https://shop.example/p/42");  // no query string unless rum.keep_query_strings
  EXPECT_EQ(ev.user_agent, "Mozilla/5.0 ...");
  EXPECT_EQ(ev.session_id, "1700000000000-abc");
  EXPECT_EQ(ev.id, "v4-1");
  EXPECT_EQ(ev.navigation_type, "navigate");
  EXPECT_EQ(ev.rating, "good");
  EXPECT_EQ(ev.attrs_json, R"({"delta":2345.6,"deviceMemory":8,"hardwareConcurrency":8})");
}

TEST_F(BeaconParserTest, BareWebVitalsCallbackIsAVital) {
  const events::EventInput& ev =
      AcceptOne(R"({"name":"CLS","value":0.05,"rating":"good","delta":0.05,"id":"v4-2","entries":[],"navigationType":"reload"})");
  EXPECT_EQ(ev.type, EventType::kVital);
  EXPECT_EQ(ev.vital, Vital::kCLS);
  EXPECT_DOUBLE_EQ(ev.value, 0.05);
  EXPECT_EQ(ev.time_ms, kNow);  // no timestamp
  EXPECT_EQ(ev.dims[events::kPage], "unknown");
  EXPECT_EQ(ev.dims[events::kConnection], "unknown");
  EXPECT_EQ(ev.attrs_json, R"({"delta":0.05,"entries":[]})");
}

TEST_F(BeaconParserTest, EveryVitalName) {
  for (std::string_view name : {"LCP", "INP", "CLS", "FCP", "TTFB", "FID"}) {
    std::string body = R"({"name":")" + std::string(name) + R"(","value":1})";
    EXPECT_EQ(AcceptOne(body).name, name);
  }
}

TEST_F(BeaconParserTest, ArrayAndEmptyArray) {
  ParsedBatch b = Parse(R"([{"name":"LCP","value":1},{"name":"INP","value":2}])");
  ASSERT_EQ(b.events.size(), 2u);
  EXPECT_EQ(b.events[1].vital, Vital::kINP);
  EXPECT_FALSE(b.body_rejected);

  b = Parse("[]");
  EXPECT_TRUE(b.events.empty());
  EXPECT_TRUE(b.rejections.empty());
  EXPECT_FALSE(b.body_rejected);
  b = Parse(" [ ] \n");
  EXPECT_TRUE(b.rejections.empty());
}

TEST_F(BeaconParserTest, MixedBatchKeepsValidBeacons) {
  ParsedBatch b = Parse(R"([{"name":"LCP","value":1},{"name":"XYZ","value":1},7,
      {"type":"navigation","url":"/a/1","dns":3},{"name":"LCP","value":-1}])");
  ASSERT_EQ(b.events.size(), 2u);
  EXPECT_EQ(b.events[1].type, EventType::kNavigation);
  EXPECT_EQ(b.events[1].dims[events::kPage], "/a/:id");
  EXPECT_EQ(b.events[1].attrs_json, R"({"dns":3})");
  ASSERT_EQ(b.rejections.size(), 3u);
  EXPECT_EQ(b.rejections[0].index, 1);
  EXPECT_EQ(b.rejections[0].code, RejectCode::kUnknownVital);
  EXPECT_EQ(b.rejections[1].index, 2);
  EXPECT_EQ(b.rejections[1].code, RejectCode::kNotObject);
  EXPECT_EQ(b.rejections[2].index, 4);
  EXPECT_EQ(b.rejections[2].code, RejectCode::kBadValue);
}

struct RejectCase {
  const char* body;
  RejectCode code;
  const char* reason;
};

TEST_F(BeaconParserTest, PerBeaconRejections) {
  const RejectCase cases[] = {
      {R"(42)", RejectCode::kNotObject, "body must be a JSON object or array"},
      {R"(["x"])", RejectCode::kNotObject, "beacon must be a JSON object"},
      {R"({"type":"foo"})", RejectCode::kUnknownType, R"(unknown type "foo")"},
      {R"({"type":7,"name":"LCP","value":1})", RejectCode::kBadFieldType, "type must be a string"},
      {R"({"foo":1})", RejectCode::kUnknownType, "missing type"},
      {R"({})", RejectCode::kUnknownType, "missing type"},
      {R"({"name":"XYZ","value":1})", RejectCode::kUnknownVital, R"(unknown vital "XYZ")"},
      {R"({"name":"lcp","value":1})", RejectCode::kUnknownVital, R"(unknown vital "lcp")"},
      {R"({"type":"vital","value":1})", RejectCode::kUnknownVital, "missing vital name"},
      {R"({"name":5,"value":1})", RejectCode::kUnknownVital, "vital name must be a string"},
      {R"({"name":"LCP"})", RejectCode::kBadValue, "missing value"},
      {R"({"type":"vital","name":"LCP"})", RejectCode::kBadValue, "missing value"},
      {R"({"name":"LCP","value":"2345"})", RejectCode::kBadValue, "value must be a finite number >= 0"},
      {R"({"name":"LCP","value":"NaN"})", RejectCode::kBadValue, "value must be a finite number >= 0"},
      {R"({"name":"LCP","value":"Infinity"})", RejectCode::kBadValue, "value must be a finite number >= 0"},
      {R"({"name":"LCP","value":null})", RejectCode::kBadValue, "value must be a finite number >= 0"},
      {R"({"name":"LCP","value":true})", RejectCode::kBadValue, "value must be a finite number >= 0"},
      {R"({"name":"LCP","value":-0.5})", RejectCode::kBadValue, "value must be a finite number >= 0"},
      {R"({"name":"LCP","value":1e999})", RejectCode::kBadValue, "value must be a finite number >= 0"},
      {R"({"name":"LCP","value":-1e999})", RejectCode::kBadValue, "value must be a finite number >= 0"},
      {R"({"type":"long-task","value":-3})", RejectCode::kBadValue, "value must be a finite number >= 0"},
      {R"({"type":"measure","value":"x"})", RejectCode::kBadValue, "value must be a finite number"},
      {R"({"name":"LCP","value":1,"url":42})", RejectCode::kBadFieldType, "url must be a string"},
      {R"({"name":"LCP","value":1,"url":null})", RejectCode::kBadFieldType, "url must be a string"},
      {R"({"name":"LCP","value":1,"timestamp":"1700000000000"})", RejectCode::kBadFieldType,
       "timestamp must be a number"},
      {R"({"name":"LCP","value":1,"timestamp":null})", RejectCode::kBadFieldType,
       "timestamp must be a number"},
      {R"({"name":"LCP","value":1,"timestamp":1e999})", RejectCode::kBadFieldType,
       "timestamp must be a number"},
      {R"({"name":"LCP","value":1,"sessionId":123})", RejectCode::kBadFieldType,
       "sessionId must be a string"},
  };
  for (const RejectCase& c : cases) {
    BeaconRejection r = RejectOne(c.body);
    EXPECT_EQ(r.code, c.code) << c.body << " -> " << r.reason;
    EXPECT_EQ(r.reason, c.reason) << c.body;
  }
}

TEST_F(BeaconParserTest, WholeBodyFailures) {
  const RejectCase cases[] = {
      {"", RejectCode::kInvalidJson, "invalid JSON: empty body"},
      {"   ", RejectCode::kInvalidJson, "invalid JSON: empty body"},
      {R"({"name":"LCP","val)", RejectCode::kInvalidJson, nullptr},
      {R"([{"name":"LCP","value":1})", RejectCode::kInvalidJson, nullptr},
      {R"({"name":"LCP","value":1}})", RejectCode::kInvalidJson, nullptr},
      {R"({"name":"LCP","value":1} {})", RejectCode::kInvalidJson, nullptr},
      {R"({"name":"LCP","value":01})", RejectCode::kInvalidJson, "invalid JSON: bad number"},
      {R"({"name":"LCP","value":tru})", RejectCode::kInvalidJson, nullptr},
      {R"({"name":"L\qCP","value":1})", RejectCode::kInvalidJson, nullptr},
      {"{\"name\":\"LCP\xff\",\"value\":1}", RejectCode::kInvalidUtf8, "body is not valid UTF-8"},
      {"{\"name\":\"\xc3\x28\",\"value\":1}", RejectCode::kInvalidUtf8, "body is not valid UTF-8"},
      {R"("just a string")", RejectCode::kNotObject, "body must be a JSON object or array"},
      {"null", RejectCode::kNotObject, "body must be a JSON object or array"},
  };
  for (const RejectCase& c : cases) {
    ParsedBatch b = Parse(c.body);
    ASSERT_TRUE(b.body_rejected) << c.body;
    ASSERT_EQ(b.rejections.size(), 1u);
    EXPECT_TRUE(b.events.empty());
    EXPECT_EQ(b.rejections[0].index, -1);
    EXPECT_EQ(b.rejections[0].code, c.code) << c.body << " -> " << b.rejections[0].reason;
    if (c.reason) {
      EXPECT_EQ(b.rejections[0].reason, c.reason) << c.body;
    }
  }
}

std::string Nested(int depth, std::string_view inner) {
  // `depth` containers in total: an array wrapping (depth - 1) levels around a beacon.
  std::string s;
  for (int i = 0; i < depth - 1; ++i) s += "[";
  s += inner;
  for (int i = 0; i < depth - 1; ++i) s += "]";
  return s;
}

TEST_F(BeaconParserTest, NestingDepthLimit) {
  // 64 nested containers are fine (the inner beacons are rejected as not objects), 65 are not.
  for (std::string_view innermost : {"[]", "[1]", "{}", R"({"a":1})"}) {
    ParsedBatch b = Parse(Nested(64, innermost));
    EXPECT_FALSE(b.body_rejected) << innermost << ": " << b.rejections[0].reason;
    b = Parse(Nested(65, innermost));
    ASSERT_TRUE(b.body_rejected) << innermost;
    EXPECT_EQ(b.rejections[0].code, RejectCode::kTooDeep);
    EXPECT_EQ(b.rejections[0].reason, "JSON nesting deeper than 64 levels");
  }
  // Deep attributes inside an accepted beacon: 64 levels in total are kept.
  std::string deep = R"({"name":"LCP","value":1,"attribution":)" + Nested(63, "[]") + "}";
  EXPECT_EQ(Parse(deep).events.size(), 1u);
  deep = R"({"name":"LCP","value":1,"attribution":)" + Nested(64, "[]") + "}";
  EXPECT_TRUE(Parse(deep).body_rejected);
  // Far deeper than simdjson's own limit.
  ParsedBatch b = Parse(Nested(100000, "[]"));
  ASSERT_TRUE(b.body_rejected);
  EXPECT_EQ(b.rejections[0].code, RejectCode::kTooDeep);
}

TEST_F(BeaconParserTest, TooManyBeacons) {
  auto batch = [](int n) {
    std::string s = "[";
    for (int i = 0; i < n; ++i) s += std::string(i ? "," : "") + R"({"name":"LCP","value":1})";
    return s + "]";
  };
  ParsedBatch b = Parse(batch(1000));
  EXPECT_EQ(b.events.size(), 1000u);
  EXPECT_FALSE(b.body_rejected);
  b = Parse(batch(1001));
  ASSERT_TRUE(b.body_rejected);
  EXPECT_EQ(b.rejections[0].code, RejectCode::kTooMany);
  EXPECT_EQ(b.rejections[0].index, -1);
  EXPECT_EQ(b.rejections[0].reason, "too many beacons: more than 1000");
}

TEST_F(BeaconParserTest, OutOfRangeNumbersOnlyRejectTheirBeacon) {
  ParsedBatch b = Parse(
      R"([{"name":"LCP","value":1e999},{"name":"LCP","value":1,"big":123456789012345678901234567890,"huge":1e400,"tiny":1e-400},{"name":"INP","value":2}])");
  ASSERT_FALSE(b.body_rejected);
  ASSERT_EQ(b.events.size(), 2u);
  ASSERT_EQ(b.rejections.size(), 1u);
  EXPECT_EQ(b.rejections[0].index, 0);
  EXPECT_EQ(b.rejections[0].code, RejectCode::kBadValue);
  EXPECT_TRUE(IsValidJson(b.events[0].attrs_json)) << b.events[0].attrs_json;
  EXPECT_EQ(b.events[0].attrs_json, R"({"big":1.2345678901234568e+29,"huge":null,"tiny":0})");
}

// Fuzz regression (beacon_parser_fuzzer): a repaired 22-digit integer came back from
// simdjson as a double whose shortest form is a 22-digit integer again, which strict JSON
// readers reject. Large doubles are written with an exponent.
TEST_F(BeaconParserTest, FuzzRegressionHugeDoubleInAttrs) {
  ParsedBatch b = Parse(
      R"([{"Nnlue":0e998},{"name":"INP","value":1,"big":1234567898901234567891,"s":"\ud83d"}])");
  ASSERT_FALSE(b.body_rejected);
  ASSERT_EQ(b.events.size(), 1u);
  EXPECT_TRUE(IsValidJson(b.events[0].attrs_json)) << b.events[0].attrs_json;
  EXPECT_EQ(b.events[0].attrs_json, "{\"big\":1.2345678989012346e+21,\"s\":\"\xEF\xBF\xBD\"}");
  const auto& ev = AcceptOne(R"({"name":"LCP","value":1,"a":1e21,"b":-3.5e300,"c":123456789.25})");
  EXPECT_EQ(ev.attrs_json, R"({"a":1e+21,"b":-3.5e+300,"c":123456789.25})");
}

TEST_F(BeaconParserTest, LoneSurrogateDoesNotSinkTheBatch) {
  ParsedBatch b = Parse(
      R"([{"type":"error","message":"cut \ud83d","value":0},{"name":"LCP","value":1,"ok":"\ud83d\ude00"}])");
  ASSERT_FALSE(b.body_rejected) << b.rejections[0].reason;
  ASSERT_EQ(b.events.size(), 2u);
  EXPECT_EQ(b.events[0].attrs_json, "{\"message\":\"cut \xEF\xBF\xBD\"}");
  EXPECT_EQ(b.events[1].attrs_json, "{\"ok\":\"\xF0\x9F\x98\x80\"}");
}

TEST_F(BeaconParserTest, TimestampRules) {
  auto time_of = [&](std::string ts) {
    return AcceptOne(R"({"name":"LCP","value":1,"timestamp":)" + ts + "}").time_ms;
  };
  const int64_t day = 24LL * 3600 * 1000;
  EXPECT_EQ(time_of(std::to_string(kNow - 5000)), kNow - 5000);          // recent
  EXPECT_EQ(time_of(std::to_string(kNow - day)), kNow - day);            // exactly 24 h: kept
  EXPECT_EQ(time_of(std::to_string(kNow - day - 1)), kNow);              // older: receive time
  EXPECT_EQ(time_of(std::to_string(kNow + 60000)), kNow);                // future: clamped
  EXPECT_EQ(time_of("1700000000"), kNow);                                // seconds: far too old
  EXPECT_EQ(time_of("-5"), kNow);
  EXPECT_EQ(time_of("1e300"), kNow);
  EXPECT_EQ(time_of(std::to_string(kNow - 1000) + ".75"), kNow - 1000);  // fraction dropped
}

TEST_F(BeaconParserTest, AppPrecedence) {
  EXPECT_EQ(AcceptOne(R"({"name":"LCP","value":1})").dims[events::kApp], "default");
  context_.query_app = "fromquery";
  EXPECT_EQ(AcceptOne(R"({"name":"LCP","value":1})").dims[events::kApp], "fromquery");
  EXPECT_EQ(AcceptOne(R"({"name":"LCP","value":1,"app":"shop"})").dims[events::kApp], "shop");
  EXPECT_EQ(AcceptOne(R"({"name":"LCP","value":1,"app":""})").dims[events::kApp], "fromquery");
  context_.query_app = "";
  config_.default_app = "mysite";
  Rebuild();
  EXPECT_EQ(AcceptOne(R"({"name":"LCP","value":1})").dims[events::kApp], "mysite");
  // A non-string app is kept as an attribute, not used.
  const auto& ev = AcceptOne(R"({"name":"LCP","value":1,"app":5})");
  EXPECT_EQ(ev.dims[events::kApp], "mysite");
  EXPECT_EQ(ev.attrs_json, R"({"app":5})");
}

TEST_F(BeaconParserTest, DevicesAndBrowsers) {
  std::string body = R"({"name":"LCP","value":1,"userAgent":")" + std::string(kIPhoneUa) + R"("})";
  const auto& ev = AcceptOne(body);
  EXPECT_EQ(ev.dims[events::kDevice], "mobile");
  EXPECT_EQ(ev.dims[events::kBrowser], "Safari");
  // Header fallback.
  context_.header_user_agent =
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0";
  const auto& ev2 = AcceptOne(R"({"name":"LCP","value":1})");
  EXPECT_EQ(ev2.dims[events::kDevice], "desktop");
  EXPECT_EQ(ev2.dims[events::kBrowser], "Firefox");
  EXPECT_EQ(ev2.user_agent, context_.header_user_agent);
  // The beacon's own wins, also across a batch using both (the classifier cache).
  ParsedBatch b = Parse("[" + body + R"(,{"name":"LCP","value":1},)" + body + "]");
  ASSERT_EQ(b.events.size(), 3u);
  EXPECT_EQ(b.events[0].dims[events::kBrowser], "Safari");
  EXPECT_EQ(b.events[1].dims[events::kBrowser], "Firefox");
  EXPECT_EQ(b.events[2].dims[events::kBrowser], "Safari");
}

TEST_F(BeaconParserTest, AttrsKeepUnknownFieldsAsValidJson) {
  const auto& ev = AcceptOne(R"({"type":"navigation","url":"https://x.example/a/b/",
      "dns":1.5,"tcp":0,"ttfb":200,"download":3,"domParsing":50,"domComplete":400,"load":420,
      "weird key \"q\"":"line\nbreak \u0001","nested":{"a":[1,2,{"b":null}],"t":true,"f":false},
      "big":18446744073709551615,"neg":-9223372036854775808,"rating":7})");
  EXPECT_EQ(ev.type, EventType::kNavigation);
  EXPECT_TRUE(std::isnan(ev.value));
  EXPECT_EQ(ev.dims[events::kPage], "/a/b");
  EXPECT_TRUE(ev.rating.empty());
  EXPECT_TRUE(IsValidJson(ev.attrs_json)) << ev.attrs_json;
  EXPECT_EQ(ev.attrs_json,
            R"({"dns":1.5,"tcp":0,"ttfb":200,"download":3,"domParsing":50,"domComplete":400,"load":420,)"
            R"("weird key \"q\"":"line\nbreak \u0001","nested":{"a":[1,2,{"b":null}],"t":true,"f":false},)"
            R"("big":18446744073709551615,"neg":-9223372036854775808,"rating":7})");
}

TEST_F(BeaconParserTest, OtherTypes) {
  struct TypeCase {
    const char* body;
    EventType type;
  };
  const TypeCase cases[] = {
      {R"({"type":"slow-resources","entries":[{"name":"/a.js","duration":900}]})", EventType::kResource},
      {R"({"type":"resource","value":12})", EventType::kResource},
      {R"({"type":"long-task","value":120})", EventType::kLongTask},
      {R"({"type":"error","message":"boom","stack":"at x"})", EventType::kError},
      {R"({"type":"unhandled-rejection","reason":"nope"})", EventType::kUnhandledRejection},
      {R"({"type":"session-end","metrics":{"LCP":1200,"CLS":0.01}})", EventType::kSessionEnd},
      {R"({"type":"memory","value":52428800})", EventType::kMemory},
      {R"({"type":"journey","name":"checkout","value":5300,"steps":["cart","pay"]})", EventType::kJourney},
      {R"({"type":"measure","name":"hydrate","value":-12.5})", EventType::kMeasure},
  };
  for (const TypeCase& c : cases) {
    const auto& ev = AcceptOne(c.body);
    EXPECT_EQ(ev.type, c.type) << c.body;
    EXPECT_EQ(ev.vital, Vital::kNone);
    EXPECT_TRUE(ev.attrs_json.empty() || IsValidJson(ev.attrs_json)) << ev.attrs_json;
  }
  const auto& journey = AcceptOne(cases[7].body);
  EXPECT_EQ(journey.name, "checkout");
  EXPECT_EQ(journey.value, 5300);
  EXPECT_EQ(journey.attrs_json, R"({"steps":["cart","pay"]})");
  // A non-string name of a non-vital is kept as an attribute.
  EXPECT_EQ(AcceptOne(R"({"type":"error","name":404})").attrs_json, R"({"name":404})");
}

TEST_F(BeaconParserTest, AttrsAreCapped) {
  std::string big(6000, 'x');
  std::string body = R"({"name":"LCP","value":1,"a":")" + big + R"(","b":")" + big + R"(","c":")" +
                     big + R"(","d":1})";
  const auto& ev = AcceptOne(body);
  EXPECT_LE(ev.attrs_json.size(), BeaconParser::kMaxAttrsBytes);
  EXPECT_TRUE(IsValidJson(ev.attrs_json));
  EXPECT_NE(ev.attrs_json.find(R"("b":)"), std::string::npos);
  EXPECT_EQ(ev.attrs_json.find(R"("c":)"), std::string::npos);
  EXPECT_EQ(ev.attrs_json.find(R"("d":)"), std::string::npos);  // later fields dropped too
  EXPECT_TRUE(ev.attrs_json.ends_with(R"(,"_truncated":true})"));
  // A single oversized field.
  const auto& ev2 = AcceptOne(R"({"name":"LCP","value":1,"a":")" + std::string(20000, 'y') + R"("})");
  EXPECT_EQ(ev2.attrs_json, R"({"_truncated":true})");
}

TEST_F(BeaconParserTest, DimsAreCutAndDefaulted) {
  const auto& ev = AcceptOne(R"({"name":"LCP","value":1,"connection":"","app":")" +
                             std::string(300, 'a') + R"("})");
  EXPECT_EQ(ev.dims[events::kConnection], "unknown");
  EXPECT_EQ(ev.dims[events::kApp].size(), BeaconParser::kMaxDimBytes);
  EXPECT_EQ(AcceptOne(R"({"name":"LCP","value":1,"url":""})").dims[events::kPage], "unknown");
}

TEST_F(BeaconParserTest, DuplicateKeysLastWins) {
  const auto& ev = AcceptOne(R"({"name":"LCP","value":1,"value":2,"x":1,"x":2})");
  EXPECT_EQ(ev.value, 2);
  EXPECT_EQ(ev.attrs_json, R"({"x":1,"x":2})");
}

TEST_F(BeaconParserTest, ResultsSurviveLargeBatchesAndReuse) {
  std::string body = "[";
  for (int i = 0; i < 500; ++i) {
    if (i) body += ",";
    body += R"({"name":"LCP","value":)" + std::to_string(i) + R"(,"url":"/p/)" + std::to_string(i) +
            R"(/x)" + std::to_string(i) + R"(","extra":)" + std::to_string(i) + "}";
  }
  body += "]";
  for (int round = 0; round < 3; ++round) {
    ParsedBatch b = Parse(body);
    ASSERT_EQ(b.events.size(), 500u);
    for (int i = 0; i < 500; ++i) {
      EXPECT_EQ(b.events[i].dims[events::kPage], "/p/:id/x" + std::to_string(i));
      EXPECT_EQ(b.events[i].attrs_json, R"({"extra":)" + std::to_string(i) + "}");
    }
  }
}

}  // namespace
}  // namespace perfwatch::ingest
