#include "ingest/rum/rum_handler.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>
#include <string>
#include <unistd.h>

namespace perfwatch::ingest {
namespace {

constexpr std::string_view kDesignExample =
    R"({"type":"vital","name":"LCP","value":2345.6,"rating":"good","delta":2345.6,"id":"v4-1",
 "navigationType":"navigate","sessionId":"1700000000000-abc","url":"https://shop.example/p/42?q=1",
 "timestamp":1700000000000,"userAgent":"Mozilla/5.0 ...","connection":"4g",
 "deviceMemory":8,"hardwareConcurrency":8})";

class RumHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("rum_handler_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    auto store = events::EventStore::Open(dir_, EventsConfig{}, &metrics_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    handler_ = std::make_unique<RumHandler>(config_, store_.get(), &metrics_);
  }
  void TearDown() override {
    handler_.reset();
    if (store_) store_->Stop();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  http::Response Post(std::string_view body, std::string_view content_type = "text/plain;charset=UTF-8",
                      std::string_view query = "") {
    http::Request req;
    req.method = "POST";
    req.path = "/api/rum";
    req.query = query;
    req.body = body;
    if (!content_type.empty()) req.headers.emplace_back("Content-Type", content_type);
    req.headers.emplace_back("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36");
    http::Response res;
    handler_->Handle(req, res);
    return res;
  }

  uint64_t Stored() { return store_->Stats().events; }

  // Counter value of perfwatch_rum_beacons_rejected_total{reason=code}.
  uint64_t Rejected(std::string_view code) {
    return metrics_.GetCounter("perfwatch_rum_beacons_rejected_total", "", {{"reason", std::string(code)}})
        ->Value();
  }

  // Parses a response body and checks its shape.
  void ExpectBody(const http::Response& res, int64_t accepted, std::vector<std::pair<int64_t, std::string>> errors) {
    simdjson::dom::parser p;
    simdjson::padded_string ps(res.body);
    simdjson::dom::element root;
    ASSERT_FALSE(p.parse(ps).get(root)) << res.body;
    EXPECT_EQ(int64_t(root["accepted"]), accepted) << res.body;
    EXPECT_EQ(int64_t(root["rejected"]), int64_t(errors.size())) << res.body;
    simdjson::dom::array arr = root["errors"];
    ASSERT_EQ(arr.size(), errors.size()) << res.body;
    size_t i = 0;
    for (simdjson::dom::element e : arr) {
      EXPECT_EQ(int64_t(e["index"]), errors[i].first) << res.body;
      if (!errors[i].second.empty()) {
        EXPECT_EQ(std::string_view(e["reason"]), errors[i].second) << res.body;
      }
      ++i;
    }
  }

  RumConfig config_;
  MetricsRegistry metrics_;
  std::filesystem::path dir_;
  std::unique_ptr<events::EventStore> store_;
  std::unique_ptr<RumHandler> handler_;
};

TEST_F(RumHandlerTest, AllValidIs204AndStored) {
  http::Response res = Post(kDesignExample);
  EXPECT_EQ(res.status, 204);
  EXPECT_TRUE(res.body.empty());
  EXPECT_EQ(Stored(), 1u);
  EXPECT_EQ(metrics_.GetCounter("perfwatch_rum_beacons_accepted_total", "")->Value(), 1u);
}

TEST_F(RumHandlerTest, EmptyArrayIs204) {
  EXPECT_EQ(Post("[]").status, 204);
  EXPECT_EQ(Stored(), 0u);
}

TEST_F(RumHandlerTest, SomeValidIs200WithErrors) {
  http::Response res = Post(R"([{"name":"LCP","value":1},{"name":"NOPE","value":1},{"name":"INP","value":-1}])");
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.content_type, "application/json");
  EXPECT_EQ(res.body,
            R"({"accepted":1,"rejected":2,"errors":[{"index":1,"reason":"unknown vital \"NOPE\""},)"
            R"({"index":2,"reason":"value must be a finite number >= 0"}]})");
  EXPECT_EQ(Stored(), 1u);
  EXPECT_EQ(Rejected("unknown_vital"), 1u);
  EXPECT_EQ(Rejected("bad_value"), 1u);
}

TEST_F(RumHandlerTest, NoneValidIs400) {
  http::Response res = Post(R"([{"name":"LCP"},{"name":"LCP","value":1,"url":5}])");
  EXPECT_EQ(res.status, 400);
  ExpectBody(res, 0, {{0, "missing value"}, {1, "url must be a string"}});
  EXPECT_EQ(Stored(), 0u);
}

TEST_F(RumHandlerTest, WholeBodyFailures) {
  http::Response res = Post(R"({"name":"LCP",)");
  EXPECT_EQ(res.status, 400);
  ExpectBody(res, 0, {{-1, ""}});
  EXPECT_EQ(Rejected("invalid_json"), 1u);

  res = Post("{\"name\":\"\xff\"}");
  EXPECT_EQ(res.status, 400);
  ExpectBody(res, 0, {{-1, "body is not valid UTF-8"}});

  std::string deep(65, '[');
  deep += std::string(65, ']');
  res = Post(deep);
  EXPECT_EQ(res.status, 400);
  ExpectBody(res, 0, {{-1, "JSON nesting deeper than 64 levels"}});

  std::string many = "[";
  for (int i = 0; i < 1001; ++i) many += std::string(i ? "," : "") + R"({"name":"LCP","value":1})";
  many += "]";
  res = Post(many);
  EXPECT_EQ(res.status, 413);
  ExpectBody(res, 0, {{-1, "too many beacons: more than 1000"}});
  EXPECT_EQ(Rejected("too_many"), 1u);
  EXPECT_EQ(Stored(), 0u);
}

