#include "ingest/errors/error_recorder.h"

#include <simdjson.h>

#include <deque>

#include "common/hex.h"
#include "common/log.h"
#include "ingest/errors/fingerprint.h"

namespace perfwatch::ingest::errors {

struct ErrorRecorder::Pending {
  std::deque<events::ErrorGroupInfo> infos;
  std::deque<std::string> strings;  // owned text the occurrences point to
  std::vector<events::ErrorOccurrenceInput> occurrences;
  std::vector<events::ErrorSource> sources;

  std::string_view Own(std::string s) { return strings.emplace_back(std::move(s)); }
};

namespace {

struct RawError {
  events::ErrorSource source = events::ErrorSource::kBrowser;
  std::string_view type, message, stack, default_type;
};

std::string_view AttrString(const otlp::Attributes& attrs, std::string_view key) {
  return otlp::FindStringAttribute(attrs, key);
}

std::string AttrText(const otlp::Attributes& attrs, std::string_view key) {
  const otlp::AnyValue* v = otlp::FindAttribute(attrs, key);
  return v ? v->ToString() : std::string();
}

}  // namespace

ErrorRecorder::ErrorRecorder(ErrorRecorderOptions options, events::ErrorStore* store, tsdb::Tsdb* tsdb,
                             MetricsRegistry* metrics)
    : options_(options), store_(store), tsdb_(tsdb) {
  if (metrics == nullptr) return;
  logs_not_stored_ = metrics->GetCounter(
      "perfwatch_otlp_log_records_not_stored_total",
      "OTLP log records accepted but not stored (below ERROR and without exception.* attributes).");
  append_failures_ = metrics->GetCounter("perfwatch_error_events_append_failures_total",
                                         "perfwatch_error_events_total writes the TSDB refused (retried by the next).");
}

Result<std::unique_ptr<ErrorRecorder>> ErrorRecorder::Create(ErrorRecorderOptions options, events::ErrorStore* store,
                                                             tsdb::Tsdb* tsdb, MetricsRegistry* metrics,
                                                             int64_t now_ms) {
  auto r = std::make_unique<ErrorRecorder>(options, store, tsdb, metrics);
  PW_RETURN_IF_ERROR(r->LoadState(now_ms).WithContext("error events: load state"));
  return r;
}

// Adds one error to the batch: fingerprint, the group's description when the store does
// not know it yet, the occurrence.
static void AddToBatch(events::ErrorStore* store, ErrorRecorder::Pending* p, const RawError& raw,
                       events::ErrorOccurrenceInput occ) {
  ErrorFingerprint fp = FingerprintError(raw.type, raw.message, raw.stack, raw.default_type);
  uint64_t id = 0;
  ParseHex64(fp.fingerprint, &id);  // Hex64 of the fingerprint: always 16 digits
  events::ErrorGroupInfo& info = p->infos.emplace_back();
  info.fingerprint = id;
  info.source = raw.source;
  if (!store->HasGroup(id)) {
    info.scope = std::string(occ.scope);
    info.type = std::move(fp.type);
    info.message = std::move(fp.normalized_message);
    info.sample_message = std::string(raw.message);
    info.sample_stack = std::string(raw.stack.substr(0, events::ErrorStore::kMaxStackBytes));
    for (StackFrame& f : fp.frames) {
      info.frames.push_back({std::move(f.function), std::move(f.file), f.line, f.column, f.in_app});
    }
  }
  occ.group = &info;
  p->occurrences.push_back(occ);
  p->sources.push_back(raw.source);
}

Status ErrorRecorder::RecordBeacons(std::span<const events::EventInput> events, int64_t receive_ms) {
  Pending p;
  thread_local simdjson::dom::parser parser;
  for (const events::EventInput& e : events) {
    if (e.type != events::EventType::kError && e.type != events::EventType::kUnhandledRejection) continue;
    std::string message(e.name), stack, user, source;
    int64_t line = 0, col = 0;
    if (!e.attrs_json.empty()) {
      simdjson::dom::element doc;
      simdjson::dom::object obj;
      if (parser.parse(e.attrs_json.data(), e.attrs_json.size()).get(doc) == simdjson::SUCCESS &&
          doc.get_object().get(obj) == simdjson::SUCCESS) {
        for (auto field : obj) {
          std::string_view k = field.key;
          if (k == "message" && field.value.is_string()) message = std::string(field.value.get_string().value_unsafe());
          else if (k == "stack" && field.value.is_string()) stack = std::string(field.value.get_string().value_unsafe());
          else if ((k == "userId" || k == "user_id" || k == "user.id") && field.value.is_string())
            user = std::string(field.value.get_string().value_unsafe());
          else if (k == "source" && field.value.is_string()) source = std::string(field.value.get_string().value_unsafe());
          else if (k == "line" && field.value.is_number()) line = static_cast<int64_t>(field.value.get_double().value_unsafe());
          else if (k == "col" && field.value.is_number()) col = static_cast<int64_t>(field.value.get_double().value_unsafe());
        }
      }
    }
    if (stack.empty() && !source.empty()) {
      // window.onerror without an Error object: the one location it reports.
      stack = "    at " + source + ":" + std::to_string(line) + ":" + std::to_string(col);
    }
    RawError raw;
    raw.source = events::ErrorSource::kBrowser;
    raw.message = p.Own(std::move(message));
    raw.stack = p.Own(std::move(stack));
    raw.default_type = e.type == events::EventType::kUnhandledRejection ? "UnhandledRejection" : "Error";
    events::ErrorOccurrenceInput occ;
    occ.time_ms = e.time_ms;
    occ.scope = p.Own(std::string(e.dims[events::kApp]));
    occ.location = p.Own(std::string(e.dims[events::kPage]));
    occ.browser = p.Own(std::string(e.dims[events::kBrowser]));
    occ.session_id = p.Own(std::string(e.session_id));
    occ.user_id = p.Own(std::move(user));
    occ.message = raw.message;
    AddToBatch(store_, &p, raw, occ);
  }
  return Commit(p, receive_ms);
}

Status ErrorRecorder::RecordTraces(const otlp::TracesRequest& request, int64_t receive_ms) {
  Pending p;
  for (const otlp::ResourceSpans& rs : request.resource_spans) {
    std::string_view service = rs.resource.service_name();
    for (const otlp::ScopeSpans& ss : rs.scope_spans) {
      for (const otlp::Span& span : ss.spans) {
        for (const otlp::SpanEvent& ev : span.events) {
          if (ev.name != "exception") continue;
          RawError raw;
          raw.source = events::ErrorSource::kBackend;
          raw.type = p.Own(AttrText(ev.attributes, "exception.type"));
          raw.message = p.Own(AttrText(ev.attributes, "exception.message"));
          raw.stack = p.Own(AttrText(ev.attributes, "exception.stacktrace"));
          if (raw.message.empty() && raw.type.empty()) raw.message = p.Own(span.status_message);
          raw.default_type = "Exception";
          events::ErrorOccurrenceInput occ;
          uint64_t t = ev.time_unix_nano ? ev.time_unix_nano : span.end_time_unix_nano;
          occ.time_ms = t ? static_cast<int64_t>(t / 1'000'000) : receive_ms;
          occ.scope = service;
          occ.location = AttrString(span.attributes, "http.route");
          std::string_view user = AttrString(span.attributes, "enduser.id");
          occ.user_id = user.empty() ? AttrString(span.attributes, "user.id") : user;
          occ.session_id = AttrString(span.attributes, "session.id");
          occ.message = raw.message;
          occ.trace_id = span.trace_id;
          occ.span_id = span.span_id;
          AddToBatch(store_, &p, raw, occ);
        }
      }
    }
  }
  return Commit(p, receive_ms);
}

Status ErrorRecorder::RecordLogs(const otlp::LogsRequest& request, int64_t receive_ms, LogsResult* result) {
  Pending p;
  uint64_t skipped = 0;
  for (const otlp::ResourceLogs& rl : request.resource_logs) {
    std::string_view service = rl.resource.service_name();
    for (const otlp::ScopeLogs& sl : rl.scope_logs) {
      for (const otlp::LogRecord& r : sl.log_records) {
        const bool exception = otlp::FindAttribute(r.attributes, "exception.type") ||
                               otlp::FindAttribute(r.attributes, "exception.message") ||
                               otlp::FindAttribute(r.attributes, "exception.stacktrace");
        if (r.severity_number < 17 && !exception) {
          ++skipped;
          continue;
        }
        RawError raw;
        raw.source = events::ErrorSource::kBackend;
        raw.type = p.Own(AttrText(r.attributes, "exception.type"));
        std::string message = AttrText(r.attributes, "exception.message");
        if (message.empty()) message = r.body.ToString();
        raw.message = p.Own(std::move(message));
        raw.stack = p.Own(AttrText(r.attributes, "exception.stacktrace"));
        raw.default_type = p.Own(r.severity_text.empty() ? std::string("Error") : r.severity_text);
        events::ErrorOccurrenceInput occ;
        uint64_t t = r.time_unix_nano ? r.time_unix_nano : r.observed_time_unix_nano;
        occ.time_ms = t ? static_cast<int64_t>(t / 1'000'000) : receive_ms;
        occ.scope = service;
        occ.location = AttrString(r.attributes, "http.route");
        std::string_view user = AttrString(r.attributes, "enduser.id");
        occ.user_id = user.empty() ? AttrString(r.attributes, "user.id") : user;
        occ.session_id = AttrString(r.attributes, "session.id");
        occ.message = raw.message;
        occ.trace_id = r.trace_id;
        occ.span_id = r.span_id;
        AddToBatch(store_, &p, raw, occ);
      }
    }
  }
  if (result) {
    result->stored = p.occurrences.size();
    result->not_stored = skipped;
  }
  PW_RETURN_IF_ERROR(Commit(p, receive_ms));
  if (skipped && logs_not_stored_) logs_not_stored_->Inc(skipped);
  return Status::Ok();
}

void ErrorRecorder::SetMaxApps(size_t max_apps) {
  std::lock_guard lock(mu_);
  options_.max_apps = max_apps;
}

void ErrorRecorder::SetMaxServices(size_t max_services) {
  std::lock_guard lock(mu_);
  options_.max_services = max_services;
}

std::string ErrorRecorder::Admit(events::ErrorSource source, std::string_view scope) {
  std::set<std::string>& set = source == events::ErrorSource::kBrowser ? apps_ : services_;
  const size_t cap = source == events::ErrorSource::kBrowser ? options_.max_apps : options_.max_services;
  if (scope.empty()) return std::string();
  if (set.contains(std::string(scope))) return std::string(scope);
  if (cap != 0 && set.size() >= cap) return "other";
  set.emplace(scope);
  return std::string(scope);
}

Status ErrorRecorder::Commit(Pending& p, int64_t receive_ms) {
  if (p.occurrences.empty()) return Status::Ok();
  std::unique_ptr<bool[]> is_new(new bool[p.occurrences.size()]());
  PW_RETURN_IF_ERROR(store_->Append(p.occurrences, std::span<bool>(is_new.get(), p.occurrences.size())));
  if (tsdb_ == nullptr) return Status::Ok();
  std::lock_guard lock(mu_);
  std::set<std::tuple<int, std::string, bool>> fresh;  // label sets this process starts
  for (size_t i = 0; i < p.occurrences.size(); ++i) {
    auto key = std::make_tuple(static_cast<int>(p.sources[i]), Admit(p.sources[i], p.occurrences[i].scope), is_new[i]);
    auto [it, inserted] = counts_.emplace(key, 0.0);
    if (inserted) fresh.insert(key);
    it->second += 1;
    dirty_.insert(key);
  }
  // The samples: a new label set starts with 0 just before its first value, so that
  // increase() sees the first occurrence.
  const int64_t t = last_ts_ == INT64_MIN ? receive_ms : std::max(receive_ms, last_ts_ + 2);
  std::vector<std::string> values;
  std::vector<tsdb::LabelView> labels;
  std::vector<tsdb::Sample> samples;
  values.reserve(dirty_.size());
  labels.reserve(dirty_.size() * 4);
  samples.reserve(dirty_.size() * 2);
  std::vector<tsdb::SeriesSamples> batch;
  for (const auto& key : dirty_) {
    const auto& [source, scope, is_new_flag] = key;
    const size_t l0 = labels.size(), s0 = samples.size();
    labels.push_back({tsdb::kMetricNameLabel, kErrorEventsMetric});
    const bool browser = source == static_cast<int>(events::ErrorSource::kBrowser);
    if (browser) labels.push_back({"app", scope});
    labels.push_back({"new", is_new_flag ? "true" : "false"});
    if (!browser) labels.push_back({"service", scope});
    labels.push_back({"source", browser ? "browser" : "backend"});
    if (scope.empty()) labels.erase(labels.begin() + static_cast<ptrdiff_t>(browser ? l0 + 1 : l0 + 2));
    if (fresh.contains(key)) samples.push_back({t - 1, 0});
    samples.push_back({t, counts_[key]});
    batch.push_back({std::span(labels.data() + l0, labels.size() - l0), std::span(samples.data() + s0, samples.size() - s0)});
  }
  last_ts_ = t;
  tsdb::AppendResult result;
  Status st = tsdb_->AppendBatch(batch, &result);
  if (!st.ok()) {
    if (append_failures_) append_failures_->Inc();
    PW_LOG_WARN("error events append failed", "error={}", LogQuote(st.message()));
    return Status::Ok();  // the occurrences are stored; the counts follow with the next write
  }
  dirty_.clear();
  return Status::Ok();
}

Status ErrorRecorder::LoadState(int64_t now_ms) {
  if (tsdb_ == nullptr) return Status::Ok();
  PW_ASSIGN_OR_RETURN(tsdb::Matcher m, tsdb::Matcher::Make(tsdb::MatchType::kEqual, std::string(tsdb::kMetricNameLabel),
                                                           std::string(kErrorEventsMetric)));
  std::unique_ptr<tsdb::Querier> q = tsdb_->NewQuerier(now_ms - options_.state_lookback_ms, INT64_MAX);
  std::unique_ptr<tsdb::SeriesSet> set = q->Select(std::span(&m, 1));
  std::lock_guard lock(mu_);
  while (set->Next()) {
    const tsdb::Series& s = set->At();
    const tsdb::Labels& labels = s.labels();
    std::string_view source = labels.Get("source");
    const bool browser = source == "browser";
    if (!browser && source != "backend") continue;
    std::string scope(labels.Get(browser ? "app" : "service"));
    const bool is_new = labels.Get("new") == "true";
    tsdb::SeriesIterator it = s.Iterator();
    std::optional<tsdb::Sample> last = tsdb::LastSample(it);
    if (!last) continue;
    counts_[std::make_tuple(browser ? 0 : 1, scope, is_new)] = last->v;
    last_ts_ = std::max(last_ts_, last->t);
    if (!scope.empty() && scope != "other") (browser ? apps_ : services_).insert(scope);
  }
  return set->status();
}

}  // namespace perfwatch::ingest::errors
