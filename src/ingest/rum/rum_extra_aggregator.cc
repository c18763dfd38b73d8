#include "ingest/rum/rum_extra_aggregator.h"

#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <optional>

#include "common/log.h"
#include "common/time.h"
#include "ingest/dirty_groups.h"
#include "ingest/rum/journey_state.h"
#include "ingest/rum/rum_aggregator.h"
#include "tsdb/matcher.h"

namespace perfwatch::ingest {
namespace {

namespace dom = simdjson::dom;

// Measures: 1 ms to 60 s (custom timings range from a function call to a whole flow).
constexpr double kMeasureBounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2,
                                     0.25,  0.3,    0.4,   0.5,  0.75,  1,    1.5,   2,   2.5,  3,
                                     4,     5,      7.5,   10,   15,    20,   30,    60};
// Journeys: 100 ms to 1 h (a checkout spans pages and user think time).
constexpr double kJourneyBounds[] = {0.1, 0.25, 0.5, 1,   2,   3,   5,   7.5,  10,   15,  20,
                                     30,  45,   60,  90,  120, 180, 300, 600, 1200, 1800, 3600};

enum Family : int { kMeasure = 0, kJourneyDuration, kJourneys, kTransferBytes, kResources, kFamilyCount };

struct FamilyDef {
  std::string_view base;  // a counter's series name
  std::string_view bucket, sum, count;  // a histogram's series names
  int bounds;  // 0: measure, 1: journey, -1: a counter
  std::vector<std::string_view> labels;  // sorted, without __name__ and le
};
const FamilyDef kFamilies[kFamilyCount] = {
    {"rum_measure_seconds", "rum_measure_seconds_bucket", "rum_measure_seconds_sum", "rum_measure_seconds_count", 0,
     {"app", "name", "page"}},
    {"rum_journey_duration_seconds", "rum_journey_duration_seconds_bucket", "rum_journey_duration_seconds_sum",
     "rum_journey_duration_seconds_count", 1, {"app", "name", "outcome"}},
    {"rum_journeys_total", "", "", "", -1, {"app", "name", "outcome"}},
    {"rum_resource_transfer_bytes_total", "", "", "", -1, {"app", "page", "party", "type"}},
    {"rum_resources_total", "", "", "", -1, {"app", "page", "party", "type"}},
};

std::span<const double> Bounds(int b) {
  if (b == 0) return kMeasureBounds;
  if (b == 1) return kJourneyBounds;
  return {};
}

// Series per label set: buckets + sum + count, or 1.
size_t SeriesCount(int family) {
  const FamilyDef& f = kFamilies[family];
  return f.bounds < 0 ? 1 : Bounds(f.bounds).size() + 3;
}

std::string Key(int family, std::span<const std::string> values) {
  std::string k(1, static_cast<char>('0' + family));
  for (const auto& v : values) {
    k.push_back('\0');
    k.append(v);
  }
  return k;
}

std::string Identity(const events::EventInput& e) {
  std::string k(e.session_id);
  k.push_back('\0');
  k.append(e.id);
  return k;
}

std::string_view ResourceType(std::string_view t) {
  for (std::string_view k : {"script", "css", "img", "font", "fetch"}) {
    if (t == k) return k;
  }
  return "other";
}

// o[key] as a finite number >= 0, else 0.
double NumberOr0(dom::object o, std::string_view key) {
  double d = 0;
  if (o[key].get_double().get(d) || !std::isfinite(d) || d < 0) return 0;
  return d;
}

struct Loaded {
  int family = 0;
  std::vector<std::string> values;
  std::vector<std::optional<double>> cumulative;
  int64_t last_ts = INT64_MIN;
};

}  // namespace

std::span<const double> RumMeasureBucketBounds() { return kMeasureBounds; }
std::span<const double> RumJourneyBucketBounds() { return kJourneyBounds; }

