#include "analysis/journeys.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>

#include "analysis/percentile.h"

namespace perfwatch::analysis {
namespace {

namespace dom = simdjson::dom;

std::optional<double> P(std::vector<double>& v, double p) {
  if (v.empty()) return std::nullopt;
  const double ps[1] = {p};
  return ExactPercentiles(v, ps)[0];
}

}  // namespace

JourneyAccumulator::JourneyAccumulator(int64_t now_ms, int64_t timeout_ms)
    : now_ms_(now_ms), timeout_ms_(timeout_ms), parser_(std::make_unique<dom::parser>()) {}

JourneyAccumulator::~JourneyAccumulator() = default;

void ParseJourneyEvent(dom::parser& parser, std::string_view attrs_json, JourneyEvent* out,
                       const std::function<std::string_view(std::string_view)>& intern) {
  out->parsed = false;
  out->outcome = JourneyEvent::Outcome::kNone;
  out->has_target = false;
  out->target = 0;
  out->steps.clear();
  dom::element root;
  if (attrs_json.empty() || parser.parse(attrs_json.data(), attrs_json.size()).get(root)) return;
  out->parsed = true;
  std::string_view outcome;
  if (root["outcome"].get_string().get(outcome)) outcome = {};
  out->outcome = outcome.empty()            ? JourneyEvent::Outcome::kNone
                 : outcome == "completed" ? JourneyEvent::Outcome::kCompleted
                 : outcome == "failed"    ? JourneyEvent::Outcome::kFailed
                 : outcome == "abandoned" ? JourneyEvent::Outcome::kAbandoned
                                          : JourneyEvent::Outcome::kOther;
  double target = 0;
  if (!root["target"].get_double().get(target) && std::isfinite(target) && target > 0) {
    out->has_target = true;
    out->target = target;
  }
  dom::array steps;
  if (root["steps"].get_array().get(steps)) return;
  // The journey's steps: first position of each name, summed durations.
  for (dom::element s : steps) {
    std::string_view sname;
    if (s["name"].get_string().get(sname)) continue;
    double d = 0;
    if (s["d"].get_double().get(d) || !std::isfinite(d) || d < 0) d = 0;
    auto pos = std::find_if(out->steps.begin(), out->steps.end(), [&](const auto& p) { return p.first == sname; });
    if (pos == out->steps.end()) {
      out->steps.emplace_back(intern ? intern(sname) : sname, d);
    } else {
      pos->second += d;
    }
  }
}

void JourneyAccumulator::Add(std::string_view app, std::string_view name, int64_t time_ms, double value_ms,
                             std::string_view attrs_json) {
  ParseJourneyEvent(*parser_, attrs_json, &scratch_);
  scratch_.app = app;
  scratch_.name = name;
  scratch_.time_ms = time_ms;
  scratch_.value_ms = value_ms;
  Add(scratch_);
}

void JourneyAccumulator::Add(const JourneyEvent& e) {
  auto key = std::make_pair(std::string(e.app), std::string(e.name));
  auto it = groups_.find(key);
  if (it == groups_.end()) {
    it = groups_.emplace(key, Group{}).first;
    it->second.report.app = e.app;
    it->second.report.name = e.name;
  }
  Group& g = it->second;
  JourneyReport& r = g.report;
  ++r.started;

  const bool completed = e.outcome == JourneyEvent::Outcome::kCompleted;
  if (completed) {
    ++r.completed;
  } else if (e.outcome == JourneyEvent::Outcome::kFailed) {
    ++r.failed;
  } else if (e.outcome == JourneyEvent::Outcome::kAbandoned && e.time_ms <= now_ms_ - timeout_ms_) {
    ++r.abandoned;
  } else {
    ++r.in_progress;
    return;  // not in the funnel: it may still go on
  }
  if (!e.parsed) return;

  if (e.has_target && e.time_ms >= g.target_time) {
    g.target_time = e.time_ms;
    r.target = e.target;
  }
  if (completed && std::isfinite(e.value_ms) && e.value_ms >= 0) {
    g.durations.push_back(e.value_ms);
    if (e.has_target) {
      ++g.with_target;
      if (e.value_ms > e.target) ++g.over_target;
    }
  }
  const auto& seen = e.steps;
  for (size_t i = 0; i < seen.size(); ++i) {
    auto sit = g.steps.find(seen[i].first);
    if (sit == g.steps.end()) {
      sit = g.steps.emplace(std::string(seen[i].first), Step{}).first;
      sit->second.first_seen = seq_++;
    }
    Step& st = sit->second;
    st.position_sum += static_cast<double>(i);
    st.durations.push_back(seen[i].second);
    ++st.reached;
    if (i + 1 == seen.size() && !completed) ++st.dropped;
  }
}

std::vector<JourneyReport> JourneyAccumulator::Finish() {
  std::vector<JourneyReport> out;
  out.reserve(groups_.size());
  for (auto& [key, g] : groups_) {
    JourneyReport r = std::move(g.report);
    const uint64_t ended = r.completed + r.failed + r.abandoned;
    if (ended) r.completion_rate = static_cast<double>(r.completed) / static_cast<double>(ended);
    r.p50 = P(g.durations, 50);
    r.p75 = P(g.durations, 75);
    if (g.with_target) r.over_target_ratio = static_cast<double>(g.over_target) / static_cast<double>(g.with_target);

    std::vector<std::pair<const std::string*, Step*>> order;
    for (auto& [name, st] : g.steps) order.emplace_back(&name, &st);
    std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
      const double ma = a.second->position_sum / static_cast<double>(a.second->reached);
      const double mb = b.second->position_sum / static_cast<double>(b.second->reached);
      if (ma != mb) return ma < mb;
      return a.second->first_seen < b.second->first_seen;
    });
    double slowest = -1, largest_drop = 0;
    for (auto& [name, st] : order) {
      JourneyStepReport s;
      s.name = *name;
      s.p75 = P(st->durations, 75);
      s.reached = st->reached;
      s.drop_off = st->reached ? static_cast<double>(st->dropped) / static_cast<double>(st->reached) : 0;
      if (s.p75 && *s.p75 > slowest) {
        slowest = *s.p75;
        r.slowest_step = s.name;
      }
      if (s.drop_off > largest_drop) {
        largest_drop = s.drop_off;
        r.largest_drop_off = s.name;
      }
      r.steps.push_back(std::move(s));
    }
    out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(), [](const JourneyReport& a, const JourneyReport& b) {
    if (a.started != b.started) return a.started > b.started;
    if (a.app != b.app) return a.app < b.app;
    return a.name < b.name;
  });
  return out;
}

}  // namespace perfwatch::analysis
