#include "query/storage_api.h"

#include <gtest/gtest.h>

namespace perfwatch::query {
namespace {

http::Request Get(const std::string& query) {
  static std::string storage;
  storage = query;
  http::Request r;
  r.method = "GET";
  r.path = "/api/v1/series";
  r.query = storage;
  return r;
}

TEST(SelectionRequestTest, ParsesSelectorsAndTimes) {
  auto r = ParseSelectionRequest(
      Get("match[]=up%7Bjob%3D%22a%22%7D&match[]=%7B__name__%3D~%22http_.*%22%7D&start=1700000000&end=2023-11-14T22:23:20Z"),
      true);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->selectors.size(), 2u);
  EXPECT_EQ(r->start_ms, 1'700'000'000'000);
  EXPECT_EQ(r->end_ms, 1'700'000'600'000);
}

TEST(SelectionRequestTest, DefaultsToEverything) {
  auto r = ParseSelectionRequest(Get(""), false);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->selectors.empty());
  EXPECT_LT(r->start_ms, 0);
  EXPECT_GT(r->end_ms, 4'000'000'000'000);
}

TEST(SelectionRequestTest, RejectsBadInput) {
  EXPECT_EQ(ParseSelectionRequest(Get(""), true).status().message(), "no match[] parameter provided");
  EXPECT_FALSE(ParseSelectionRequest(Get("match[]=up%7B"), true).ok());
  EXPECT_FALSE(ParseSelectionRequest(Get("match[]=%7Bjob%3D%22%22%7D"), true).ok());  // matches everything
  EXPECT_FALSE(ParseSelectionRequest(Get("match[]=up&start=soon"), true).ok());
  EXPECT_FALSE(ParseSelectionRequest(Get("match[]=up&start=20&end=10"), true).ok());
}

}  // namespace
}  // namespace perfwatch::query