Result<std::unique_ptr<RumExtraAggregator>> RumExtraAggregator::Create(RumExtraAggregatorOptions options,
                                                                       tsdb::Tsdb* tsdb, MetricsRegistry* metrics,
                                                                       int64_t now_ms) {
  if (tsdb == nullptr) return InvalidArgument("rum extra aggregator: no tsdb");
  if (options.overflow.empty()) return InvalidArgument("rum extra aggregator: empty overflow label");
  if (options.journey_timeout_ms <= 0) return InvalidArgument("rum extra aggregator: journey timeout must be positive");
  auto agg = std::make_unique<RumExtraAggregator>(std::move(options), tsdb, metrics);
  PW_RETURN_IF_ERROR(agg->LoadState(now_ms).WithContext("rum measure/journey/resource aggregates: load state"));
  PW_RETURN_IF_ERROR(agg->LoadHeldJourneys(now_ms).WithContext("rum journeys: rebuild the held journeys"));
  return agg;
}

RumExtraAggregator::RumExtraAggregator(RumExtraAggregatorOptions options, tsdb::Tsdb* tsdb, MetricsRegistry* metrics)
    : options_(std::move(options)),
      journey_timeout_ms_(options_.journey_timeout_ms),
      tsdb_(tsdb),
      parser_(std::make_unique<dom::parser>()) {
  for (int b = 0; b < 2; ++b) {
    for (double x : Bounds(b)) le_strings_[b].push_back(FormatPrometheusFloat(x));
    le_strings_[b].push_back("+Inf");
  }
  if (metrics == nullptr) return;
  names_overflow_ = metrics->GetCounter("perfwatch_rum_measure_names_overflow_total",
                                        "RUM measures counted under name=\"other\" because their app reached "
                                        "rum.max_measure_names names.");
  journey_names_overflow_ = metrics->GetCounter("perfwatch_rum_journey_names_overflow_total",
                                                "RUM journeys counted under name=\"other\" because their app reached "
                                                "rum.max_measure_names journey names.");
  pages_overflow_ = metrics->GetCounter("perfwatch_rum_pages_overflow_total",
                                        "RUM vitals counted under page=\"other\" because their app reached the "
                                        "distinct-page cap.");
  apps_overflow_ = metrics->GetCounter("perfwatch_rum_apps_overflow_total",
                                       "RUM vitals counted under app=\"other\" because rum.max_apps apps exist.");
  append_failures_ = metrics->GetCounter("perfwatch_rum_aggregate_append_failures_total",
                                         "RUM aggregate writes the TSDB refused (retried by the next write).");
  held_gauge_ = metrics->GetGauge("perfwatch_rum_journeys_held",
                                  "RUM journeys last reported as abandoned, held until rum.journey_timeout passes.");
}

RumExtraAggregator::~RumExtraAggregator() { Stop(); }

Status RumExtraAggregator::SetLimits(size_t max_apps, size_t max_pages_per_app, size_t max_names_per_app,
                                     int64_t journey_timeout_ms) {
  if (journey_timeout_ms <= 0) return InvalidArgument("rum extra aggregator: journey timeout must be positive");
  std::lock_guard lock(mu_);
  options_.max_apps = max_apps;
  options_.max_pages_per_app = max_pages_per_app;
  options_.max_names_per_app = max_names_per_app;
  options_.journey_timeout_ms = journey_timeout_ms;
  journey_timeout_ms_.store(journey_timeout_ms, std::memory_order_relaxed);
  return Status::Ok();
}

size_t RumExtraAggregator::num_label_sets() const {
  std::lock_guard lock(mu_);
  return groups_.size();
}
size_t RumExtraAggregator::held_journeys() const {
  std::lock_guard lock(mu_);
  return held_.size();
}
size_t RumExtraAggregator::remembered_summaries() const {
  std::lock_guard lock(mu_);
  return summaries_.size();
}

std::string RumExtraAggregator::AdmitApp(std::string_view app, bool* overflow) {
  *overflow = false;
  if (options_.max_apps == 0 || app == options_.overflow || apps_.count(std::string(app))) return std::string(app);
  if (apps_.size() < options_.max_apps) {
    apps_.emplace(app);
    return std::string(app);
  }
  *overflow = true;
  return options_.overflow;
}

std::string RumExtraAggregator::Admit(std::unordered_map<std::string, std::unordered_set<std::string>>& sets,
                                      size_t cap, const std::string& app, std::string_view value, bool* overflow) {
  *overflow = false;
  if (value == options_.overflow) return std::string(value);
  auto& set = sets[app];
  if (set.count(std::string(value))) return std::string(value);
  if (cap == 0 || set.size() < cap) {
    set.emplace(value);
    return std::string(value);
  }
  *overflow = true;
  return options_.overflow;
}

