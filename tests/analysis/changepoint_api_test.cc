#include "analysis/changepoint_api.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace perfwatch::analysis {
namespace {

std::string Call(http::Router& router, std::string body, int* status) {
  http::Request req;
  req.method = "POST";
  req.path = "/api/v1/analysis/changepoints";
  req.body = body;
  http::Response res;
  auto m = router.Find("POST", "/api/v1/analysis/changepoints");
  EXPECT_NE(m.handler, nullptr);
  (*m.handler)(req, res);
  *status = res.status;
  return res.body;
}

TEST(ChangepointApiTest, FindsTheShiftAndEchoesTheTimestamp) {
  std::string values, times;
  for (int i = 0; i < 40; ++i) {
    if (i) values += ',', times += ',';
    values += i < 20 ? (i % 2 ? "100" : "101") : (i % 2 ? "130" : "131");
    times += std::to_string(1700000000 + 60 * i);
  }
  http::Router router;
  RegisterChangepointHandler(router);
  int status = 0;
  std::string body = Call(router, "{\"values\":[" + values + "],\"timestamps\":[" + times + "]}", &status);
  EXPECT_EQ(status, 200);
  std::string cp =
      "{\"index\":20,\"time\":1700001200,\"before_mean\":100.5,\"after_mean\":130.5,\"change\":0.29850746268656714,"
      "\"p_value\":";
  EXPECT_NE(body.find("\"data\":{\"changepoints\":[" + cp), std::string::npos) << body;
  EXPECT_NE(body.find("},\"changepoints\":[" + cp), std::string::npos) << body;
}

TEST(ChangepointApiTest, StringTimestampsAndOptions) {
  auto r = ParseChangepointRequest(
      R"({"values":[1,2,3],"timestamps":["2026-12-01","b\"c",null],"min_segment":3,"window":9,"max_p_value":0.01,"min_magnitude":0.2,"other":1})");
  ASSERT_FALSE(r.ok());  // null is not a timestamp
  r = ParseChangepointRequest(
      R"({"values":[1,2.5,-3],"timestamps":["2026-12-01","b\"c",7],"min_segment":3,"window":9,"max_p_value":0.01,"min_magnitude":0.2,"other":1})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->values, (std::vector<double>{1, 2.5, -3}));
  EXPECT_EQ(r->timestamps, (std::vector<std::string>{"\"2026-12-01\"", "\"b\\\"c\"", "7"}));
  EXPECT_EQ(r->options.min_segment, 3);
  EXPECT_EQ(r->options.window, 9);
  EXPECT_DOUBLE_EQ(r->options.max_p_value, 0.01);
  EXPECT_DOUBLE_EQ(r->options.min_magnitude, 0.2);
}

TEST(ChangepointApiTest, ServerDefaultsApplyToOptionsTheBodyLeavesOut) {
  ChangepointOptions defaults{.min_segment = 4, .window = 20, .max_p_value = 0.01, .min_magnitude = 0.5};
  auto r = ParseChangepointRequest(R"({"values":[1],"window":30})", defaults);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->options.min_segment, 4);
  EXPECT_EQ(r->options.window, 30);
  EXPECT_DOUBLE_EQ(r->options.max_p_value, 0.01);
  EXPECT_DOUBLE_EQ(r->options.min_magnitude, 0.5);
  // Registered with defaults: a 30 % step is below the configured 50 % magnitude.
  http::Router router;
  RegisterChangepointHandler(router, defaults);
  std::string values;
  for (int i = 0; i < 40; ++i) values += std::string(i ? "," : "") + (i < 20 ? "100" : "130");
  int status = 0;
  std::string body = Call(router, "{\"values\":[" + values + "]}", &status);
  EXPECT_EQ(status, 200);
  EXPECT_NE(body.find("\"changepoints\":[]"), std::string::npos) << body;
}

TEST(ChangepointApiTest, BadInputIsNamed) {
  struct Case {
    const char* body;
    const char* message_part;
  } cases[] = {
      {"", "invalid JSON"},
      {"[1,2]", "must be a JSON object"},
      {"{}", "is required"},
      {R"({"values":"1,2"})", "must be an array of numbers"},
      {R"({"values":[1,"x"]})", "values[1] must be a number"},
      {R"({"values":[1,2],"timestamps":[1]})", "has 1 entries for 2 values"},
      {R"({"values":[1],"min_segment":1})", "min_segment must be at least 2"},
      {R"({"values":[1],"min_segment":2.5})", "must be an integer"},
      {R"({"values":[1],"max_p_value":2})", "max_p_value must be in (0, 1)"},
  };
  http::Router router;
  RegisterChangepointHandler(router);
  // (messages are compared without their quotes, which the JSON answer escapes)
  for (const Case& c : cases) {
    int status = 0;
    std::string body = Call(router, c.body, &status);
    EXPECT_EQ(status, 400) << c.body;
    EXPECT_NE(body.find("\"errorType\":\"bad_data\""), std::string::npos) << body;
    EXPECT_NE(body.find(c.message_part), std::string::npos) << c.body << " -> " << body;
  }
}

TEST(ChangepointApiTest, ChangeFromZeroRendersNull) {
  std::string out = RenderChangepointList({Changepoint{.index = 3, .before_mean = 0, .after_mean = 2,
                                                       .change = INFINITY, .p_value = 0}},
                                          {});
  EXPECT_EQ(out, R"([{"index":3,"time":null,"before_mean":0,"after_mean":2,"change":null,"p_value":0}])");
}

// Reload of analysis.changepoint: the handler reads ChangepointDefaults at each request.
TEST(ChangepointApiTest, ReplacedDefaultsApplyToTheNextRequest) {
  std::string values;
  for (int i = 0; i < 40; ++i) {
    if (i) values += ',';
    values += i < 20 ? (i % 2 ? "100" : "101") : (i % 2 ? "130" : "131");  // +30 %
  }
  const std::string body = "{\"values\":[" + values + "]}";
  ChangepointDefaults defaults;
  http::Router router;
  RegisterChangepointHandler(router, &defaults);
  int status = 0;
  EXPECT_NE(Call(router, body, &status).find("\"changepoints\":[{\"index\":20,"), std::string::npos);
  EXPECT_EQ(status, 200);

  ChangepointOptions strict = defaults.Get();
  strict.min_magnitude = 0.5;  // a 30 % shift is too small now
  defaults.Set(strict);
  EXPECT_EQ(defaults.Get().min_magnitude, 0.5);
  std::string answer = Call(router, body, &status);
  EXPECT_EQ(status, 200);
  EXPECT_NE(answer.find("\"changepoints\":[]"), std::string::npos) << answer;
  // A request's own option still wins over the defaults.
  answer = Call(router, "{\"values\":[" + values + "],\"min_magnitude\":0.1}", &status);
  EXPECT_NE(answer.find("\"changepoints\":[{\"index\":20,"), std::string::npos) << answer;
}

}  // namespace
}  // namespace perfwatch::analysis
