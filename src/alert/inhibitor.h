#pragma once
// Inhibition as Alertmanager's inhibit.Inhibitor.Mutes: an alert matching a rule's target
// matchers is muted while a firing alert matches the rule's source matchers and has the
// same values for the rule's `equal` labels (a missing label counts as ""). When the
// target alert matches the source side too, source alerts that also match the target side
// are ignored, so an alert never inhibits itself. Resolved source alerts never inhibit.
// Source alerts are taken from the alert store (Alertmanager keeps a per-rule cache of
// the same alerts).
// Thread safety: immutable after construction; InhibitedBy reads the store, which the
// caller must hold steady (the Alertmanager's mutex).
#include <cstdint>
#include <optional>
#include <vector>

#include "alert/alert_store.h"
#include "alert/am_config.h"

namespace perfwatch::alert {

class Inhibitor {
 public:
  explicit Inhibitor(std::vector<InhibitRule> rules) : rules_(std::move(rules)) {}

  // The fingerprint of the inhibiting alert (the smallest when several qualify), or
  // nullopt when `labels` is not inhibited at `now_ms`.
  std::optional<uint64_t> InhibitedBy(const LabelSet& labels, const AlertStore& store,
                                      int64_t now_ms) const;

 private:
  const std::vector<InhibitRule> rules_;
};

}  // namespace perfwatch::alert
