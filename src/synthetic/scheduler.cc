#include "synthetic/scheduler.h"

#include <simdjson.h>
#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "common/file_util.h"
#include "common/json_writer.h"
#include "common/thread_name.h"
#include "common/time.h"
#include "synthetic/http_probe.h"
#include "synthetic/result_json.h"
#include "synthetic/run_check.h"
#include "tsdb/stale.h"
#include "tsdb/tsdb.h"

namespace perfwatch::synthetic {
namespace {

constexpr size_t kMaxFailures = 20;
constexpr int64_t kDayMs = 86'400'000;
constexpr int64_t kBucketMs = 5 * 60'000;
constexpr size_t kMaxDays = 90;
constexpr int64_t kStateSaveMs = 60'000;

// FNV-1a of the name: the check's offset within its interval.
uint64_t NameHash(const std::string& s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}

std::string Target(const CheckSpec& s) { return s.kind == CheckSpec::Kind::kHttp ? s.http.url : s.browser.url; }

// A result without what only failures keep.
CheckResult Light(const CheckResult& r) {
  CheckResult l = r;
  l.response.reset();
  l.console_errors.clear();
  l.resources_json.clear();
  l.screenshot_png.clear();
  return l;
}

}  // namespace

double CheckView::Uptime(int64_t now_ms, int64_t window_days) const {
  const int64_t first = now_ms / kDayMs - window_days + 1;
  int64_t up = 0, total = 0;
  for (const DayCount& d : days) {
    if (d.day < first) continue;
    up += d.up;
    total += d.total;
  }
  return total == 0 ? NAN : static_cast<double>(up) / static_cast<double>(total);
}

struct Scheduler::Entry {
  CheckSpec spec;
  std::unique_ptr<boost::asio::steady_timer> timer;
  bool running = false;   // a run (or its retry) is in progress or queued
  bool removed = false;   // deleted or replaced: its timer and results are dropped
  int64_t consecutive_failures = 0;  // counted results that failed since the last success
  std::deque<CheckResult> history;
  std::deque<DayCount> days;
  std::deque<DurationBucket> buckets;
  std::deque<FailureRecord> failures;
};

struct Scheduler::Impl {
  boost::asio::io_context io;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work;
  std::vector<std::thread> io_threads;
  std::unique_ptr<boost::asio::steady_timer> save_timer;

  mutable std::mutex mu;  // guards everything below and every Entry's fields
  std::map<std::string, std::shared_ptr<Entry>> entries;
  std::vector<std::string> yaml_order;  // YAML checks in file order
  int http_inflight = 0;
  std::deque<std::shared_ptr<Entry>> http_waiting;
  bool started = false, stopping = false;
  bool dirty = false;

  // Browser workers
  std::condition_variable browser_cv;
  std::deque<std::shared_ptr<Entry>> browser_queue;
  std::vector<std::thread> browser_threads;  // worker i at index i (exited ones joined on reuse)
  std::vector<char> browser_alive;           // per worker: still running (cleared by the worker)

