#pragma once
// Data format versions of a data directory (docs/format/versions.md).
//
// `<data_dir>/FORMATS` records, for each on-disk format perfwatch writes, the version of
// it the directory holds, and the perfwatch version that last wrote the directory:
//
//   # comment lines and blank lines are ignored
//   written-by 0.1.0
//   tsdb-blocks 1
//   tsdb-wal 1
//
// PrepareDataDirectory runs at start before any store opens: it refuses a directory that
// holds a format version newer than this binary reads, runs the registered upgrade steps
// of older ones (the record rewritten after each step, so a crash resumes where it
// stopped), and writes the record (temp file, fsync, rename, fsync of the directory).
// The table of formats and steps is the caller's (cli/data_formats.h holds perfwatch's);
// this file is the mechanism only.
// Thread safety: stateless functions; one process prepares a directory at a time.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace perfwatch {

inline constexpr const char* kFormatsFileName = "FORMATS";
inline constexpr size_t kFormatsMaxBytes = 64 * 1024;      // a bigger record is malformed
inline constexpr size_t kFormatsMaxEntries = 256;
inline constexpr size_t kFormatsMaxNameLength = 64;        // format names and written-by
inline constexpr uint32_t kFormatsMaxVersion = 1'000'000;  // a bigger version is malformed

struct FormatsRecord {
  std::string written_by;                                  // a perfwatch version, e.g. "0.1.0"
  std::vector<std::pair<std::string, uint32_t>> versions;  // format -> version, file order

  std::optional<uint32_t> Get(std::string_view format) const;
  void Set(std::string_view format, uint32_t version);  // replaces or appends
  bool operator==(const FormatsRecord&) const = default;
};

// Parses a record; InvalidArgument naming the line for anything malformed (unknown
// keyword shapes, a version that is not a decimal in 1..kFormatsMaxVersion, a format
// named twice, no or two `written-by` lines, a bad character, too large).
Result<FormatsRecord> ParseFormatsRecord(std::string_view text);
// The file's text: a comment, `written-by`, then the formats in record order.
std::string FormatFormatsRecord(const FormatsRecord& record);

// One on-disk format as this binary knows it.
struct DataFormat {
  std::string name;                // [a-z0-9-], e.g. "tsdb-blocks"
  uint32_t version = 1;            // the version this binary writes and reads up to
  uint32_t min_read_version = 0;   // older versions from here on are read as they are; 0 = `version`
  std::vector<std::string> paths;  // relative to the data dir; any of them existing = data on disk
};

// Upgrades `format` in `data_dir` from version `from` to `from + 1`, in place, before any
// store opens. Should be safe to run again after a crash in the middle of it.
struct UpgradeStep {
  std::string format;
  uint32_t from = 1;
  std::function<Status(const std::filesystem::path& data_dir)> run;
};

struct PrepareOutcome {
  FormatsRecord record;                // as written
  bool had_record = false;             // false: no FORMATS (new, or written before versioning)
  std::vector<std::string> upgraded;   // "<format> N -> N+1", in the order run
};

// See the top of the file. Errors (each one line, naming the directory):
//   too new:   "data directory D was written by perfwatch V with F format version N;
//               this perfwatch reads up to M: upgrade perfwatch" (InvalidArgument)
//   too old without a step: "... F format version N; this perfwatch reads F versions
//               M0 to M and has no upgrade from N" (InvalidArgument)
//   a malformed record (InvalidArgument), a failed step or I/O error (their code).
// A format the record names but `formats` does not (written by a newer perfwatch that
// added it) is kept in the record and otherwise ignored.
Result<PrepareOutcome> PrepareDataDirectory(const std::filesystem::path& data_dir, std::span<const DataFormat> formats,
                                            std::span<const UpgradeStep> steps, std::string_view perfwatch_version);

}  // namespace perfwatch
