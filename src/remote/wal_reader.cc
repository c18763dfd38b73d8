#include "remote/wal_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "common/coding.h"
#include "common/crc32c.h"
#include "common/log.h"
#include "common/time.h"
#include "ingest/remote_write/remote_write_encoder.h"
#include "tsdb/record.h"
#include "tsdb/wal.h"

namespace perfwatch::remote {
namespace {

constexpr std::string_view kCheckpointPrefix = "checkpoint.";

// pread until `n` bytes or the end of the file; returns the bytes read.
size_t PreadFull(int fd, char* buf, size_t n, uint64_t off) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::pread(fd, buf + got, n - got, static_cast<off_t>(off + got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  return got;
}

// True when every byte of `fd` from `off` on is zero (a zero-filled tail: not yet written).
bool ZerosFrom(int fd, uint64_t off) {
  char buf[4096];
  for (;;) {
    size_t n = PreadFull(fd, buf, sizeof(buf), off);
    for (size_t i = 0; i < n; ++i) {
      if (buf[i] != 0) return false;
    }
    if (n < sizeof(buf)) return true;
    off += n;
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------
// SegmentTail

Result<std::unique_ptr<SegmentTail>> SegmentTail::Open(const std::filesystem::path& path, uint64_t offset) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return NotFound(path.string() + ": no such segment");
    return IoError("open " + path.string(), errno);
  }
  std::unique_ptr<SegmentTail> t(new SegmentTail());
  t->fd_ = fd;
  t->offset_ = offset;
  return t;
}

SegmentTail::~SegmentTail() {
  if (fd_ >= 0) ::close(fd_);
}

SegmentTail::Outcome SegmentTail::Next(std::string* buf, std::string_view* payload) {
  if (!header_ok_) {
    char h[tsdb::kWalSegmentHeaderBytes];
    if (PreadFull(fd_, h, sizeof(h), 0) < sizeof(h)) return Outcome::kNoMore;
    if (std::memcmp(h, tsdb::kWalMagic, 8) != 0 || LoadFixed32(h + 12) != Crc32c(h, 12)) return Outcome::kBad;
    header_ok_ = true;
  }
  offset_ = std::max<uint64_t>(offset_, tsdb::kWalSegmentHeaderBytes);
  char head[tsdb::kWalRecordHeaderBytes];
  if (PreadFull(fd_, head, sizeof(head), offset_) < sizeof(head)) return Outcome::kNoMore;
  const uint32_t len = LoadFixed32(head);
  if (len == 0 || len > tsdb::kWalMaxRecordBytes) return ZerosFrom(fd_, offset_) ? Outcome::kNoMore : Outcome::kBad;
  if (buf->size() < len) buf->resize(len);
  if (PreadFull(fd_, buf->data(), len, offset_ + sizeof(head)) < len) return Outcome::kNoMore;
  *payload = std::string_view(buf->data(), len);
  if (LoadFixed32(head + 4) != Crc32c(buf->data(), len, Crc32c(head, 4))) {
    // The last record of the file may still be landing (a reader can see part of a
    // write); anything after it makes it corrupt.
    char probe;
    const bool more = PreadFull(fd_, &probe, 1, offset_ + sizeof(head) + len) == 1;
    return more ? Outcome::kBad : Outcome::kNoMore;
  }
  offset_ += sizeof(head) + len;
  return Outcome::kRecord;
}

// ---------------------------------------------------------------------------------------
// WalReader

WalReader::WalReader(std::filesystem::path wal_dir, const Relabeler* relabel, int64_t unknown_ref_grace_ms)
    : dir_(std::move(wal_dir)), relabel_(relabel), grace_ms_(unknown_ref_grace_ms) {}

WalReader::~WalReader() = default;

bool WalReader::SegmentExists(uint32_t index) const {
  std::error_code ec;
  return std::filesystem::exists(dir_ / tsdb::WalSegmentName(index), ec);
}

uint32_t WalReader::NextExistingSegment(uint32_t index) const {
  if (SegmentExists(index + 1)) return index + 1;
  auto segments = tsdb::ListWalSegments(dir_);
  if (!segments.ok()) return 0;
  for (uint32_t s : *segments) {
    if (s > index) return s;
  }
  return 0;
}

Status WalReader::AddSeriesRecord(std::string_view payload) {
  return tsdb::DecodeSeriesRecord(payload, [&](uint64_t ref, std::span<const tsdb::LabelView> labels) -> Status {
    if (series_.count(ref)) return Status::Ok();
    Series s;
    s.labels.reserve(labels.size());
    for (const tsdb::LabelView& l : labels) s.labels.emplace_back(std::string(l.name), std::string(l.value));
    std::sort(s.labels.begin(), s.labels.end());
    if (relabel_ && !relabel_->empty()) s.dropped = !relabel_->Apply(s.labels);
    if (s.dropped) {
      s.labels.clear();
    } else {
      ingest::ProtoWriter w;  // TimeSeries.labels (1): Label{name (1), value (2)}
      for (const auto& l : s.labels) {
        const size_t inner = 2 + static_cast<size_t>(VarintLength(l.first.size()) + VarintLength(l.second.size())) +
                             l.first.size() + l.second.size();
        w.Tag(1, ingest::ProtoWriter::kLen).Varint(inner).BytesField(1, l.first).BytesField(2, l.second);
      }
      s.labels_pb = w.Take();
    }
    Series* stored = &series_.emplace(ref, std::move(s)).first->second;
    if (ref < kDenseRefs) {
      if (dense_.size() <= ref) dense_.resize(std::max<size_t>(ref + 1, dense_.size() * 2), nullptr);
      dense_[ref] = stored;
    }
    return Status::Ok();
  });
}

Status WalReader::Start(WalPosition start) {
  // Series of the checkpoints: the head's series as of their segments.
  std::vector<std::pair<uint32_t, std::filesystem::path>> checkpoints;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(kCheckpointPrefix, 0) != 0 || name.size() != kCheckpointPrefix.size() + 8) continue;
    const std::string digits = name.substr(kCheckpointPrefix.size());
    if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
    checkpoints.emplace_back(static_cast<uint32_t>(std::stoul(digits)), entry.path());
  }
  std::sort(checkpoints.begin(), checkpoints.end());
  auto read_series = [&](const std::filesystem::path& path, uint64_t until) -> Status {
    auto tail = SegmentTail::Open(path, 0);
    if (!tail.ok()) return tail.status().code() == StatusCode::kNotFound ? Status::Ok() : tail.status();
    std::string buf;
    std::string_view payload;
    while ((*tail)->offset() < until || until == UINT64_MAX) {
      if ((*tail)->Next(&buf, &payload) != SegmentTail::Outcome::kRecord) break;
      if ((*tail)->offset() > until) break;  // the record at `until` is not ours to load
      if (!payload.empty() && payload[0] == static_cast<char>(tsdb::RecordType::kSeries)) {
        Status s = AddSeriesRecord(payload);
        if (!s.ok()) PW_LOG_WARN("remote write: bad series record", "file={} error={}", LogQuote(path.string()), LogQuote(s.message()));
      }
    }
    return Status::Ok();
  };
  // Every checkpoint, not only the newest: while the TSDB keeps segments for us past a
  // flush (Tsdb::SetWalHold), their series may be in an older one.
  for (const auto& checkpoint : checkpoints) {
    auto files = tsdb::ListWalSegments(checkpoint.second);
    if (!files.ok()) continue;
    for (uint32_t f : *files) PW_RETURN_IF_ERROR(read_series(checkpoint.second / tsdb::WalSegmentName(f), UINT64_MAX));
  }
  PW_ASSIGN_OR_RETURN(auto segments, tsdb::ListWalSegments(dir_));
  if (start.segment == 0) start = WalPosition{segments.empty() ? 0 : segments.front(), 0};
  for (uint32_t s : segments) {
    if (s < start.segment) PW_RETURN_IF_ERROR(read_series(dir_ / tsdb::WalSegmentName(s), UINT64_MAX));
  }
  if (start.segment != 0 && start.offset > 0) {
    PW_RETURN_IF_ERROR(read_series(dir_ / tsdb::WalSegmentName(start.segment), start.offset));
  }
  pos_ = start;
  tail_.reset();
  return Status::Ok();
}

Result<bool> WalReader::NextRecord(std::string_view* payload) {
  for (;;) {
    if (!tail_) {
      if (pos_.segment == 0) {
        uint32_t first = NextExistingSegment(0);
        if (first == 0) return false;
        pos_ = WalPosition{first, 0};
      }
      auto t = SegmentTail::Open(dir_ / tsdb::WalSegmentName(pos_.segment), pos_.offset);
      if (!t.ok()) {
        if (t.status().code() != StatusCode::kNotFound) return t.status();
        uint32_t next = NextExistingSegment(pos_.segment);
        if (next == 0) return false;  // not created yet
        ++stats_.segments_skipped;
        PW_LOG_WARN("remote write: WAL segment deleted before it was read; its samples are not forwarded",
                    "segment={} next={}", pos_.segment, next);
        pos_ = WalPosition{next, 0};
        continue;
      }
      tail_ = std::move(t).value();
    }
    SegmentTail::Outcome o = tail_->Next(&record_, payload);
    if (o == SegmentTail::Outcome::kRecord) {
      pos_.offset = tail_->offset();
      return true;
    }
    const uint32_t next = NextExistingSegment(pos_.segment);
    if (next == 0) return false;  // the segment being written: wait for more
    // The writer finished this segment before creating the next: read what it wrote last.
    o = tail_->Next(&record_, payload);
    if (o == SegmentTail::Outcome::kRecord) {
      pos_.offset = tail_->offset();
      return true;
    }
    if (o == SegmentTail::Outcome::kBad) {
      ++stats_.corrupt_tails;
      PW_LOG_WARN("remote write: unreadable record in a finished WAL segment; skipping its rest", "segment={} offset={}",
                  pos_.segment, tail_->offset());
    }
    if (next != pos_.segment + 1) {
      stats_.segments_skipped += next - pos_.segment - 1;
      PW_LOG_WARN("remote write: WAL segments deleted before they were read; their samples are not forwarded",
                  "first={} last={}", pos_.segment + 1, next - 1);
    }
    tail_.reset();
    pos_ = WalPosition{next, 0};
  }
}

Status WalReader::LookAheadForSeries() {
  for (uint32_t seg = pos_.segment, n = 0; seg != 0 && n < 2; seg = NextExistingSegment(seg), ++n) {
    auto tail = SegmentTail::Open(dir_ / tsdb::WalSegmentName(seg), seg == pos_.segment ? pos_.offset : 0);
    if (!tail.ok()) continue;
    std::string buf;
    std::string_view payload;
    while ((*tail)->Next(&buf, &payload) == SegmentTail::Outcome::kRecord) {
      if (!payload.empty() && payload[0] == static_cast<char>(tsdb::RecordType::kSeries)) {
        (void)AddSeriesRecord(payload);
      }
    }
  }
  return Status::Ok();
}

const LabelPairs* WalReader::Labels(uint64_t ref) const {
  auto it = series_.find(ref);
  if (it == series_.end() || it->second.dropped) return nullptr;
  return &it->second.labels;
}

Status WalReader::NextSamples(size_t max_samples, std::vector<WalSample>* out, const WalPosition* until) {
  std::string_view payload;
  while (out->size() < max_samples && !(until && !(pos_ < *until))) {
    const WalPosition before = pos_;
    PW_ASSIGN_OR_RETURN(bool got, NextRecord(&payload));
    if (!got) return Status::Ok();
    if (payload.empty()) continue;
    const auto type = static_cast<tsdb::RecordType>(payload[0]);
    if (type == tsdb::RecordType::kSeries) {
      Status s = AddSeriesRecord(payload);
      if (!s.ok()) PW_LOG_WARN("remote write: bad series record", "segment={} error={}", before.segment, LogQuote(s.message()));
      continue;
    }
    if (type != tsdb::RecordType::kSamples) continue;
    const size_t mark = out->size();
    uint64_t dropped = 0, unknown = 0;
    auto emit = [&](uint64_t ref, std::span<const tsdb::Sample> samples) -> Status {
      Series* series = Find(ref);
      if (!series) {
        unknown += samples.size();
      } else if (series->dropped) {
        dropped += samples.size();
      } else {
        const std::string* pb = &series->labels_pb;
        for (const tsdb::Sample& smp : samples) out->push_back(WalSample{ref, smp.t, smp.v, pb});
      }
      return Status::Ok();
    };
    Status s = tsdb::DecodeSamplesRecord(payload, emit);
    if (!s.ok()) {
      out->resize(mark);
      PW_LOG_WARN("remote write: bad samples record", "segment={} error={}", before.segment, LogQuote(s.message()));
      continue;
    }
    if (unknown) {
      // Look ahead for the series records (the record stays in record_: lookahead reads
      // with its own buffer), then decode again.
      out->resize(mark);
      PW_RETURN_IF_ERROR(LookAheadForSeries());
      dropped = unknown = 0;
      (void)tsdb::DecodeSamplesRecord(payload, emit);
      if (unknown) {
        const int64_t now = NowMs();
        if (stalled_since_ms_ == 0) stalled_since_ms_ = now;
        if (now - stalled_since_ms_ < grace_ms_) {
          // Its series record is still being written: read this record again later.
          out->resize(mark);
          if (tail_ && before.segment == pos_.segment) {
            tail_->Seek(before.offset);
          } else {
            tail_.reset();
          }
          pos_ = before;
          return Status::Ok();
        }
      }
    }
    stalled_since_ms_ = 0;
    stats_.relabel_dropped_samples += dropped;
    stats_.unknown_series_samples += unknown;
  }
  return Status::Ok();
}

}  // namespace perfwatch::remote
