#pragma once
// The normalized event that ingest hands to the event store: one accepted beacon.
// Thread safety: plain values.
#include <cmath>
#include <cstdint>
#include <optional>
#include <string_view>

namespace perfwatch::events {

// Beacon types (DESIGN.md "Other types"). The numeric values are persisted: never renumber.
enum class EventType : uint8_t {
  kVital = 1,
  kNavigation = 2,
  kResource = 3,            // "slow-resources" and "resource"
  kLongTask = 4,
  kError = 5,
  kUnhandledRejection = 6,
  kSessionEnd = 7,
  kMemory = 8,
  kJourney = 9,
  kMeasure = 10,            // custom metrics: performance.measure() and perfwatch.measure()
};
inline constexpr int kEventTypeCount = 11;  // max value + 1

// The wire name ("vital", "slow-resources", ...). For kResource: "slow-resources".
std::string_view EventTypeName(EventType type);
// Accepts every wire name; "resource" and "resources" map to kResource.
std::optional<EventType> ParseEventType(std::string_view name);

// Vital names. Persisted: never renumber.
enum class Vital : uint8_t { kNone = 0, kLCP = 1, kINP = 2, kCLS = 3, kFCP = 4, kTTFB = 5, kFID = 6 };
inline constexpr int kVitalCount = 7;
std::string_view VitalName(Vital vital);                  // "LCP", ... ("" for kNone)
std::optional<Vital> ParseVital(std::string_view name);   // exact, upper case: "LCP"

// Dimensions derived at ingest, used for filtering and grouping.
enum Dim : int { kApp = 0, kPage = 1, kDevice = 2, kConnection = 3, kBrowser = 4 };
inline constexpr int kDimCount = 5;
std::string_view DimName(int dim);                  // "app", "page", ...
std::optional<int> ParseDim(std::string_view name);

// One accepted beacon. String views borrow from the caller's buffers and need only live
// until EventStore::Append returns. Empty string_view means "absent".
struct EventInput {
  EventType type = EventType::kVital;
  Vital vital = Vital::kNone;       // set when type == kVital
  int64_t time_ms = 0;              // event time after DESIGN.md's event-time rule
  int64_t received_ms = 0;          // server receive time
  double value = std::nan("");      // the beacon's numeric `value`; NaN when absent
  std::string_view dims[kDimCount]; // app, page (route template), device, connection, browser
  std::string_view name;            // the beacon's `name` (vital name, measure name, ...)
  std::string_view url;             // the beacon's `url` as sent
  std::string_view user_agent;
  std::string_view session_id;
  std::string_view id;              // with session_id: the replace-on-repeat identity
  std::string_view navigation_type;
  std::string_view rating;          // the client's rating, kept verbatim, never used for shares
  // Every other field of the beacon as one compact JSON object ("{...}"), or empty.
  // Known numeric fields such as delta, deviceMemory, hardwareConcurrency travel here too.
  std::string_view attrs_json;
};

}  // namespace perfwatch::events
