#pragma once
// Escalation policies (perfwatch's; alertmanager#2150): which step of which policy each
// firing alert has reached, per aggregation group. The configuration is parsed with the
// rest of the Alertmanager configuration (am_config.h, EscalationPolicy); the user-facing
// rules are in docs/notifications.md, "Escalation policies".
//
// Timing: a policy with steps s_0..s_{n-1} (delays a_0 < ... < a_{n-1}) and `repeat` R has
// n * (1 + R) "flat" steps j = r * n + i (run r = 0..R, step i), due at
//   chain_start + r * a_{n-1} + a_i
// where chain_start is the alert's startsAt when the tracker first saw it firing in the
// group (a later startsAt, i.e. the alert fired again after resolving, starts a new
// chain; an earlier one from a merge keeps the chain). Observe() hands out the flat steps
// due and not yet sent; when more than one run's worth is due at once (the alert was
// muted or perfwatch down meanwhile), only the last n of them, so each step's receivers
// are told at most once per call. A muted alert (silenced, inhibited, acknowledged) sends
// nothing and keeps its position: the steps that came due meanwhile go out when it is no
// longer muted, if it still fires.
//
// An entry is dropped when its alert is no longer seen firing in a group whose route has
// the policy (resolved, collected, rerouted, policy removed): EndSweep hands the dropped
// entries back, so that the receivers the chain notified (EscalationEntry::notified) can
// be told of a resolution.
//
// Persistence: EncodeSnapshot / DecodeRecord give the records of escalations.snap
// (magic "PWESC001", record version 2; version 1 records, without group labels and
// notified receivers, are still read: docs/format/alertmanager-state.md).
//
// Thread safety: not thread-safe; the Alertmanager calls it under its mutex.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "alert/alert.h"
#include "alert/am_config.h"

namespace perfwatch::alert {

// The number of flat steps of `p` (steps * (1 + repeat)).
uint64_t EscalationFlatSteps(const EscalationPolicy& p);
// When flat step `j` of `p` is due for a chain started at `chain_start_ms`.
int64_t EscalationStepDue(const EscalationPolicy& p, int64_t chain_start_ms, uint64_t j);

struct EscalationEntry {
  std::string group_key;
  std::string policy;
  uint64_t fingerprint = 0;
  int64_t chain_start_ms = 0;  // the alert's startsAt when the chain began
  uint64_t next = 0;           // the next flat step to send (== flat steps: chain done)
  LabelSet group_labels;       // the group's labels (for the resolution's payload)
  // The receivers a step of this chain notified, sorted, unique. A version 1 record has
  // none recorded (notified_known false): EscalationNotified derives them from the policy.
  std::vector<std::string> notified;
  bool notified_known = true;
};

// The receivers `e` notified: e.notified, or for a version 1 record the receivers of the
// steps before e.next in `policy` (nullptr: none known).
std::vector<std::string> EscalationNotified(const EscalationEntry& e, const EscalationPolicy* policy);

// What the APIs show for one alert (status.escalation).
struct EscalationView {
  std::string policy;
  uint64_t step = 0;         // the last step sent, 1-based within its run; 0: none yet
  uint64_t run = 0;          // the run of that step, 1-based; 0: none yet
  int64_t next_at_ms = 0;    // when the next step is due; 0: the chain is done
  int64_t started_at_ms = 0;
};
// {"policy","step","run","startedAt","nextAt"} (nextAt null when done; RFC 3339 times).
std::string EscalationViewJson(const EscalationView& v);

class EscalationTracker {
 public:
  // Starts a sweep: every entry is unseen until Observe sees it again.
  void BeginSweep();
  // The firing alert `alert` is in group `group_key` (labels `group_labels`) whose route
  // has `policy`. Returns the flat steps to send now (ascending) and records them as sent,
  // their receivers as notified. `muted` is asked only when a step is due; when it answers
  // true, none are returned.
  std::vector<uint64_t> Observe(const std::string& group_key, const LabelSet& group_labels,
                                const EscalationPolicy& policy, const Alert& alert,
                                const std::function<bool()>& muted, int64_t now_ms);
  // Drops the entries not seen since BeginSweep and returns them.
  std::vector<EscalationEntry> EndSweep();
  // Calls `f` for each entry of group `group_key`.
  void ForEachInGroup(const std::string& group_key,
                      const std::function<void(const EscalationEntry&)>& f) const;
  // The earliest due time of a pending step among entries that are not muted (as of the
  // last sweep), INT64_MAX when none.
  int64_t NextDeadline(const AlertmanagerConfig& config) const;

  // The first entry of `fingerprint` (groups in key order), for the APIs.
  std::optional<EscalationView> ViewOf(uint64_t fingerprint, const AlertmanagerConfig& config) const;

  bool dirty() const { return dirty_; }
  void clear_dirty() { dirty_ = false; }
  void mark_dirty() { dirty_ = true; }
  size_t size() const { return entries_.size(); }

  std::vector<std::string> EncodeSnapshot() const;
  // Replaces the entries with `records` (DataLoss naming the first undecodable one).
  Status Load(const std::vector<std::string>& records);

 private:
  struct Slot {
    EscalationEntry e;
    bool seen = false;
    bool muted = false;
  };
  using Key = std::tuple<std::string, std::string, uint64_t>;  // group key, policy, fp
  std::map<Key, Slot> entries_;
  bool dirty_ = false;
};

// Version 2, or version 1 for an entry with notified_known false (read from version 1).
std::string EncodeEscalationEntry(const EscalationEntry& e);
bool DecodeEscalationEntry(std::string_view payload, EscalationEntry* e);

}  // namespace perfwatch::alert
