#include "events/log_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/file_util.h"
#include "common/mapped_file.h"
#include "common/crc32c.h"
#include "common/coding.h"

namespace perfwatch::events {

namespace {


}  // namespace

void AppendRecord(std::string& out, std::string_view payload) {
  char len[5];
  int n = 0;
  uint32_t v = static_cast<uint32_t>(payload.size());
  while (v >= 0x80) {
    len[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  len[n++] = static_cast<char>(v);
  uint32_t crc = Crc32c(payload.data(), payload.size(), Crc32c(len, n));
  PutFixed32(out, crc);
  out.append(len, n);
  out.append(payload);
}

std::string EncodeLogHeader(const LogHeader& header) {
  std::string out(kLogMagic, sizeof(kLogMagic));
  PutFixed64(out, static_cast<uint64_t>(header.start_ms));
  PutFixed64(out, static_cast<uint64_t>(header.length_ms));
  PutFixed32(out, 0);  // reserved
  PutFixed32(out, Crc32c(out.data(), out.size()));
  return out;
}

Status DecodeLogHeader(std::string_view bytes, LogHeader* header) {
  if (bytes.size() < kLogHeaderBytes) return DataLoss("log header truncated");
  if (std::memcmp(bytes.data(), kLogMagic, sizeof(kLogMagic)) != 0) return DataLoss("bad log magic");
  if (LoadFixed32(bytes.data() + 28) != Crc32c(bytes.data(), 28)) return DataLoss("log header checksum mismatch");
  header->start_ms = static_cast<int64_t>(LoadFixed64(bytes.data() + 8));
  header->length_ms = static_cast<int64_t>(LoadFixed64(bytes.data() + 16));
  if (header->length_ms <= 0) return DataLoss("log header has a non-positive partition length");
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------
// LogWriter

LogWriter::LogWriter(std::filesystem::path path, int fd, uint64_t size)
    : path_(std::move(path)), fd_(fd), size_(size), synced_size_(size) {}

LogWriter::~LogWriter() { ::close(fd_); }

Result<std::unique_ptr<LogWriter>> LogWriter::Open(const std::filesystem::path& path, const LogHeader& header,
                                                   std::optional<uint64_t> valid_bytes) {
  int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
  bool created = false;
  if (fd < 0 && errno == ENOENT) {
    fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    created = true;
  }
  if (fd < 0) return IoError("open " + path.string(), errno);
  auto fail = [&](Status s) {
    if (!s.ok()) ::close(fd);
    return s;
  };
  if (created) {
    PW_RETURN_IF_ERROR(fail(WriteAll(fd, EncodeLogHeader(header)).WithContext("write header of " + path.string())));
    if (::fsync(fd) != 0) return fail(IoError("fsync " + path.string(), errno));
    PW_RETURN_IF_ERROR(fail(SyncDirectory(path.parent_path())));
  } else if (valid_bytes) {
    if (::ftruncate(fd, static_cast<off_t>(*valid_bytes)) != 0) {
      return fail(IoError("truncate " + path.string(), errno));
    }
    if (::fsync(fd) != 0) return fail(IoError("fsync " + path.string(), errno));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) return fail(IoError("stat " + path.string(), errno));
  return std::unique_ptr<LogWriter>(new LogWriter(path, fd, static_cast<uint64_t>(st.st_size)));
}

Status LogWriter::Write(std::string_view data) {
  uint64_t before = size_.load(std::memory_order_relaxed);
  Status s = WriteAll(fd_, data);
  if (!s.ok()) {
    (void)::ftruncate(fd_, static_cast<off_t>(before));  // best effort: keep the log clean
    return s.WithContext(path_.string());
  }
  size_.store(before + data.size(), std::memory_order_release);
  return Status::Ok();
}

Status LogWriter::Truncate(uint64_t size) {
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return IoError("truncate " + path_.string(), errno);
  size_.store(size, std::memory_order_release);
  if (synced_size_.load(std::memory_order_relaxed) > size) synced_size_.store(size, std::memory_order_relaxed);
  return Status::Ok();
}

Status LogWriter::Sync(bool* synced) {
  if (synced) *synced = false;
  uint64_t target = size_.load(std::memory_order_acquire);
  if (synced_size_.load(std::memory_order_acquire) == target) return Status::Ok();
  if (::fdatasync(fd_) != 0) return IoError("fdatasync " + path_.string(), errno);
  // Several threads may sync; keep the largest size known durable.
  uint64_t cur = synced_size_.load(std::memory_order_relaxed);
  while (cur < target && !synced_size_.compare_exchange_weak(cur, target)) {
  }
  if (synced) *synced = true;
  return Status::Ok();
}

Status LogWriter::ReadAt(uint64_t offset, size_t n, std::string& out) const {
  out.resize(n);
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::pread(fd_, out.data() + got, n - got, static_cast<off_t>(offset + got));
    if (r < 0) {
      if (errno == EINTR) continue;
      return IoError("pread " + path_.string(), errno);
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  out.resize(got);
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------
// LogReader

Result<std::unique_ptr<LogReader>> LogReader::Open(const std::filesystem::path& path) {
  PW_ASSIGN_OR_RETURN(MappedFile file, MappedFile::Open(path));
  std::unique_ptr<LogReader> r(new LogReader());
  r->base_ = file.data();
  r->size_ = file.size();
  r->file_ = std::move(file);
  Status s = DecodeLogHeader(r->data(), &r->header_);
  if (!s.ok()) return s.WithContext(path.string());
  r->pos_ = kLogHeaderBytes;
  return r;
}

LogReader::~LogReader() = default;

LogReader::Outcome LogReader::Next(std::string_view* payload, uint64_t* offset) {
  if (pos_ == size_) return Outcome::kEnd;
  auto bad = [&](uint64_t claimed_end) {
    // Torn tail when the bad record claims to reach the end of the file, or when nothing
    // but zeros follows (a crash after the file grew but before the data landed).
    if (claimed_end >= size_) return Outcome::kTornTail;
    for (uint64_t i = pos_; i < size_; ++i) {
      if (base_[i] != 0) return Outcome::kCorrupt;
    }
    return Outcome::kTornTail;
  };
  if (size_ - pos_ < 5) return bad(size_);
  Decoder d(base_ + pos_ + 4, size_ - pos_ - 4);
  uint64_t len;
  if (!d.Varint(&len)) return bad(d.remaining() == 0 ? size_ : 0);
  if (len > kMaxRecordBytes) return bad(0);
  uint64_t header_len = static_cast<uint64_t>(d.position() - (base_ + pos_));
  uint64_t end = pos_ + header_len + len;
  if (end > size_) return bad(end);
  uint32_t want = LoadFixed32(base_ + pos_);
  const char* len_start = base_ + pos_ + 4;
  uint32_t got = Crc32c(len_start, header_len - 4 + len);
  if (want != got) return bad(end);
  *payload = std::string_view(base_ + pos_ + header_len, len);
  *offset = pos_;
  pos_ = end;
  return Outcome::kRecord;
}

Result<PinnedFile> PinLog(const LogWriter& writer, const std::filesystem::path& store_dir,
                          const std::filesystem::path& dest) {
  return PinnedFile::Pin(writer.fd(), writer.size(), dest / std::filesystem::relative(writer.path(), store_dir));
}

}  // namespace perfwatch::events