RumExtraAggregator::Group& RumExtraAggregator::GetGroup(int family, std::vector<std::string> values) {
  std::string key = Key(family, values);
  auto it = groups_.find(key);
  if (it != groups_.end()) return *it->second;
  auto g = std::make_unique<Group>();
  g->family = family;
  g->values = std::move(values);
  g->cumulative.assign(SeriesCount(family), 0.0);
  Group& ref = *g;
  groups_.emplace(std::move(key), std::move(g));
  return ref;
}

void RumExtraAggregator::Add(int family, std::vector<std::string> values, double x, int64_t received_ms) {
  Group& g = GetGroup(family, std::move(values));
  const FamilyDef& f = kFamilies[family];
  if (f.bounds < 0) {
    g.cumulative[0] += x;
  } else {
    std::span<const double> bounds = Bounds(f.bounds);
    const size_t first = static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), x) - bounds.begin());
    for (size_t b = first; b <= bounds.size(); ++b) g.cumulative[b] += 1;  // cumulative, +Inf at bounds.size()
    g.cumulative[bounds.size() + 1] += x;                                   // _sum
    g.cumulative[bounds.size() + 2] += 1;                                   // _count
  }
  g.pending_received_ms = std::max(g.pending_received_ms, received_ms);
  if (!g.dirty) {
    g.dirty = true;
    dirty_.push_back(&g);
  }
}

Status RumExtraAggregator::LoadState(int64_t now_ms) {
  PW_ASSIGN_OR_RETURN(tsdb::Matcher name_matcher,
                      tsdb::Matcher::Make(tsdb::MatchType::kRegexMatch, std::string(tsdb::kMetricNameLabel),
                                          "rum_(measure|journey_duration)_seconds_(bucket|sum|count)|rum_journeys_total|"
                                          "rum_resource_transfer_bytes_total|rum_resources_total"));
  std::map<std::string, Loaded> loaded;
  std::unordered_set<std::string> seen;
  const int64_t lookback = std::max<int64_t>(options_.state_lookback_ms, 0);
  std::vector<int64_t> windows;
  for (int64_t w : {int64_t{3600} * 1000, int64_t{24} * 3600 * 1000}) {
    if (w < lookback) windows.push_back(w);
  }
  windows.push_back(lookback);
  for (int64_t w : windows) {
    std::unique_ptr<tsdb::Querier> q = tsdb_->NewQuerier(now_ms - w, INT64_MAX);
    std::unique_ptr<tsdb::SeriesSet> set = q->Select(std::span(&name_matcher, 1));
    while (set->Next()) {
      const tsdb::Series& s = set->At();
      const tsdb::Labels& labels = s.labels();
      const std::string name = std::string(labels.Get(tsdb::kMetricNameLabel));
      // (family, series index within the label set)
      int family = -1;
      std::optional<size_t> index;
      for (int fi = 0; fi < kFamilyCount && family < 0; ++fi) {
        const FamilyDef& f = kFamilies[fi];
        if (f.bounds < 0) {
          if (name == f.base) family = fi, index = 0;
          continue;
        }
        const auto& les = le_strings_[f.bounds];
        if (name == f.sum) {
          family = fi, index = les.size();
        } else if (name == f.count) {
          family = fi, index = les.size() + 1;
        } else if (name == f.bucket) {
          family = fi;
          auto pos = std::find(les.begin(), les.end(), labels.Get("le"));
          if (pos != les.end()) index = static_cast<size_t>(pos - les.begin());
        }
      }
      if (family < 0 || !index) continue;
      std::string id = labels.ToString();
      if (!seen.insert(id).second) continue;
      tsdb::SeriesIterator it = s.Iterator();
      std::optional<tsdb::Sample> last = tsdb::LastSample(it);
      if (!it.status().ok()) return it.status().WithContext("reading " + id);
      if (!last) continue;
      std::vector<std::string> values;
      for (std::string_view l : kFamilies[family].labels) values.emplace_back(labels.Get(l));
      Loaded& l = loaded[Key(family, values)];
      if (l.cumulative.empty()) {
        l.family = family;
        l.values = std::move(values);
        l.cumulative.resize(SeriesCount(family));
      }
      l.cumulative[*index] = last->v;
      l.last_ts = std::max(l.last_ts, last->t);
    }
    if (!set->status().ok()) return set->status();
  }
  std::lock_guard lock(mu_);
  size_t incomplete = 0, capped = 0;
  for (auto& [key, l] : loaded) {
    if (!std::all_of(l.cumulative.begin(), l.cumulative.end(), [](const auto& c) { return c.has_value(); })) {
      ++incomplete;  // bounds changed or a partial write: a counter reset
      continue;
    }
    bool overflow = false;
    const std::string app = AdmitApp(l.values[0], &overflow);
    const FamilyDef& f = kFamilies[l.family];
    for (size_t i = 1; i < f.labels.size() && !overflow; ++i) {
      if (f.labels[i] == "page") Admit(pages_, options_.max_pages_per_app, app, l.values[i], &overflow);
      if (f.labels[i] == "name") {
        Admit(l.family == kMeasure ? measure_names_ : journey_names_, options_.max_names_per_app, app, l.values[i],
              &overflow);
      }
    }
    if (overflow) {
      ++capped;
      continue;
    }
    Group& g = GetGroup(l.family, l.values);
    for (size_t i = 0; i < g.cumulative.size(); ++i) g.cumulative[i] = *l.cumulative[i];
    g.last_ts = l.last_ts;
  }
  PW_LOG_INFO("rum measure/journey/resource aggregates loaded", "label_sets={} incomplete={} over_cap={}",
              groups_.size(), incomplete, capped);
  return Status::Ok();
}

