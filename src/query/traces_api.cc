#include "query/traces_api.h"

#include <algorithm>
#include <charconv>
#include <unordered_map>
#include <unordered_set>

#include "common/json_writer.h"
#include "common/time.h"

namespace perfwatch::query {

namespace {

template <size_t N>
void AppendHex(std::string& out, const std::array<uint8_t, N>& id) {
  out.push_back('"');
  events::AppendHexId(out, id);
  out.push_back('"');
}

bool ParseTraceId(std::string_view text, std::array<uint8_t, 16>* id) { return events::ParseHexId(text, *id); }

void AppendNanos(std::string& out, uint64_t ns) {
  out.push_back('"');
  out += std::to_string(ns);
  out.push_back('"');
}

void AppendDurationMs(std::string& out, uint64_t start, uint64_t end) {
  AppendJsonNumber(out, static_cast<double>(end >= start ? end - start : 0) / 1e6);
}

// The span's fields up to (not including) "children".
void AppendSpanHead(std::string& out, const events::SpanRecord& s, bool orphan) {
  out += R"({"spanId":)";
  AppendHex(out, s.span_id);
  out += R"(,"parentSpanId":)";
  if (s.is_root()) {
    out += R"("")";
  } else {
    AppendHex(out, s.parent_span_id);
  }
  out += R"(,"service":)";
  AppendJsonString(out, s.service);
  out += R"(,"name":)";
  AppendJsonString(out, s.name);
  out += R"(,"kind":")";
  out += events::SpanKindText(s.kind);
  out += R"(","statusCode":")";
  out += events::SpanStatusText(s.status_code);
  out += R"(","statusMessage":)";
  AppendJsonString(out, s.status_message);
  out += R"(,"startTimeUnixNano":)";
  AppendNanos(out, s.start_time_unix_nano);
  out += R"(,"endTimeUnixNano":)";
  AppendNanos(out, s.end_time_unix_nano);
  out += R"(,"durationMs":)";
  AppendDurationMs(out, s.start_time_unix_nano, s.end_time_unix_nano);
  out += R"(,"attributes":)";
  events::AppendSpanAttributesJson(out, s.attributes);
  out += R"(,"events":)";
  events::AppendSpanEventsJson(out, s.events);
  if (orphan) out += R"(,"orphan":true)";
}

uint64_t IdKey(const std::array<uint8_t, 8>& id) {
  uint64_t v = 0;
  for (uint8_t b : id) v = v << 8 | b;
  return v;
}

std::string_view StringAttr(const events::SpanRecord& s, std::string_view key) {
  const events::SpanAttribute* a = s.Find(key);
  return a && a->type == events::SpanAttribute::Type::kString ? std::string_view(a->string_value) : std::string_view();
}

std::optional<int64_t> HttpStatus(const events::SpanRecord& s) {
  for (std::string_view key : {"http.response.status_code", "http.status_code"}) {
    const events::SpanAttribute* a = s.Find(key);
    if (!a) continue;
    if (a->type == events::SpanAttribute::Type::kInt) return a->int_value;
    if (a->type == events::SpanAttribute::Type::kDouble) return static_cast<int64_t>(a->double_value);
    if (a->type == events::SpanAttribute::Type::kString) {
      int64_t v;
      auto [p, ec] = std::from_chars(a->string_value.data(), a->string_value.data() + a->string_value.size(), v);
      if (ec == std::errc() && p == a->string_value.data() + a->string_value.size()) return v;
    }
  }
  return std::nullopt;
}

void AppendListRow(std::string& out, const events::SpanRecord& s) {
  out += R"({"traceId":)";
  AppendHex(out, s.trace_id);
  out += R"(,"spanId":)";
  AppendHex(out, s.span_id);
  out += R"(,"service":)";
  AppendJsonString(out, s.service);
  out += R"(,"name":)";
  AppendJsonString(out, s.name);
  out += R"(,"kind":")";
  out += events::SpanKindText(s.kind);
  out.push_back('"');
  if (std::string_view route = StringAttr(s, "http.route"); !route.empty()) {
    out += R"(,"route":)";
    AppendJsonString(out, route);
  }
  std::string_view method = StringAttr(s, "http.request.method");
  if (method.empty()) method = StringAttr(s, "http.method");
  if (!method.empty()) {
    out += R"(,"method":)";
    AppendJsonString(out, method);
  }
  if (auto code = HttpStatus(s)) {
    out += R"(,"httpStatusCode":)";
    AppendJsonInt(out, *code);
  }
  out += R"(,"statusCode":")";
  out += events::SpanStatusText(s.status_code);
  out += R"(","startTimeUnixNano":)";
  AppendNanos(out, s.start_time_unix_nano);
  out += R"(,"durationMs":)";
  AppendDurationMs(out, s.start_time_unix_nano, s.end_time_unix_nano);
  out += R"(,"error":)";
  out += s.status_code == events::kSpanStatusError ? "true" : "false";
  out.push_back('}');
}

