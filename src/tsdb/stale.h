#pragma once
// Prometheus' staleness marker: a NaN with one fixed bit pattern, written into a series to
// say "this series ended here" (a target stopped exposing it, the target went down, or
// its scrape was stopped). Queries treat a series as absent from the marker on; ordinary
// NaN values (any other payload) are data. Chunks round-trip the bits exactly (chunk.h).
// Thread safety: pure functions.
#include <bit>
#include <cstdint>

namespace perfwatch::tsdb {

inline constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;

inline double StaleNaN() { return std::bit_cast<double>(kStaleNaNBits); }
inline bool IsStaleNaN(double v) { return std::bit_cast<uint64_t>(v) == kStaleNaNBits; }

}  // namespace perfwatch::tsdb
