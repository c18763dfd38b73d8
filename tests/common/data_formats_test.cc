// The data directory's format record (common/data_formats.h, docs/format/versions.md):
// parsing, the refusal of newer versions, the upgrade mechanism.
#include "common/data_formats.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

#include "common/file_util.h"

namespace perfwatch {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/perfwatch-formats-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  const fs::path& path() const { return dir_; }

 private:
  fs::path dir_;
};

std::string Read(const fs::path& p) {
  auto text = ReadFile(p);
  return text.ok() ? *text : "<" + text.status().message() + ">";
}

void Write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

std::string ParseError(std::string_view text) {
  auto r = ParseFormatsRecord(text);
  return r.ok() ? "OK" : r.status().message();
}

TEST(FormatsRecordTest, ParsesAndWritesBack) {
  auto r = ParseFormatsRecord("# a comment\n\nwritten-by 0.1.0\ntsdb-blocks 1\n  events\t12 \r\n");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->written_by, "0.1.0");
  ASSERT_EQ(r->versions.size(), 2u);
  EXPECT_EQ(r->Get("tsdb-blocks"), 1u);
  EXPECT_EQ(r->Get("events"), 12u);
  EXPECT_EQ(r->Get("spans"), std::nullopt);
  auto again = ParseFormatsRecord(FormatFormatsRecord(*r));
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(*again, *r);
  EXPECT_EQ(FormatFormatsRecord(*r).substr(FormatFormatsRecord(*r).find("written-by")),
            "written-by 0.1.0\ntsdb-blocks 1\nevents 12\n");
}

TEST(FormatsRecordTest, MalformedRecordsNameTheLine) {
  EXPECT_EQ(ParseError(""), "no written-by line");
  EXPECT_EQ(ParseError("events 1\n"), "no written-by line");
  EXPECT_EQ(ParseError("written-by 1\nwritten-by 2\n"), "line 2: a second written-by line");
  EXPECT_EQ(ParseError("written-by 1\nevents\n"),
            "line 2: expected two fields, \"<format> <version>\" or \"written-by <perfwatch version>\"");
  EXPECT_EQ(ParseError("written-by 1\nevents 1 2\n"),
            "line 2: expected two fields, \"<format> <version>\" or \"written-by <perfwatch version>\"");
  EXPECT_EQ(ParseError("written-by 1\nevents 0\n"),
            "line 2: version \"0\" of events is not a whole number from 1 to 1000000");
  EXPECT_EQ(ParseError("written-by 1\nevents 01\n"),
            "line 2: version \"01\" of events is not a whole number from 1 to 1000000");
  EXPECT_EQ(ParseError("written-by 1\nevents -1\n"),
            "line 2: version \"-1\" of events is not a whole number from 1 to 1000000");
  EXPECT_EQ(ParseError("written-by 1\nevents 99999999999999999999\n"),
            "line 2: version \"9999999999999999\" of events is not a whole number from 1 to 1000000");
  EXPECT_EQ(ParseError("written-by 1\nevents 1000001\n"),
            "line 2: version \"1000001\" of events is not a whole number from 1 to 1000000");
  EXPECT_TRUE(ParseFormatsRecord("written-by 1\nevents 1000000\n").ok());
  EXPECT_EQ(ParseError("written-by 1\nEvents 1\n"), "line 2: format name \"Events\" is not 1 to 64 of a-z, 0-9 and '-'");
  EXPECT_EQ(ParseError("written-by 1\nevents 1\nevents 2\n"), "line 3: format events named twice");
  EXPECT_EQ(ParseError("written-by 1\nevents 1\x01\n"), "line 2: a character that is not printable ASCII");
  EXPECT_EQ(ParseError("written-by 1\n\xc3\xa9vents 1\n"), "line 2: a character that is not printable ASCII");
  EXPECT_EQ(ParseError(std::string(kFormatsMaxBytes + 1, '#')), "larger than 65536 bytes");
  std::string many = "written-by 1\n";
  for (size_t i = 0; i <= kFormatsMaxEntries; ++i) many += "f" + std::to_string(i) + " 1\n";
  EXPECT_EQ(ParseError(many), "line 258: more than 256 formats");
}

const DataFormat kAlpha{.name = "alpha", .version = 1, .paths = {"alpha"}};
const DataFormat kBeta{.name = "beta", .version = 1, .paths = {"beta.json", "beta-old"}};

TEST(PrepareDataDirectoryTest, NewDirectoryGetsTheCurrentVersions) {
  TempDir tmp;
  const fs::path dir = tmp.path() / "data";
  const DataFormat formats[] = {kAlpha, {.name = "gamma", .version = 3, .paths = {"gamma"}}};
  auto out = PrepareDataDirectory(dir, formats, {}, "1.2.3");
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_FALSE(out->had_record);
  EXPECT_TRUE(out->upgraded.empty());
  // Nothing on disk: each format will be written at this binary's version.
  auto record = ParseFormatsRecord(Read(dir / "FORMATS"));
  ASSERT_TRUE(record.ok()) << Read(dir / "FORMATS");
  EXPECT_EQ(record->written_by, "1.2.3");
  EXPECT_EQ(record->Get("alpha"), 1u);
  EXPECT_EQ(record->Get("gamma"), 3u);
  EXPECT_EQ(*record, out->record);
  EXPECT_FALSE(fs::exists(dir / "FORMATS.tmp"));
}