TEST_F(RumHandlerTest, ContentTypes) {
  EXPECT_EQ(Post(kDesignExample, "application/json").status, 204);
  EXPECT_EQ(Post(kDesignExample, "Application/JSON; charset=utf-8").status, 204);
  EXPECT_EQ(Post(kDesignExample, "text/plain").status, 204);
  EXPECT_EQ(Post(kDesignExample, " text/plain ;charset=UTF-8").status, 204);
  EXPECT_EQ(Post(kDesignExample, "").status, 204);
  http::Response res = Post(kDesignExample, "application/x-www-form-urlencoded");
  EXPECT_EQ(res.status, 415);
  ExpectBody(res, 0, {{-1, ""}});
  EXPECT_EQ(Post(kDesignExample, "text/html").status, 415);
  EXPECT_EQ(Post(kDesignExample, "application/jsonx").status, 415);
  EXPECT_EQ(Rejected("unsupported_media_type"), 3u);
}

TEST_F(RumHandlerTest, QueryAppAndRouterRegistration) {
  EXPECT_EQ(Post(R"({"name":"LCP","value":1})", "text/plain", "app=shop%20eu").status, 204);
  std::string exported;
  ASSERT_TRUE(store_->Export({}, [&](std::string_view chunk) {
    exported.append(chunk);
    return true;
  }).ok());
  EXPECT_NE(exported.find("shop eu"), std::string::npos) << exported;

  http::Router router;
  handler_->Register(router, {"*"});
  http::Router::Match m = router.Find("POST", "/api/rum");
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(m.metric_label, "/api/rum");
  ASSERT_NE(m.options, nullptr);
  ASSERT_NE(m.options->cors_origins, nullptr);  // replaceable on reload
  EXPECT_EQ(*m.options->cors_origins->Get(), std::vector<std::string>{"*"});
  RumConfig one_origin;
  one_origin.cors_allowed_origins = {"https://shop.example"};
  auto settings = RumHandler::Prepare(one_origin);
  ASSERT_TRUE(settings.ok());
  handler_->Apply(std::move(settings).value());
  EXPECT_EQ(*m.options->cors_origins->Get(), std::vector<std::string>{"https://shop.example"});
}

TEST_F(RumHandlerTest, StoreFailureIs503) {
  store_->Stop();
  std::filesystem::remove_all(dir_);  // the store's files vanish under it
  std::filesystem::create_directories(dir_.parent_path());
  std::filesystem::permissions(dir_.parent_path(), std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::add);
  // Whether appending now fails depends on the store; only check the shape if it does.
  http::Response res = Post(kDesignExample);
  if (res.status == 503) {
    ExpectBody(res, 0, {{-1, ""}});
  } else {
    EXPECT_EQ(res.status, 204);
  }
}

TEST(RumResponseBodyTest, Shape) {
  std::vector<BeaconRejection> errors = {{3, RejectCode::kBadValue, "a \"quoted\" reason"}};
  EXPECT_EQ(RumResponseBody(2, errors),
            R"({"accepted":2,"rejected":1,"errors":[{"index":3,"reason":"a \"quoted\" reason"}]})");
  EXPECT_EQ(RumResponseBody(0, {}), R"({"accepted":0,"rejected":0,"errors":[]})");
}

TEST(RumContentTypeTest, Accepted) {
  EXPECT_TRUE(IsRumContentType(""));
  EXPECT_TRUE(IsRumContentType("application/json"));
  EXPECT_TRUE(IsRumContentType("TEXT/PLAIN;charset=UTF-8"));
  EXPECT_FALSE(IsRumContentType("application/xml"));
  EXPECT_FALSE(IsRumContentType("multipart/form-data; boundary=x"));
}

TEST(RumHandlerCreateTest, BadRouteRule) {
  RumConfig config;
  config.route_rules = {{"(unclosed", ":x"}};
  auto handler = RumHandler::Create(config, nullptr, nullptr);
  ASSERT_FALSE(handler.ok());
  EXPECT_EQ(handler.status().code(), StatusCode::kInvalidArgument);
}

TEST(RumHandlerNoStoreTest, WorksWithoutStoreAndMetrics) {
  RumConfig config;
  RumHandler handler(config, nullptr, nullptr);
  http::Request req;
  req.method = "POST";
  req.body = R"({"name":"LCP","value":1})";
  http::Response res;
  handler.Handle(req, res);
  EXPECT_EQ(res.status, 204);
}

TEST_F(RumHandlerTest, ApplyChangesTheLimitsOfLaterRequests) {
  const std::string two = "[" + std::string(kDesignExample) + "," + std::string(kDesignExample) + "]";
  ASSERT_EQ(Post(two).status, 204);
  RumConfig small;
  small.max_beacons_per_request = 1;
  auto settings = RumHandler::Prepare(small);
  ASSERT_TRUE(settings.ok()) << settings.status().ToString();
  handler_->Apply(std::move(settings).value());
  EXPECT_EQ(Post(two).status, 413);  // this thread's parser was rebuilt
  EXPECT_EQ(Post(kDesignExample).status, 204);

  RumConfig bad;
  bad.route_rules.push_back({"(", ":x"});
  auto refused = RumHandler::Prepare(bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("rum.route_rules"), std::string::npos) << refused.status().message();
  EXPECT_EQ(Post(two).status, 413) << "a refused Prepare changes nothing";
}

}  // namespace
}  // namespace perfwatch::ingest