  Counter* runs_ok = nullptr;
  Counter* runs_failed = nullptr;
  Counter* skipped = nullptr;
  Counter* retries = nullptr;
  Counter* write_failures = nullptr;
};

Scheduler::Scheduler(SyntheticConfig config, SchedulerOptions options)
    : config_(std::move(config)), options_(std::move(options)), impl_(std::make_unique<Impl>()) {}

Scheduler::~Scheduler() { Stop(); }

Result<std::unique_ptr<Scheduler>> Scheduler::Create(SyntheticConfig config, SchedulerOptions options) {
  std::unique_ptr<Scheduler> s(new Scheduler(std::move(config), std::move(options)));
  if (s->options_.metrics) {
    MetricsRegistry& m = *s->options_.metrics;
    constexpr std::string_view kRunsHelp = "Synthetic check runs counted (after the retry), by result.";
    s->impl_->runs_ok = m.GetCounter("perfwatch_synthetic_runs_total", kRunsHelp, {{"result", "success"}});
    s->impl_->runs_failed = m.GetCounter("perfwatch_synthetic_runs_total", kRunsHelp, {{"result", "failure"}});
    s->impl_->skipped = m.GetCounter("perfwatch_synthetic_skipped_total",
                                     "Synthetic check ticks skipped because the previous run was still going.");
    s->impl_->retries = m.GetCounter("perfwatch_synthetic_retries_total",
                                     "Synthetic check runs that failed once and were run again at once.");
    s->impl_->write_failures = m.GetCounter("perfwatch_synthetic_series_write_failures_total",
                                            "Synthetic check results whose probe_* samples the TSDB refused.");
  }
  for (const CheckSpec& c : s->config_.checks) {
    auto e = std::make_shared<Entry>();
    e->spec = c;
    s->impl_->entries[c.name] = e;
    s->impl_->yaml_order.push_back(c.name);
  }
  PW_RETURN_IF_ERROR(s->Load());
  return s;
}

Status Scheduler::Load() {
  if (options_.dir.empty()) return Status::Ok();
  std::error_code ec;
  std::filesystem::create_directories(options_.dir / "screenshots", ec);
  if (ec) return Status(StatusCode::kIo, "create " + (options_.dir / "screenshots").string() + ": " + ec.message());
  // API checks
  const auto api_path = options_.dir / "checks.json";
  if (std::filesystem::exists(api_path)) {
    auto text = ReadFile(api_path);
    if (!text.ok()) return text.status();
    try {
      const YAML::Node root = YAML::Load(*text);
      if (!root.IsSequence()) return Status(StatusCode::kDataLoss, api_path.string() + ": expected a JSON array");
      for (size_t i = 0; i < root.size(); ++i) {
        auto spec = ParseCheck(root[i], api_path.string() + "[" + std::to_string(i) + "]");
        if (!spec.ok()) return spec.status();
        if (impl_->entries.count(spec->name)) {
          spdlog::warn("synthetic: the API check {} is now defined in the YAML; the YAML one runs", spec->name);
          continue;
        }
        auto e = std::make_shared<Entry>();
        e->spec = std::move(spec).value();
        e->spec.from_api = true;
        impl_->entries[e->spec.name] = e;
      }
    } catch (const YAML::Exception& ex) {
      return Status(StatusCode::kDataLoss, api_path.string() + ": " + ex.msg);
    }
  }
  // Results
  const auto state_path = options_.dir / "state.json";
  if (!std::filesystem::exists(state_path)) return Status::Ok();
  auto text = ReadFile(state_path);
  if (!text.ok()) return text.status();
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (parser.parse(*text).get(root)) {
    spdlog::warn("synthetic: {} is not valid JSON; check histories start empty", state_path.string());
    return Status::Ok();
  }
  for (auto [name, value] : root) {
    auto it = impl_->entries.find(std::string(name));
    if (it == impl_->entries.end()) continue;  // a check that no longer exists
    Entry& e = *it->second;
    simdjson::dom::object o;
    if (value.get(o)) continue;
    simdjson::dom::array arr;
    if (!o["history"].get(arr)) {
      for (auto r : arr) {
        auto parsed = ParseCheckResultJson(r);
        if (parsed.ok()) e.history.push_back(std::move(parsed).value());
      }
    }
    if (!o["failures"].get(arr)) {
      for (auto r : arr) {
        auto parsed = ParseCheckResultJson(r);
        if (!parsed.ok()) continue;
        bool shot = false;
        if (r["screenshot"].get(shot) != simdjson::SUCCESS) shot = false;
        e.failures.push_back({std::move(parsed).value(), shot});
      }
    }
    if (!o["days"].get(arr)) {
      for (auto d : arr) {
        simdjson::dom::array t;
        int64_t day = 0, up = 0, total = 0;
        if (d.get(t) || t.size() != 3 || t.at(0).get(day) || t.at(1).get(up) || t.at(2).get(total)) continue;
        e.days.push_back({day, up, total});
      }
    }
    if (!o["buckets"].get(arr)) {
      for (auto b : arr) {
        simdjson::dom::array t;
        int64_t start = 0, count = 0;
        double sum = 0;
        if (b.get(t) || t.size() != 3 || t.at(0).get(start) || t.at(1).get(sum) || t.at(2).get(count)) continue;
        e.buckets.push_back({start, sum, count});
      }
    }
    while (e.history.size() > config_.history) e.history.pop_front();
    for (auto it = e.history.rbegin(); it != e.history.rend() && !it->success; ++it) ++e.consecutive_failures;
  }
  return Status::Ok();
}

void Scheduler::SaveState() {
  if (options_.dir.empty()) return;
  std::string out = "{";
  {
    std::lock_guard lock(impl_->mu);
    for (const auto& [name, e] : impl_->entries) {
      if (out.size() > 1) out += ',';
      AppendJsonString(out, name);
      out += ":{\"history\":[";
      for (size_t i = 0; i < e->history.size(); ++i) {
        if (i) out += ',';
        AppendCheckResultJson(out, e->history[i], false);
      }
      out += "],\"failures\":[";
      for (size_t i = 0; i < e->failures.size(); ++i) {
        if (i) out += ',';
        AppendCheckResultJson(out, e->failures[i].result, true);
        if (e->failures[i].has_screenshot) {
          out.pop_back();
          out += ",\"screenshot\":true}";
        }
      }
      out += "],\"days\":[";
      for (size_t i = 0; i < e->days.size(); ++i) {
        if (i) out += ',';
        out += '[' + std::to_string(e->days[i].day) + ',' + std::to_string(e->days[i].up) + ',' +
               std::to_string(e->days[i].total) + ']';
      }
      out += "],\"buckets\":[";
      for (size_t i = 0; i < e->buckets.size(); ++i) {
        if (i) out += ',';
        out += '[' + std::to_string(e->buckets[i].start_ms) + ',';
        AppendJsonNumber(out, e->buckets[i].sum_s);
        out += ',' + std::to_string(e->buckets[i].count) + ']';
      }
      out += "]}";
    }
    impl_->dirty = false;
  }
  out += '}';
  if (Status st = WriteFileAtomically(options_.dir / "state.json", out); !st.ok()) {
    spdlog::warn("synthetic: saving check histories: {}", st.message());
  }
}

Status Scheduler::SaveApiChecks() {
  if (options_.dir.empty()) return Status::Ok();
  std::string out = "[";
  for (const auto& [name, e] : impl_->entries) {
    if (!e->spec.from_api) continue;
    if (out.size() > 1) out += ",\n";
    out += CheckSpecToJson(e->spec);
  }
  out += "]\n";
  return WriteFileAtomically(options_.dir / "checks.json", out);
}

void Scheduler::Start() {
  std::lock_guard lock(impl_->mu);
  if (impl_->started) return;
  impl_->started = true;
  impl_->work.emplace(impl_->io.get_executor());
  for (int i = 0; i < 2; ++i) {
    impl_->io_threads.push_back(NamedThread("pw-checks", [this] { impl_->io.run(); }));
  }
  StartBrowserWorkers();
  for (auto& [name, e] : impl_->entries) Arm(e);
  impl_->save_timer = std::make_unique<boost::asio::steady_timer>(impl_->io);
  ArmSave();
}

// Under mu: workers 0 .. max_browsers-1 running. A worker whose index is at or above the
// cap exits when it is idle (it finishes the run it has); a worker asked to exit that has
// not yet done so goes on when the cap is raised again.
void Scheduler::StartBrowserWorkers() {
  const size_t n = static_cast<size_t>(std::max(config_.max_browsers, 0));
  for (size_t i = 0; i < n; ++i) {
    if (i < impl_->browser_threads.size()) {
      if (impl_->browser_alive[i]) continue;
      // Exited (it cleared its flag under mu and needs mu no more): join, then reuse the slot.
      if (impl_->browser_threads[i].joinable()) impl_->browser_threads[i].join();
    } else {
      impl_->browser_threads.emplace_back();
      impl_->browser_alive.push_back(0);
    }
    impl_->browser_alive[i] = 1;
    impl_->browser_threads[i] = NamedThread("pw-browser", [this, i] {
      for (;;) {
        std::shared_ptr<Entry> e;
        {
          std::unique_lock l(impl_->mu);
          auto retired = [this, i] { return i >= static_cast<size_t>(std::max(config_.max_browsers, 0)); };
          impl_->browser_cv.wait(
              l, [&] { return impl_->stopping || retired() || !impl_->browser_queue.empty(); });
          if (impl_->stopping || retired()) {
            impl_->browser_alive[i] = 0;
            return;
          }
          e = impl_->browser_queue.front();
          impl_->browser_queue.pop_front();
        }
        RunBrowserJob(e);
      }
    });
  }
}

size_t Scheduler::browser_workers() const {
  std::lock_guard lock(impl_->mu);
  size_t n = 0;
  for (char alive : impl_->browser_alive) n += alive ? 1 : 0;
  return n;
}

// Every kStateSaveMs, saves the state when a result came in since the last save.
void Scheduler::ArmSave() {
  impl_->save_timer->expires_after(std::chrono::milliseconds(kStateSaveMs));
  impl_->save_timer->async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    bool dirty = false;
    {
      std::lock_guard l(impl_->mu);
      dirty = impl_->dirty;
    }
    if (dirty) SaveState();
    ArmSave();
  });
}

