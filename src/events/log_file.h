#pragma once
// One partition's append-only event log: a file header followed by checksummed records.
// Byte layout: docs/format/events.md.
//
// LogWriter appends with write(2) (durable against process death on return) and fsyncs on
// request. LogReader maps a log read-only and walks its records, stopping at the first
// record that fails its checksum or runs past the end of the file.
//
// Thread safety: LogWriter::Write/Truncate must be serialised by the caller (the store's
// append mutex); Sync, ReadAt, size and synced_size may be called from any thread.
// LogReader is not thread-safe.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/mapped_file.h"
#include "common/snapshot_files.h"
#include "common/status.h"

namespace perfwatch::events {

inline constexpr char kLogMagic[8] = {'P', 'W', 'E', 'V', 'L', 'O', 'G', '1'};
inline constexpr size_t kLogHeaderBytes = 32;
inline constexpr size_t kMaxRecordBytes = 64u << 20;
// Largest record header: crc32c (4) + length varint (up to 5).
inline constexpr size_t kMaxRecordHeaderBytes = 9;

struct LogHeader {
  int64_t start_ms = 0;   // partition start (inclusive)
  int64_t length_ms = 0;  // partition length; events have start_ms <= time < start_ms + length_ms
};

// Appends the framing (crc32c, length varint) and `payload` to `out`.
void AppendRecord(std::string& out, std::string_view payload);

class LogWriter {
 public:
  // Opens `path` for appending, creating it with `header` (and fsyncing the file and its
  // directory) when it does not exist. `valid_bytes`, when set, is where replay found the
  // last good record: the file is truncated there first.
  static Result<std::unique_ptr<LogWriter>> Open(const std::filesystem::path& path, const LogHeader& header,
                                                 std::optional<uint64_t> valid_bytes);
  ~LogWriter();
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  // Writes `data` at the end of the log with write(2). On failure the file is truncated
  // back to its previous size (best effort) and the error returned.
  Status Write(std::string_view data);
  // Truncates the log to `size` bytes (used to roll back a failed batch).
  Status Truncate(uint64_t size);
  // fdatasync if anything was written since the last sync. Returns true in *synced when
  // a sync call was made.
  Status Sync(bool* synced = nullptr);
  // pread of up to `n` bytes at `offset` into `out` (resized to what was read).
  Status ReadAt(uint64_t offset, size_t n, std::string& out) const;

  uint64_t size() const { return size_.load(std::memory_order_acquire); }
  const std::filesystem::path& path() const { return path_; }
  int fd() const { return fd_; }

 private:
  LogWriter(std::filesystem::path path, int fd, uint64_t size);

  const std::filesystem::path path_;
  const int fd_;
  std::atomic<uint64_t> size_;         // bytes written; updated by Write/Truncate
  std::atomic<uint64_t> synced_size_;  // size at the last successful fdatasync
};

// Reads a whole log through a read-only mapping.
class LogReader {
 public:
  enum class Outcome { kRecord, kEnd, kTornTail, kCorrupt };

  static Result<std::unique_ptr<LogReader>> Open(const std::filesystem::path& path);
  ~LogReader();
  LogReader(const LogReader&) = delete;
  LogReader& operator=(const LogReader&) = delete;

  const LogHeader& header() const { return header_; }
  uint64_t file_size() const { return size_; }

  // Advances to the next record. kRecord: *payload and *offset describe it. kEnd: clean
  // end of file. kTornTail: the remaining bytes are an incomplete or zero-filled record
  // (the usual result of a crash during a write). kCorrupt: a record failed its checksum
  // and bytes follow it. In both bad cases good_bytes() is where the bad record starts.
  Outcome Next(std::string_view* payload, uint64_t* offset);
  uint64_t good_bytes() const { return pos_; }
  // The whole mapped file (valid until the reader is destroyed).
  std::string_view data() const { return {base_, size_}; }

 private:
  LogReader() = default;

  MappedFile file_;  // owns the mapping base_ and size_ describe
  const char* base_ = nullptr;
  uint64_t size_ = 0;
  uint64_t pos_ = 0;  // start of the next record
  LogHeader header_;
};


// Header encoding, exposed for tests.
std::string EncodeLogHeader(const LogHeader& header);
Status DecodeLogHeader(std::string_view bytes, LogHeader* header);

// Pins `writer`'s log as it is now for a snapshot (common/snapshot_files.h), to be copied to
// the same path relative to `store_dir` under `dest`. Call it under the lock that
// serialises the writer's Write/Truncate, so the pinned size ends between two batches.
Result<PinnedFile> PinLog(const LogWriter& writer, const std::filesystem::path& store_dir,
                          const std::filesystem::path& dest);

}  // namespace perfwatch::events
