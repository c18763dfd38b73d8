#include "query/errors_api.h"

#include <algorithm>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "common/hex.h"
#include "common/json_writer.h"
#include "common/time.h"
#include "events/span_record.h"

namespace perfwatch::query {
namespace {

constexpr int64_t kHourMs = 3600 * 1000;
constexpr size_t kTopValues = 10;
constexpr size_t kSampleStackBytes = 2048;
constexpr size_t kRecent = 20;
constexpr int64_t kMaxHourlyBuckets = 24 * 400;

struct Params {
  int64_t start = 0, end = 0;
  std::optional<std::string> app, service;
  std::optional<events::ErrorSource> source;
  bool only_new = false;
  bool sort_last_seen = false;
  size_t limit = 50;
};

bool ParseParams(const http::Request& req, http::Response& res, Params* p) {
  auto bad = [&](std::string msg) {
    http::WriteApiError(res, 400, "bad_data", msg);
    return false;
  };
  const int64_t now = NowMs();
  p->end = now;
  if (auto v = req.Param("end"); v && !v->empty()) {
    auto t = ParseTimeMs(*v);
    if (!t.ok()) return bad("invalid parameter \"end\": " + t.status().message());
    p->end = *t;
  }
  p->start = p->end - kHourMs;
  if (auto v = req.Param("start"); v && !v->empty()) {
    auto t = ParseTimeMs(*v);
    if (!t.ok()) return bad("invalid parameter \"start\": " + t.status().message());
    p->start = *t;
  }
  if (p->end < p->start) return bad("end timestamp must not be before start time");
  if (auto v = req.Param("app"); v && !v->empty()) p->app = *v;
  if (auto v = req.Param("service"); v && !v->empty()) p->service = *v;
  if (auto v = req.Param("source"); v && !v->empty()) {
    if (*v == "browser") p->source = events::ErrorSource::kBrowser;
    else if (*v == "backend") p->source = events::ErrorSource::kBackend;
    else return bad("invalid parameter \"source\": must be browser or backend");
  }
  if (auto v = req.Param("new"); v && !v->empty()) {
    if (*v == "true") p->only_new = true;
    else if (*v != "false") return bad("invalid parameter \"new\": must be true or false");
  }
  if (auto v = req.Param("sort"); v && !v->empty()) {
    if (*v == "last_seen") p->sort_last_seen = true;
    else if (*v != "count") return bad("invalid parameter \"sort\": must be count or last_seen");
  }
  if (auto v = req.Param("limit"); v && !v->empty()) {
    char* endp = nullptr;
    long long n = std::strtoll(v->c_str(), &endp, 10);
    if (endp == v->c_str() || *endp != '\0' || n <= 0) return bad("invalid parameter \"limit\": must be a positive integer");
    p->limit = static_cast<size_t>(std::min<long long>(n, 1000));
  }
  return true;
}

struct Agg {
  const events::ErrorGroup* group = nullptr;
  uint64_t count = 0;
  int64_t last_seen = INT64_MIN;
  // Copied under the store's lock (the group's times change with later appends).
  int64_t group_first_seen = 0, group_last_seen = 0;
  std::unordered_set<std::string_view> sessions, users;
  std::unordered_map<std::string_view, uint64_t> locations, browsers;
  std::map<int64_t, uint64_t> hourly;
  std::vector<events::ErrorOccurrenceView> recent;  // views valid under the scan only
  std::vector<std::string> recent_owned;             // JSON of the newest kRecent
};

bool Matches(const Params& p, const events::ErrorGroup& g, const events::ErrorOccurrenceView& o) {
  const auto source = g.info.source;
  if (p.source && *p.source != source) return false;
  if (p.app && (source != events::ErrorSource::kBrowser || o.scope != *p.app)) return false;
  if (p.service && (source != events::ErrorSource::kBackend || o.scope != *p.service)) return false;
  return true;
}

void AppendTop(std::string& out, std::string_view key, const std::unordered_map<std::string_view, uint64_t>& m) {
  std::vector<std::pair<std::string_view, uint64_t>> v(m.begin(), m.end());
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
  if (v.size() > kTopValues) v.resize(kTopValues);
  out.push_back('[');
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out.push_back(',');
    out += "{\"";
    out += key;
    out += "\":";
    AppendJsonString(out, v[i].first);
    out += ",\"count\":";
    AppendJsonInt(out, static_cast<long long>(v[i].second));
    out.push_back('}');
  }
  out.push_back(']');
}

std::string_view CutUtf8(std::string_view s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

void AppendGroup(std::string& out, const Params& p, const Agg& a) {
  const events::ErrorGroup& g = *a.group;
  const bool browser = g.info.source == events::ErrorSource::kBrowser;
  out += "{\"fingerprint\":\"" + Hex64(g.info.fingerprint) + "\",\"type\":";
  AppendJsonString(out, g.info.type);
  out += ",\"message\":";
  AppendJsonString(out, g.info.message);
  out += ",\"source\":\"";
  out += events::ErrorSourceName(g.info.source);
  out += browser ? "\",\"app\":" : "\",\"service\":";
  std::string_view scope = g.info.scope;
  if (browser && p.app) scope = *p.app;
  if (!browser && p.service) scope = *p.service;
  AppendJsonString(out, scope);
  out += ",\"count\":";
  AppendJsonInt(out, static_cast<long long>(a.count));
  out += ",\"sessions\":";
  AppendJsonInt(out, static_cast<long long>(a.sessions.size()));
  out += ",\"users\":";
  AppendJsonInt(out, static_cast<long long>(a.users.size()));
  out += ",\"firstSeen\":";
  AppendJsonString(out, FormatRfc3339Ms(a.group_first_seen));
  out += ",\"lastSeen\":";
  AppendJsonString(out, FormatRfc3339Ms(a.last_seen != INT64_MIN ? a.last_seen : a.group_last_seen));
  out += ",\"new\":";
  out += a.group_first_seen >= p.start ? "true" : "false";
  out += browser ? ",\"pages\":" : ",\"routes\":";
  AppendTop(out, browser ? "page" : "route", a.locations);
  out += ",\"browsers\":";
  AppendTop(out, "browser", a.browsers);
  out += ",\"sampleMessage\":";
  AppendJsonString(out, g.info.sample_message);
  out += ",\"sampleStack\":";
  AppendJsonString(out, CutUtf8(g.info.sample_stack, kSampleStackBytes));
}

// The window's occurrences per group (all groups, or only `only`). The aggregates point
// into what the reader handed out: *hold keeps it alive.
Result<std::unordered_map<uint64_t, Agg>> Aggregate(const events::ErrorReader* store, const Params& p,
                                                    std::optional<uint64_t> only, bool detail,
                                                    std::shared_ptr<const void>* hold) {
  std::unordered_map<uint64_t, Agg> aggs;
  auto scanned = store->ScanWindow(p.start, p.end, only, [&](const events::ErrorGroup& g,
                                                              const events::ErrorOccurrenceView& o) {
    if (!Matches(p, g, o)) return;
    Agg& a = aggs[g.info.fingerprint];
    a.group = &g;
    a.group_first_seen = g.first_seen_ms;
    a.group_last_seen = g.last_seen_ms;
    ++a.count;
    a.last_seen = std::max(a.last_seen, o.time_ms);
    if (!o.session_id.empty()) a.sessions.insert(o.session_id);
    if (!o.user_id.empty()) a.users.insert(o.user_id);
    if (!o.location.empty()) ++a.locations[o.location];
    if (!o.browser.empty()) ++a.browsers[o.browser];
    if (detail) {
      ++a.hourly[o.time_ms - ((o.time_ms % kHourMs) + kHourMs) % kHourMs];
      a.recent.push_back(o);
      if (a.recent.size() > 4 * kRecent) {
        std::nth_element(a.recent.begin(), a.recent.begin() + kRecent, a.recent.end(),
                         [](const auto& x, const auto& y) { return x.time_ms > y.time_ms; });
        a.recent.resize(kRecent);
      }
    }
  });
  if (!scanned.ok()) return scanned.status();
  *hold = std::move(scanned).value();
  return aggs;
}

// The list's order: count (or last seen with sort=last_seen), then newest, then fingerprint.
bool RowBefore(const Params& p, const Agg& x, const Agg& y) {
  if (p.sort_last_seen && x.last_seen != y.last_seen) return x.last_seen > y.last_seen;
  if (x.count != y.count) return x.count > y.count;
  if (x.last_seen != y.last_seen) return x.last_seen > y.last_seen;
  return x.group->info.fingerprint < y.group->info.fingerprint;
}

void HandleList(const events::ErrorReader* store, const http::Request& req, http::Response& res) {
  Params p;
  if (!ParseParams(req, res, &p)) return;
  std::string out = "{\"status\":\"success\",\"data\":[";
  std::shared_ptr<const void> hold;
  auto aggs = Aggregate(store, p, std::nullopt, false, &hold);
  if (!aggs.ok()) return http::WriteStoreError(res, aggs.status());
  std::vector<const Agg*> rows;
  for (const auto& [fp, a] : *aggs) {
    if (p.only_new && a.group_first_seen < p.start) continue;
    rows.push_back(&a);
  }
  std::sort(rows.begin(), rows.end(), [&](const Agg* x, const Agg* y) { return RowBefore(p, *x, *y); });
  if (rows.size() > p.limit) rows.resize(p.limit);
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i) out.push_back(',');
    AppendGroup(out, p, *rows[i]);
    out.push_back('}');
  }
  out += "]}";
  res.content_type = "application/json";
  res.body = std::move(out);
}