void Scheduler::Stop() {
  {
    std::lock_guard lock(impl_->mu);
    if (!impl_->started || impl_->stopping) return;
    impl_->stopping = true;
    for (auto& [name, e] : impl_->entries) {
      if (e->timer) boost::asio::post(impl_->io, [t = e->timer.get()] { t->cancel(); });
    }
  }
  impl_->browser_cv.notify_all();
  for (auto& t : impl_->browser_threads) {
    if (t.joinable()) t.join();
  }
  impl_->browser_threads.clear();
  {
    std::lock_guard lock(impl_->mu);
    impl_->browser_alive.clear();
  }
  impl_->work.reset();
  impl_->io.stop();  // HTTP probes in flight are abandoned (their results are not counted)
  for (auto& t : impl_->io_threads) t.join();
  impl_->io_threads.clear();
  SaveState();
}

// Under mu.
void Scheduler::Arm(const std::shared_ptr<Entry>& e) {
  if (impl_->stopping || e->removed) return;
  if (!e->timer) e->timer = std::make_unique<boost::asio::steady_timer>(impl_->io);
  const int64_t interval = e->spec.interval_ms;
  const int64_t now = NowMs();
  // Next multiple of the interval plus the check's offset, strictly after now.
  const int64_t offset = static_cast<int64_t>(NameHash(e->spec.name) % static_cast<uint64_t>(interval));
  int64_t next = (now - offset) / interval * interval + offset;
  while (next <= now) next += interval;
  e->timer->expires_after(std::chrono::milliseconds(next - now));
  std::weak_ptr<Entry> weak = e;
  e->timer->async_wait([this, weak](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto entry = weak.lock()) Tick(entry);
  });
}

