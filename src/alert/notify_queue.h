#pragma once
// The persisted outbox of notifications not yet delivered: an append-only log under the
// state directory (notify_queue.log; format in docs/format/alertmanager-state.md). Append
// writes and fsyncs before the notification is attempted, so a crash or kill -9 never
// loses one; Remove appends a tombstone once it was delivered or given up on (not synced:
// a tombstone lost in a crash costs one duplicate delivery after the restart).
// Compact rewrites the log with only live entries (temp file + fsync + rename) when
// tombstoned records dominate. Open tolerates a torn tail (a partial or damaged last
// record from kill -9) by truncating the log at the last good record.
// Thread safety: thread-safe (one internal mutex); delivery workers call Remove while the
// dispatcher appends.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"

namespace perfwatch::alert {

struct QueuedNotification {
  uint64_t id = 0;  // assigned by Append, increasing
  std::string receiver;
  uint32_t integration_index = 0;  // index among the receiver's webhook_configs
  int64_t created_ms = 0;
  std::string group_key;
  std::string body;  // the request body, built when the group flushed
};

class NotifyQueue {
 public:
  static Result<std::unique_ptr<NotifyQueue>> Open(const std::filesystem::path& dir);
  ~NotifyQueue();
  NotifyQueue(const NotifyQueue&) = delete;
  NotifyQueue& operator=(const NotifyQueue&) = delete;

  // Assigns ids to `batch`, appends it and fsyncs. On a write error the entries are still
  // kept in memory (and delivered) but may not survive a restart.
  Status Append(std::vector<QueuedNotification>& batch);
  // Tombstones `id`; unknown ids are ignored.
  Status Remove(uint64_t id);
  // The live entries in id order.
  std::vector<QueuedNotification> Live() const;
  size_t size() const;
  // Rewrites the log when at least 1024 tombstoned records outnumber the live ones
  // (always when `force`).
  Status MaybeCompact(bool force = false);
  // Bytes cut from a torn tail by Open.
  uint64_t torn_bytes() const { return torn_bytes_; }

 private:
  NotifyQueue(std::filesystem::path path, int fd) : path_(std::move(path)), fd_(fd) {}
  Status CompactLocked();

  const std::filesystem::path path_;
  uint64_t torn_bytes_ = 0;  // set by Open

  mutable std::mutex mu_;
  int fd_;                                       // guarded by mu_ (append-only)
  std::map<uint64_t, QueuedNotification> live_;  // guarded by mu_
  uint64_t next_id_ = 1;                         // guarded by mu_
  size_t dead_records_ = 0;  // guarded by mu_: removed entries + tombstones in the file
};

}  // namespace perfwatch::alert