Status RumExtraAggregator::Record(std::span<const events::EventInput> accepted, std::span<const bool> replaced,
                                  int64_t received_ms) {
  if (!replaced.empty() && replaced.size() != accepted.size()) {
    return InvalidArgument("rum extra aggregator: replaced has " + std::to_string(replaced.size()) +
                           " elements for " + std::to_string(accepted.size()) + " events");
  }
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < accepted.size(); ++i) {
    const events::EventInput& e = accepted[i];
    const bool rep = !replaced.empty() && replaced[i];
    switch (e.type) {
      case events::EventType::kMeasure: {
        if (rep || !std::isfinite(e.value) || e.value < 0) break;
        bool overflow = false;
        std::string app = AdmitApp(e.dims[events::kApp], &overflow);
        if (overflow && apps_overflow_) apps_overflow_->Inc();
        std::string page = Admit(pages_, options_.max_pages_per_app, app, e.dims[events::kPage], &overflow);
        if (overflow && pages_overflow_) pages_overflow_->Inc();
        std::string name = Admit(measure_names_, options_.max_names_per_app, app, e.name, &overflow);
        if (overflow && names_overflow_) names_overflow_->Inc();
        Add(kMeasure, {std::move(app), std::move(name), std::move(page)}, e.value / 1000.0, received_ms);
        break;
      }
      case events::EventType::kJourney: RecordJourney(e, rep, received_ms); break;
      case events::EventType::kResource: RecordSummary(e, rep, received_ms); break;
      default: break;
    }
  }
  SweepLocked(received_ms);
  if (options_.flush_interval_ms > 0) return Status::Ok();
  return WriteGroups();
}

void RumExtraAggregator::RecordJourney(const events::EventInput& e, bool replaced, int64_t received_ms) {
  if (e.attrs_json.empty()) return;
  dom::element root;
  if (parser_->parse(e.attrs_json.data(), e.attrs_json.size()).get(root)) return;
  std::string_view outcome;
  if (root["outcome"].get_string().get(outcome)) return;
  std::string identity = Identity(e);
  if (outcome == "completed" || outcome == "failed") {
    auto it = held_.find(identity);
    const bool was_held = it != held_.end();
    if (was_held) held_.erase(it);
    if (held_gauge_) held_gauge_->Set(static_cast<double>(held_.size()));
    if (replaced && !was_held) return;  // a re-sent final beacon, or its abandoned one was counted
    bool overflow = false;
    std::string app = AdmitApp(e.dims[events::kApp], &overflow);
    if (overflow && apps_overflow_) apps_overflow_->Inc();
    std::string name = Admit(journey_names_, options_.max_names_per_app, app, e.name, &overflow);
    if (overflow && journey_names_overflow_) journey_names_overflow_->Inc();
    Add(kJourneys, {app, name, std::string(outcome)}, 1, received_ms);
    if (std::isfinite(e.value) && e.value >= 0) {
      Add(kJourneyDuration, {std::move(app), std::move(name), std::string(outcome)}, e.value / 1000.0, received_ms);
    }
    return;
  }
  if (outcome != "abandoned" || e.id.empty()) return;  // without an id it cannot be finished later
  auto it = held_.find(identity);
  if (it != held_.end()) {
    it->second.since_ms = received_ms;  // its latest beacon
  } else if (replaced) {
    return;  // the journey was counted already (final, or abandoned by the sweep)
  } else {
    HoldJourney(std::move(identity), e.dims[events::kApp], e.name, received_ms);
    return;
  }
  held_order_.emplace_back(received_ms, std::move(identity));
  if (held_order_.size() > 2 * held_.size() + 1024) {  // drop stale entries
    std::deque<std::pair<int64_t, std::string>> live;
    for (auto& p : held_order_) {
      auto h = held_.find(p.second);
      if (h != held_.end() && h->second.since_ms == p.first) live.push_back(std::move(p));
    }
    held_order_ = std::move(live);
  }
  if (held_gauge_) held_gauge_->Set(static_cast<double>(held_.size()));
}

