#include "ingest/rum/rum_aggregator.h"

#include <algorithm>
#include <chrono>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>

#include "common/log.h"
#include "ingest/dirty_groups.h"
#include "tsdb/matcher.h"

namespace perfwatch::ingest {
namespace {

// Bucket bounds: ~10-15% apart around the usual p75 range of each metric, coarser in the
// tails, every good/poor threshold included. Table and rationale: docs/rum-aggregates.md.
constexpr double kLcpBounds[] = {0.1, 0.25, 0.5, 0.75, 1,    1.2,  1.4, 1.6, 1.8, 2,  2.25, 2.5, 2.75, 3, 3.25,
                                 3.5, 4,    4.5, 5,    5.5,  6,    7,   8,   9,   10, 12,   15,  20,   30, 60};
constexpr double kInpBounds[] = {0.016, 0.032, 0.048, 0.064, 0.08, 0.096, 0.112, 0.128, 0.144, 0.16,
                                 0.18,  0.2,   0.225, 0.25,  0.275, 0.3,  0.35,  0.4,   0.45,  0.5,
                                 0.6,   0.7,   0.8,   1,     1.25,  1.5,  2,     3,     5,     10};
constexpr double kFcpBounds[] = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1,  1.1, 1.2, 1.35, 1.5, 1.65, 1.8, 2,
                                 2.2, 2.4, 2.6, 2.8, 3,   3.5, 4,   4.5, 5,   6,  7,   8,   10,   15,  30,   60};
constexpr double kTtfbBounds[] = {0.025, 0.05, 0.075, 0.1, 0.125, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4,
                                  0.45,  0.5,  0.6,   0.7, 0.8,   0.9,  1,   1.2,  1.4, 1.6,  1.8,
                                  2,     2.5,  3,     3.5, 4,     5,    7.5, 10,   30};
constexpr double kClsBounds[] = {0,    0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.06,
                                 0.07, 0.08,   0.09,  0.1,    0.115, 0.13, 0.15, 0.175, 0.2,  0.225, 0.25, 0.3,
                                 0.35, 0.4,    0.5,   0.6,    0.8,  1,     1.5,  2,     5};

struct MetricNames {
  std::string_view base, bucket, sum, count;
};
constexpr MetricNames kNames[kRumMetricCount] = {
    {"rum_lcp_seconds", "rum_lcp_seconds_bucket", "rum_lcp_seconds_sum", "rum_lcp_seconds_count"},
    {"rum_inp_seconds", "rum_inp_seconds_bucket", "rum_inp_seconds_sum", "rum_inp_seconds_count"},
    {"rum_fcp_seconds", "rum_fcp_seconds_bucket", "rum_fcp_seconds_sum", "rum_fcp_seconds_count"},
    {"rum_ttfb_seconds", "rum_ttfb_seconds_bucket", "rum_ttfb_seconds_sum", "rum_ttfb_seconds_count"},
    {"rum_cls", "rum_cls_bucket", "rum_cls_sum", "rum_cls_count"},
};

enum class SeriesKind { kBucket, kSum, kCount };

// Parses a stored series name into (metric, kind).
bool ParseSeriesName(std::string_view name, RumMetric* m, SeriesKind* kind) {
  for (int i = 0; i < kRumMetricCount; ++i) {
    const MetricNames& n = kNames[i];
    *m = static_cast<RumMetric>(i);
    if (name == n.bucket) {
      *kind = SeriesKind::kBucket;
      return true;
    }
    if (name == n.sum) {
      *kind = SeriesKind::kSum;
      return true;
    }
    if (name == n.count) {
      *kind = SeriesKind::kCount;
      return true;
    }
  }
  return false;
}

// A label set's series as found in storage while loading.
struct Loaded {
  RumMetric metric = RumMetric::kLCP;
  std::string app, page, device, connection;
  std::vector<std::optional<double>> cumulative;
  std::optional<double> sum, count;
  int64_t last_ts = INT64_MIN;
};

}  // namespace

std::string_view RumMetricName(RumMetric m) { return kNames[static_cast<int>(m)].base; }

