#include "alert/notify_queue.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "alert/state_file.h"
#include "common/file_util.h"
#include "common/log.h"

namespace perfwatch::alert {
namespace {

constexpr std::string_view kMagic = "PWAMNQ1\n";
constexpr uint8_t kEntry = 1;
constexpr uint8_t kTombstone = 2;

std::string EncodeEntry(const QueuedNotification& n) {
  std::string p;
  p.push_back(static_cast<char>(kEntry));
  PutVarint(p, n.id);
  PutString(p, n.receiver);
  PutVarint(p, n.integration_index);
  PutVarint(p, ZigZag(n.created_ms));
  PutString(p, n.group_key);
  PutString(p, n.body);
  return p;
}

}  // namespace

Result<std::unique_ptr<NotifyQueue>> NotifyQueue::Open(const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / "notify_queue.log";
  auto data = ReadFile(path);
  if (!data.ok() && data.status().code() != StatusCode::kNotFound) {
    return data.status().WithContext("notification queue");
  }
  std::string contents = data.ok() ? std::move(*data) : std::string();
  if (contents.size() < kMagic.size()) contents.clear();  // missing, or torn while being created
  if (!contents.empty() && std::string_view(contents).substr(0, kMagic.size()) != kMagic) {
    return DataLoss("notification queue: " + path.string() + " has a bad magic");
  }

  std::map<uint64_t, QueuedNotification> live;
  uint64_t next_id = 1;
  size_t dead = 0;
  uint64_t torn = 0;
  if (!contents.empty()) {
    std::string_view records = std::string_view(contents).substr(kMagic.size());
    size_t valid = 0;
    for (std::string_view r : SplitRecords(records, &valid)) {
      Decoder d(r);
      uint8_t type;
      uint64_t id;
      if (!d.Byte(&type) || !d.Varint(&id)) {
        ++dead;
        continue;
      }
      next_id = std::max(next_id, id + 1);
      if (type == kTombstone) {
        dead += 1 + live.erase(id);
        continue;
      }
      QueuedNotification n;
      n.id = id;
      std::string_view receiver, group_key, body;
      uint64_t index, created;
      if (type != kEntry || !d.LengthPrefixed(&receiver) || !d.Varint(&index) ||
          !d.Varint(&created) || !d.LengthPrefixed(&group_key) || !d.LengthPrefixed(&body)) {
        ++dead;
        continue;
      }
      n.receiver = std::string(receiver);
      n.integration_index = static_cast<uint32_t>(index);
      n.created_ms = UnZigZag(created);
      n.group_key = std::string(group_key);
      n.body = std::string(body);
      live[id] = std::move(n);
    }
    torn = records.size() - valid;
    if (torn > 0) {
      PW_LOG_WARN("notification queue: truncating a torn tail", "path={} bytes={}", path.string(),
                  torn);
    }
  }

  // Rewrite the log at open: this drops a torn tail and tombstoned entries in one step.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("open " + path.string(), errno);
  std::unique_ptr<NotifyQueue> q(new NotifyQueue(path, fd));
  q->torn_bytes_ = torn;
  std::lock_guard lock(q->mu_);
  q->live_ = std::move(live);
  q->next_id_ = next_id;
  q->dead_records_ = dead;
  if (contents.empty() || torn > 0 || dead > 0) PW_RETURN_IF_ERROR(q->CompactLocked());
  return q;
}

NotifyQueue::~NotifyQueue() {
  if (fd_ >= 0) ::close(fd_);
}

Status NotifyQueue::Append(std::vector<QueuedNotification>& batch) {
  if (batch.empty()) return Status::Ok();
  std::lock_guard lock(mu_);
  std::string data;
  for (auto& n : batch) {
    n.id = next_id_++;
    AppendRecord(data, EncodeEntry(n));
    live_[n.id] = n;
  }
  const off_t before = ::lseek(fd_, 0, SEEK_END);
  Status s = WriteAll(fd_, data);
  if (s.ok() && ::fdatasync(fd_) != 0) s = IoError("fdatasync", errno);
  if (!s.ok()) {
    // Nothing of this batch is acknowledged: cut a partial write off, so the records
    // appended after it stay readable (a reader stops at the first bad record).
    for (auto& n : batch) live_.erase(n.id);
    if (before >= 0 && ::ftruncate(fd_, before) != 0) {
      s = s.WithContext("and could not truncate the partial write (" + std::string(std::strerror(errno)) + ")");
    }
  }
  return s.WithContext("append to " + path_.string());
}

Status NotifyQueue::Remove(uint64_t id) {
  std::lock_guard lock(mu_);
  if (live_.erase(id) == 0) return Status::Ok();
  std::string p;
  p.push_back(static_cast<char>(kTombstone));
  PutVarint(p, id);
  std::string data;
  AppendRecord(data, p);
  dead_records_ += 2;
  return WriteAll(fd_, data).WithContext("append tombstone to " + path_.string());
}

std::vector<QueuedNotification> NotifyQueue::Live() const {
  std::lock_guard lock(mu_);
  std::vector<QueuedNotification> out;
  out.reserve(live_.size());
  for (const auto& [id, n] : live_) out.push_back(n);
  return out;
}

size_t NotifyQueue::size() const {
  std::lock_guard lock(mu_);
  return live_.size();
}

Status NotifyQueue::MaybeCompact(bool force) {
  std::lock_guard lock(mu_);
  if (!force && (dead_records_ < 1024 || dead_records_ <= live_.size())) return Status::Ok();
  return CompactLocked();
}

Status NotifyQueue::CompactLocked() {
  std::string data(kMagic);
  for (const auto& [id, n] : live_) AppendRecord(data, EncodeEntry(n));
  PW_RETURN_IF_ERROR(WriteFileAtomically(path_, data).WithContext("compact notification queue"));
  int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) return IoError("reopen " + path_.string(), errno);
  ::close(fd_);
  fd_ = fd;
  dead_records_ = 0;
  return Status::Ok();
}

}  // namespace perfwatch::alert