void Success(http::Response& res, std::string_view data) {
  res.content_type = "application/json";
  res.body.reserve(data.size() + 32);
  res.body = R"({"status":"success","data":)";
  res.body.append(data);
  res.body.push_back('}');
}

void BadData(http::Response& res, std::string_view message) { http::WriteApiError(res, 400, "bad_data", message); }


void HandleList(const events::SpanReader* store, const http::Request& req, http::Response& res) {
  events::SpanListQuery q;
  int64_t end_ms = NowMs();
  if (auto v = req.Param("end")) {
    auto t = ParseTimeMs(*v);
    if (!t.ok()) return BadData(res, "invalid parameter \"end\": " + t.status().message());
    end_ms = *t;
  }
  int64_t start_ms = end_ms - 3600'000;
  if (auto v = req.Param("start")) {
    auto t = ParseTimeMs(*v);
    if (!t.ok()) return BadData(res, "invalid parameter \"start\": " + t.status().message());
    start_ms = *t;
  }
  if (start_ms > end_ms) return BadData(res, "invalid parameter \"end\": end timestamp must not be before start time");
  constexpr int64_t kMaxMs = INT64_MAX / 1'000'000;
  auto to_ns = [](int64_t ms) { return ms <= 0 ? int64_t{0} : ms >= kMaxMs ? INT64_MAX : ms * 1'000'000; };
  q.from_ns = to_ns(start_ms);
  q.to_ns = end_ms >= kMaxMs ? INT64_MAX : to_ns(end_ms) + 999'999;  // the whole end millisecond
  for (auto [name, field] : {std::pair{"service", &q.service}, {"route", &q.route}, {"name", &q.name}}) {
    if (auto v = req.Param(name); v && !v->empty()) *field = *v;
  }
  if (auto v = req.Param("min_duration"); v && !v->empty()) {
    auto d = ParseDurationMs(*v);
    if (!d.ok()) return BadData(res, "invalid parameter \"min_duration\": " + d.status().message());
    q.min_duration_ns = static_cast<uint64_t>(std::min<int64_t>(*d, kMaxMs)) * 1'000'000;
  }
  if (auto v = req.Param("status"); v && !v->empty()) {
    if (*v == "error") q.status = events::kSpanStatusError;
    else if (*v == "ok") q.status = 1;
    else if (*v == "unset") q.status = 0;
    else return BadData(res, "invalid parameter \"status\": want error, ok or unset");
  }
  if (auto v = req.Param("sort"); v && !v->empty()) {
    if (*v == "slowest") q.sort = events::SpanListQuery::Sort::kSlowest;
    else if (*v != "newest") return BadData(res, "invalid parameter \"sort\": want newest or slowest");
  }
  q.limit = kDefaultTraceListLimit;
  if (auto v = req.Param("limit"); v && !v->empty()) {
    int64_t n = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || p != v->data() + v->size() || n <= 0) {
      return BadData(res, "invalid parameter \"limit\": want a positive integer");
    }
    q.limit = static_cast<size_t>(std::min<int64_t>(n, kMaxTraceListLimit));
  }
  std::vector<events::SpanRecord> rows;
  Status s = store->ListEntrySpans(q, &rows);
  if (!s.ok()) return http::WriteStoreError(res, s);
  std::string data = "[";
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i) data.push_back(',');
    AppendListRow(data, rows[i]);
  }
  data.push_back(']');
  Success(res, data);
}

void HandleTrace(const events::SpanReader* store, const http::Request& req, http::Response& res) {
  std::string_view id_text = req.path.substr(std::string_view("/api/v1/traces/").size());
  std::array<uint8_t, 16> id{};
  if (!ParseTraceId(id_text, &id)) return BadData(res, "invalid trace id: want 32 hex digits");
  std::vector<events::SpanRecord> spans;
  uint64_t total = 0;
  Status s = store->GetTrace(id, kMaxTraceSpans, &spans, &total);
  if (!s.ok()) return http::WriteStoreError(res, s);
  if (spans.empty()) return http::WriteApiError(res, 404, "not_found", "trace not found");
  Success(res, TraceTreeJson(spans, total));
}

}  // namespace