void Scheduler::Tick(const std::shared_ptr<Entry>& e) {
  std::lock_guard lock(impl_->mu);
  if (impl_->stopping || e->removed) return;
  Arm(e);
  if (e->running) {
    if (impl_->skipped) impl_->skipped->Inc();
    return;
  }
  e->running = true;
  if (e->spec.kind == CheckSpec::Kind::kBrowser) {
    impl_->browser_queue.push_back(e);
    impl_->browser_cv.notify_one();
    return;
  }
  if (impl_->http_inflight >= config_.max_concurrent_http) {
    impl_->http_waiting.push_back(e);
    return;
  }
  ++impl_->http_inflight;
  boost::asio::post(impl_->io, [this, e] { StartHttp(e, false); });
}

void Scheduler::StartHttp(const std::shared_ptr<Entry>& e, bool retry) {
  CheckSpec spec;
  {
    std::lock_guard lock(impl_->mu);
    spec = e->spec;
  }
  AsyncHttpProbe(impl_->io, spec.http, spec.asserts, [this, e, retry](CheckResult r) {
    if (!r.success && !retry) {
      if (impl_->retries) impl_->retries->Inc();
      StartHttp(e, true);
      return;
    }
    r.retried = retry;
    Record(e, std::move(r));
    std::lock_guard lock(impl_->mu);
    --impl_->http_inflight;
    while (!impl_->http_waiting.empty() && impl_->http_inflight < config_.max_concurrent_http && !impl_->stopping) {
      auto next = impl_->http_waiting.front();
      impl_->http_waiting.pop_front();
      ++impl_->http_inflight;
      boost::asio::post(impl_->io, [this, next] { StartHttp(next, false); });
    }
  });
}