std::optional<RumMetric> RumMetricFor(events::Vital vital) {
  switch (vital) {
    case events::Vital::kLCP: return RumMetric::kLCP;
    case events::Vital::kINP: return RumMetric::kINP;
    case events::Vital::kFCP: return RumMetric::kFCP;
    case events::Vital::kTTFB: return RumMetric::kTTFB;
    case events::Vital::kCLS: return RumMetric::kCLS;
    default: return std::nullopt;  // FID is stored, not aggregated; kNone
  }
}

std::span<const double> RumBucketBounds(RumMetric m) {
  switch (m) {
    case RumMetric::kLCP: return kLcpBounds;
    case RumMetric::kINP: return kInpBounds;
    case RumMetric::kFCP: return kFcpBounds;
    case RumMetric::kTTFB: return kTtfbBounds;
    case RumMetric::kCLS: return kClsBounds;
  }
  return {};
}

double RumMetricValue(RumMetric m, double beacon_value) {
  return m == RumMetric::kCLS ? beacon_value : beacon_value / 1000.0;
}

std::string FormatPrometheusFloat(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == 0) return std::signbit(v) ? "-0" : "0";
  // Shortest round-trip digits, then Go's 'g' rule for the shortest precision: exponent
  // form when the decimal exponent is < -4 or >= 6 ("1e-05", "1e+06"), else plain decimal.
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(r.ptr - buf));
  std::string out;
  if (sci.front() == '-') {
    out.push_back('-');
    sci.remove_prefix(1);
  }
  size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  int exp = std::atoi(std::string(sci.substr(e + 1)).c_str());
  if (exp < -4 || exp >= 6) {
    out.push_back(digits[0]);
    if (digits.size() > 1) {
      out.push_back('.');
      out.append(digits, 1);
    }
    out.push_back('e');
    out.push_back(exp < 0 ? '-' : '+');
    int a = std::abs(exp);
    if (a < 10) out.push_back('0');
    out.append(std::to_string(a));
    return out;
  }
  if (exp < 0) {
    out.append("0.");
    out.append(static_cast<size_t>(-exp - 1), '0');
    out.append(digits);
    return out;
  }
  size_t int_digits = static_cast<size_t>(exp) + 1;
  if (digits.size() <= int_digits) {
    out.append(digits);
    out.append(int_digits - digits.size(), '0');
  } else {
    out.append(digits, 0, int_digits);
    out.push_back('.');
    out.append(digits, int_digits);
  }
  return out;
}

Result<std::unique_ptr<RumAggregator>> RumAggregator::Create(RumAggregatorOptions options, tsdb::Tsdb* tsdb,
                                                             MetricsRegistry* metrics, int64_t now_ms) {
  if (tsdb == nullptr) return InvalidArgument("rum aggregator: no tsdb");
  if (options.overflow_page.empty()) return InvalidArgument("rum aggregator: empty overflow page");
  auto agg = std::make_unique<RumAggregator>(std::move(options), tsdb, metrics);
  PW_RETURN_IF_ERROR(agg->LoadState(now_ms).WithContext("rum aggregator: load state"));
  return agg;
}

RumAggregator::RumAggregator(RumAggregatorOptions options, tsdb::Tsdb* tsdb, MetricsRegistry* metrics)
    : options_(std::move(options)), tsdb_(tsdb) {
  for (int m = 0; m < kRumMetricCount; ++m) {
    for (double b : RumBucketBounds(static_cast<RumMetric>(m))) le_strings_[m].push_back(FormatPrometheusFloat(b));
    le_strings_[m].push_back("+Inf");
  }
  if (metrics == nullptr) return;
  overflow_ = metrics->GetCounter("perfwatch_rum_pages_overflow_total",
                                  "RUM vitals counted under page=\"other\" because their app reached the "
                                  "distinct-page cap.");
  apps_overflow_ = metrics->GetCounter("perfwatch_rum_apps_overflow_total",
                                      "RUM vitals counted under app=\"other\" because rum.max_apps apps exist.");
  connections_overflow_ = metrics->GetCounter(
      "perfwatch_rum_connections_overflow_total",
      "RUM vitals counted under connection=\"other\" (not an effectiveType value).");
  observations_ = metrics->GetCounter("perfwatch_rum_aggregated_vitals_total",
                                      "RUM vitals counted into the rum_* histogram series.");
  append_failures_ = metrics->GetCounter("perfwatch_rum_aggregate_append_failures_total",
                                         "RUM aggregate writes the TSDB refused (retried by the next write).");
  label_sets_gauge_ = metrics->GetGauge("perfwatch_rum_aggregate_label_sets",
                                        "RUM histogram label sets (metric, app, page, device, connection) held.");
}