std::string TraceTreeJson(const std::vector<events::SpanRecord>& in, uint64_t stored) {
  // Order by start time and drop repeated span ids (a retried export stores a span twice).
  std::vector<const events::SpanRecord*> spans;
  spans.reserve(in.size());
  for (const auto& s : in) spans.push_back(&s);
  std::stable_sort(spans.begin(), spans.end(),
                   [](auto* a, auto* b) { return a->start_time_unix_nano < b->start_time_unix_nano; });
  std::unordered_map<uint64_t, size_t> by_id;  // span id -> index in spans
  std::vector<const events::SpanRecord*> unique;
  for (auto* s : spans) {
    if (by_id.emplace(IdKey(s->span_id), unique.size()).second) unique.push_back(s);
  }
  spans.swap(unique);
  const size_t n = spans.size();
  std::vector<std::vector<size_t>> children(n);
  std::vector<size_t> roots;
  std::vector<bool> orphan(n, false);
  for (size_t i = 0; i < n; ++i) {
    const events::SpanRecord& s = *spans[i];
    auto parent = s.is_root() ? by_id.end() : by_id.find(IdKey(s.parent_span_id));
    if (parent == by_id.end() || parent->second == i) {
      orphan[i] = !s.is_root();
      roots.push_back(i);
    } else {
      children[parent->second].push_back(i);  // in start order, as spans is
    }
  }
  uint64_t first = UINT64_MAX, last = 0, errors = 0;
  std::vector<std::string_view> services;
  std::unordered_set<std::string_view> seen;
  for (auto* s : spans) {
    first = std::min(first, s->start_time_unix_nano);
    last = std::max(last, s->end_time_unix_nano);
    errors += s->status_code == events::kSpanStatusError;
    if (seen.insert(s->service).second) services.push_back(s->service);
  }
  std::string out = R"({"traceId":)";
  AppendHex(out, spans.empty() ? std::array<uint8_t, 16>{} : spans[0]->trace_id);
  out += R"(,"startTimeUnixNano":)";
  AppendNanos(out, n ? first : 0);
  out += R"(,"durationMs":)";
  AppendDurationMs(out, n ? first : 0, last);
  out += R"(,"spanCount":)";
  AppendJsonInt(out, static_cast<long long>(std::max<uint64_t>(stored, n)));
  out += R"(,"errorCount":)";
  AppendJsonInt(out, static_cast<long long>(errors));
  if (stored > in.size()) out += R"(,"truncated":true)";
  out += R"(,"services":[)";
  for (size_t i = 0; i < services.size(); ++i) {
    if (i) out.push_back(',');
    AppendJsonString(out, services[i]);
  }
  out += R"(],"roots":[)";
  // Iterative depth-first walk (traces can be deep); spans caught in a parent cycle are
  // shown as orphan roots after the others.
  std::vector<bool> done(n, false);
  std::vector<std::pair<size_t, size_t>> stack;  // (span, next child)
  bool first_root = true;
  auto walk = [&](size_t root, bool as_orphan) {
    if (!first_root) out.push_back(',');
    first_root = false;
    AppendSpanHead(out, *spans[root], as_orphan);
    out += R"(,"children":[)";
    done[root] = true;
    stack.assign(1, {root, 0});
    while (!stack.empty()) {
      auto& [span, next] = stack.back();
      if (next < children[span].size()) {
        size_t c = children[span][next++];
        if (done[c]) continue;
        if (next > 1 && out.back() != '[') out.push_back(',');
        done[c] = true;
        AppendSpanHead(out, *spans[c], false);
        out += R"(,"children":[)";
        stack.emplace_back(c, 0);
      } else {
        out += "]}";
        stack.pop_back();
      }
    }
  };
  for (size_t r : roots) walk(r, orphan[r]);
  for (size_t i = 0; i < n; ++i) {
    if (!done[i]) walk(i, true);
  }
  out += "]}";
  return out;
}

void RegisterTracesApi(http::Router& router, const events::SpanReader* store) {
  const http::RouteOptions list_options{.scope = http::Scope::kRead, .route_class = http::RouteClass::kQuery};
  router.Handle("GET", "/api/v1/traces",
                [store](const http::Request& req, http::Response& res) { HandleList(store, req, res); }, list_options);
  router.HandlePrefix("GET", "/api/v1/traces/",
                      [store](const http::Request& req, http::Response& res) { HandleTrace(store, req, res); },
                      {.metric_label = "/api/v1/traces/:traceId", .scope = http::Scope::kRead,
                       .route_class = http::RouteClass::kQuery});
}

}  // namespace perfwatch::query