void HandleDetail(const events::ErrorReader* store, const http::Request& req, http::Response& res) {
  std::string_view id = req.path.substr(std::string_view("/api/v1/errors/").size());
  uint64_t fp = 0;
  if (!ParseHex64(id, &fp)) return http::WriteApiError(res, 400, "bad_data", "invalid fingerprint: want 16 hex digits");
  Params p;
  if (!ParseParams(req, res, &p)) return;
  p.app.reset();  // the detail is the whole group
  p.service.reset();
  p.source.reset();
  Result<std::optional<events::ErrorGroup>> found = store->ReadGroup(fp);
  if (!found.ok()) return http::WriteStoreError(res, found.status());
  const std::optional<events::ErrorGroup>& group = *found;
  if (!group) return http::WriteApiError(res, 404, "not_found", "no error group with fingerprint " + std::string(id));
  std::shared_ptr<const void> hold;
  auto aggs = Aggregate(store, p, fp, true, &hold);
  if (!aggs.ok()) return http::WriteStoreError(res, aggs.status());
  Agg empty;
  empty.group = &*group;
  Agg& a = aggs->contains(fp) ? (*aggs)[fp] : empty;
  a.group = &*group;  // the snapshot (same content)
  a.group_first_seen = group->first_seen_ms;
  a.group_last_seen = group->last_seen_ms;
  std::string out = "{\"status\":\"success\",\"data\":";
  AppendGroup(out, p, a);
  out += ",\"stack\":";
  AppendJsonString(out, group->info.sample_stack);
  out += ",\"frames\":";
  events::AppendErrorFramesJson(out, group->info.frames);
  out += ",\"hourly\":[";
  const int64_t first_hour = p.start - ((p.start % kHourMs) + kHourMs) % kHourMs;
  const bool dense = (p.end - first_hour) / kHourMs < kMaxHourlyBuckets;
  bool first = true;
  auto bucket = [&](int64_t h, uint64_t n) {
    if (!first) out.push_back(',');
    first = false;
    out.push_back('[');
    AppendJsonInt(out, h / 1000);
    out.push_back(',');
    AppendJsonInt(out, static_cast<long long>(n));
    out.push_back(']');
  };
  if (dense) {
    for (int64_t h = first_hour; h <= p.end; h += kHourMs) {
      auto it = a.hourly.find(h);
      bucket(h, it == a.hourly.end() ? 0 : it->second);
    }
  } else {
    for (const auto& [h, n] : a.hourly) bucket(h, n);
  }
  out += "],\"recent\":[";
  std::sort(a.recent.begin(), a.recent.end(), [](const auto& x, const auto& y) { return x.time_ms > y.time_ms; });
  if (a.recent.size() > kRecent) a.recent.resize(kRecent);
  const bool browser = group->info.source == events::ErrorSource::kBrowser;
  for (size_t i = 0; i < a.recent.size(); ++i) {
    const events::ErrorOccurrenceView& o = a.recent[i];
    if (i) out.push_back(',');
    out += "{\"time\":";
    AppendJsonString(out, FormatRfc3339Ms(o.time_ms));
    out += ",\"message\":";
    AppendJsonString(out, o.message);
    out += browser ? ",\"page\":" : ",\"route\":";
    AppendJsonString(out, o.location);
    out += ",\"browser\":";
    AppendJsonString(out, o.browser);
    out += ",\"sessionId\":";
    AppendJsonString(out, o.session_id);
    out += ",\"traceId\":\"";
    events::AppendHexIdOrEmpty(out, o.trace_id);  // hex digits: nothing to escape
    out += "\",\"spanId\":\"";
    events::AppendHexIdOrEmpty(out, o.span_id);
    out += '"';
    out.push_back('}');
  }
  out += "]}}";
  res.content_type = "application/json";
  res.body = std::move(out);
}

}  // namespace

