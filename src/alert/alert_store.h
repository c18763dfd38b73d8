#pragma once
// Every alert the pipeline knows, by fingerprint: Alertmanager's provider/mem store.
// Put merges an alert into the stored one with the same fingerprint when their activity
// ranges overlap (types.Alert.Merge: the younger update wins, the earliest start is kept,
// a later explicit end beats a resolve_timeout one); otherwise it replaces it. Resolved
// alerts are dropped by GarbageCollect (Alertmanager's --alerts.gc-interval, 30m).
// Persisted as a snapshot (docs/format/alertmanager-state.md).
// Thread safety: not thread-safe; the Alertmanager serialises calls under its mutex.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "alert/alert.h"
#include "common/status.h"

namespace perfwatch::alert {

// types.Alert.Merge(old, incoming) evaluated at `now_ms`.
Alert MergeAlerts(const Alert& old, const Alert& incoming, int64_t now_ms);

class AlertStore {
 public:
  // Stores `alert` (labels normalised), merged with an overlapping stored one; returns
  // the alert as stored.
  const Alert& Put(Alert alert, int64_t now_ms);
  const Alert* Get(uint64_t fingerprint) const;
  // Removes the alerts resolved at `now_ms`; returns their fingerprints.
  std::vector<uint64_t> GarbageCollect(int64_t now_ms);

  const std::map<uint64_t, Alert>& alerts() const { return alerts_; }
  size_t size() const { return alerts_.size(); }

  // Save = WriteSnapshotFile(path, EncodeSnapshot()); split so callers can encode under
  // their lock and write outside it.
  Status Save(const std::filesystem::path& path) const {
    return WriteSnapshotFile(path, EncodeSnapshot());
  }
  std::vector<std::string> EncodeSnapshot() const;
  static Status WriteSnapshotFile(const std::filesystem::path& path,
                                  const std::vector<std::string>& records);
  // Replaces the contents with the snapshot at `path` (empty when missing).
  Status Load(const std::filesystem::path& path);

 private:
  std::map<uint64_t, Alert> alerts_;  // by fingerprint
};

}  // namespace perfwatch::alert