RumAggregator::~RumAggregator() { Stop(); }

std::string RumAggregator::Key(RumMetric m, std::string_view app, std::string_view page, std::string_view device,
                               std::string_view connection) {
  std::string k;
  k.reserve(4 + app.size() + page.size() + device.size() + connection.size() + 1);
  k.push_back(static_cast<char>('0' + static_cast<int>(m)));
  for (std::string_view part : {app, page, device, connection}) {
    k.push_back('\0');
    k.append(part);
  }
  return k;
}

void RumAggregator::SetCaps(size_t max_apps, size_t max_pages_per_app) {
  std::lock_guard lock(mu_);
  options_.max_apps = max_apps;
  options_.max_pages_per_app = max_pages_per_app;
}

size_t RumAggregator::num_label_sets() const {
  std::lock_guard lock(mu_);
  return groups_.size();
}

namespace {

// Network Information API effectiveType values, the parser's "unknown", and absent.
bool KnownConnection(std::string_view c) {
  return c.empty() || c == "4g" || c == "3g" || c == "2g" || c == "slow-2g" || c == "unknown";
}

}  // namespace

std::string_view RumAggregator::AdmitApp(std::string_view app, bool* overflow) {
  *overflow = false;
  if (options_.max_apps == 0 || app == options_.overflow_app) return app;
  if (apps_.count(std::string(app))) return app;
  if (apps_.size() < options_.max_apps) {
    apps_.emplace(app);
    return app;
  }
  *overflow = true;
  return options_.overflow_app;
}

std::string_view RumAggregator::AdmitPage(std::string_view app, std::string_view page, bool* overflow) {
  *overflow = false;
  if (page == options_.overflow_page) return options_.overflow_page;
  auto it = pages_.find(std::string(app));
  if (it == pages_.end()) it = pages_.emplace(std::string(app), std::unordered_set<std::string>{}).first;
  auto& set = it->second;
  if (set.count(std::string(page))) return page;
  if (options_.max_pages_per_app == 0 || set.size() < options_.max_pages_per_app) {
    set.emplace(page);
    return page;
  }
  *overflow = true;
  return options_.overflow_page;
}

RumAggregator::Group& RumAggregator::GetGroup(RumMetric m, std::string_view app, std::string_view page,
                                              std::string_view device, std::string_view connection) {
  std::string key = Key(m, app, page, device, connection);
  auto it = groups_.find(key);
  if (it != groups_.end()) return *it->second;
  auto g = std::make_unique<Group>();
  g->metric = m;
  g->app = app;
  g->page = page;
  g->device = device;
  g->connection = connection;
  g->cumulative.assign(RumBucketBounds(m).size() + 1, 0.0);
  Group& ref = *g;
  groups_.emplace(std::move(key), std::move(g));
  if (label_sets_gauge_) label_sets_gauge_->Set(static_cast<double>(groups_.size()));
  return ref;
}

