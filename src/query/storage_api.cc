#include "query/storage_api.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <limits>
#include <set>

#include "common/json_writer.h"
#include "common/label_validation.h"
#include "common/time.h"
#include "http/push_stream.h"
#include "tsdb/export_json.h"

namespace perfwatch::query {
namespace {

// Far enough from the int64 edges that arithmetic on them cannot overflow.
constexpr int64_t kMinTime = std::numeric_limits<int64_t>::min() / 4;
constexpr int64_t kMaxTime = std::numeric_limits<int64_t>::max() / 4;

void BadData(http::Response& res, const Status& st) { http::WriteApiError(res, 400, "bad_data", st.message()); }

void Success(http::Response& res, std::string_view data_json) {
  res.status = 200;
  res.content_type = "application/json";
  res.body.reserve(data_json.size() + 32);
  res.body = R"({"status":"success","data":)";
  res.body.append(data_json);
  res.body.push_back('}');
}

void AppendStringArray(std::string& out, const std::vector<std::string>& items) {
  out.push_back('[');
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out.push_back(',');
    AppendJsonString(out, items[i]);
  }
  out.push_back(']');
}


// Sorted, de-duplicated union of `fn(selector)` over the request's selectors (or of
// `fn({})` when there are none).
template <typename Fn>
Result<std::vector<std::string>> UnionOver(const SelectionRequest& sel, Fn fn) {
  std::set<std::string> all;
  if (sel.selectors.empty()) {
    PW_ASSIGN_OR_RETURN(auto v, fn(std::span<const tsdb::Matcher>()));
    all.insert(v.begin(), v.end());
  }
  for (const auto& matchers : sel.selectors) {
    PW_ASSIGN_OR_RETURN(auto v, fn(std::span<const tsdb::Matcher>(matchers)));
    all.insert(v.begin(), v.end());
  }
  return std::vector<std::string>(all.begin(), all.end());
}

void HandleSeries(tsdb::Tsdb* store, const http::Request& req, http::Response& res) {
  auto sel = ParseSelectionRequest(req, /*require_match=*/true);
  if (!sel.ok()) return BadData(res, sel.status());
  auto querier = store->NewQuerier(sel->start_ms, sel->end_ms);
  // Union of the selectors' series, sorted by label set.
  std::set<std::vector<std::pair<std::string, std::string>>> series;
  for (const auto& matchers : sel->selectors) {
    auto set = querier->Select(matchers);
    while (set->Next()) {
      std::vector<std::pair<std::string, std::string>> key;
      for (const auto& l : set->At().labels()) key.emplace_back(std::string(l.name), std::string(l.value));
      series.insert(std::move(key));
    }
    if (!set->status().ok()) return http::WriteApiError(res, 503, "internal", set->status().message());
  }
  std::string data = "[";
  bool first = true;
  for (const auto& labels : series) {
    if (!first) data.push_back(',');
    first = false;
    data.push_back('{');
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i) data.push_back(',');
      AppendJsonString(data, labels[i].first);
      data.push_back(':');
      AppendJsonString(data, labels[i].second);
    }
    data.push_back('}');
  }
  data.push_back(']');
  Success(res, data);
}

void HandleLabels(tsdb::Tsdb* store, const http::Request& req, http::Response& res) {
  auto sel = ParseSelectionRequest(req, /*require_match=*/false);
  if (!sel.ok()) return BadData(res, sel.status());
  auto querier = store->NewQuerier(sel->start_ms, sel->end_ms);
  auto names = UnionOver(*sel, [&](std::span<const tsdb::Matcher> m) { return querier->LabelNames(m); });
  if (!names.ok()) return http::WriteApiError(res, 503, "internal", names.status().message());
  std::string data;
  AppendStringArray(data, *names);
  Success(res, data);
}

void HandleLabelValues(tsdb::Tsdb* store, const http::Request& req, http::Response& res) {
  constexpr std::string_view kPrefix = "/api/v1/label/";
  constexpr std::string_view kSuffix = "/values";
  std::string_view path = req.path;
  if (path.size() <= kPrefix.size() + kSuffix.size() || path.substr(path.size() - kSuffix.size()) != kSuffix) {
    return http::WriteApiError(res, 404, "not_found", "expected /api/v1/label/<name>/values");
  }
  std::string_view name = path.substr(kPrefix.size(), path.size() - kPrefix.size() - kSuffix.size());
  if (!IsValidLabelName(name)) {
    return http::WriteApiError(res, 400, "bad_data", "invalid label name: \"" + std::string(name) + "\"");
  }
  auto sel = ParseSelectionRequest(req, /*require_match=*/false);
  if (!sel.ok()) return BadData(res, sel.status());
  auto querier = store->NewQuerier(sel->start_ms, sel->end_ms);
  auto values = UnionOver(*sel, [&](std::span<const tsdb::Matcher> m) { return querier->LabelValues(name, m); });
  if (!values.ok()) return http::WriteApiError(res, 503, "internal", values.status().message());
  std::string data;
  AppendStringArray(data, *values);
  Success(res, data);
}

void HandleExport(tsdb::Tsdb* store, const http::Request& req, http::Response& res) {
  auto sel = ParseSelectionRequest(req, /*require_match=*/true);
  if (!sel.ok()) return BadData(res, sel.status());
  res.content_type = "application/stream+json";
  res.stream = http::MakePullStream([store, sel = std::move(sel).value()](const http::ChunkSink& sink) {
    auto querier = store->NewQuerier(sel.start_ms, sel.end_ms);
    // Each selector in turn; a series matching several selectors is written once per
    // selector, as VictoriaMetrics does with repeated match[].
    for (const auto& matchers : sel.selectors) {
      bool more = true;
      auto counting_sink = [&](std::string_view chunk) { return more = sink(chunk); };
      (void)tsdb::ExportJsonLines(*querier, matchers, sel.start_ms, sel.end_ms, counting_sink);
      if (!more) return;
    }
  });
}

}  // namespace