CheckResult Scheduler::RunBlocking(const CheckSpec& spec) {
  RunOptions ro;
  {
    std::lock_guard lock(impl_->mu);
    ro.chromium = config_.chromium;
  }
  ro.rum_js = options_.rum_js;
  if (!options_.dir.empty()) ro.work_dir = options_.dir / "browser";
  CheckResult r = RunCheck(spec, ro);
  if (r.retried && impl_->retries) impl_->retries->Inc();
  return r;
}

void Scheduler::RunBrowserJob(const std::shared_ptr<Entry>& e) {
  CheckSpec spec;
  {
    std::lock_guard lock(impl_->mu);
    spec = e->spec;
  }
  Record(e, RunBlocking(spec));
}

Result<CheckResult> Scheduler::RunNow(const std::string& name) {
  std::shared_ptr<Entry> e;
  CheckSpec spec;
  {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->entries.find(name);
    if (it == impl_->entries.end()) return NotFound("no check named \"" + name + "\"");
    e = it->second;
    spec = e->spec;
    e->running = true;
  }
  CheckResult r = RunBlocking(spec);
  Record(e, r);
  return r;
}

void Scheduler::Record(const std::shared_ptr<Entry>& e, CheckResult r) {
  CheckSpec spec;
  int64_t consecutive_failures = 0;
  {
    std::lock_guard lock(impl_->mu);
    e->running = false;
    if (e->removed) return;
    spec = e->spec;
    e->consecutive_failures = r.success ? 0 : e->consecutive_failures + 1;
    consecutive_failures = e->consecutive_failures;
    e->history.push_back(Light(r));
    while (e->history.size() > config_.history) e->history.pop_front();
    const int64_t day = r.time_ms / kDayMs;
    if (e->days.empty() || e->days.back().day != day) e->days.push_back({day, 0, 0});
    e->days.back().total += 1;
    e->days.back().up += r.success ? 1 : 0;
    while (e->days.size() > kMaxDays) e->days.pop_front();
    const int64_t bucket = r.time_ms / kBucketMs * kBucketMs;
    if (e->buckets.empty() || e->buckets.back().start_ms != bucket) e->buckets.push_back({bucket, 0, 0});
    e->buckets.back().sum_s += r.duration_s;
    e->buckets.back().count += 1;
    while (!e->buckets.empty() && e->buckets.front().start_ms <= bucket - kDayMs) e->buckets.pop_front();
    if (!r.success) {
      FailureRecord f{r, !r.screenshot_png.empty()};
      f.result.screenshot_png.clear();
      if (f.has_screenshot && !options_.dir.empty()) {
        const auto dir = options_.dir / "screenshots" / spec.name;
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        if (!WriteFileAtomically(dir / (std::to_string(r.time_ms) + ".png"), r.screenshot_png).ok()) {
          f.has_screenshot = false;
        }
      }
      e->failures.push_back(std::move(f));
      while (e->failures.size() > kMaxFailures) {
        if (e->failures.front().has_screenshot && !options_.dir.empty()) {
          std::error_code ec;
          std::filesystem::remove(options_.dir / "screenshots" / spec.name /
                                      (std::to_string(e->failures.front().result.time_ms) + ".png"),
                                  ec);
        }
        e->failures.pop_front();
      }
    }
    impl_->dirty = true;
  }
  if (r.success ? impl_->runs_ok : impl_->runs_failed) (r.success ? impl_->runs_ok : impl_->runs_failed)->Inc();
  WriteSeries(spec, r, consecutive_failures);
  if (spec.kind == CheckSpec::Kind::kBrowser && !r.steps.empty() && options_.rum_sink) {
    // The steps as a journey beacon (sdk/browser/src/journey.ts's shape), so the journeys
    // API and rum_journey_* series see synthetic journeys under the check's app.
    std::string b = "[{\"type\":\"journey\",\"app\":";
    AppendJsonString(b, spec.browser.app);
    b += ",\"url\":";
    AppendJsonString(b, spec.browser.url);
    b += ",\"sessionId\":";
    AppendJsonString(b, "synthetic-" + spec.name);
    b += ",\"name\":";
    AppendJsonString(b, spec.name);
    b += ",\"id\":";
    AppendJsonString(b, "j-" + spec.name + "-" + std::to_string(r.time_ms));
    b += ",\"journeyId\":";
    AppendJsonString(b, spec.name + "-" + std::to_string(r.time_ms));
    b += ",\"outcome\":";
    b += r.success ? "\"completed\"" : "\"failed\"";
    double total_ms = 0;
    std::string steps = "[";
    for (const StepResult& s : r.steps) {
      if (steps.size() > 1) steps += ',';
      steps += "{\"name\":";
      AppendJsonString(steps, s.name);
      steps += ",\"t\":";
      AppendJsonNumber(steps, std::round(total_ms));
      steps += ",\"d\":";
      AppendJsonNumber(steps, std::round(s.duration_s * 1000));
      steps += '}';
      total_ms += s.duration_s * 1000;
    }
    b += ",\"value\":";
    AppendJsonNumber(b, std::round(total_ms));
    if (!r.success) {
      b += ",\"reason\":";
      AppendJsonString(b, r.error.substr(0, 300));
    }
    b += ",\"steps\":" + steps + "],\"startedAt\":" + std::to_string(r.time_ms) +
         ",\"timestamp\":" + std::to_string(r.time_ms) + "}]";
    options_.rum_sink(b);
  }
}

