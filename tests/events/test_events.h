#pragma once
// Helpers for the event store tests: events that own their strings, temp dirs.
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "common/config.h"
#include "events/error_reader.h"
#include "events/event.h"
#include "support/temp_dir.h"

namespace perfwatch::events::testing {

inline constexpr int64_t kT0 = 1700006400000;  // a UTC midnight
inline constexpr int64_t kHour = 3600000;

// Hourly partitions (tests cross several quickly) and a retention that keeps 2023 data.
inline EventsConfig TestConfig() {
  EventsConfig c;
  c.partition_ms = kHour;
  c.retention_ms = 100LL * 365 * 24 * kHour;
  return c;
}

struct OwnedEvent {
  EventType type = EventType::kVital;
  Vital vital = Vital::kLCP;
  int64_t time_ms = 0;
  int64_t received_ms = 0;
  double value = 0;
  std::array<std::string, kDimCount> dims;
  std::string name, url, user_agent, session_id, id, navigation_type, rating, attrs_json;

  EventInput View() const {
    EventInput e;
    e.type = type;
    e.vital = vital;
    e.time_ms = time_ms;
    e.received_ms = received_ms;
    e.value = value;
    for (int d = 0; d < kDimCount; ++d) e.dims[d] = dims[d];
    e.name = name;
    e.url = url;
    e.user_agent = user_agent;
    e.session_id = session_id;
    e.id = id;
    e.navigation_type = navigation_type;
    e.rating = rating;
    e.attrs_json = attrs_json;
    return e;
  }
};

inline OwnedEvent Vitals(Vital v, int64_t t, double value, std::string page, std::string session = "",
                         std::string id = "") {
  OwnedEvent e;
  e.vital = v;
  e.name = std::string(VitalName(v));
  e.time_ms = t;
  e.received_ms = t + 5;
  e.value = value;
  e.dims = {"shop", std::move(page), "mobile", "4g", "Chrome"};
  e.url = "https://shop.example" + e.dims[kPage] + "?q=1";
  e.user_agent = "Mozilla/5.0 (Linux; Android 10) Chrome/120 Mobile";
  e.session_id = std::move(session);
  e.id = std::move(id);
  e.navigation_type = "navigate";
  e.rating = "good";
  e.attrs_json = "{\"delta\":1.5,\"deviceMemory\":8}";
  return e;
}

inline std::vector<EventInput> Views(const std::vector<OwnedEvent>& events) {
  std::vector<EventInput> out;
  for (const auto& e : events) out.push_back(e.View());
  return out;
}

// An error group as the error store tests use it: one in-app frame, a sample message and
// stack, app "shop".
inline ErrorGroupInfo TestErrorGroup(uint64_t fp, std::string type, ErrorSource source = ErrorSource::kBrowser) {
  ErrorGroupInfo g;
  g.fingerprint = fp;
  g.source = source;
  g.scope = "shop";
  g.type = std::move(type);
  g.message = "x <n>";
  g.sample_message = "x 1";
  g.sample_stack = "Error: x 1\n    at f (/a.js:1:2)";
  g.frames = {{"f", "/a.js", 1, 2, true}};
  return g;
}

using perfwatch::testing::TempDir;

}  // namespace perfwatch::events::testing
