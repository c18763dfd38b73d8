#include "ingest/otlp/span_metrics.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>

#include "common/log.h"
#include "ingest/dirty_groups.h"
#include "ingest/rum/rum_aggregator.h"  // FormatPrometheusFloat
#include "tsdb/matcher.h"

namespace perfwatch::ingest::otlp {
namespace {

// The OpenTelemetry HTTP semantic conventions' advisory buckets for
// http.server.request.duration (0.005 ... 10) plus 2 ms below and 15 s above, so the range
// is the connector's (2 ms to 15 s). Why not the connector's own: docs/otlp.md.
constexpr double kBounds[] = {0.002, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25,
                              0.5,   0.75,  1,    2.5,   5,    7.5,   10,  15};

constexpr std::string_view kOther = "other";
constexpr size_t kMaxFreeFormLabel = 64;  // db_system, db_operation

struct FamilyInfo {
  std::string_view duration;  // histogram base name
  std::string_view bucket, sum, count;
  std::span<const std::string_view> labels;  // sorted, without __name__ and le
  size_t le_pos;                             // le goes before labels[le_pos]
};
constexpr std::string_view kSpanLabels[] = {"http_method", "http_route", "http_status_class", "service",
                                            "span_kind",   "span_name",  "status_code"};
constexpr std::string_view kDbLabels[] = {"db_operation", "db_statement", "db_system", "service"};
constexpr std::string_view kClientLabels[] = {"http_method", "http_status_class", "peer", "service"};
constexpr FamilyInfo kFamilyInfo[] = {
    {"perfwatch_span_duration_seconds", "perfwatch_span_duration_seconds_bucket", "perfwatch_span_duration_seconds_sum",
     "perfwatch_span_duration_seconds_count", kSpanLabels, 3},
    {"perfwatch_db_duration_seconds", "perfwatch_db_duration_seconds_bucket", "perfwatch_db_duration_seconds_sum",
     "perfwatch_db_duration_seconds_count", kDbLabels, 3},
    {"perfwatch_http_client_duration_seconds", "perfwatch_http_client_duration_seconds_bucket",
     "perfwatch_http_client_duration_seconds_sum", "perfwatch_http_client_duration_seconds_count", kClientLabels, 2},
};
constexpr std::string_view kCallsName = "perfwatch_span_calls_total";
// Indices into kSpanLabels etc.
enum SpanLabel { kSpanMethod = 0, kSpanRoute, kSpanStatusClass, kSpanService, kSpanKind, kSpanName, kSpanStatus };
enum DbLabel { kDbOperation = 0, kDbStatement, kDbSystem, kDbService };
enum ClientLabel { kClientMethod = 0, kClientStatusClass, kClientPeer, kClientService };

enum class SeriesKind { kBucket, kSum, kCount, kCalls };

// The attributes the RED metrics read, found in one pass over a span's attributes.
struct SpanAttrs {
  const AnyValue* route = nullptr;
  const AnyValue* method = nullptr;      // http.request.method
  const AnyValue* old_method = nullptr;  // http.method
  const AnyValue* status = nullptr;      // http.response.status_code
  const AnyValue* old_status = nullptr;  // http.status_code
  const AnyValue* db_system = nullptr;   // db.system.name
  const AnyValue* old_db_system = nullptr;
  const AnyValue* db_operation = nullptr;  // db.operation.name
  const AnyValue* old_db_operation = nullptr;
  const AnyValue* db_text = nullptr;  // db.query.text
  const AnyValue* db_statement = nullptr;
  const AnyValue* server_address = nullptr;
  const AnyValue* server_port = nullptr;
  const AnyValue* peer_name = nullptr;  // net.peer.name
  const AnyValue* peer_port = nullptr;
  const AnyValue* url_full = nullptr;
  const AnyValue* http_url = nullptr;
  const AnyValue* url_scheme = nullptr;
  const AnyValue* http_scheme = nullptr;

