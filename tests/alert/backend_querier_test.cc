// Rules reading from query.backend (alert/backend_querier.h), with a fake backend, and the
// shared HTTP client reading whole answers (also chunked ones) from a real socket.
#include "alert/backend_querier.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "query/promql_parser.h"

namespace perfwatch::alert {
namespace {

// A reply with every field given (designated initializers would leave some out).
[[maybe_unused]] query::BackendReply MakeReply(int status, std::string error, std::string body,
                                               std::string content_type, bool truncated = false) {
  query::BackendReply r;
  r.status = status;
  r.error = std::move(error);
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  r.truncated = truncated;
  return r;
}

query::BackendReply Json(int status, std::string body) {
  return MakeReply(status, "", std::move(body), "application/json");
}

TEST(BackendRuleQuerierTest, SendsTheExpressionAndTimeAndReadsAVector) {
  std::string path, form;
  BackendRuleQuerier q([&](std::string_view p, std::string_view f) {
    path = p;
    form = f;
    return Json(200, R"({"status":"success","data":{"resultType":"vector","result":[
        {"metric":{"__name__":"lcp","page":"/a b"},"value":[1700000000.5,"3.5"]}]}})");
  });
  auto expr = query::promql::ParseExpr("lcp{page=\"/a b\"} > 2");
  ASSERT_TRUE(expr.ok()) << expr.status().message();
  auto samples = q.Query(**expr, 1700000000500);
  ASSERT_TRUE(samples.ok()) << samples.status().message();
  EXPECT_EQ(path, "/api/v1/query");
  EXPECT_EQ(form, "query=lcp%7Bpage%3D%22%2Fa%20b%22%7D%20%3E%202&time=1700000000.500");
  ASSERT_EQ(samples->size(), 1u);
  EXPECT_EQ((*samples)[0].value, 3.5);
  EXPECT_EQ((*samples)[0].labels, (LabelSet{{"__name__", "lcp"}, {"page", "/a b"}}));
}

TEST(BackendRuleQuerierTest, ScalarIsOneSampleWithoutLabels) {
  auto s = RuleSamplesFromAnswer(
      Json(200, R"({"status":"success","data":{"resultType":"scalar","result":[1,"7"]}})"));
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_EQ(s->size(), 1u);
  EXPECT_TRUE((*s)[0].labels.empty());
  EXPECT_EQ((*s)[0].value, 7);
}

TEST(BackendRuleQuerierTest, MatrixAndStringAreNotRuleResults) {
  for (const char* body :
       {R"({"status":"success","data":{"resultType":"matrix","result":[]}})",
        R"({"status":"success","data":{"resultType":"string","result":[1,"x"]}})"}) {
    auto s = RuleSamplesFromAnswer(Json(200, body));
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.status().message(),
              "rule result is not a vector or scalar");  // EngineRuleQuerier's words
  }
}

