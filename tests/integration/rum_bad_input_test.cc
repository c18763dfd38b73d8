// Every kind of bad input to POST /api/rum gets a clear reason, valid beacons in the same
// batch are kept, nothing already accepted is lost, and the server stays up.
#include <gtest/gtest.h>
#include <simdjson.h>

#include "support/http_client.h"
#include "support/server_process.h"

namespace perfwatch {
namespace {

using testing::HttpClient;
using testing::ServerProcess;

const std::string kGood = R"({"type":"vital","name":"FCP","value":1200,"url":"/home"})";

uint64_t FcpCount(HttpClient& client) {
  auto r = client.Get("/api/v1/vitals?metric=FCP");
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(r.body);
  simdjson::dom::array groups = doc["data"]["groups"];
  return groups.size() == 0 ? 0 : uint64_t(groups.at(0)["count"]);
}

struct IngestAnswer {
  int status = 0;
  int64_t accepted = -1, rejected = -1;
  std::vector<std::pair<int64_t, std::string>> errors;
};

IngestAnswer Post(HttpClient& client, std::string_view body, const std::string& type = "application/json") {
  auto r = client.Post("/api/rum", body, type);
  IngestAnswer a;
  a.status = r.status;
  if (r.status == 204 || r.body.empty()) return a;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(r.body).get(doc)) {
    ADD_FAILURE() << "not JSON: " << r.body;
    return a;
  }
  a.accepted = int64_t(doc["accepted"]);
  a.rejected = int64_t(doc["rejected"]);
  for (simdjson::dom::element e : simdjson::dom::array(doc["errors"])) {
    a.errors.emplace_back(int64_t(e["index"]), std::string(std::string_view(e["reason"])));
  }
  return a;
}

class RumBadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start()) << server_.log();
    HttpClient client(server_.port());
    ASSERT_EQ(Post(client, kGood).status, 204);  // accepted before any bad input
  }
  void TearDown() override {
    HttpClient client(server_.port());
    EXPECT_EQ(client.Get("/healthz").status, 200) << "server died";
    EXPECT_GE(FcpCount(client), 1u) << "an earlier accepted beacon was lost";
  }
  ServerProcess server_;
};

TEST_F(RumBadInputTest, WholeBodyFailuresHaveIndexMinusOne) {
  HttpClient client(server_.port());
  const std::string deep_ok = std::string(63, '[') + "1" + std::string(63, ']');  // depth 63 + object
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"truncated", R"([{"name":"LCP","value":12)"},
      {"not json", "hello"},
      {"trailing garbage", kGood + "}"},
      {"invalid utf-8", std::string(R"({"name":"LCP","value":1,"url":"/)") + "\xff\xfe" + R"("})"},
      {"deep nesting", R"({"name":"LCP","value":1,"x":)" + std::string(70, '[') + std::string(70, ']') + "}"},
      {"top-level number", "42"},
  };
  for (const auto& [what, body] : cases) {
    auto a = Post(client, body);
    EXPECT_EQ(a.status, 400) << what;
    ASSERT_EQ(a.errors.size(), 1u) << what;
    EXPECT_EQ(a.errors[0].first, -1) << what;
    EXPECT_FALSE(a.errors[0].second.empty()) << what;
    EXPECT_EQ(a.accepted, 0) << what;
  }
}

TEST_F(RumBadInputTest, NestingLimitIsSixtyFour) {
  HttpClient client(server_.port());
  // Array (1) + beacon object (2) + 62 nested arrays = depth 64: accepted.
  std::string ok = "[" + std::string(R"({"name":"FCP","value":5,"x":)") + std::string(62, '[') +
                   std::string(62, ']') + "}]";
  EXPECT_EQ(Post(client, ok).status, 204);
  std::string too_deep = "[" + std::string(R"({"name":"FCP","value":5,"x":)") + std::string(63, '[') +
                         std::string(63, ']') + "}]";
  EXPECT_EQ(Post(client, too_deep).status, 400);
}

TEST_F(RumBadInputTest, PerBeaconErrorsKeepTheValidOnes) {
  HttpClient client(server_.port());
  uint64_t before = FcpCount(client);
  std::string body = "[" + kGood + "," +
                     R"({"type":"vital","name":"LCP","value":"fast"},)"      // 1 non-numeric value
                     R"({"type":"vital","name":"LCP","value":-5},)"          // 2 negative
                     R"({"type":"vital","name":"LCP","value":1e999},)"       // 3 infinite
                     R"({"type":"vital","name":"LCP"},)"                     // 4 missing value
                     R"({"type":"vital","name":"XYZ","value":1},)"           // 5 unknown vital
                     R"({"type":"teleport","name":"LCP","value":1},)"        // 6 unknown type
                     R"({"name":"LCP","value":1,"url":42},)"                 // 7 url not a string
                     R"({"name":"LCP","value":1,"timestamp":"yesterday"},)"  // 8 timestamp not a number
                     R"({"name":"LCP","value":1,"sessionId":{"a":1}},)"      // 9 sessionId not a string
                     R"("just a string",)" +                                 // 10 not an object
                     kGood + "]";                                            // 11 fine
  auto a = Post(client, body);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.accepted, 2);
  EXPECT_EQ(a.rejected, 10);
  ASSERT_EQ(a.errors.size(), 10u);
  for (size_t i = 0; i < a.errors.size(); ++i) {
    EXPECT_EQ(a.errors[i].first, static_cast<int64_t>(i + 1));
    EXPECT_FALSE(a.errors[i].second.empty());
  }
  EXPECT_EQ(FcpCount(client), before + 2);
}

TEST_F(RumBadInputTest, NoneValidIs400WithTheSameBody) {
  HttpClient client(server_.port());
  auto a = Post(client, R"([{"name":"LCP","value":-1},{"type":"nope"}])");
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.accepted, 0);
  EXPECT_EQ(a.rejected, 2);
  ASSERT_EQ(a.errors.size(), 2u);
  EXPECT_EQ(a.errors[0].first, 0);
  EXPECT_EQ(a.errors[1].first, 1);
}

TEST_F(RumBadInputTest, EmptyArrayAndTextPlainAreAccepted) {
  HttpClient client(server_.port());
  EXPECT_EQ(Post(client, "[]").status, 204);
  EXPECT_EQ(Post(client, kGood, "text/plain;charset=UTF-8").status, 204);
  EXPECT_EQ(Post(client, kGood, "application/json; charset=utf-8").status, 204);
}

TEST_F(RumBadInputTest, TooManyBeaconsIs413) {
  HttpClient client(server_.port());
  std::string body = "[";
  for (int i = 0; i < 1001; ++i) body += (i ? "," : "") + kGood;
  body += "]";
  uint64_t before = FcpCount(client);
  auto a = Post(client, body);
  EXPECT_EQ(a.status, 413);
  EXPECT_EQ(FcpCount(client), before);
  // Exactly 1000 is fine.
  body = "[";
  for (int i = 0; i < 1000; ++i) body += (i ? "," : "") + kGood;
  body += "]";
  EXPECT_EQ(Post(client, body).status, 204);
  EXPECT_EQ(FcpCount(client), before + 1000);
}

TEST_F(RumBadInputTest, OversizedBodyIs413) {
  HttpClient client(server_.port());
  std::string body = "[" + kGood + R"(,{"name":"FCP","value":1,"pad":")" + std::string(1 << 20, 'x') + "\"}]";
  auto r = client.Post("/api/rum", body);
  EXPECT_EQ(r.status, 413);
}

}  // namespace
}  // namespace perfwatch