Status RumAggregator::LoadState(int64_t now_ms) {
  PW_ASSIGN_OR_RETURN(
      tsdb::Matcher name_matcher,
      tsdb::Matcher::Make(tsdb::MatchType::kRegexMatch, std::string(tsdb::kMetricNameLabel),
                          "rum_(lcp|inp|fcp|ttfb)_seconds_(bucket|sum|count)|rum_cls_(bucket|sum|count)"));
  std::map<std::string, Loaded> loaded;
  std::unordered_set<std::string> seen_series;  // Labels::ToString() of series already read
  // Widening windows: recent series are found in the first, cheap one.
  const int64_t lookback = std::max<int64_t>(options_.state_lookback_ms, 0);
  std::vector<int64_t> windows;
  for (int64_t w : {int64_t{3600} * 1000, int64_t{24} * 3600 * 1000}) {
    if (w < lookback) windows.push_back(w);
  }
  windows.push_back(lookback);
  uint64_t series_read = 0;
  for (int64_t w : windows) {
    std::unique_ptr<tsdb::Querier> q = tsdb_->NewQuerier(now_ms - w, INT64_MAX);
    std::unique_ptr<tsdb::SeriesSet> set = q->Select(std::span(&name_matcher, 1));
    while (set->Next()) {
      const tsdb::Series& s = set->At();
      const tsdb::Labels& labels = s.labels();
      RumMetric m;
      SeriesKind kind;
      if (!ParseSeriesName(labels.Get(tsdb::kMetricNameLabel), &m, &kind)) continue;
      std::string id = labels.ToString();
      if (!seen_series.insert(id).second) continue;
      tsdb::SeriesIterator it = s.Iterator();
      std::optional<tsdb::Sample> last = tsdb::LastSample(it);
      if (!it.status().ok()) return it.status().WithContext("reading " + id);
      if (!last) continue;
      const int64_t t = last->t;
      const double v = last->v;
      ++series_read;
      std::string key = Key(m, labels.Get("app"), labels.Get("page"), labels.Get("device"), labels.Get("connection"));
      Loaded& l = loaded[key];
      if (l.cumulative.empty()) {
        l.metric = m;
        l.app = labels.Get("app");
        l.page = labels.Get("page");
        l.device = labels.Get("device");
        l.connection = labels.Get("connection");
        l.cumulative.resize(RumBucketBounds(m).size() + 1);
      }
      l.last_ts = std::max(l.last_ts, t);
      if (kind == SeriesKind::kSum) {
        l.sum = v;
      } else if (kind == SeriesKind::kCount) {
        l.count = v;
      } else {
        const auto& les = le_strings_[static_cast<int>(m)];
        auto pos = std::find(les.begin(), les.end(), labels.Get("le"));
        if (pos != les.end()) l.cumulative[pos - les.begin()] = v;
      }
    }
    if (!set->status().ok()) return set->status();
  }

  std::lock_guard lock(mu_);
  size_t incomplete = 0, capped = 0;
  for (auto& [key, l] : loaded) {  // key order: metric, app, page (so the cap keeps the same pages)
    bool complete = l.sum && l.count &&
                    std::all_of(l.cumulative.begin(), l.cumulative.end(), [](const auto& c) { return c.has_value(); });
    if (!complete) {
      ++incomplete;  // bounds changed or a partial write: this label set restarts (a counter reset)
      continue;
    }
    bool overflow = false;
    AdmitApp(l.app, &overflow);
    if (!overflow) AdmitPage(l.app, l.page, &overflow);
    if (overflow) {
      ++capped;  // the cap was lowered: this page's series are no longer written
      continue;
    }
    Group& g = GetGroup(l.metric, l.app, l.page, l.device, l.connection);
    for (size_t i = 0; i < g.cumulative.size(); ++i) g.cumulative[i] = *l.cumulative[i];
    g.sum = *l.sum;
    g.count = *l.count;
    g.last_ts = l.last_ts;
  }
  PW_LOG_INFO("rum aggregates loaded", "series={} label_sets={} incomplete={} over_page_cap={}", series_read,
              groups_.size(), incomplete, capped);
  return Status::Ok();
}