  explicit SpanAttrs(const Attributes& attrs) {
    for (const KeyValue& kv : attrs) {
      const std::string_view k = kv.key;
      const AnyValue* v = &kv.value;
      auto set = [&](const AnyValue*& slot) {
        if (slot == nullptr) slot = v;  // the first one, as FindAttribute
      };
      if (k.size() < 7) continue;
      switch (k[0]) {
        case 'h':
          if (k == "http.route") set(route);
          else if (k == "http.request.method") set(method);
          else if (k == "http.method") set(old_method);
          else if (k == "http.response.status_code") set(status);
          else if (k == "http.status_code") set(old_status);
          else if (k == "http.url") set(http_url);
          else if (k == "http.scheme") set(http_scheme);
          break;
        case 'd':
          if (k == "db.system.name") set(db_system);
          else if (k == "db.system") set(old_db_system);
          else if (k == "db.operation.name") set(db_operation);
          else if (k == "db.operation") set(old_db_operation);
          else if (k == "db.query.text") set(db_text);
          else if (k == "db.statement") set(db_statement);
          break;
        case 's':
          if (k == "server.address") set(server_address);
          else if (k == "server.port") set(server_port);
          break;
        case 'n':
          if (k == "net.peer.name") set(peer_name);
          else if (k == "net.peer.port") set(peer_port);
          break;
        case 'u':
          if (k == "url.full") set(url_full);
          else if (k == "url.scheme") set(url_scheme);
          break;
        default:
          break;
      }
    }
  }
};

std::string_view Str(const AnyValue* v) {
  return v != nullptr && v->type == AnyValue::Type::kString ? std::string_view(v->string_value) : std::string_view();
}
std::string_view FirstStr(const AnyValue* a, const AnyValue* b) {
  std::string_view s = Str(a);
  return s.empty() ? Str(b) : s;
}

// An integer attribute sent as an int, a whole double or a decimal string.
std::optional<int64_t> IntValue(const AnyValue* v) {
  if (v == nullptr) return std::nullopt;
  switch (v->type) {
    case AnyValue::Type::kInt: return v->int_value;
    case AnyValue::Type::kDouble:
      if (v->double_value >= -1e15 && v->double_value <= 1e15 && v->double_value == static_cast<int64_t>(v->double_value)) {
        return static_cast<int64_t>(v->double_value);
      }
      return std::nullopt;
    case AnyValue::Type::kString: {
      const std::string& s = v->string_value;
      if (s.empty() || s.size() > 15) return std::nullopt;
      int64_t n = 0;
      for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + (c - '0');
      }
      return n;
    }
    default: return std::nullopt;
  }
}

// "2xx" for 200-299 ...; "" outside 100-599 or when absent.
std::string_view StatusClass(const AnyValue* current, const AnyValue* old) {
  static constexpr std::string_view kClasses[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
  std::optional<int64_t> code = IntValue(current);
  if (!code) code = IntValue(old);
  if (!code || *code < 100 || *code > 599) return {};
  return kClasses[*code / 100 - 1];
}

// The semconv's known methods (RFC 9110 and PATCH), case-sensitive; others "_OTHER".
std::string_view Method(std::string_view m) {
  static constexpr std::string_view kKnown[] = {"GET",     "HEAD",    "POST",  "PUT",   "DELETE",
                                                "CONNECT", "OPTIONS", "TRACE", "PATCH", "_OTHER"};
  if (m.empty()) return {};
  for (std::string_view k : kKnown) {
    if (k == m) return k;
  }
  return "_OTHER";
}

std::string_view FreeForm(std::string_view v) { return v.size() > kMaxFreeFormLabel ? kOther : v; }

void AppendLower(std::string& out, std::string_view s) {
  for (char c : s) out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c);
}

// The peer of an outgoing HTTP call: host (lower-cased) and, when it is not the scheme's
// default, ":port". server.address/server.port, else net.peer.name/net.peer.port, else the
// authority of url.full / http.url (userinfo dropped). Empty when none is known.
void Peer(const SpanAttrs& a, std::string& out) {
  out.clear();
  std::string_view host = Str(a.server_address);
  int64_t port = IntValue(a.server_port).value_or(0);  // 0: none
  if (host.empty()) {
    host = Str(a.peer_name);
    port = IntValue(a.peer_port).value_or(0);
  }
  std::string_view scheme = FirstStr(a.url_scheme, a.http_scheme);
  std::string_view url = FirstStr(a.url_full, a.http_url);
  if (!url.empty()) {
    size_t sep = url.find("://");
    std::string_view authority;
    if (sep != std::string_view::npos) {
      if (scheme.empty()) scheme = url.substr(0, sep);
      authority = url.substr(sep + 3);
      authority = authority.substr(0, authority.find_first_of("/?#"));
      if (size_t at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
    }
    if (host.empty() && !authority.empty()) {
      std::string_view port_text;
      if (authority.front() == '[') {
        size_t close = authority.find(']');
        host = authority.substr(0, close == std::string_view::npos ? authority.size() : close + 1);
        if (close != std::string_view::npos && close + 1 < authority.size() && authority[close + 1] == ':') {
          port_text = authority.substr(close + 2);
        }
      } else {
        size_t colon = authority.rfind(':');
        host = authority.substr(0, colon);
        if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
      }
      port = 0;
      if (!port_text.empty() && port_text.size() <= 5 &&
          std::all_of(port_text.begin(), port_text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        port = std::stoll(std::string(port_text));
      }
    }
  }
  if (host.empty()) return;
  if (port < 0 || port > 65535) port = 0;
  if (port != 0) {
    std::string lower_scheme;
    AppendLower(lower_scheme, scheme);
    if ((port == 80 && (lower_scheme == "http" || lower_scheme.empty())) ||
        (port == 443 && (lower_scheme == "https" || lower_scheme.empty()))) {
      port = 0;
    }
  }
  const bool bracket = port != 0 && host.front() != '[' && host.find(':') != std::string_view::npos;  // IPv6
  if (bracket) out.push_back('[');
  AppendLower(out, host);
  if (bracket) out.push_back(']');
  if (port != 0) {
    out.push_back(':');
    out.append(std::to_string(port));
  }
}

bool ParseSeriesName(std::string_view name, int* family, SeriesKind* kind) {
  if (name == kCallsName) {
    *family = 0;
    *kind = SeriesKind::kCalls;
    return true;
  }
  for (int f = 0; f < 3; ++f) {
    const FamilyInfo& info = kFamilyInfo[f];
    *family = f;
    if (name == info.bucket) {
      *kind = SeriesKind::kBucket;
      return true;
    }
    if (name == info.sum) {
      *kind = SeriesKind::kSum;
      return true;
    }
    if (name == info.count) {
      *kind = SeriesKind::kCount;
      return true;
    }
  }
  return false;
}

std::string GroupKey(int family, std::span<const std::string_view> values) {
  std::string k(1, static_cast<char>('0' + family));
  for (std::string_view v : values) {
    k.push_back('\0');
    k.append(v);
  }
  return k;
}

}  // namespace

std::span<const double> SpanDurationBounds() { return kBounds; }

std::string_view SpanTimeErrorName(SpanTimeError e) {
  switch (e) {
    case SpanTimeError::kMissingTimestamp: return "missing_timestamp";
    case SpanTimeError::kEndBeforeStart: return "end_before_start";
    default: return "";
  }
}

SpanTimeError CheckSpanTimes(const Span& span) {
  if (span.start_time_unix_nano == 0 || span.end_time_unix_nano == 0) return SpanTimeError::kMissingTimestamp;
  if (span.end_time_unix_nano < span.start_time_unix_nano) return SpanTimeError::kEndBeforeStart;
  return SpanTimeError::kNone;
}

std::string SpanMetricsResult::Message() const {
  if (rejected() == 0) return "";
  std::string m = std::to_string(rejected()) + (rejected() == 1 ? " span" : " spans") + " not counted in RED metrics: ";
  if (end_before_start) m += std::to_string(end_before_start) + " with end_time_unix_nano before start_time_unix_nano";
  if (end_before_start && missing_timestamp) m += ", ";
  if (missing_timestamp) m += std::to_string(missing_timestamp) + " without start or end time";
  return m;
}

Result<std::unique_ptr<SpanMetrics>> SpanMetrics::Create(SpanMetricsOptions options, tsdb::Tsdb* tsdb,
                                                         MetricsRegistry* metrics, int64_t now_ms) {
  if (tsdb == nullptr) return InvalidArgument("span metrics: no tsdb");
  auto sm = std::make_unique<SpanMetrics>(std::move(options), tsdb, metrics);
  PW_RETURN_IF_ERROR(sm->LoadState(now_ms).WithContext("span metrics: load state"));
  return sm;
}

SpanMetrics::SpanMetrics(SpanMetricsOptions options, tsdb::Tsdb* tsdb, MetricsRegistry* metrics)
    : options_(std::move(options)), tsdb_(tsdb) {
  for (double b : kBounds) le_strings_.push_back(ingest::FormatPrometheusFloat(b));
  le_strings_.push_back("+Inf");
  if (metrics == nullptr) return;
  services_overflow_ = metrics->GetCounter("perfwatch_otlp_services_overflow_total",
                                           "Spans counted under service=\"other\" in the RED metrics (otlp.max_services).");
  span_names_overflow_ = metrics->GetCounter(
      "perfwatch_otlp_span_names_overflow_total",
      "Spans counted under span_name=\"other\" in the RED metrics (otlp.max_span_names_per_service).");
  routes_overflow_ = metrics->GetCounter(
      "perfwatch_otlp_routes_overflow_total",
      "Server spans counted under http_route=\"other\" in the RED metrics (otlp.max_routes_per_service).");
  statements_overflow_ = metrics->GetCounter(
      "perfwatch_otlp_db_statements_overflow_total",
      "Database spans counted under db_statement=\"other\" (otlp.max_db_statements_per_service).");
  peers_overflow_ = metrics->GetCounter("perfwatch_otlp_peers_overflow_total",
                                        "HTTP client spans counted under peer=\"other\" (otlp.max_peers_per_service).");
  const char* invalid_help = "Spans not counted in the RED metrics because of their start and end times.";
  invalid_missing_ = metrics->GetCounter("perfwatch_otlp_spans_invalid_total", invalid_help,
                                         {{"reason", std::string(SpanTimeErrorName(SpanTimeError::kMissingTimestamp))}});
  invalid_order_ = metrics->GetCounter("perfwatch_otlp_spans_invalid_total", invalid_help,
                                       {{"reason", std::string(SpanTimeErrorName(SpanTimeError::kEndBeforeStart))}});
  counted_ = metrics->GetCounter("perfwatch_otlp_red_spans_total", "Spans counted into the RED metric series.");
  append_failures_ = metrics->GetCounter("perfwatch_otlp_red_append_failures_total",
                                         "RED metric writes the TSDB refused (retried by the next write).");
  label_sets_gauge_ = metrics->GetGauge("perfwatch_otlp_red_label_sets", "RED metric histogram label sets held.");
}

SpanMetrics::~SpanMetrics() { Stop(); }

size_t SpanMetrics::num_label_sets() const {
  std::lock_guard lock(mu_);
  return groups_.size();
}

void SpanMetrics::SetCaps(size_t max_services, size_t max_routes_per_service, size_t max_span_names_per_service,
                          size_t max_db_statements_per_service, size_t max_peers_per_service) {
  std::lock_guard lock(mu_);
  options_.max_services = max_services;
  options_.max_routes_per_service = max_routes_per_service;
  options_.max_span_names_per_service = max_span_names_per_service;
  options_.max_db_statements_per_service = max_db_statements_per_service;
  options_.max_peers_per_service = max_peers_per_service;
}

SpanMetrics::ServiceState& SpanMetrics::AdmitService(std::string_view service, std::string_view* admitted,
                                                     bool* overflow) {
  *overflow = false;
  auto it = services_.find(service);
  if (it != services_.end()) {
    *admitted = it->first;
    return it->second;
  }
  const bool counts = !service.empty() && service != kOther;
  if (counts && options_.max_services != 0 && admitted_services_ >= options_.max_services) {
    *overflow = true;
    service = kOther;
    it = services_.find(service);
    if (it != services_.end()) {
      *admitted = it->first;
      return it->second;
    }
  } else if (counts) {
    ++admitted_services_;
  }
  it = services_.emplace(std::string(service), ServiceState{}).first;
  *admitted = it->first;
  return it->second;
}

std::string_view SpanMetrics::Admit(StringSet& set, size_t cap, std::string_view value, uint64_t* overflow) {
  if (value.empty() || value == kOther) return value;
  auto it = set.find(value);
  if (it != set.end()) return *it;
  if (cap != 0 && set.size() >= cap) {
    ++*overflow;
    return kOther;
  }
  return *set.emplace(value).first;
}

const SqlFingerprint& SpanMetrics::Fingerprint(std::string_view statement, bool mysql) {
  key_.assign(1, mysql ? 'm' : 's');
  key_.append(statement);
  auto it = fingerprints_.find(key_);
  if (it != fingerprints_.end()) return it->second;
  if (fingerprints_.size() >= kFingerprintCacheSize) fingerprints_.clear();
  SqlFingerprintOptions o;
  o.mysql_quotes = mysql;
  return fingerprints_.emplace(key_, FingerprintSql(statement, o)).first->second;
}

void SpanMetrics::Observe(Family family, std::span<const std::string_view> values, double seconds,
                          int64_t receive_ms) {
  const int f = static_cast<int>(family);
  key_.assign(1, static_cast<char>('0' + f));
  for (std::string_view v : values) {
    key_.push_back('\0');
    key_.append(v);
  }
  auto it = groups_.find(key_);
  if (it == groups_.end()) {
    auto g = std::make_unique<Group>();
    g->family = family;
    g->values.assign(values.begin(), values.end());
    g->cumulative.assign(std::size(kBounds) + 1, 0.0);
    it = groups_.emplace(key_, std::move(g)).first;
    if (label_sets_gauge_) label_sets_gauge_->Set(static_cast<double>(groups_.size()));
  }
  Group& g = *it->second;
  size_t first = static_cast<size_t>(std::lower_bound(std::begin(kBounds), std::end(kBounds), seconds) - std::begin(kBounds));
  for (size_t b = first; b < g.cumulative.size(); ++b) g.cumulative[b] += 1;
  g.sum += seconds;
  g.count += 1;
  if (family == Family::kSpan) g.calls += 1;
  g.pending_received_ms = std::max(g.pending_received_ms, receive_ms);
  if (!g.dirty) {
    g.dirty = true;
    dirty_.push_back(&g);
  }
}

Status SpanMetrics::Record(const TracesRequest& request, int64_t receive_ms, SpanMetricsResult* result) {
  SpanMetricsResult local;
  SpanMetricsResult& r = result ? *result : local;
  r = SpanMetricsResult{};
  Overflows o;
  std::lock_guard lock(mu_);
  for (const ResourceSpans& rs : request.resource_spans) {
    std::string_view service;
    ServiceState* state = nullptr;
    bool service_overflow = false;
    for (const ScopeSpans& ss : rs.scope_spans) {
      for (const Span& span : ss.spans) {
        switch (CheckSpanTimes(span)) {
          case SpanTimeError::kMissingTimestamp: ++r.missing_timestamp; continue;
          case SpanTimeError::kEndBeforeStart: ++r.end_before_start; continue;
          default: break;
        }
        if (state == nullptr) state = &AdmitService(rs.resource.service_name(), &service, &service_overflow);
        if (service_overflow) ++o.services;
        const double seconds = static_cast<double>(span.end_time_unix_nano - span.start_time_unix_nano) / 1e9;
        std::string_view v[7] = {};
        v[kSpanService] = service;
        v[kSpanName] = Admit(state->span_names, options_.max_span_names_per_service, span.name, &o.span_names);
        v[kSpanKind] = SpanKindName(span.kind);
        v[kSpanStatus] = SpanStatusCodeName(span.status_code);
        if (span.kind == SpanKind::kServer || span.kind == SpanKind::kClient) {
          SpanAttrs a(span.attributes);
          const std::string_view method = Method(FirstStr(a.method, a.old_method));
          const std::string_view status_class = StatusClass(a.status, a.old_status);
          if (span.kind == SpanKind::kServer) {
            v[kSpanRoute] = Admit(state->routes, options_.max_routes_per_service, Str(a.route), &o.routes);
            v[kSpanMethod] = method;
            v[kSpanStatusClass] = status_class;
          } else if (std::string_view system = FirstStr(a.db_system, a.old_db_system); !system.empty()) {
            std::string_view d[4] = {};
            d[kDbService] = service;
            d[kDbSystem] = FreeForm(system);
            std::string_view operation = FirstStr(a.db_operation, a.old_db_operation);
            if (std::string_view text = FirstStr(a.db_text, a.db_statement); !text.empty()) {
              const SqlFingerprint& fp = Fingerprint(text, system == "mysql" || system == "mariadb");
              d[kDbStatement] = Admit(state->statements, options_.max_db_statements_per_service, fp.text, &o.statements);
              if (operation.empty()) operation = fp.operation;
            }
            d[kDbOperation] = FreeForm(operation);
            Observe(Family::kDb, d, seconds, receive_ms);
          } else if (!method.empty()) {
            Peer(a, peer_);
            std::string_view c[4] = {};
            c[kClientService] = service;
            c[kClientPeer] = Admit(state->peers, options_.max_peers_per_service, peer_, &o.peers);
            c[kClientMethod] = method;
            c[kClientStatusClass] = status_class;
            Observe(Family::kHttpClient, c, seconds, receive_ms);
          }
        }
        Observe(Family::kSpan, v, seconds, receive_ms);
        ++r.counted;
      }
    }
  }
  if (services_overflow_ && o.services) services_overflow_->Inc(o.services);
  if (span_names_overflow_ && o.span_names) span_names_overflow_->Inc(o.span_names);
  if (routes_overflow_ && o.routes) routes_overflow_->Inc(o.routes);
  if (statements_overflow_ && o.statements) statements_overflow_->Inc(o.statements);
  if (peers_overflow_ && o.peers) peers_overflow_->Inc(o.peers);
  if (invalid_missing_ && r.missing_timestamp) invalid_missing_->Inc(r.missing_timestamp);
  if (invalid_order_ && r.end_before_start) invalid_order_->Inc(r.end_before_start);
  if (counted_ && r.counted) counted_->Inc(r.counted);
  if (options_.flush_interval_ms > 0) return Status::Ok();
  return WriteGroups();
}

Status SpanMetrics::LoadState(int64_t now_ms) {
  PW_ASSIGN_OR_RETURN(tsdb::Matcher name_matcher,
                      tsdb::Matcher::Make(tsdb::MatchType::kRegexMatch, std::string(tsdb::kMetricNameLabel),
                                          "perfwatch_span_calls_total|"
                                          "perfwatch_(span|db|http_client)_duration_seconds_(bucket|sum|count)"));
  struct Loaded {
    int family = 0;
    std::vector<std::string> values;
    std::vector<std::optional<double>> cumulative;
    std::optional<double> sum, count, calls;
    int64_t last_ts = INT64_MIN;
  };
  std::map<std::string, Loaded> loaded;  // key order: the cap admits the same values again
  std::unordered_set<std::string> seen_series;
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
      int family;
      SeriesKind kind;
      if (!ParseSeriesName(labels.Get(tsdb::kMetricNameLabel), &family, &kind)) continue;
      std::string id = labels.ToString();
      if (!seen_series.insert(id).second) continue;
      tsdb::SeriesIterator it = s.Iterator();
      std::optional<tsdb::Sample> last = tsdb::LastSample(it);
      if (!it.status().ok()) return it.status().WithContext("reading " + id);
      if (!last) continue;
      const int64_t t = last->t;
      const double v = last->v;
      ++series_read;
      std::vector<std::string_view> values;
      for (std::string_view name : kFamilyInfo[family].labels) values.push_back(labels.Get(name));
      Loaded& l = loaded[GroupKey(family, values)];
      if (l.cumulative.empty()) {
        l.family = family;
        l.values.assign(values.begin(), values.end());
        l.cumulative.resize(std::size(kBounds) + 1);
      }
      l.last_ts = std::max(l.last_ts, t);
      switch (kind) {
        case SeriesKind::kSum: l.sum = v; break;
        case SeriesKind::kCount: l.count = v; break;
        case SeriesKind::kCalls: l.calls = v; break;
        case SeriesKind::kBucket: {
          auto pos = std::find(le_strings_.begin(), le_strings_.end(), labels.Get("le"));
          if (pos != le_strings_.end()) l.cumulative[pos - le_strings_.begin()] = v;
          break;
        }
      }
    }
    if (!set->status().ok()) return set->status();
  }