TEST(BackendRuleQuerierTest, BackendFailuresAreRuleErrors) {
  auto down =
      RuleSamplesFromAnswer(MakeReply(0, "connect 127.0.0.1:1: Connection refused", "", ""));
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(down.status().message(), "query backend: connect 127.0.0.1:1: Connection refused");
  auto bad = RuleSamplesFromAnswer(
      Json(400, R"({"status":"error","errorType":"bad_data","error":"unknown func"})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "query backend answered 400: bad_data: unknown func");
  auto big = RuleSamplesFromAnswer(MakeReply(200, "", "{", "", true));
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.status().message().find("max_response_bytes"), std::string::npos);
}

// A one-shot HTTP server on loopback that answers every connection with `answer`.
class OneShotServer {
 public:
  explicit OneShotServer(std::string answer) : answer_(std::move(answer)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    ::listen(fd_, 4);
    thread_ = std::thread([this] {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      char buf[4096];
      std::string in;
      while (in.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        in.append(buf, static_cast<size_t>(n));
      }
      request_ = in;
      (void)!::write(c, answer_.data(), answer_.size());
      ::close(c);
    });
  }
  ~OneShotServer() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  uint16_t port() const { return port_; }
  std::string request_;

 private:
  std::string answer_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

TEST(QueryBackendClientTest, ReadsAWholeChunkedAnswerWithAuth) {
  std::string json = R"({"status":"success","data":{"resultType":"vector","result":[)";
  for (int i = 0; i < 400; ++i) {
    if (i) json += ",";
    json += R"({"metric":{"i":")" + std::to_string(i) + R"("},"value":[1,"1"]})";
  }
  json += "]}}";
  ASSERT_GT(json.size(), 8192u);  // beyond the notification client's 4 KiB
  std::string chunked;
  for (size_t off = 0; off < json.size(); off += 3000) {
    std::string part = json.substr(off, 3000);
    char hex[16];
    std::snprintf(hex, sizeof hex, "%zx", part.size());
    chunked += std::string(hex) + "\r\n" + part + "\r\n";
  }
  chunked += "0\r\n\r\n";
  OneShotServer server(
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
      chunked);
  QueryBackendConfig config;
  config.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/prom";
  config.auth.has_basic_auth = true;
  config.auth.basic_auth_username = "pw";
  config.auth.basic_auth_password = "s3cret";
  config.auth.headers = {{"X-Scope-OrgID", "t1"}};
  auto client = QueryBackendClient::Create(config, nullptr);
  ASSERT_TRUE(client.ok()) << client.status().message();
  query::BackendReply reply = (*client)->Call("/api/v1/query", "query=up");
  ASSERT_EQ(reply.status, 200) << reply.error;
  EXPECT_FALSE(reply.truncated);
  EXPECT_EQ(reply.body, json);
  auto samples = RuleSamplesFromAnswer(reply);
  ASSERT_TRUE(samples.ok()) << samples.status().message();
  EXPECT_EQ(samples->size(), 400u);
  EXPECT_EQ(server.request_.rfind("POST /prom/api/v1/query HTTP/1.1\r\n", 0), 0u)
      << server.request_;
  EXPECT_NE(server.request_.find("Authorization: Basic cHc6czNjcmV0\r\n"), std::string::npos);
  EXPECT_NE(server.request_.find("X-Scope-OrgID: t1\r\n"), std::string::npos);
  EXPECT_NE(server.request_.find("Content-Type: application/x-www-form-urlencoded\r\n"),
            std::string::npos);
}

TEST(QueryBackendClientTest, AnswerOverTheLimitIsTruncatedNotHalfRead) {
  std::string body(5000, 'x');
  OneShotServer server(
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n" + body);
  QueryBackendConfig config;
  config.url = "http://127.0.0.1:" + std::to_string(server.port());
  config.max_response_bytes = 1024;
  auto client = QueryBackendClient::Create(config, nullptr);
  ASSERT_TRUE(client.ok()) << client.status().message();
  query::BackendReply reply = (*client)->Call("/api/v1/query", "query=up");
  EXPECT_EQ(reply.status, 200);
  EXPECT_TRUE(reply.truncated);
  EXPECT_FALSE(RuleSamplesFromAnswer(reply).ok());
}

TEST(QueryBackendClientTest, UnreachableBackendHasAReason) {
  QueryBackendConfig config;
  config.url = "http://127.0.0.1:1";
  auto client = QueryBackendClient::Create(config, nullptr);
  ASSERT_TRUE(client.ok()) << client.status().message();
  query::BackendReply reply = (*client)->Call("/api/v1/query", "query=up");
  EXPECT_EQ(reply.status, 0);
  EXPECT_NE(reply.error.find("127.0.0.1:1"), std::string::npos) << reply.error;
}

TEST(QueryBackendClientTest, MissingSecretFileFailsAtCreate) {
  QueryBackendConfig config;
  config.url = "http://127.0.0.1:1";
  config.auth.has_basic_auth = true;
  config.auth.basic_auth_password_file = "/nonexistent/pw";
  auto client = QueryBackendClient::Create(config, nullptr);
  ASSERT_FALSE(client.ok());
  EXPECT_NE(client.status().message().find("query.backend: basic_auth.password_file"),
            std::string::npos)
      << client.status().message();
}

}  // namespace
}  // namespace perfwatch::alert
