#include "tsdb/wal.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/coding.h"
#include "common/file_util.h"
#include "common/mapped_file.h"
#include "common/crc32c.h"

namespace perfwatch::tsdb {

namespace {

void StoreFixed32(char* p, uint32_t v) { std::memcpy(p, &v, 4); }


}  // namespace

size_t BeginWalRecord(std::string& buf) {
  size_t start = buf.size();
  buf.append(kWalRecordHeaderBytes, '\0');
  return start;
}

void FinishWalRecord(std::string& buf, size_t start) {
  const char* payload = buf.data() + start + kWalRecordHeaderBytes;
  size_t len = buf.size() - start - kWalRecordHeaderBytes;
  StoreFixed32(buf.data() + start, static_cast<uint32_t>(len));
  StoreFixed32(buf.data() + start + 4, Crc32c(payload, len, Crc32c(buf.data() + start, 4)));
}

std::string WalSegmentName(uint32_t index) {
  char name[16];
  std::snprintf(name, sizeof(name), "%08u", index);
  return name;
}

Result<std::vector<uint32_t>> ListWalSegments(const std::filesystem::path& dir) {
  std::vector<uint32_t> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.size() != 8 || !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      continue;
    }
    out.push_back(static_cast<uint32_t>(std::stoul(name)));
  }
  if (ec) return IoError("list " + dir.string(), ec.value());
  std::sort(out.begin(), out.end());
  return out;
}

// ---------------------------------------------------------------------------------------
// WalWriter

struct WalWriter::Segment {
  ~Segment() {
    if (fd >= 0) ::close(fd);
  }
  uint32_t index = 0;
  int fd = -1;
  std::filesystem::path path;
  std::atomic<uint64_t> size{0};
  std::atomic<uint64_t> synced{0};
};

WalWriter::WalWriter(std::filesystem::path dir, WalOptions opts) : dir_(std::move(dir)), opts_(opts) {}
WalWriter::~WalWriter() = default;

Result<std::unique_ptr<WalWriter>> WalWriter::Open(std::filesystem::path dir, WalOptions opts, uint32_t first_index) {
  std::unique_ptr<WalWriter> w(new WalWriter(std::move(dir), opts));
  std::lock_guard lock(w->mu_);
  PW_RETURN_IF_ERROR(w->OpenSegment(first_index));
  return w;
}

