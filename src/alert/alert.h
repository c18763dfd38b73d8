#pragma once
// The alert value that flows from rule evaluation (and POST /api/v2/alerts) into the
// notification pipeline, with Alertmanager's fingerprint, and the clock every alert
// component reads so tests can drive time by hand.
// Thread safety: Alert and LabelSet are plain values; Clock implementations are thread-safe.
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/time.h"  // FormatGoTime

namespace perfwatch::alert {

// Sorted by name, names unique. Unlike tsdb::Labels, empty values are kept (annotations
// may be empty); alert labels never carry empty values (evaluation drops them).
using LabelSet = std::vector<std::pair<std::string, std::string>>;

// Sorts by name and keeps the last value of a repeated name.
void NormalizeLabelSet(LabelSet& labels);
// The value of `name`, or "" when absent.
std::string_view GetLabel(const LabelSet& labels, std::string_view name);

// Alertmanager's model.LabelSet.Fingerprint(): FNV-1a 64 over the pairs in name order,
// each name and value followed by the byte 0xff. Empty set: the FNV offset basis.
uint64_t Fingerprint(const LabelSet& labels);
// "%016x", as Alertmanager prints fingerprints in payloads and APIs.
std::string FingerprintHex(uint64_t fp);

// Alertmanager's types.Alert. Times in ms since the epoch; 0 = unset (Go's zero time).
struct Alert {
  LabelSet labels;
  LabelSet annotations;
  int64_t starts_at_ms = 0;
  int64_t ends_at_ms = 0;
  std::string generator_url;
  int64_t updated_at_ms = 0;
  bool timeout = false;  // ends_at was filled from resolve_timeout, not by the sender

  // Resolved at `now`: ends_at is set and not after now (Alertmanager's ResolvedAt).
  bool ResolvedAt(int64_t now_ms) const { return ends_at_ms != 0 && ends_at_ms <= now_ms; }
};

// Where evaluated alerts go: the notification pipeline (alertmanager.h). Implementations
// are thread-safe.
class AlertSink {
 public:
  virtual ~AlertSink() = default;
  // As POST /api/v2/alerts: alerts with ends_at unset get now + resolve_timeout
  // (timeout = true); alerts with the same fingerprint are merged as Alertmanager merges.
  virtual void PutAlerts(std::vector<Alert> alerts) = 0;
};

// Milliseconds since the epoch. SystemClock reads the wall clock; FakeClock is set by tests.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMs() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t NowMs() const override;
  static const SystemClock* Get();
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t now_ms = 1'700'000'000'000) : now_(now_ms) {}
  int64_t NowMs() const override { return now_.load(std::memory_order_relaxed); }
  void Set(int64_t now_ms) { now_.store(now_ms, std::memory_order_relaxed); }
  void Advance(int64_t ms) { now_.fetch_add(ms, std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> now_;
};


}  // namespace perfwatch::alert
