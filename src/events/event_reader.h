#pragma once
// What the event-store readers (vitals series and histogram, attribution, network,
// journeys, score) need of a store: the live events of a selection, and vitals grouped.
// Implemented by the local EventStore (event_store.h) and by ClickHouse
// (clickhouse/event_reader.h, events.backend: clickhouse), so one analysis answers from
// either with the same numbers. Semantics (inclusive time range, equality filters,
// replace-on-repeat: only live events) are EventStore's, documented there.
// Thread safety: implementations are thread-safe.
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/status.h"
#include "events/event.h"

namespace perfwatch::events {

// Select vitals of one kind in [from_ms, to_ms] (inclusive) matching equality filters.
struct VitalScan {
  Vital vital = Vital::kLCP;
  int64_t from_ms = 0;
  int64_t to_ms = 0;
  std::array<std::optional<std::string>, kDimCount> filters;  // dim -> required value
  std::array<bool, kDimCount> group_by{};                     // dims to group on
};

// Called once per group per partition (so a group may be reported several times; the
// caller merges by key). `key[d]` is the group's value of dim d when group_by[d], else "".
// `values` are the matching events' values, in no particular order. Both borrow store
// memory and are valid only during the call.
using VitalGroupFn =
    std::function<void(const std::array<std::string_view, kDimCount>& key, std::span<const double> values)>;

// ScanVitalSteps' callback: as VitalGroupFn, per group, step and partition; `step_start_ms`
// is the start of the step ([start, start + step)) the values fall in.
using VitalStepFn = std::function<void(const std::array<std::string_view, kDimCount>& key, int64_t step_start_ms,
                                       std::span<const double> values)>;

// One live event read back from its log (ScanRecords), for analyses that need fields the
// columnar rows do not keep (session, attributes). Views borrow store memory and are
// valid only during the callback.
struct EventRecord {
  EventType type = EventType::kVital;
  Vital vital = Vital::kNone;
  int64_t time_ms = 0;
  int64_t received_ms = 0;
  double value = 0;  // NaN when absent
  std::array<std::string_view, kDimCount> dims;
  std::string_view session_id, id, name, attrs_json;
};

// Select events in [from_ms, to_ms] (inclusive) of one type (all when unset) matching
// equality filters on the dimensions.
struct RecordScan {
  int64_t from_ms = 0;
  int64_t to_ms = INT64_MAX;
  std::optional<EventType> type;
  std::optional<Vital> vital;  // only vitals of this name (from the row's kind byte: no decoding)
  std::array<std::optional<std::string>, kDimCount> filters;
};

// ScanVitalSteps' step arithmetic, shared by its implementations: the start of the step
// `time_ms` falls in, and InvalidArgument when [scan.from_ms, scan.to_ms] holds more than
// `max_steps` steps (step_ms > 0).
int64_t VitalStepStart(int64_t time_ms, int64_t step_ms);
Status CheckVitalSteps(const VitalScan& scan, int64_t step_ms, int64_t max_steps);

class EventReader {
 public:
  virtual ~EventReader() = default;
  // Every live event matching `scan`; `fn` must not call into the reader.
  virtual Status ScanRecords(const RecordScan& scan, const std::function<void(const EventRecord&)>& fn) const = 0;
  // The vitals of `scan` grouped by its group_by dimensions (a group may be reported
  // several times: the caller merges by key).
  virtual Status ScanVitals(const VitalScan& scan, const VitalGroupFn& fn) const = 0;
  // The same cut into steps of `step_ms` aligned to multiples of it since the epoch;
  // InvalidArgument when the range holds more than `max_steps` steps.
  virtual Status ScanVitalSteps(const VitalScan& scan, int64_t step_ms, int64_t max_steps,
                                const VitalStepFn& fn) const = 0;
};

}  // namespace perfwatch::events