Status WalWriter::OpenSegment(uint32_t index) {
  auto seg = std::make_shared<Segment>();
  seg->index = index;
  seg->path = dir_ / WalSegmentName(index);
  seg->fd = ::open(seg->path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (seg->fd < 0) return IoError("create WAL segment " + seg->path.string(), errno);
  char header[kWalSegmentHeaderBytes];
  std::memcpy(header, kWalMagic, 8);
  StoreFixed32(header + 8, index);
  StoreFixed32(header + 12, Crc32c(header, 12));
  PW_RETURN_IF_ERROR(WriteAll(seg->fd, std::string_view(header, sizeof(header))).WithContext(seg->path.string()));
  if (::fdatasync(seg->fd) != 0) return IoError("fsync " + seg->path.string(), errno);
  PW_RETURN_IF_ERROR(SyncDirectory(dir_));
  seg->size = kWalSegmentHeaderBytes;
  seg->synced = kWalSegmentHeaderBytes;
  if (segment_) {
    // Make the finished segment durable before anything lands in the new one.
    if (::fdatasync(segment_->fd) != 0) return IoError("fsync " + segment_->path.string(), errno);
    segment_->synced = segment_->size.load();
  }
  segment_ = std::move(seg);
  return Status::Ok();
}

Status WalWriter::Append(std::string_view framed) {
  std::lock_guard lock(mu_);
  if (segment_->size.load(std::memory_order_relaxed) >= opts_.segment_bytes) {
    PW_RETURN_IF_ERROR(OpenSegment(segment_->index + 1));
  }
  Segment& seg = *segment_;
  uint64_t before = seg.size.load(std::memory_order_relaxed);
  Status s = WriteAll(seg.fd, framed);
  if (!s.ok()) {
    (void)::ftruncate(seg.fd, static_cast<off_t>(before));
    return s.WithContext("WAL segment " + seg.path.string());
  }
  seg.size.store(before + framed.size(), std::memory_order_release);
  bytes_written_.fetch_add(framed.size(), std::memory_order_relaxed);
  return Status::Ok();
}

Status WalWriter::Sync() {
  std::shared_ptr<Segment> seg;
  {
    std::lock_guard lock(mu_);
    seg = segment_;
  }
  uint64_t target = seg->size.load(std::memory_order_acquire);
  if (seg->synced.load(std::memory_order_acquire) >= target) return Status::Ok();
  if (::fdatasync(seg->fd) != 0) return IoError("fdatasync WAL segment " + seg->path.string(), errno);
  uint64_t cur = seg->synced.load(std::memory_order_relaxed);
  while (cur < target && !seg->synced.compare_exchange_weak(cur, target)) {
  }
  syncs_.fetch_add(1, std::memory_order_relaxed);
  return Status::Ok();
}

Result<uint32_t> WalWriter::Cut() {
  std::lock_guard lock(mu_);
  PW_RETURN_IF_ERROR(OpenSegment(segment_->index + 1));
  return segment_->index;
}

uint32_t WalWriter::current_segment() const {
  std::lock_guard lock(mu_);
  return segment_->index;
}

// ---------------------------------------------------------------------------------------
// WalSegmentReader

Result<std::unique_ptr<WalSegmentReader>> WalSegmentReader::Open(const std::filesystem::path& path) {
  PW_ASSIGN_OR_RETURN(MappedFile file, MappedFile::Open(path));
  std::unique_ptr<WalSegmentReader> r(new WalSegmentReader());
  r->base_ = file.data();
  r->size_ = file.size();
  r->file_ = std::move(file);
  if (r->size_ < kWalSegmentHeaderBytes) {
    // A crash right after creation: treat as an empty segment with a torn header.
    r->pos_ = 0;
    return r;
  }
  if (std::memcmp(r->base_, kWalMagic, 8) != 0 || LoadFixed32(r->base_ + 12) != Crc32c(r->base_, 12)) {
    return DataLoss(path.string() + ": bad WAL segment header");
  }
  r->pos_ = kWalSegmentHeaderBytes;
  return r;
}

WalSegmentReader::~WalSegmentReader() = default;

WalSegmentReader::Outcome WalSegmentReader::Next(std::string_view* payload) {
  if (pos_ == size_) return Outcome::kEnd;
  auto bad = [&](uint64_t claimed_end) {
    if (claimed_end >= size_) return Outcome::kTornTail;
    for (uint64_t i = pos_; i < size_; ++i) {
      if (base_[i] != 0) return Outcome::kCorrupt;
    }
    return Outcome::kTornTail;
  };
  if (pos_ < kWalSegmentHeaderBytes) return Outcome::kTornTail;  // torn header
  if (size_ - pos_ < kWalRecordHeaderBytes) return bad(size_);
  uint32_t len = LoadFixed32(base_ + pos_);
  if (len == 0 || len > kWalMaxRecordBytes) return bad(0);
  uint64_t end = pos_ + kWalRecordHeaderBytes + len;
  if (end > size_) return bad(end);
  uint32_t want = LoadFixed32(base_ + pos_ + 4);
  uint32_t got = Crc32c(base_ + pos_ + kWalRecordHeaderBytes, len, Crc32c(base_ + pos_, 4));
  if (want != got) return bad(end);
  *payload = std::string_view(base_ + pos_ + kWalRecordHeaderBytes, len);
  pos_ = end;
  return Outcome::kRecord;
}

}  // namespace perfwatch::tsdb
