// The PromQL API forwarded to query.backend (query/backend_proxy.h), with a fake backend.
#include "query/backend_proxy.h"

#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "support/route_call.h"

namespace perfwatch::query {
namespace {

// A reply with every field given (designated initializers would leave some out).
[[maybe_unused]] BackendReply MakeReply(int status, std::string error, std::string body,
                                        std::string content_type, bool truncated = false) {
  BackendReply r;
  r.status = status;
  r.error = std::move(error);
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  r.truncated = truncated;
  return r;
}

struct FakeBackend {
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> calls;  // (path, form)
  BackendReply reply;
  BackendCall Call() {
    return [this](std::string_view path, std::string_view form) {
      std::lock_guard lock(mu);
      calls.emplace_back(std::string(path), std::string(form));
      return reply;
    };
  }
};

TEST(BackendProxyTest, ForwardsParametersAndReturnsTheAnswer) {
  FakeBackend backend;
  backend.reply =
      MakeReply(200, "", R"({"status":"success","data":{"resultType":"scalar","result":[1,"2"]}})",
                "application/json");
  http::Router router;
  RegisterBackendQueryApi(router, backend.Call());
  http::Response res =
      testing::CallRoute(router, "GET", "/api/v1/query", "query=up%7Bjob%3D%22a%22%7D&time=1");
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, backend.reply.body);
  res = testing::CallRoute(router, "GET", "/api/v1/query_range", "query=up&start=1&end=2&step=1");
  EXPECT_EQ(res.status, 200);
  res = testing::CallRoute(router, "GET", "/api/v1/label/job/values", "");
  EXPECT_EQ(res.status, 200);
  ASSERT_EQ(backend.calls.size(), 3u);
  EXPECT_EQ(backend.calls[0].first, "/api/v1/query");
  EXPECT_EQ(backend.calls[0].second, "query=up%7Bjob%3D%22a%22%7D&time=1");
  EXPECT_EQ(backend.calls[1].first, "/api/v1/query_range");
  EXPECT_EQ(backend.calls[2].first, "/api/v1/label/job/values");
}

TEST(BackendProxyTest, FormBodiesAreForwardedToo) {
  http::Request req;
  req.method = "POST";
  req.query = "time=5";
  req.body = "query=sum(up)";
  req.headers = {{"content-type", "application/x-www-form-urlencoded; charset=UTF-8"}};
  EXPECT_EQ(ForwardedForm(req), "time=5&query=sum(up)");
  req.headers = {{"content-type", "application/json"}};
  EXPECT_EQ(ForwardedForm(req), "time=5");
}

TEST(BackendProxyTest, BackendErrorsPassThroughInPrometheusShape) {
  FakeBackend backend;
  backend.reply = MakeReply(422, "", R"({"status":"error","errorType":"execution","error":"boom"})",
                            "application/json");
  http::Router router;
  RegisterBackendQueryApi(router, backend.Call());
  http::Response res = testing::CallRoute(router, "GET", "/api/v1/query", "query=up");
  EXPECT_EQ(res.status, 422);
  EXPECT_EQ(res.body, backend.reply.body);
}

TEST(BackendProxyTest, UnreachableTooLargeOrNotJsonIs503) {
  http::Response res;
  WriteBackendReply(MakeReply(0, "connect 127.0.0.1:1: Connection refused", "", ""), res);
  EXPECT_EQ(res.status, 503);
  EXPECT_EQ(
      res.body,
      R"({"status":"error","errorType":"unavailable","error":"query backend: connect 127.0.0.1:1: Connection refused"})");
  res = {};
  WriteBackendReply(MakeReply(200, "", "{", "application/json", true), res);
  EXPECT_EQ(res.status, 503);
  EXPECT_NE(res.body.find("max_response_bytes"), std::string::npos) << res.body;
  res = {};
  WriteBackendReply(MakeReply(404, "", "404 page not found\n", "text/plain"), res);
  EXPECT_EQ(res.status, 503);
  EXPECT_NE(res.body.find("query backend answered 404 without JSON: 404 page not found"),
            std::string::npos)
      << res.body;
}

TEST(BackendProxyTest, LabelValuesPathCannotLeaveTheRoute) {
  FakeBackend backend;
  backend.reply = MakeReply(200, "", "{}", "application/json");
  http::Router router;
  RegisterBackendQueryApi(router, backend.Call());
  for (const char* path :
       {"/api/v1/label/../values", "/api/v1/label/a/../../admin/values", "/api/v1/label/x",
        "/api/v1/label//values", "/api/v1/label/a?b/values"}) {
    http::Response res = testing::CallRoute(router, "GET", path, "");
    EXPECT_EQ(res.status, 404) << path;
  }
  EXPECT_TRUE(backend.calls.empty());
}

}  // namespace
}  // namespace perfwatch::query