void Scheduler::WriteSeries(const CheckSpec& spec, const CheckResult& r,
                            int64_t consecutive_failures, bool stale) {
  if (!options_.tsdb) return;
  struct Row {
    std::string metric;
    std::vector<std::pair<std::string, std::string>> extra;
    double value;
  };
  std::vector<Row> rows;
  rows.push_back({"probe_success", {}, r.success ? 1.0 : 0.0});
  rows.push_back({"probe_duration_seconds", {}, r.duration_s});
  rows.push_back({"probe_consecutive_failures", {}, static_cast<double>(consecutive_failures)});
  if (spec.kind == CheckSpec::Kind::kHttp) {
    const std::pair<const char*, double> phases[] = {{"resolve", r.phases.resolve},
                                                     {"connect", r.phases.connect},
                                                     {"tls", r.phases.tls},
                                                     {"processing", r.phases.processing},
                                                     {"transfer", r.phases.transfer}};
    for (const auto& [phase, v] : phases) rows.push_back({"probe_http_duration_seconds", {{"phase", phase}}, v});
    rows.push_back({"probe_http_status_code", {}, static_cast<double>(r.status_code)});
    rows.push_back({"probe_http_redirects", {}, static_cast<double>(r.redirects)});
    if (r.http_version != 0) rows.push_back({"probe_http_version", {}, r.http_version / 10.0});
    if (r.earliest_cert_expiry > 0) rows.push_back({"probe_ssl_earliest_cert_expiry", {}, r.earliest_cert_expiry});
  } else {
    for (const auto& [vital, v] : r.vitals) {
      if (!std::isfinite(v)) continue;
      rows.push_back({"probe_browser_vital", {{"vital", vital}}, vital == "cls" ? v : v / 1000.0});
    }
    for (const StepResult& s : r.steps) rows.push_back({"probe_step_duration_seconds", {{"step", s.name}}, s.duration_s});
    rows.push_back({"probe_browser_console_errors", {}, static_cast<double>(r.console_errors.size())});
  }
  std::vector<std::vector<std::pair<std::string, std::string>>> label_sets;
  label_sets.reserve(rows.size());
  for (const Row& row : rows) {
    auto& l = label_sets.emplace_back();
    l.emplace_back(std::string(tsdb::kMetricNameLabel), row.metric);
    l.emplace_back("check", spec.name);
    l.emplace_back("instance", Target(spec));
    for (const auto& [k, v] : spec.labels) l.emplace_back(k, v);
    for (const auto& kv : row.extra) l.push_back(kv);
    std::sort(l.begin(), l.end());
  }
  std::vector<std::vector<tsdb::LabelView>> views(rows.size());
  std::vector<tsdb::Sample> samples(rows.size());
  std::vector<tsdb::SeriesSamples> batch;
  batch.reserve(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    for (const auto& [k, v] : label_sets[i]) views[i].push_back({k, v});
    samples[i] = {r.time_ms, stale ? tsdb::StaleNaN() : rows[i].value};
    batch.push_back({std::span<const tsdb::LabelView>(views[i]), std::span<const tsdb::Sample>(&samples[i], 1)});
  }
  tsdb::AppendResult result;
  Status st = options_.tsdb->AppendBatch(batch, &result);
  if (!st.ok() || result.rejected != 0) {
    if (impl_->write_failures) impl_->write_failures->Inc();
    spdlog::warn("synthetic: storing the result of {}: {}", spec.name,
                 st.ok() ? std::to_string(result.rejected) + " samples refused" : st.message());
  }
}