Status RumAggregator::Record(std::span<const events::EventInput> accepted, std::span<const bool> replaced,
                             int64_t received_ms) {
  if (!replaced.empty() && replaced.size() != accepted.size()) {
    return InvalidArgument("rum aggregator: replaced has " + std::to_string(replaced.size()) + " elements for " +
                           std::to_string(accepted.size()) + " events");
  }
  std::lock_guard lock(mu_);
  uint64_t overflowed = 0, counted = 0, apps_overflowed = 0, connections_overflowed = 0;
  for (size_t i = 0; i < accepted.size(); ++i) {
    const events::EventInput& e = accepted[i];
    if (!replaced.empty() && replaced[i]) continue;  // already counted when first stored
    if (e.type != events::EventType::kVital) continue;
    std::optional<RumMetric> m = RumMetricFor(e.vital);
    if (!m) continue;
    if (!std::isfinite(e.value) || e.value < 0) continue;
    const double x = RumMetricValue(*m, e.value);
    bool overflow = false;
    std::string_view app = AdmitApp(e.dims[events::kApp], &overflow);
    if (overflow) ++apps_overflowed;
    std::string_view page = AdmitPage(app, e.dims[events::kPage], &overflow);
    if (overflow) ++overflowed;
    std::string_view connection = e.dims[events::kConnection];
    if (!KnownConnection(connection)) {
      connection = "other";
      ++connections_overflowed;
    }
    Group& g = GetGroup(*m, app, page, e.dims[events::kDevice], connection);
    std::span<const double> bounds = RumBucketBounds(*m);
    // Cumulative buckets: every bucket whose bound is >= x, and +Inf.
    size_t first = static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), x) - bounds.begin());
    for (size_t b = first; b < g.cumulative.size(); ++b) g.cumulative[b] += 1;
    g.sum += x;
    g.count += 1;
    g.pending_received_ms = std::max(g.pending_received_ms, received_ms);
    ++counted;
    if (!g.dirty) {
      g.dirty = true;
      dirty_.push_back(&g);
    }
  }
  if (overflowed && overflow_) overflow_->Inc(overflowed);
  if (apps_overflowed && apps_overflow_) apps_overflow_->Inc(apps_overflowed);
  if (connections_overflowed && connections_overflow_) connections_overflow_->Inc(connections_overflowed);
  if (counted && observations_) observations_->Inc(counted);
  if (options_.flush_interval_ms > 0) return Status::Ok();  // the writer thread writes
  return WriteGroups();
}

Status RumAggregator::Flush() {
  std::lock_guard lock(mu_);
  return WriteGroups();
}

void RumAggregator::Start() {
  // Logged and counted inside Flush; what failed stays pending for the next try.
  writer_.Start("pw-rum-agg", std::chrono::milliseconds(options_.flush_interval_ms), [this] { (void)Flush(); });
}

void RumAggregator::Stop() {
  writer_.Stop();
  (void)Flush();
}

Status RumAggregator::WriteGroups() {
  Status st = WriteDirtyGroups(dirty_, 2, kWriteBatchSeries, [this](std::span<Group* const> groups, size_t nseries) {
    return WriteGroupRange(groups, nseries);
  });
  if (!st.ok()) {
    if (append_failures_) append_failures_->Inc();
    PW_LOG_WARN("rum aggregate append failed", "error={}", LogQuote(st.message()));
    return st.WithContext("rum aggregates");
  }
  return Status::Ok();
}

Status RumAggregator::WriteGroupRange(std::span<Group* const> groups, size_t nseries) {
  std::vector<tsdb::LabelView>& labels = write_labels_;
  labels.clear();
  labels.reserve(nseries * 6);  // no reallocation: the batch points into it
  std::vector<tsdb::Sample>& samples = write_samples_;
  samples.clear();
  samples.reserve(nseries);
  std::vector<tsdb::SeriesSamples>& batch = write_batch_;
  batch.clear();
  batch.reserve(nseries);
  auto add = [&](std::string_view name, const Group& g, const std::string* le, int64_t t, double v) {
    size_t start = labels.size();
    // Sorted by name: __name__ < app < connection < device < le < page.
    labels.push_back({tsdb::kMetricNameLabel, name});
    labels.push_back({"app", g.app});
    labels.push_back({"connection", g.connection});
    labels.push_back({"device", g.device});
    if (le) labels.push_back({"le", *le});
    labels.push_back({"page", g.page});
    samples.push_back({t, v});
    batch.push_back({std::span(labels.data() + start, labels.size() - start), std::span(&samples.back(), 1)});
  };
  for (Group* g : groups) {
    const int64_t t = g->last_ts == INT64_MIN ? g->pending_received_ms : std::max(g->pending_received_ms, g->last_ts + 1);
    g->last_ts = t;  // even if the append fails: the next stamp must not reuse it
    const int mi = static_cast<int>(g->metric);
    const MetricNames& names = kNames[mi];
    for (size_t b = 0; b < g->cumulative.size(); ++b) add(names.bucket, *g, &le_strings_[mi][b], t, g->cumulative[b]);
    add(names.sum, *g, nullptr, t, g->sum);
    add(names.count, *g, nullptr, t, g->count);
  }
  tsdb::AppendResult result;
  return tsdb_->AppendBatch(batch, &result);
}

}  // namespace perfwatch::ingest
