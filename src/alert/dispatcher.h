#pragma once
// Aggregation groups and their timers, as Alertmanager's dispatch.Dispatcher: each alert
// goes to the routes Route::Match picks; per route it joins the group of its group_by
// label values (all labels with group_by_all), keyed "<route key>:<LabelSet.String()>".
// A new group flushes after group_wait — at once when an inserted alert started more
// than group_wait ago and the group has not flushed yet — and then every group_interval
// (the timer is re-armed before each flush, as Alertmanager does). A flush hands out a
// sorted copy of the group's alerts with the end time of those not yet resolved cleared.
// After a successful flush, alerts still resolved and not updated since are deleted
// (deleteIfNotModified); empty groups are removed by RemoveEmptyGroups, which
// Alertmanager runs every 30 s, so a later alert starts a fresh group with group_wait.
// Thread safety: not thread-safe; the Alertmanager serialises calls under its mutex.
// Route pointers must outlive the Dispatcher (they point into the applied config).
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "alert/alert.h"
#include "alert/am_config.h"

namespace perfwatch::alert {

struct AggrGroup {
  const Route* route = nullptr;
  LabelSet labels;                   // the group labels
  std::string key;                   // Alertmanager's group key
  std::map<uint64_t, Alert> alerts;  // by fingerprint
  int64_t next_flush_ms = 0;
  bool has_flushed = false;
};

// What one group's timer hands to the notification pipeline.
struct FlushBatch {
  const Route* route = nullptr;
  uint64_t group_fingerprint = 0;
  std::string group_key;
  LabelSet group_labels;
  int64_t now_ms = 0;
  std::vector<Alert> alerts;  // sorted as types.AlertSlice; unresolved: ends_at_ms = 0
};

class Dispatcher {
 public:
  explicit Dispatcher(const Route* root) : root_(root) {}
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Routes `alert` (labels normalised) and inserts it into its groups.
  void Insert(const Alert& alert, int64_t now_ms);
  // The flushes due at `now_ms` (non-empty groups only); re-arms their timers.
  std::vector<FlushBatch> TakeDue(int64_t now_ms);
  // The pipeline accepted `batch`: deletes its resolved alerts not updated since.
  void FlushSucceeded(const FlushBatch& batch, int64_t now_ms);
  // Removes groups without alerts; returns how many.
  size_t RemoveEmptyGroups();
  // The earliest group timer, INT64_MAX when there are no groups.
  int64_t NextDeadline() const;

  using GroupMap = std::map<std::pair<const Route*, uint64_t>, std::unique_ptr<AggrGroup>>;
  const GroupMap& groups() const { return groups_; }

 private:
  const Route* const root_;
  GroupMap groups_;  // by (route, fingerprint of the group labels)
};

// The group labels of `labels` on `route`.
LabelSet GroupLabels(const LabelSet& labels, const Route& route);

}  // namespace perfwatch::alert
