// common/snapshot_files.h: a pinned file copies the bytes it had when pinned, even after
// it grew or was deleted; links share the inode; state trees skip unfinished *.tmp files.
#include "common/snapshot_files.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/file_util.h"
#include "support/temp_dir.h"

namespace perfwatch {
namespace {

namespace fs = std::filesystem;

TEST(SnapshotFilesTest, PinnedPrefixIgnoresLaterAppendsAndDeletion) {
  testing::TempDir dir;
  const fs::path log = dir.path() / "events.log";
  int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(WriteAll(fd, "batch-1;batch-2;").ok());
  auto pin = PinnedFile::Pin(fd, 16, dir.path() / "snap" / "part" / "events.log");
  ASSERT_TRUE(pin.ok()) << pin.status().ToString();
  ASSERT_TRUE(WriteAll(fd, "batch-3;").ok());
  ::close(fd);
  fs::remove(log);  // retention deleted the partition meanwhile
  std::vector<PinnedFile> pins;
  pins.push_back(std::move(*pin));
  auto bytes = CopyPinnedFiles(pins);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_EQ(*bytes, 16u);
  EXPECT_EQ(*ReadFile(dir.path() / "snap" / "part" / "events.log"), "batch-1;batch-2;");
}

TEST(SnapshotFilesTest, PinnedFileThatShrankIsAnError) {
  testing::TempDir dir;
  const fs::path log = dir.path() / "x.log";
  std::ofstream(log) << "abc";
  int fd = ::open(log.c_str(), O_RDONLY | O_CLOEXEC);
  auto pin = PinnedFile::Pin(fd, 10, dir.path() / "out");
  ::close(fd);
  ASSERT_TRUE(pin.ok());
  Status s = pin->CopyOut();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("shrank"), std::string::npos) << s.ToString();
}

TEST(SnapshotFilesTest, LinkSharesTheFileAndStateTreeSkipsTmp) {
  testing::TempDir dir;
  std::ofstream(dir.path() / "block") << "immutable";
  ASSERT_TRUE(LinkOrCopyFile(dir.path() / "block", dir.path() / "snap" / "b" / "block").ok());
  EXPECT_EQ(fs::hard_link_count(dir.path() / "block"), 2u);
  EXPECT_FALSE(LinkOrCopyFile(dir.path() / "missing", dir.path() / "snap" / "m").ok());

  fs::create_directories(dir.path() / "state" / "sub");
  std::ofstream(dir.path() / "state" / "rules.json") << "{}";
  std::ofstream(dir.path() / "state" / "sub" / "nflog.snap") << "NFLOG";
  std::ofstream(dir.path() / "state" / "rules.json.tmp") << "{half";
  auto bytes = CopyStateTree(dir.path() / "state", dir.path() / "copy");
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_EQ(*bytes, 7u);
  EXPECT_EQ(*ReadFile(dir.path() / "copy" / "sub" / "nflog.snap"), "NFLOG");
  EXPECT_FALSE(fs::exists(dir.path() / "copy" / "rules.json.tmp"));
  EXPECT_EQ(MeasureTree(dir.path() / "copy").files, 2u);
  auto none = CopyStateTree(dir.path() / "absent", dir.path() / "copy2");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0u);
}

}  // namespace
}  // namespace perfwatch
