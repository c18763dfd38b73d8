#pragma once
// The notification log (Alertmanager's nflog) and the deduplication decision built on it
// (notify.DedupStage.needsUpdate). One entry per (aggregation group key, receiver,
// integration): the fingerprints of the firing and resolved alerts last notified, when,
// and when the entry expires (now + min(retention, 2 * repeat_interval); expired entries
// are dropped by GarbageCollect, which Alertmanager runs every 15 minutes).
// perfwatch logs a notification when it is written to the persisted queue (not when the
// receiver acknowledged it, as Alertmanager does): the queue retries until delivered, so a
// receiver that is down does not get one copy per group_interval afterwards.
// Thread safety: not thread-safe; the Alertmanager serialises calls under its mutex.
#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"

namespace perfwatch::alert {

struct NflogEntry {
  std::set<uint64_t> firing;  // fingerprints
  std::set<uint64_t> resolved;
  int64_t timestamp_ms = 0;
  int64_t expires_at_ms = 0;
};

// Alertmanager's stateKey: "<group key>:<receiver>/<integration>/<index>".
std::string NflogKey(std::string_view group_key, std::string_view receiver,
                     std::string_view integration, uint32_t index);

// DedupStage.needsUpdate: notify when there is no entry and something fires, when a
// firing alert was not in the last notification, when everything resolved after the last
// notification had firing alerts (even without send_resolved), when send_resolved and a
// resolved alert is new, or once repeat_interval has passed since the last one.
bool NeedsUpdate(const NflogEntry* entry, const std::set<uint64_t>& firing,
                 const std::set<uint64_t>& resolved, bool send_resolved, int64_t repeat_ms,
                 int64_t now_ms);

class NotificationLog {
 public:
  static constexpr int64_t kDefaultRetentionMs = 120 * 3600'000LL;  // --data.retention

  const NflogEntry* Query(const std::string& key) const;
  // Records a notification at `now_ms`; `expiry_ms` is 2 * repeat_interval.
  void Log(const std::string& key, std::set<uint64_t> firing, std::set<uint64_t> resolved,
           int64_t now_ms, int64_t expiry_ms);
  // Keeps `key`'s entry (when present) until at least `expires_at_ms` without changing
  // what it records: a repeat skipped because its alerts are acknowledged (acks.h).
  void Extend(const std::string& key, int64_t expires_at_ms);
  // Drops expired entries; returns how many.
  size_t GarbageCollect(int64_t now_ms);
  size_t size() const { return entries_.size(); }

  // Save = WriteSnapshotFile(path, EncodeSnapshot()); split so callers can encode under
  // their lock and write outside it.
  Status Save(const std::filesystem::path& path) const {
    return WriteSnapshotFile(path, EncodeSnapshot());
  }
  std::vector<std::string> EncodeSnapshot() const;
  static Status WriteSnapshotFile(const std::filesystem::path& path,
                                  const std::vector<std::string>& records);
  Status Load(const std::filesystem::path& path);

 private:
  std::map<std::string, NflogEntry> entries_;
};

}  // namespace perfwatch::alert
