// common/snapshot_manifest.h: the manifest round-trips, and what restore must not trust
// (paths leaving the snapshot, a wrong byte total, bad names) is refused with DataLoss.
#include "common/snapshot_manifest.h"

#include <gtest/gtest.h>

namespace perfwatch {
namespace {

SnapshotManifest Sample() {
  return {.name = "20261204T201500Z-6e4f3a2b1c0d9e8f", .time_ms = 1796415300123, .perfwatch_version = "0.1.0",
          .skip_head = true, .files = {{"events/part-1/events.log", 1234}, {"tsdb/wal/00000001", 32}}, .seconds = 0.25};
}

TEST(SnapshotManifestTest, RoundTrips) {
  const SnapshotManifest m = Sample();
  const std::string text = FormatSnapshotManifest(m);
  EXPECT_NE(text.find("\"bytes\":1266"), std::string::npos) << text;
  auto back = ParseSnapshotManifest(text, "t");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, m);
}

TEST(SnapshotManifestTest, RefusesWhatRestoreMustNotTrust) {
  auto bad = [](std::string text) {
    auto r = ParseSnapshotManifest(text, "snap/snapshot.json");
    EXPECT_FALSE(r.ok()) << text;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
      EXPECT_NE(r.status().message().find("snap/snapshot.json: "), std::string::npos) << r.status().ToString();
    }
    return r.ok() ? std::string() : r.status().message();
  };
  const std::string head = R"({"name":"n","time":"2026-12-04T20:15:00Z","files":[)";
  EXPECT_NE(bad(head + R"({"path":"../x","bytes":1}],"bytes":1})").find("outside the snapshot"), std::string::npos);
  EXPECT_NE(bad(head + R"({"path":"/etc/passwd","bytes":1}],"bytes":1})").find("outside"), std::string::npos);
  EXPECT_NE(bad(head + R"({"path":"a//b","bytes":1}],"bytes":1})").find("outside"), std::string::npos);
  EXPECT_NE(bad(head + R"({"path":"a/./b","bytes":1}],"bytes":1})").find("outside"), std::string::npos);
  EXPECT_NE(bad(head + R"({"path":"a","bytes":1}],"bytes":2})").find("sum"), std::string::npos);
  EXPECT_NE(bad(head + R"({"path":"snapshot.json","bytes":1}],"bytes":1})").find("itself"), std::string::npos);
  EXPECT_NE(bad(R"({"name":".hidden","time":"2026-12-04T20:15:00Z","files":[],"bytes":0})").find("not a snapshot name"),
            std::string::npos);
  EXPECT_NE(bad(R"({"name":"n","time":"yesterday","files":[],"bytes":0})").find("not a time"), std::string::npos);
  // Seconds since 1970 that reach the year 33943 (the fuzzer's find): written back in
  // RFC 3339 they would not read again, so they are refused here.
  EXPECT_NE(bad(R"({"name":"n","time":"1009000000000","files":[],"bytes":0})")
                .find("between 1970 and 9999"),
            std::string::npos);
  EXPECT_NE(bad(R"({"name":"n","time":"-1","files":[],"bytes":0})").find("between 1970 and 9999"),
            std::string::npos);
  EXPECT_TRUE(ParseSnapshotManifest(
                  R"({"name":"n","time":"9999-12-31T23:59:59.999Z","files":[],"bytes":0})", "t")
                  .ok());
  EXPECT_NE(bad(R"({"name":"n","files":[],"bytes":0})").find("lacks"), std::string::npos);
  EXPECT_NE(bad("[1,2]").find("not a JSON object"), std::string::npos);
  EXPECT_NE(bad("").find("not a JSON object"), std::string::npos);
}

TEST(SnapshotManifestTest, Names) {
  EXPECT_TRUE(ValidSnapshotName("20261204T201500Z-6e4f3a2b1c0d9e8f"));
  EXPECT_TRUE(ValidSnapshotName("before_upgrade.1"));
  EXPECT_FALSE(ValidSnapshotName(""));
  EXPECT_FALSE(ValidSnapshotName(".."));
  EXPECT_FALSE(ValidSnapshotName("a/b"));
  EXPECT_FALSE(ValidSnapshotName(std::string(129, 'a')));
}

}  // namespace
}  // namespace perfwatch