CheckView Scheduler::ViewOf(const Entry& e, bool details) {
  CheckView v;
  v.spec = e.spec;
  v.state = e.history.empty() ? "pending" : e.history.back().success ? "up" : "down";
  v.days.assign(e.days.begin(), e.days.end());
  v.buckets.assign(e.buckets.begin(), e.buckets.end());
  if (details) {
    v.history.assign(e.history.begin(), e.history.end());
    v.failures.assign(e.failures.begin(), e.failures.end());
  } else if (!e.history.empty()) {
    v.history.push_back(e.history.back());
  }
  return v;
}

std::vector<CheckView> Scheduler::List(bool details) const {
  std::lock_guard lock(impl_->mu);
  std::vector<CheckView> out;
  for (const std::string& name : impl_->yaml_order) out.push_back(ViewOf(*impl_->entries.at(name), details));
  for (const auto& [name, e] : impl_->entries) {
    if (e->spec.from_api) out.push_back(ViewOf(*e, details));
  }
  return out;
}

std::optional<CheckView> Scheduler::Get(const std::string& name) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->entries.find(name);
  if (it == impl_->entries.end()) return std::nullopt;
  return ViewOf(*it->second, true);
}

Status Scheduler::Put(CheckSpec spec) {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->entries.find(spec.name);
  if (it != impl_->entries.end() && !it->second->spec.from_api) {
    return InvalidArgument("conflict: the check \"" + spec.name + "\" is defined in the configuration file");
  }
  spec.from_api = true;
  auto e = std::make_shared<Entry>();
  e->spec = std::move(spec);
  if (it != impl_->entries.end()) {
    // Keep the history of the check it replaces.
    Entry& old = *it->second;
    e->history = std::move(old.history);
    e->days = std::move(old.days);
    e->buckets = std::move(old.buckets);
    e->failures = std::move(old.failures);
    old.removed = true;
    if (old.timer) boost::asio::post(impl_->io, [t = std::shared_ptr<boost::asio::steady_timer>(std::move(old.timer))] { t->cancel(); });
  }
  const std::string name = e->spec.name;
  impl_->entries[name] = e;
  Status st = SaveApiChecks();
  if (!st.ok()) return st;
  impl_->dirty = true;
  if (impl_->started) Arm(e);
  return Status::Ok();
}

Status Scheduler::Delete(const std::string& name) {
  std::unique_lock lock(impl_->mu);
  auto it = impl_->entries.find(name);
  if (it == impl_->entries.end()) return NotFound("no check named \"" + name + "\"");
  if (!it->second->spec.from_api) {
    return InvalidArgument("conflict: the check \"" + name + "\" is defined in the configuration file");
  }
  Entry& old = *it->second;
  old.removed = true;
  if (old.timer) boost::asio::post(impl_->io, [t = std::shared_ptr<boost::asio::steady_timer>(std::move(old.timer))] { t->cancel(); });
  std::optional<StaleWork> stale = StaleWorkOf(old);
  impl_->entries.erase(it);
  if (!options_.dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(options_.dir / "screenshots" / name, ec);
  }
  impl_->dirty = true;
  Status st = SaveApiChecks();
  lock.unlock();
  if (stale) WriteSeries(stale->spec, stale->last, 0, true);  // its series end here
  return st;
}

SyntheticConfig Scheduler::config() const {
  std::lock_guard lock(impl_->mu);
  return config_;
}

std::optional<Scheduler::StaleWork> Scheduler::StaleWorkOf(const Entry& e) {
  if (e.history.empty()) return std::nullopt;
  StaleWork w{e.spec, e.history.back()};
  w.last.time_ms = std::max(NowMs(), w.last.time_ms + 1);
  return w;
}