  std::lock_guard lock(mu_);
  size_t incomplete = 0, capped = 0;
  for (auto& [key, l] : loaded) {
    bool complete = l.sum && l.count && (l.family != 0 || l.calls) &&
                    std::all_of(l.cumulative.begin(), l.cumulative.end(), [](const auto& c) { return c.has_value(); });
    if (!complete) {
      ++incomplete;
      continue;
    }
    // Admit the stored values again; a label set beyond a (lowered) cap is dropped.
    std::string_view service;
    bool service_over = false;
    static_assert(int{kSpanService} == int{kDbService} && int{kDbService} == int{kClientService});
    ServiceState& st = AdmitService(l.values[kSpanService], &service, &service_over);
    uint64_t over = service_over ? 1 : 0;
    if (l.family == 0) {
      Admit(st.span_names, options_.max_span_names_per_service, l.values[kSpanName], &over);
      Admit(st.routes, options_.max_routes_per_service, l.values[kSpanRoute], &over);
    } else if (l.family == 1) {
      Admit(st.statements, options_.max_db_statements_per_service, l.values[kDbStatement], &over);
    } else {
      Admit(st.peers, options_.max_peers_per_service, l.values[kClientPeer], &over);
    }
    if (over) {
      ++capped;
      continue;
    }
    std::vector<std::string_view> values(l.values.begin(), l.values.end());
    Observe(static_cast<Family>(l.family), values, 0, INT64_MIN);  // creates the group
    Group& g = *groups_.find(key_)->second;
    for (size_t i = 0; i < g.cumulative.size(); ++i) g.cumulative[i] = *l.cumulative[i];
    g.sum = *l.sum;
    g.count = *l.count;
    g.calls = l.calls.value_or(0);
    g.last_ts = l.last_ts;
    g.pending_received_ms = INT64_MIN;
    g.dirty = false;
  }
  dirty_.clear();
  PW_LOG_INFO("span metrics loaded", "series={} label_sets={} incomplete={} over_cap={}", series_read, groups_.size(),
              incomplete, capped);
  return Status::Ok();
}

