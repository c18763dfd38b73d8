#include "events/log_file.h"

#include <gtest/gtest.h>

#include <fstream>

#include "test_events.h"

namespace perfwatch::events {
namespace {

using testing::TempDir;

TEST(LogFileTest, WritesAndReadsRecords) {
  TempDir dir;
  auto path = dir.path() / "events.log";
  LogHeader header{3600000, 3600000};
  {
    auto w = LogWriter::Open(path, header, std::nullopt);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    std::string batch;
    AppendRecord(batch, "hello");
    AppendRecord(batch, std::string(300, 'x'));  // two-byte length varint
    ASSERT_TRUE((*w)->Write(batch).ok());
    ASSERT_TRUE((*w)->Sync().ok());
  }
  auto r = LogReader::Open(path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->header().start_ms, 3600000);
  std::string_view payload;
  uint64_t offset;
  ASSERT_EQ((*r)->Next(&payload, &offset), LogReader::Outcome::kRecord);
  EXPECT_EQ(payload, "hello");
  EXPECT_EQ(offset, kLogHeaderBytes);
  ASSERT_EQ((*r)->Next(&payload, &offset), LogReader::Outcome::kRecord);
  EXPECT_EQ(payload, std::string(300, 'x'));
  EXPECT_EQ((*r)->Next(&payload, &offset), LogReader::Outcome::kEnd);
}

TEST(LogFileTest, ClassifiesTornTailAndCorruption) {
  TempDir dir;
  auto path = dir.path() / "events.log";
  std::string batch;
  AppendRecord(batch, "first");
  size_t second = kLogHeaderBytes + batch.size();
  AppendRecord(batch, "second");
  AppendRecord(batch, "third");
  {
    auto w = LogWriter::Open(path, LogHeader{0, 1000}, std::nullopt);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Write(batch).ok());
  }
  std::string_view payload;
  uint64_t offset;
  // Every truncation inside the last record is a torn tail.
  uint64_t full = std::filesystem::file_size(path);
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  for (uint64_t cut = full - 1; cut > full - 10; --cut) {
    std::filesystem::resize_file(path, cut);
    auto r = LogReader::Open(path);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ((*r)->Next(&payload, &offset), LogReader::Outcome::kRecord);
    ASSERT_EQ((*r)->Next(&payload, &offset), LogReader::Outcome::kRecord);
    EXPECT_EQ((*r)->Next(&payload, &offset), LogReader::Outcome::kTornTail) << cut;
  }
  // A flipped byte in the second record, with the third after it: corruption.
  bytes[second + 6] ^= 0x40;
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), bytes.size());
  }
  auto r = LogReader::Open(path);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ((*r)->Next(&payload, &offset), LogReader::Outcome::kRecord);
  EXPECT_EQ((*r)->Next(&payload, &offset), LogReader::Outcome::kCorrupt);
  EXPECT_EQ((*r)->good_bytes(), second);
}

}  // namespace
}  // namespace perfwatch::events
