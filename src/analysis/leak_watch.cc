#include "analysis/leak_watch.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <unordered_map>

#include "analysis/score.h"  // FindPageViewId
#include "common/log.h"
#include "common/time.h"
#include "query/promql_parser.h"

namespace perfwatch::analysis {
namespace {

constexpr size_t kMaxPoints = 240;
constexpr size_t kMaxSessionsDetail = 5;
constexpr int kAppDim = 0;
constexpr int kPageDim = 1;

int SeverityRank(const LeakResult& r) { return r.leaking ? static_cast<int>(r.severity) : 0; }

// Whether session result a is a worse finding than b: leaking first, then the faster growth.
bool WorseResult(const LeakResult& a, size_t a_samples, const LeakResult& b, size_t b_samples) {
  if (a.leaking != b.leaking) return a.leaking;
  if (a.leaking) return a.growth_ratio_per_min > b.growth_ratio_per_min;
  return a_samples > b_samples;
}

// Every k-th point so that at most kMaxPoints remain (the last one always kept).
std::vector<std::pair<int64_t, double>> Thin(const std::vector<int64_t>& t, const std::vector<double>& v) {
  std::vector<std::pair<int64_t, double>> out;
  const size_t n = t.size();
  if (n == 0) return out;
  const size_t step = (n + kMaxPoints - 1) / kMaxPoints;
  for (size_t i = (n - 1) % step; i < n; i += step) out.emplace_back(t[i], v[i]);
  return out;
}

}  // namespace

LeakWatchOptions LeakWatchOptionsFromConfig(const LeakWatchConfig& c) {
  LeakWatchOptions o;
  o.interval_ms = c.interval_ms;
  o.lookback_ms = c.lookback_ms;
  o.step_ms = c.step_ms;
  o.min_samples = static_cast<size_t>(std::max(c.min_samples, 3));
  o.detector.threshold_ratio_per_min = c.threshold;
  o.detector.max_p_value = c.max_p_value;
  o.detector.warmup_ms = c.warmup_ms;
  if (c.expressions.empty()) {
    o.expressions = {{"process_resident_memory_bytes", "process_resident_memory_bytes"},
                     {"nodejs_heap_size_used_bytes", "nodejs_heap_size_used_bytes"},
                     {"v8js_memory_heap_used_bytes", "sum by (job, instance) (v8js_memory_heap_used_bytes)"}};
  } else {
    for (const std::string& e : c.expressions) o.expressions.emplace_back("", e);
  }
  return o;
}

bool LeakFindingBefore(const LeakFinding& a, const LeakFinding& b) {
  if (a.result.leaking != b.result.leaking) return a.result.leaking;
  if (SeverityRank(a.result) != SeverityRank(b.result)) return SeverityRank(a.result) > SeverityRank(b.result);
  if (a.result.growth_ratio_per_min != b.result.growth_ratio_per_min) {
    return a.result.growth_ratio_per_min > b.result.growth_ratio_per_min;
  }
  return a.labels.ToString() < b.labels.ToString();
}

Result<std::unique_ptr<LeakWatcher>> LeakWatcher::Create(LeakWatchOptions options, const events::EventStore* store,
                                                         const query::promql::Engine* engine, tsdb::Tsdb* tsdb,
                                                         MetricsRegistry* metrics) {
  PW_RETURN_IF_ERROR(CheckOptions(options));
  return std::unique_ptr<LeakWatcher>(new LeakWatcher(std::move(options), store, engine, tsdb, metrics));
}

Status LeakWatcher::CheckOptions(const LeakWatchOptions& options) {
  PW_RETURN_IF_ERROR(ValidateLeakOptions(options.detector).WithContext("analysis.leak"));
  if (options.step_ms <= 0 || options.lookback_ms < options.step_ms) {
    return InvalidArgument("analysis.leak: lookback must be at least one step");
  }
  for (const auto& [name, expr] : options.expressions) {
    auto parsed = query::promql::ParseExpr(expr);
    if (!parsed.ok()) return InvalidArgument("analysis.leak.expressions \"" + expr + "\": " + parsed.status().message());
  }
  return Status::Ok();
}

LeakWatcher::LeakWatcher(LeakWatchOptions options, const events::EventStore* store,
                         const query::promql::Engine* engine, tsdb::Tsdb* tsdb, MetricsRegistry* metrics)
    : options_(std::move(options)), store_(store), engine_(engine), active_(tsdb, kLeakActiveMetric) {
  if (metrics) {
    runs_ = metrics->GetCounter("perfwatch_leak_evaluations_total", "Passes of the memory-leak evaluation (docs/analysis.md).");
    failures_ = metrics->GetCounter("perfwatch_leak_failures_total",
                                    "Memory-leak sources (RUM, a heap expression) or appends that failed.");
    duration_ = metrics->GetGauge("perfwatch_leak_last_duration_seconds", "How long the last memory-leak pass took.");
    series_ = metrics->GetGauge("perfwatch_leak_series", "Heap series analysed by the last memory-leak pass.");
  }
}

LeakWatcher::~LeakWatcher() { Stop(); }

Status LeakWatcher::CollectRum(int64_t now_ms, std::vector<LeakFinding>* out, size_t* analysed) const {
  if (!store_) return Status::Ok();
  struct Sample {
    int64_t t;
    double v;
    uint32_t page;  // index into Doc::pages
  };
  struct Doc {
    std::string app, session;
    std::vector<std::string> pages;
    std::vector<Sample> samples;
    int64_t last = 0;
  };
  std::unordered_map<std::string, Doc> docs;
  events::RecordScan scan;
  scan.from_ms = now_ms - options_.lookback_ms;
  scan.to_ms = now_ms;
  scan.type = events::EventType::kMemory;
  std::string key;
  PW_RETURN_IF_ERROR(store_->ScanRecords(scan, [&](const events::EventRecord& e) {
    if (!std::isfinite(e.value) || e.session_id.empty()) return;
    const std::string_view app = e.dims[kAppDim], page = e.dims[kPageDim];
    const std::string_view view = FindPageViewId(e.attrs_json);
    key.assign(app).append(1, '\0').append(e.session_id).append(1, '\0').append(view);
    Doc& d = docs[key];
    if (d.samples.empty()) {
      d.app = app;
      d.session = e.session_id;
      if (!view.empty()) d.session.append("/").append(view);
    }
    if (d.pages.empty() || d.pages.back() != page) {
      auto it = std::find(d.pages.begin(), d.pages.end(), page);
      if (it == d.pages.end()) it = d.pages.insert(d.pages.end(), std::string(page));
      d.samples.push_back({e.time_ms, e.value, static_cast<uint32_t>(it - d.pages.begin())});
    } else {
      d.samples.push_back({e.time_ms, e.value, static_cast<uint32_t>(d.pages.size() - 1)});
    }
    d.last = std::max(d.last, e.time_ms);
  }));
  std::vector<Doc*> long_docs;
  for (auto& [k, d] : docs) {
    if (d.samples.size() >= options_.min_samples) long_docs.push_back(&d);
  }
  if (long_docs.size() > kMaxRumSeries) {
    std::nth_element(long_docs.begin(), long_docs.begin() + kMaxRumSeries, long_docs.end(),
                     [](const Doc* a, const Doc* b) { return a->last > b->last; });
    long_docs.resize(kMaxRumSeries);
  }
  std::map<std::pair<std::string, std::string>, LeakFinding> by_page;
  std::map<std::pair<std::string, std::string>, std::vector<LeakSessionFinding>> details;
  std::vector<int64_t> t;
  std::vector<double> v;
  for (Doc* d : long_docs) {
    std::stable_sort(d->samples.begin(), d->samples.end(), [](const Sample& a, const Sample& b) { return a.t < b.t; });
    t.clear();
    v.clear();
    for (const Sample& s : d->samples) {
      t.push_back(s.t);
      v.push_back(s.v);
    }
    const LeakResult r = DetectLeak(t, v, options_.detector);
    ++*analysed;
    // The page the growth started on, or the latest one.
    uint32_t page = d->samples.back().page;
    if (r.leaking && r.since_ms) {
      page = d->samples.front().page;
      for (const Sample& s : d->samples) {
        if (s.t > *r.since_ms) break;
        page = s.page;
      }
    }
    auto id = std::make_pair(d->app, d->pages[page]);
    LeakFinding& f = by_page[id];
    const bool first = f.sessions == 0;
    ++f.sessions;
    if (r.leaking) ++f.sessions_leaking;
    details[id].push_back({d->session, r, d->samples.size()});
    if (first || WorseResult(r, d->samples.size(), f.result, f.samples)) {
      f.result = r;
      f.samples = d->samples.size();
      f.last_bytes = d->samples.back().v;
      f.points = Thin(t, v);
    }
  }
  for (auto& [id, f] : by_page) {
    f.source = "rum";
    f.metric = std::string(kRumHeapMetric);
    f.app = id.first;
    f.page = id.second;
    f.labels = tsdb::Labels::FromPairs({{"app", f.app}, {"metric", f.metric}, {"page", f.page}});
    std::vector<LeakSessionFinding>& s = details[id];
    std::sort(s.begin(), s.end(), [](const LeakSessionFinding& a, const LeakSessionFinding& b) {
      return WorseResult(a.result, a.samples, b.result, b.samples);
    });
    if (s.size() > kMaxSessionsDetail) s.resize(kMaxSessionsDetail);
    f.sessions_detail = std::move(s);
    out->push_back(std::move(f));
  }
  return Status::Ok();
}

Status LeakWatcher::CollectTsdb(int64_t now_ms, std::vector<LeakFinding>* out, size_t* analysed) const {
  if (!engine_) return Status::Ok();
  const int64_t step = options_.step_ms;
  const int64_t end = now_ms - now_ms % step;
  const int64_t start = end - options_.lookback_ms + step;
  Status first = Status::Ok();
  for (const auto& [name, text] : options_.expressions) {
    auto expr = query::promql::ParseExpr(text);
    Result<query::promql::Matrix> m =
        expr.ok() ? engine_->RangeQuery(**expr, start, end, step) : Result<query::promql::Matrix>(expr.status());
    if (!m.ok()) {
      if (first.ok()) first = m.status().WithContext(text);
      continue;
    }
    for (const query::promql::Series& s : *m) {
      std::vector<int64_t> t;
      std::vector<double> v;
      for (const auto& p : s.points) {
        if (!std::isfinite(p.v)) continue;
        t.push_back(p.t);
        v.push_back(p.v);
      }
      if (t.size() < options_.min_samples) continue;
      LeakFinding f;
      f.source = "tsdb";
      f.metric = !name.empty() ? name : !s.metric.Get(tsdb::kMetricNameLabel).empty()
                                            ? std::string(s.metric.Get(tsdb::kMetricNameLabel))
                                            : text;
      std::vector<tsdb::LabelView> views;
      for (const tsdb::Label& l : s.metric) {
        if (l.name != tsdb::kMetricNameLabel && l.name != "metric") views.push_back({l.name, l.value});
      }
      views.push_back({"metric", f.metric});
      f.labels = tsdb::Labels::FromViews(views);
      f.result = DetectLeak(t, v, options_.detector);
      f.samples = t.size();
      f.last_bytes = v.back();
      f.points = Thin(t, v);
      ++*analysed;
      out->push_back(std::move(f));
    }
  }
  return first;
}

Result<size_t> LeakWatcher::RunAt(int64_t now_ms) {
  std::lock_guard lock(run_mu_);
  const auto started = std::chrono::steady_clock::now();
  if (runs_) runs_->Inc();
  std::vector<LeakFinding> found;
  size_t analysed = 0;
  Status first = Status::Ok();
  auto note = [&](Status st, std::string_view what) {
    if (st.ok()) return;
    if (failures_) failures_->Inc();
    PW_LOG_WARN("memory-leak source failed", "source={} error={}", what, LogQuote(st.message()));
    if (first.ok()) first = st.WithContext(std::string(what));
  };
  note(CollectRum(now_ms, &found, &analysed), "rum");
  note(CollectTsdb(now_ms, &found, &analysed), "tsdb");
  for (LeakFinding& f : found) f.evaluated_ms = now_ms;
  std::stable_sort(found.begin(), found.end(), LeakFindingBefore);
  for (const LeakFinding& f : found) active_.Add(f.labels, f.result.leaking);
  const Status st = active_.Write(now_ms);
  {
    std::lock_guard l(mu_);
    findings_ = std::move(found);
  }
  if (duration_) duration_->Set(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  if (series_) series_->Set(static_cast<double>(analysed));
  if (!st.ok()) {
    note(st, "perfwatch_memory_leak_active");
    return st.WithContext("perfwatch_memory_leak_active");
  }
  if (analysed == 0 && !first.ok()) return first;
  return analysed;
}

std::vector<LeakFinding> LeakWatcher::Findings() const {
  std::lock_guard l(mu_);
  return findings_;
}

void LeakWatcher::Start() {
  int64_t interval_ms;
  {
    std::lock_guard lock(run_mu_);
    interval_ms = options_.interval_ms;
  }
  if (interval_ms <= 0) return;
  thread_.Start("pw-leaks", std::chrono::milliseconds(interval_ms), [this] { (void)RunAt(NowMs()); });
}

void LeakWatcher::Stop() { thread_.Stop(); }

void LeakWatcher::Apply(LeakWatchOptions options) {
  thread_.Stop();  // a pass in progress ends first
  {
    std::lock_guard lock(run_mu_);
    options_ = std::move(options);
  }
  Start();
}

LeakWatchOptions LeakWatcher::options() const {
  std::lock_guard lock(run_mu_);
  return options_;
}

}  // namespace perfwatch::analysis