Result<std::vector<ErrorGroupSummary>> TopErrorGroups(const events::ErrorReader& store, int64_t from_ms,
                                                      int64_t to_ms, const std::optional<std::string>& app,
                                                      size_t limit) {
  Params p;
  p.start = from_ms;
  p.end = to_ms;
  p.app = app;
  std::shared_ptr<const void> hold;
  PW_ASSIGN_OR_RETURN(auto aggs, Aggregate(&store, p, std::nullopt, false, &hold));
  std::vector<const Agg*> rows;
  for (const auto& [fp, a] : aggs) rows.push_back(&a);
  std::sort(rows.begin(), rows.end(), [&](const Agg* x, const Agg* y) { return RowBefore(p, *x, *y); });
  if (rows.size() > limit) rows.resize(limit);
  std::vector<ErrorGroupSummary> out;
  for (const Agg* a : rows) {
    const events::ErrorGroup& g = *a->group;
    ErrorGroupSummary e;
    e.fingerprint = g.info.fingerprint;
    e.type = g.info.type;
    e.message = g.info.message;
    e.scope = app && g.info.source == events::ErrorSource::kBrowser ? *app : g.info.scope;
    e.source = g.info.source;
    e.count = a->count;
    e.sessions = a->sessions.size();
    e.first_seen_ms = a->group_first_seen;
    e.last_seen_ms = a->last_seen != INT64_MIN ? a->last_seen : a->group_last_seen;
    e.is_new = a->group_first_seen >= p.start;
    out.push_back(std::move(e));
  }
  return out;
}

void RegisterErrorsApi(http::Router& router, const events::ErrorReader* store) {
  const http::RouteOptions options{.metric_label = "/api/v1/errors", .cors_allowed_origins = {}, .scope = http::Scope::kRead,
                                   .route_class = http::RouteClass::kQuery};
  router.Handle("GET", "/api/v1/errors", [store](const http::Request& req, http::Response& res) {
    HandleList(store, req, res);
  }, options);
  http::RouteOptions detail = options;
  detail.metric_label = "/api/v1/errors/{fingerprint}";
  router.HandlePrefix("GET", "/api/v1/errors/", [store](const http::Request& req, http::Response& res) {
    HandleDetail(store, req, res);
  }, detail);
}

}  // namespace perfwatch::query