TEST(PrepareDataDirectoryTest, UnversionedDataIsVersionOneAndNeedsAStep) {
  TempDir tmp;
  // gamma's data predates versioning (version 1); this binary writes 3 and has no step.
  Write(tmp.path() / "gamma" / "x", "old");
  const DataFormat gamma{.name = "gamma", .version = 3, .paths = {"gamma"}};
  const DataFormat formats[] = {kAlpha, gamma};
  auto out = PrepareDataDirectory(tmp.path(), formats, {}, "1.2.3");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(),
            "data directory " + tmp.path().string() +
                " was written by a perfwatch without format versions with gamma format version 1; this perfwatch reads "
                "gamma versions 3 to 3 and has no upgrade from 1");
  EXPECT_FALSE(fs::exists(tmp.path() / "FORMATS"));  // refused: nothing changed
  // Reading versions from 1 on as they are is enough.
  const DataFormat lenient[] = {kAlpha, {.name = "gamma", .version = 3, .min_read_version = 1, .paths = {"gamma"}}};
  out = PrepareDataDirectory(tmp.path(), lenient, {}, "1.2.3");
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(out->record.Get("gamma"), 3u);
}

TEST(PrepareDataDirectoryTest, NewerVersionIsRefusedWithOneLine) {
  TempDir tmp;
  Write(tmp.path() / "FORMATS", "written-by 9.9\nalpha 1\nbeta 2\n");
  const DataFormat formats[] = {kAlpha, kBeta};
  auto out = PrepareDataDirectory(tmp.path(), formats, {}, "1.2.3");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(out.status().message(), "data directory " + tmp.path().string() +
                                        " was written by perfwatch 9.9 with beta format version 2; this perfwatch "
                                        "reads up to 1: upgrade perfwatch");
  EXPECT_EQ(out.status().message().find('\n'), std::string::npos);
  EXPECT_EQ(Read(tmp.path() / "FORMATS"), "written-by 9.9\nalpha 1\nbeta 2\n");  // untouched
}

TEST(PrepareDataDirectoryTest, MalformedRecordIsAClearError) {
  TempDir tmp;
  Write(tmp.path() / "FORMATS", "written-by 9.9\nalpha one\n");
  const DataFormat formats[] = {kAlpha};
  auto out = PrepareDataDirectory(tmp.path(), formats, {}, "1.2.3");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), "data directory " + tmp.path().string() +
                                        ": malformed FORMATS (docs/format/versions.md): line 2: version \"one\" of "
                                        "alpha is not a whole number from 1 to 1000000");
}

TEST(PrepareDataDirectoryTest, UpgradeStepRunsOnceAndUpdatesTheRecord) {
  TempDir tmp;
  const fs::path dir = tmp.path();
  // A test format at version 1 on disk; this "binary" writes version 2 and registers the step.
  Write(dir / "FORMATS", "written-by 0.9\nalpha 1\ntest-format 1\nfrom-the-future 7\n");
  Write(dir / "test-format" / "data", "v1");
  int runs = 0;
  std::string record_seen_by_step;
  const UpgradeStep steps[] = {{.format = "test-format",
                                .from = 1,
                                .run = [&](const fs::path& d) {
                                  ++runs;
                                  record_seen_by_step = Read(d / "FORMATS");
                                  std::ofstream(d / "test-format" / "data") << "v2";
                                  return Status::Ok();
                                }}};
  const DataFormat formats[] = {kAlpha, {.name = "test-format", .version = 2, .paths = {"test-format"}}};
  auto out = PrepareDataDirectory(dir, formats, steps, "1.0");
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(runs, 1);
  EXPECT_TRUE(out->had_record);
  EXPECT_EQ(out->upgraded, std::vector<std::string>{"test-format 1 -> 2"});
  EXPECT_NE(record_seen_by_step.find("test-format 1\n"), std::string::npos);  // the step ran before the record changed
  EXPECT_EQ(Read(dir / "test-format" / "data"), "v2");
  auto record = ParseFormatsRecord(Read(dir / "FORMATS"));
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->written_by, "1.0");
  EXPECT_EQ(record->Get("test-format"), 2u);
  EXPECT_EQ(record->Get("alpha"), 1u);
  EXPECT_EQ(record->Get("from-the-future"), 7u);  // a format this binary does not know is kept

  // The next start finds version 2 and runs nothing.
  out = PrepareDataDirectory(dir, formats, steps, "1.0");
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(runs, 1);
  EXPECT_TRUE(out->upgraded.empty());
}

TEST(PrepareDataDirectoryTest, FailedStepKeepsTheOldVersionAndSaysWhich) {
  TempDir tmp;
  Write(tmp.path() / "FORMATS", "written-by 0.9\ntest-format 1\n");
  const UpgradeStep steps[] = {
      {.format = "test-format", .from = 1, .run = [](const fs::path&) { return Internal("disk on fire"); }}};
  const DataFormat formats[] = {{.name = "test-format", .version = 2, .paths = {"test-format"}}};
  auto out = PrepareDataDirectory(tmp.path(), formats, steps, "1.0");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(),
            "data directory " + tmp.path().string() + ": upgrade test-format 1 -> 2: disk on fire");
  EXPECT_EQ(Read(tmp.path() / "FORMATS"), "written-by 0.9\ntest-format 1\n");
}

TEST(PrepareDataDirectoryTest, ExistingDataWithoutRecordIsVersionOne) {
  TempDir tmp;
  Write(tmp.path() / "beta-old", "x");
  int runs = 0;
  const UpgradeStep steps[] = {{.format = "beta", .from = 1, .run = [&](const fs::path&) {
                                  ++runs;
                                  return Status::Ok();
                                }}};
  const DataFormat formats[] = {kAlpha, {.name = "beta", .version = 2, .paths = {"beta.json", "beta-old"}}};
  auto out = PrepareDataDirectory(tmp.path(), formats, steps, "1.0");
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(runs, 1);  // the data on disk was version 1
  EXPECT_EQ(out->record.Get("beta"), 2u);
}

}  // namespace
}  // namespace perfwatch