Scheduler::ApplyReport Scheduler::ApplyConfig(SyntheticConfig config) {
  ApplyReport report;
  std::vector<StaleWork> stale;
  const auto cancel = [this](Entry& e) {
    e.removed = true;
    if (e.timer) {
      boost::asio::post(
          impl_->io,
          [t = std::shared_ptr<boost::asio::steady_timer>(std::move(e.timer))] { t->cancel(); });
    }
  };
  // The same series (check, instance, labels; kind decides the metric names).
  const auto same_series = [](const CheckSpec& a, const CheckSpec& b) {
    return a.kind == b.kind && Target(a) == Target(b) && a.labels == b.labels;
  };
  bool api_changed = false;
  {
    std::lock_guard lock(impl_->mu);
    std::set<std::string> wanted;
    for (const CheckSpec& c : config.checks) wanted.insert(c.name);
    for (const std::string& name : impl_->yaml_order) {
      if (wanted.count(name)) continue;
      auto it = impl_->entries.find(name);
      if (it == impl_->entries.end()) continue;
      cancel(*it->second);
      if (auto w = StaleWorkOf(*it->second)) stale.push_back(std::move(*w));
      impl_->entries.erase(it);
      ++report.removed;
    }
    for (const CheckSpec& c : config.checks) {
      auto it = impl_->entries.find(c.name);
      if (it != impl_->entries.end() && !it->second->spec.from_api &&
          CheckSpecToJson(it->second->spec) == CheckSpecToJson(c)) {
        ++report.unchanged;  // keeps its timer, counters, series and history
        continue;
      }
      auto e = std::make_shared<Entry>();
      e->spec = c;
      e->spec.from_api = false;
      if (it != impl_->entries.end()) {
        Entry& old = *it->second;
        if (old.spec.from_api) {
          spdlog::warn("synthetic: the API check {} is now defined in the YAML; the YAML one runs",
                       c.name);
          api_changed = true;
        }
        if (!same_series(old.spec, c)) {
          if (auto w = StaleWorkOf(old)) stale.push_back(std::move(*w));
        }
        e->history = std::move(old.history);
        e->days = std::move(old.days);
        e->buckets = std::move(old.buckets);
        e->failures = std::move(old.failures);
        cancel(old);
        ++report.changed;
      } else {
        ++report.added;
      }
      impl_->entries[c.name] = e;
      if (impl_->started) Arm(e);
    }
    impl_->yaml_order.clear();
    for (const CheckSpec& c : config.checks) impl_->yaml_order.push_back(c.name);
    const bool browsers_changed = config.max_browsers != config_.max_browsers;
    config_ = std::move(config);
    if (browsers_changed && impl_->started && !impl_->stopping) {
      StartBrowserWorkers();              // grown: new workers
      impl_->browser_cv.notify_all();     // shrunk: idle workers above the cap exit
    }
    while (impl_->http_inflight < config_.max_concurrent_http && !impl_->http_waiting.empty() &&
           !impl_->stopping) {
      auto next = impl_->http_waiting.front();
      impl_->http_waiting.pop_front();
      ++impl_->http_inflight;
      boost::asio::post(impl_->io, [this, next] { StartHttp(next, false); });
    }
    impl_->dirty = true;
    if (api_changed) {
      Status st = SaveApiChecks();
      if (!st.ok()) spdlog::warn("synthetic: saving the API checks: {}", st.message());
    }
  }
  for (const StaleWork& w : stale) WriteSeries(w.spec, w.last, 0, true);
  return report;
}

Result<std::string> Scheduler::Screenshot(const std::string& name, int64_t time_ms) const {
  {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->entries.find(name);
    if (it == impl_->entries.end()) return NotFound("no check named \"" + name + "\"");
    const auto& f = it->second->failures;
    const bool known = std::any_of(f.begin(), f.end(), [&](const FailureRecord& r) {
      return r.has_screenshot && r.result.time_ms == time_ms;
    });
    if (!known || options_.dir.empty()) return NotFound("no screenshot of \"" + name + "\" at that time");
  }
  return ReadFile(options_.dir / "screenshots" / name / (std::to_string(time_ms) + ".png"));
}

}  // namespace perfwatch::synthetic
