#pragma once
// User journeys and their funnels (issue 16; docs/analysis.md "Journeys and attribution"),
// from the stored "journey" events: one event per journey (replace-on-repeat keeps its
// latest beacon), its attrs_json carrying outcome, target, steps [{name, t, d}].
//
// Per (app, journey name):
//  - started: journeys seen; completed, failed; abandoned: stored outcome "abandoned" and
//    its latest beacon (event time) at least `timeout_ms` before `now_ms`; in_progress: the
//    rest (a recent "abandoned", or no known outcome).
//  - completion_rate = completed / (completed + failed + abandoned) (null when 0 ended).
//  - p50, p75: exact percentiles (analysis/percentile.h) of the completed journeys'
//    durations (the beacon's value, ms); target: the target (ms) of the latest journey that
//    had one; over_target_ratio: share of the completed journeys with a target whose
//    duration exceeds it (null without any).
//  - steps, in funnel order (mean position in the journeys, then first seen), over the
//    ended journeys (in-progress ones are left out of the funnel): p75 of the step's
//    duration `d`, reached (journeys with the step), drop_off (the share of those whose last
//    step it was and that did not complete).
//  - bottleneck: slowest_step (largest p75, i.e. the largest p75 share of the journey's
//    time) and largest_drop_off (null when nobody dropped off).
// Thread safety: JourneyAccumulator is single-threaded; the functions are pure.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace simdjson::dom {
class parser;
}

namespace perfwatch::analysis {

struct JourneyStepReport {
  std::string name;
  std::optional<double> p75;  // ms
  uint64_t reached = 0;
  double drop_off = 0;        // 0..1
};

// One stored journey event as the funnel reads it. Strings borrow: from the event and the
// parser (ParseJourneyEvent without `intern`) or from wherever `intern` keeps them.
struct JourneyEvent {
  enum class Outcome : uint8_t { kNone, kCompleted, kFailed, kAbandoned, kOther };
  std::string_view app, name;
  int64_t time_ms = 0;
  double value_ms = 0;
  bool parsed = false;             // attrs_json was a JSON document
  Outcome outcome = Outcome::kNone;
  double target = 0;               // > 0 when has_target
  bool has_target = false;
  std::vector<std::pair<std::string_view, double>> steps;  // each name at its first position, durations summed
};

// Parses a journey event's attrs_json (lenient as JourneyAccumulator::Add). `intern`, when
// set, is given every string that must outlive the parser (step names) and returns its
// stable copy. Thread safety: `parser` belongs to the caller's thread.
void ParseJourneyEvent(simdjson::dom::parser& parser, std::string_view attrs_json, JourneyEvent* out,
                       const std::function<std::string_view(std::string_view)>& intern = nullptr);

struct JourneyReport {
  std::string app, name;
  uint64_t started = 0, completed = 0, failed = 0, abandoned = 0, in_progress = 0;
  std::optional<double> completion_rate, p50, p75, target, over_target_ratio;
  std::vector<JourneyStepReport> steps;
  std::optional<std::string> slowest_step, largest_drop_off;
};

class JourneyAccumulator {
 public:
  JourneyAccumulator(int64_t now_ms, int64_t timeout_ms);
  ~JourneyAccumulator();

  // One stored journey event. A malformed attrs_json counts as a journey of unknown
  // outcome without steps.
  void Add(std::string_view app, std::string_view name, int64_t time_ms, double value_ms,
           std::string_view attrs_json);
  // The same for an event already parsed (the cached path; identical results).
  void Add(const JourneyEvent& e);

  // By started descending, then app, then name.
  std::vector<JourneyReport> Finish();

 private:
  struct Step {
    double position_sum = 0;
    uint64_t first_seen = 0;
    std::vector<double> durations;  // ended journeys
    uint64_t reached = 0, dropped = 0;
  };
  struct Group {
    JourneyReport report;
    std::vector<double> durations;  // completed
    uint64_t with_target = 0, over_target = 0;
    int64_t target_time = INT64_MIN;
    std::map<std::string, Step, std::less<>> steps;
  };
  const int64_t now_ms_, timeout_ms_;
  uint64_t seq_ = 0;
  std::map<std::pair<std::string, std::string>, Group> groups_;
  std::unique_ptr<simdjson::dom::parser> parser_;
  JourneyEvent scratch_;
};

}  // namespace perfwatch::analysis
