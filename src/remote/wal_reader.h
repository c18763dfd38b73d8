#pragma once
// Reading the TSDB's write-ahead log (docs/format/wal.md) while the head writes it, as
// Prometheus' tsdb/wlog/watcher.go does for remote write: records are read with pread
// from a position (segment, offset) up to what has been written so far; an incomplete or
// bad record at the end of the segment being written means "not yet", while in a segment
// the writer has left (a later one exists) it means the rest of that segment is lost
// (a crash's torn tail, or corruption) and reading goes on with the next segment. A
// segment deleted before it was read (a flush or checkpoint removed it) is skipped and
// counted. The reader only reads files: it never takes a TSDB lock.
//
// WalReader tracks series records (ref -> labels, relabeled once when first seen) and
// hands out samples of known series. Samples whose series record comes later (concurrent
// appenders may log them in that order) are resolved by scanning ahead for series records;
// a samples record whose series cannot be found yet is not consumed (NextSamples stops
// before it) until `unknown_ref_grace_ms` passed, after which those samples are dropped
// and counted.
//
// Thread safety: not thread-safe (one reader per remote, on its thread).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "remote/relabel.h"

namespace perfwatch::remote {

struct WalPosition {
  uint32_t segment = 0;
  uint64_t offset = 0;  // byte offset of the next record; 0 = the start of the segment
  bool operator==(const WalPosition&) const = default;
  bool operator<(const WalPosition& o) const { return segment != o.segment ? segment < o.segment : offset < o.offset; }
};

// One segment file read at growing offsets.
class SegmentTail {
 public:
  enum class Outcome { kRecord, kNoMore, kBad };
  // NotFound when the file does not exist.
  static Result<std::unique_ptr<SegmentTail>> Open(const std::filesystem::path& path, uint64_t offset);
  ~SegmentTail();
  SegmentTail(const SegmentTail&) = delete;
  SegmentTail& operator=(const SegmentTail&) = delete;

  // kRecord: `payload` holds the next record (a view into `buf`, which only ever grows)
  // and offset() moved past it. kNoMore: nothing complete yet (end of data, a partial or
  // zero-filled record). kBad: a record failing its checksum (or an impossible length)
  // with data after it, or a bad segment header.
  Outcome Next(std::string* buf, std::string_view* payload);
  uint64_t offset() const { return offset_; }
  void Seek(uint64_t offset) { offset_ = offset; }

 private:
  SegmentTail() = default;
  int fd_ = -1;
  uint64_t offset_ = 0;
  bool header_ok_ = false;
};

struct WalSample {
  uint64_t ref;
  int64_t t;
  double v;
  // The series' labels (after relabeling) as protobuf `Label` messages, each with its
  // field-1 tag: a TimeSeries' label part, ready to copy. Valid while the reader lives.
  const std::string* labels_pb;
};

struct WalReaderStats {
  uint64_t segments_skipped = 0;   // deleted before being read, or a bad header
  uint64_t corrupt_tails = 0;      // segments left with unreadable bytes at the end
  uint64_t unknown_series_samples = 0;
  uint64_t relabel_dropped_samples = 0;
};

class WalReader {
 public:
  WalReader(std::filesystem::path wal_dir, const Relabeler* relabel, int64_t unknown_ref_grace_ms = 2'000);
  ~WalReader();

  // Loads series records (only) of every checkpoint, of every segment before
  // `start.segment` and of `start.segment` up to `start.offset`, then positions there.
  // A start of {0,0} means "the oldest segment present".
  Status Start(WalPosition start);

  // Appends samples of forwarded series to `out` (relabel drops are counted, not added)
  // until `out` holds at least `max_samples` or nothing more is readable now; whole
  // records only; with `until`, also stops once position() reaches it.
  Status NextSamples(size_t max_samples, std::vector<WalSample>* out, const WalPosition* until = nullptr);

  WalPosition position() const { return pos_; }
  // Labels to send for `ref` (after relabeling); null for unknown or dropped series.
  const LabelPairs* Labels(uint64_t ref) const;
  const WalReaderStats& stats() const { return stats_; }
  size_t num_series() const { return series_.size(); }

 private:
  struct Series {
    LabelPairs labels;
    std::string labels_pb;  // see WalSample
    bool dropped = false;
  };
  // Next record at pos_, moving across segments; false when nothing more is readable.
  Result<bool> NextRecord(std::string_view* payload);
  Status AddSeriesRecord(std::string_view payload);
  // Scans from the current position to the end of what is written for series records.
  Status LookAheadForSeries();
  bool SegmentExists(uint32_t index) const;
  // The first existing segment after `index` (0: none).
  uint32_t NextExistingSegment(uint32_t index) const;

  const std::filesystem::path dir_;
  const Relabeler* relabel_;
  const int64_t grace_ms_;
  WalPosition pos_;
  std::unique_ptr<SegmentTail> tail_;
  std::unordered_map<uint64_t, Series> series_;  // nodes: pointers to them stay valid
  // series_ by ref for refs below kDenseRefs (the head hands refs out densely from 1): one
  // array index instead of a hash lookup per sample group.
  static constexpr uint64_t kDenseRefs = 1u << 24;
  std::vector<Series*> dense_;
  Series* Find(uint64_t ref) {
    if (ref < dense_.size()) return dense_[ref];
    if (ref < kDenseRefs) return nullptr;
    auto it = series_.find(ref);
    return it == series_.end() ? nullptr : &it->second;
  }
  WalReaderStats stats_;
  std::string record_;
  int64_t stalled_since_ms_ = 0;  // a samples record with unknown series waits since then
};

}  // namespace perfwatch::remote
