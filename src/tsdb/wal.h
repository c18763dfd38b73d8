#pragma once
// The head's write-ahead log: a directory of numbered segment files ("00000001", ...),
// each a 16-byte header followed by checksummed records. Byte layout: docs/format/wal.md.
//
// WalWriter appends already-framed records with one write(2) per call (durable against
// process death on return) and rolls to a new segment when the current one exceeds
// WalOptions::segment_bytes. Sync() fdatasyncs what was written (the Tsdb calls it every
// fsync interval from its background thread). WalSegmentReader walks one segment's
// records through a read-only mapping and tells a torn tail from corruption.
//
// Thread safety: WalWriter is thread-safe (Append/Cut serialise on an internal mutex;
// Sync runs the fdatasync outside it). WalSegmentReader is not thread-safe.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/mapped_file.h"
#include "common/status.h"

namespace perfwatch::tsdb {

inline constexpr char kWalMagic[8] = {'P', 'W', 'T', 'S', 'W', 'A', 'L', '1'};
inline constexpr size_t kWalSegmentHeaderBytes = 16;
inline constexpr size_t kWalRecordHeaderBytes = 8;  // length (fixed32) + crc32c (fixed32)
inline constexpr size_t kWalMaxRecordBytes = 256u << 20;

struct WalOptions {
  uint64_t segment_bytes = 128ull << 20;
};

// Record framing: BeginWalRecord reserves the header and returns the record's start;
// append the payload to `buf`, then FinishWalRecord fills in length and checksum.
size_t BeginWalRecord(std::string& buf);
void FinishWalRecord(std::string& buf, size_t start);

// Segment file name for an index ("00000042") and the sorted indices present in `dir`.
std::string WalSegmentName(uint32_t index);
Result<std::vector<uint32_t>> ListWalSegments(const std::filesystem::path& dir);

class WalWriter {
 public:
  // Creates segment `first_index` in `dir` (which must exist) and appends there.
  static Result<std::unique_ptr<WalWriter>> Open(std::filesystem::path dir, WalOptions opts, uint32_t first_index);
  ~WalWriter();
  WalWriter(const WalWriter&) = delete;
  WalWriter& operator=(const WalWriter&) = delete;

  // Appends framed records (one or more) with one write(2). On failure the segment is
  // truncated back (best effort) and the error returned.
  Status Append(std::string_view framed);
  // fdatasync of everything appended so far (no-op when nothing new).
  Status Sync();
  // Starts a new segment (fsyncing the old one); returns the new segment's index.
  Result<uint32_t> Cut();

  uint32_t current_segment() const;
  uint64_t bytes_written() const { return bytes_written_.load(std::memory_order_relaxed); }
  uint64_t syncs() const { return syncs_.load(std::memory_order_relaxed); }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  struct Segment;
  WalWriter(std::filesystem::path dir, WalOptions opts);
  Status OpenSegment(uint32_t index);  // requires mu_

  const std::filesystem::path dir_;
  const WalOptions opts_;
  std::atomic<uint64_t> bytes_written_{0};
  std::atomic<uint64_t> syncs_{0};

  mutable std::mutex mu_;
  std::shared_ptr<Segment> segment_;  // guarded by mu_ (Sync holds a copy)
};

// Reads one segment. Next() returns records until the end, a torn tail (incomplete or
// zero-filled record at the end: the usual crash result) or corruption (a record failing
// its checksum with other bytes after it).
class WalSegmentReader {
 public:
  enum class Outcome { kRecord, kEnd, kTornTail, kCorrupt };

  static Result<std::unique_ptr<WalSegmentReader>> Open(const std::filesystem::path& path);
  ~WalSegmentReader();
  WalSegmentReader(const WalSegmentReader&) = delete;
  WalSegmentReader& operator=(const WalSegmentReader&) = delete;

  Outcome Next(std::string_view* payload);
  // Offset of the next record, i.e. where a bad record starts after kTornTail/kCorrupt.
  uint64_t offset() const { return pos_; }
  uint64_t size() const { return size_; }

 private:
  WalSegmentReader() = default;
  MappedFile file_;  // owns the mapping base_ and size_ describe
  const char* base_ = nullptr;
  uint64_t size_ = 0;
  uint64_t pos_ = 0;
};

}  // namespace perfwatch::tsdb