void RumExtraAggregator::HoldJourney(std::string identity, std::string_view app, std::string_view name,
                                     int64_t since_ms) {
  held_.emplace(identity, HeldJourney{std::string(app), std::string(name), since_ms});
  // Over the bound: the oldest held journey counts as abandoned now.
  while (held_.size() > std::max<size_t>(options_.max_tracked, 1) && !held_order_.empty()) {
    auto [since, key] = std::move(held_order_.front());
    held_order_.pop_front();
    auto old = held_.find(key);
    if (old != held_.end() && old->second.since_ms == since && key != identity) {
      CountAbandoned(old->second, since_ms);
      held_.erase(old);
    }
  }
  held_order_.emplace_back(since_ms, std::move(identity));
  if (held_order_.size() > 2 * held_.size() + 1024) {  // drop stale entries
    std::deque<std::pair<int64_t, std::string>> live;
    for (auto& p : held_order_) {
      auto h = held_.find(p.second);
      if (h != held_.end() && h->second.since_ms == p.first) live.push_back(std::move(p));
    }
    held_order_ = std::move(live);
  }
  if (held_gauge_) held_gauge_->Set(static_cast<double>(held_.size()));
}

Status RumExtraAggregator::LoadHeldJourneys(int64_t now_ms) {
  if (options_.event_store == nullptr || options_.sweep_mark_path.empty()) return Status::Ok();
  int64_t swept_ms = now_ms;  // no mark yet: only journeys whose timeout has not passed
  auto mark = ReadJourneySweepMark(options_.sweep_mark_path);
  if (mark.ok()) {
    swept_ms = *mark;
  } else {
    if (mark.status().code() != StatusCode::kNotFound) {
      PW_LOG_WARN("rum journeys: unreadable sweep mark, using the start time", "error={}",
                  LogQuote(mark.status().ToString()));
    }
    // The mark from now on (a later restart must not take its own start time instead).
    PW_RETURN_IF_ERROR(WriteJourneySweepMark(options_.sweep_mark_path, swept_ms));
  }
  std::vector<std::pair<int64_t, std::string>> pending;  // (received, identity) in receive order
  std::unordered_map<std::string, HeldJourney> found;
  PW_RETURN_IF_ERROR(ScanPendingJourneys(*options_.event_store, swept_ms, options_.journey_timeout_ms,
                                         [&](const PendingJourney& j) {
                                           std::string identity(j.session_id);
                                           identity.push_back('\0');
                                           identity.append(j.id);
                                           pending.emplace_back(j.received_ms, identity);
                                           found[identity] = HeldJourney{std::string(j.app), std::string(j.name),
                                                                         j.received_ms};
                                         }));
  std::stable_sort(pending.begin(), pending.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::lock_guard lock(mu_);
  counted_sweep_ms_ = persisted_sweep_ms_ = swept_ms;
  for (auto& [received, identity] : pending) {
    if (held_.count(identity)) continue;
    const HeldJourney& j = found[identity];
    HoldJourney(identity, j.app, j.name, received);
  }
  PW_LOG_INFO("rum journeys: held journeys rebuilt", "held={} swept_ms={}", held_.size(), swept_ms);
  return Status::Ok();
}

void RumExtraAggregator::CountAbandoned(const HeldJourney& j, int64_t now_ms) {
  bool overflow = false;
  std::string app = AdmitApp(j.app, &overflow);
  if (overflow && apps_overflow_) apps_overflow_->Inc();
  std::string name = Admit(journey_names_, options_.max_names_per_app, app, j.name, &overflow);
  if (overflow && journey_names_overflow_) journey_names_overflow_->Inc();
  Add(kJourneys, {std::move(app), std::move(name), "abandoned"}, 1, now_ms);
}

void RumExtraAggregator::SweepLocked(int64_t now_ms) {
  // held_order_ is in arrival order; a clock step back only delays entries behind it.
  while (!held_order_.empty() && held_order_.front().first <= now_ms - options_.journey_timeout_ms) {
    auto [since, key] = std::move(held_order_.front());
    held_order_.pop_front();
    auto it = held_.find(key);
    if (it == held_.end() || it->second.since_ms != since) continue;  // final since, or a later beacon
    CountAbandoned(it->second, now_ms);
    held_.erase(it);
    counted_sweep_ms_ = std::max(counted_sweep_ms_, now_ms);
  }
  if (held_gauge_) held_gauge_->Set(static_cast<double>(held_.size()));
}

Status RumExtraAggregator::Sweep(int64_t now_ms) {
  std::lock_guard lock(mu_);
  SweepLocked(now_ms);
  if (options_.flush_interval_ms > 0) return Status::Ok();
  return WriteGroups();
}

void RumExtraAggregator::RecordSummary(const events::EventInput& e, bool replaced, int64_t received_ms) {
  if (e.attrs_json.empty()) return;
  dom::element root;
  if (parser_->parse(e.attrs_json.data(), e.attrs_json.size()).get(root)) return;
  dom::object summary;
  if (root["summary"].get_object().get(summary)) return;  // the core SDK's beacon
  std::vector<Cell> cells;
  auto add_cell = [&](std::string_view type, std::string_view party, dom::element totals) {
    dom::object o;
    if (totals.get_object().get(o)) return;
    for (Cell& c : cells) {
      if (c.type == type && c.party == party) {  // two byType keys mapping to "other"
        c.n += NumberOr0(o, "n");
        c.transfer += NumberOr0(o, "transfer");
        return;
      }
    }
    cells.push_back(Cell{std::string(type), std::string(party), NumberOr0(o, "n"), NumberOr0(o, "transfer")});
  };
  dom::object by_type;
  if (!summary["byType"].get_object().get(by_type)) {
    for (dom::key_value_pair kv : by_type) add_cell(ResourceType(kv.key), "all", kv.value);
  }
  dom::element party;
  if (!summary["firstParty"].get(party)) add_cell("all", "first", party);
  if (!summary["thirdParty"].get(party)) add_cell("all", "third", party);

  std::string identity = Identity(e);
  auto it = summaries_.find(identity);
  const bool known = it != summaries_.end();
  bool overflow = false;
  std::string app = AdmitApp(e.dims[events::kApp], &overflow);
  if (overflow && apps_overflow_) apps_overflow_->Inc();
  std::string page = Admit(pages_, options_.max_pages_per_app, app, e.dims[events::kPage], &overflow);
  if (overflow && pages_overflow_) pages_overflow_->Inc();
  for (Cell& c : cells) {
    double old_n = 0, old_transfer = 0;
    if (known) {
      for (const Cell& o : it->second) {
        if (o.type == c.type && o.party == c.party) old_n = o.n, old_transfer = o.transfer;
      }
    }
    // A total never goes back: keep the larger as the baseline.
    const double dn = std::max(0.0, c.n - old_n), dt = std::max(0.0, c.transfer - old_transfer);
    c.n = std::max(c.n, old_n);
    c.transfer = std::max(c.transfer, old_transfer);
    if (replaced && !known) continue;  // earlier totals unknown: only the baseline
    if (dn > 0 || !known) Add(kResources, {app, page, c.party, c.type}, dn, received_ms);
    if (dt > 0 || !known) Add(kTransferBytes, {app, page, c.party, c.type}, dt, received_ms);
  }
  if (known) {
    // Cells the new summary lacks keep their old totals.
    for (const Cell& o : it->second) {
      bool found = false;
      for (const Cell& c : cells) found |= c.type == o.type && c.party == o.party;
      if (!found) cells.push_back(o);
    }
    it->second = std::move(cells);
    return;
  }
  summaries_.emplace(identity, std::move(cells));
  summary_order_.push_back(std::move(identity));
  while (summaries_.size() > std::max<size_t>(options_.max_tracked, 1) && !summary_order_.empty()) {
    summaries_.erase(summary_order_.front());
    summary_order_.pop_front();
  }
}

Status RumExtraAggregator::Flush() {
  std::lock_guard lock(mu_);
  return WriteGroups();
}

void RumExtraAggregator::Start() {
  writer_.Start("pw-rum-extra", std::chrono::milliseconds(options_.flush_interval_ms), [this] {
    std::lock_guard lock(mu_);
    SweepLocked(NowMs());
    (void)WriteGroups();
  });
}

void RumExtraAggregator::Stop() {
  writer_.Stop();
  (void)Flush();
}

Status RumExtraAggregator::WriteGroups() {
  // The sweep mark goes first: a crash before the counts reach the TSDB loses them rather
  // than counting them twice after the restart (journey_state.h).
  if (counted_sweep_ms_ > persisted_sweep_ms_ && options_.event_store != nullptr &&
      !options_.sweep_mark_path.empty()) {
    Status mark = WriteJourneySweepMark(options_.sweep_mark_path, counted_sweep_ms_);
    if (mark.ok()) {
      persisted_sweep_ms_ = counted_sweep_ms_;
    } else {
      PW_LOG_WARN("rum journeys: sweep mark not written", "error={}", LogQuote(mark.ToString()));
    }
  }
  Status st = WriteDirtyGroups(dirty_, 0, kWriteBatchSeries, [this](std::span<Group* const> groups, size_t nseries) {
    return WriteGroupRange(groups, nseries);
  });
  if (!st.ok()) {
    if (append_failures_) append_failures_->Inc();
    PW_LOG_WARN("rum measure/journey/resource aggregate append failed", "error={}", LogQuote(st.message()));
    return st.WithContext("rum aggregates");
  }
  return Status::Ok();
}

Status RumExtraAggregator::WriteGroupRange(std::span<Group* const> groups, size_t nseries) {
  write_labels_.clear();
  write_labels_.reserve(nseries * 6);  // no reallocation: the batch points into it
  write_samples_.clear();
  write_samples_.reserve(nseries);
  write_batch_.clear();
  write_batch_.reserve(nseries);
  auto add = [&](std::string_view name, const Group& g, const std::string* le, int64_t t, double v) {
    const size_t start = write_labels_.size();
    write_labels_.push_back({tsdb::kMetricNameLabel, name});
    const FamilyDef& f = kFamilies[g.family];
    bool le_done = le == nullptr;
    for (size_t i = 0; i < f.labels.size(); ++i) {
      if (!le_done && f.labels[i] > "le") {
        write_labels_.push_back({"le", *le});
        le_done = true;
      }
      write_labels_.push_back({f.labels[i], g.values[i]});
    }
    if (!le_done) write_labels_.push_back({"le", *le});
    write_samples_.push_back({t, v});
    write_batch_.push_back({std::span(write_labels_.data() + start, write_labels_.size() - start),
                            std::span(&write_samples_.back(), 1)});
  };
  for (Group* g : groups) {
    const int64_t t = g->last_ts == INT64_MIN ? g->pending_received_ms : std::max(g->pending_received_ms, g->last_ts + 1);
    g->last_ts = t;
    const FamilyDef& f = kFamilies[g->family];
    if (f.bounds < 0) {
      add(f.base, *g, nullptr, t, g->cumulative[0]);
      continue;
    }
    const auto& les = le_strings_[f.bounds];
    const size_t nb = les.size();
    for (size_t b = 0; b < nb; ++b) add(f.bucket, *g, &les[b], t, g->cumulative[b]);
    add(f.sum, *g, nullptr, t, g->cumulative[nb]);
    add(f.count, *g, nullptr, t, g->cumulative[nb + 1]);
  }
  tsdb::AppendResult result;
  return tsdb_->AppendBatch(write_batch_, &result);
}

}  // namespace perfwatch::ingest