Status SpanMetrics::Flush() {
  std::lock_guard lock(mu_);
  return WriteGroups();
}

void SpanMetrics::Start() {
  // Logged and counted inside Flush; what failed stays pending for the next try.
  writer_.Start("pw-span-metrics", std::chrono::milliseconds(options_.flush_interval_ms), [this] { (void)Flush(); });
}

void SpanMetrics::Stop() {
  writer_.Stop();
  (void)Flush();
}

Status SpanMetrics::WriteGroups() {
  Status st = WriteDirtyGroups(dirty_, 3, kWriteBatchSeries, [this](std::span<Group* const> groups, size_t nseries) {
    return WriteGroupRange(groups, nseries);
  });
  if (!st.ok()) {
    if (append_failures_) append_failures_->Inc();
    PW_LOG_WARN("span metrics append failed", "error={}", LogQuote(st.message()));
    return st.WithContext("span metrics");
  }
  return Status::Ok();
}

Status SpanMetrics::WriteGroupRange(std::span<Group* const> groups, size_t nseries) {
  std::vector<tsdb::LabelView>& labels = write_labels_;
  labels.clear();
  labels.reserve(nseries * 10);  // no reallocation: the batch points into it
  std::vector<tsdb::Sample>& samples = write_samples_;
  samples.clear();
  samples.reserve(nseries);
  std::vector<tsdb::SeriesSamples>& batch = write_batch_;
  batch.clear();
  batch.reserve(nseries);
  auto add = [&](std::string_view name, const Group& g, const std::string* le, int64_t t, double v) {
    const FamilyInfo& info = kFamilyInfo[static_cast<int>(g.family)];
    size_t start = labels.size();
    labels.push_back({tsdb::kMetricNameLabel, name});
    for (size_t i = 0; i < info.labels.size(); ++i) {
      if (i == info.le_pos && le) labels.push_back({"le", *le});
      if (!g.values[i].empty()) labels.push_back({info.labels[i], g.values[i]});
    }
    samples.push_back({t, v});
    batch.push_back({std::span(labels.data() + start, labels.size() - start), std::span(&samples.back(), 1)});
  };
  for (Group* g : groups) {
    const int64_t t = g->last_ts == INT64_MIN ? g->pending_received_ms : std::max(g->pending_received_ms, g->last_ts + 1);
    g->last_ts = t;  // even if the append fails: the next stamp must not reuse it
    const FamilyInfo& info = kFamilyInfo[static_cast<int>(g->family)];
    for (size_t b = 0; b < g->cumulative.size(); ++b) add(info.bucket, *g, &le_strings_[b], t, g->cumulative[b]);
    add(info.sum, *g, nullptr, t, g->sum);
    add(info.count, *g, nullptr, t, g->count);
    if (g->family == Family::kSpan) add(kCallsName, *g, nullptr, t, g->calls);
  }
  tsdb::AppendResult result;
  return tsdb_->AppendBatch(batch, &result);
}

}  // namespace perfwatch::ingest::otlp
