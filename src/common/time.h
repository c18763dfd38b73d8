#pragma once
// Wall-clock helpers and the parsers for times and durations used by every API.
// Thread safety: all functions are pure or read the clock; safe from any thread.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace perfwatch {

// Milliseconds since the Unix epoch, from the system clock.
int64_t NowMs();

// Floor division (rounds toward negative infinity): the start of a time's bucket,
// FloorDiv(t, step) * step, also for times before the epoch.
inline int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Parses a time as the Prometheus API accepts it: Unix seconds with an optional fraction
// ("1700000000", "1700000000.25") or RFC 3339 ("2023-11-14T22:13:20Z",
// "2023-11-14T22:13:20.5+01:00"). Returns milliseconds since the epoch.
Result<int64_t> ParseTimeMs(std::string_view text);

// Parses a duration: Prometheus style ("1h30m", "250ms", "7d", "2w", "1y") or a plain
// number of seconds ("90", "1.5"). Returns milliseconds; negative durations are rejected.
Result<int64_t> ParseDurationMs(std::string_view text);

// Formats milliseconds since the epoch as RFC 3339 UTC with milliseconds.
std::string FormatRfc3339Ms(int64_t ms);

// Go's time.Time JSON/RFC 3339 text as Prometheus and Alertmanager print it in UTC:
// "2023-11-14T22:13:20.123Z" (fraction trimmed of trailing zeros, none when whole);
// 0 prints Go's zero time "0001-01-01T00:00:00Z".
std::string FormatGoTime(int64_t ms);

// Formats a duration as Prometheus' model.Duration.String() does: the units y, w, d, h,
// m, s, ms from the largest down, each only when non-zero ("15s", "1m30s", "1h", "250ms");
// years and weeks only when they divide the whole duration exactly ("1y", "2w", but "90d",
// not "12w6d"); 0 is "0s". Negative durations give "" (as Prometheus does).
std::string FormatPromDuration(int64_t ms);

}  // namespace perfwatch