Result<SelectionRequest> ParseSelectionRequest(const http::Request& req, bool require_match) {
  SelectionRequest out{kMinTime, kMaxTime, {}};
  if (auto s = req.Param("start"); s && !s->empty()) {
    auto t = ParseTimeMs(*s);
    if (!t.ok()) return InvalidArgument("invalid parameter \"start\": " + t.status().message());
    out.start_ms = *t;
  }
  if (auto e = req.Param("end"); e && !e->empty()) {
    auto t = ParseTimeMs(*e);
    if (!t.ok()) return InvalidArgument("invalid parameter \"end\": " + t.status().message());
    out.end_ms = *t;
  }
  if (out.end_ms < out.start_ms) return InvalidArgument("end timestamp must not be before start time");
  for (const std::string& m : req.Params("match[]")) {
    auto matchers = tsdb::ParseSelector(m);
    if (!matchers.ok()) return InvalidArgument("invalid parameter \"match[]\": " + matchers.status().message());
    PW_RETURN_IF_ERROR(tsdb::ValidateSelector(*matchers).WithContext("invalid parameter \"match[]\""));
    out.selectors.push_back(std::move(matchers).value());
  }
  if (require_match && out.selectors.empty()) return InvalidArgument("no match[] parameter provided");
  return out;
}

void AppendStats(std::string& out, std::string_view key, const std::vector<tsdb::PostingsStat>& stats) {
  out.push_back(',');
  AppendJsonString(out, key);
  out.append(":[");
  for (size_t i = 0; i < stats.size(); ++i) {
    if (i) out.push_back(',');
    out.append("{\"name\":");
    AppendJsonString(out, stats[i].name);
    out.append(",\"value\":").append(std::to_string(stats[i].count)).push_back('}');
  }
  out.push_back(']');
}

// Prometheus' TSDB status: head statistics and the largest entries of the label index.
void HandleTsdbStatus(tsdb::Tsdb* store, const http::Request& req, http::Response& res) {
  size_t limit = 10;
  if (auto text = req.Param("limit"); text && !text->empty()) {
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(text->c_str(), &end, 10);
    if (*end != '\0' || errno != 0 || v < 1) {
      return BadData(res, InvalidArgument("limit must be a positive number"));
    }
    limit = static_cast<size_t>(std::min<long long>(v, 100000));
  }
  std::shared_ptr<const tsdb::Head> head = store->SharedHead();  // a flush may replace it meanwhile
  tsdb::HeadStats hs = head->Stats();
  tsdb::PostingsStats ps = head->PostingsCardinality(limit);
  std::string data = "{\"headStats\":{\"numSeries\":" + std::to_string(hs.series) +
                     ",\"numLabelPairs\":" + std::to_string(ps.num_label_pairs) +
                     ",\"chunkCount\":" + std::to_string(hs.chunks) + ",\"minTime\":" +
                     std::to_string(hs.min_time) + ",\"maxTime\":" + std::to_string(hs.max_time) + "}";
  AppendStats(data, "seriesCountByMetricName", ps.series_by_metric);
  AppendStats(data, "labelValueCountByLabelName", ps.values_by_label);
  AppendStats(data, "memoryInBytesByLabelName", ps.bytes_by_label);
  AppendStats(data, "seriesCountByLabelValuePair", ps.series_by_pair);
  data.push_back('}');
  Success(res, data);
}

void RegisterStorageApi(http::Router& router, tsdb::Tsdb* store) {
  const http::RouteOptions kQueryClass{.scope = http::Scope::kRead, .route_class = http::RouteClass::kQuery};
  auto series = [store](const http::Request& req, http::Response& res) { HandleSeries(store, req, res); };
  router.Handle("GET", "/api/v1/series", series, kQueryClass);
  router.Handle("POST", "/api/v1/series", series, kQueryClass);
  auto labels = [store](const http::Request& req, http::Response& res) { HandleLabels(store, req, res); };
  router.Handle("GET", "/api/v1/labels", labels, kQueryClass);
  router.Handle("POST", "/api/v1/labels", labels, kQueryClass);
  router.HandlePrefix("GET", "/api/v1/label/",
                      [store](const http::Request& req, http::Response& res) { HandleLabelValues(store, req, res); },
                      {.metric_label = "/api/v1/label/:name/values", .scope = http::Scope::kRead, .route_class = http::RouteClass::kQuery});
  auto exporter = [store](const http::Request& req, http::Response& res) { HandleExport(store, req, res); };
  router.Handle("GET", "/api/v1/export", exporter, kQueryClass);
  router.Handle("POST", "/api/v1/export", exporter, kQueryClass);
  router.Handle("GET", "/api/v1/status/tsdb",
                [store](const http::Request& req, http::Response& res) { HandleTsdbStatus(store, req, res); },
                kQueryClass);
  router.Handle("POST", "/api/v1/admin/flush", [store](const http::Request&, http::Response& res) {
    Status st = store->Flush();
    if (!st.ok()) return http::WriteApiError(res, 503, "unavailable", "flush: " + st.message());
    res.status = 204;
  });
}

}  // namespace perfwatch::query
