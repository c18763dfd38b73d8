#include "budget/runs_api.h"

#include <simdjson.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>
#include <tuple>

#include "analysis/json_body.h"
#include "common/json_writer.h"
#include "common/log.h"
#include "common/time.h"
#include "tsdb/tsdb.h"

namespace perfwatch::budget {
namespace {

namespace dom = simdjson::dom;

constexpr std::string_view kKinds[] = {"timing", "resourceSize", "resourceCount", "field", "bundle", "score"};
constexpr std::string_view kStatuses[] = {"pass", "fail", "skipped"};
constexpr std::string_view kUnits[] = {"ms", "KB", "count", "bytes", "score", "unitless"};
constexpr std::string_view kCompressions[] = {"raw", "gzip", "brotli"};

template <size_t N>
bool OneOf(std::string_view v, const std::string_view (&set)[N]) {
  return std::find(std::begin(set), std::end(set), v) != std::end(set);
}

template <size_t N>
std::string Joined(const std::string_view (&set)[N]) {
  std::string out;
  for (std::string_view s : set) {
    if (!out.empty()) out += ", ";
    out.append(s);
  }
  return out;
}

// A string member: null or absent leaves *out as is. `max` bytes at most.
Status ReadString(dom::element v, const std::string& what, size_t max, std::string* out) {
  if (v.is_null()) return Status::Ok();
  if (!v.is_string()) return InvalidArgument(what + " must be a string");
  std::string_view s(v);
  if (s.size() > max) return InvalidArgument(what + " is longer than " + std::to_string(max) + " bytes");
  out->assign(s);
  return Status::Ok();
}

// A number member: null leaves *out empty.
Status ReadNumber(dom::element v, const std::string& what, std::optional<double>* out) {
  if (v.is_null()) {
    out->reset();
    return Status::Ok();
  }
  auto n = analysis::JsonNumber(v, what);
  if (!n.ok()) return n.status();
  *out = *n;
  return Status::Ok();
}

struct ResultFields {
  std::string kind, name, path, status, unit, compression;
  std::optional<double> value, budget, tolerance, headroom;
};

Status ParseResult(dom::element e, size_t i, ResultFields* r) {
  const std::string at = "results[" + std::to_string(i) + "]";
  if (!e.is_object()) return InvalidArgument(at + " must be a JSON object");
  for (auto [key, value] : dom::object(e)) {
    const std::string what = at + "." + std::string(key);
    std::string* str = key == "kind"          ? &r->kind
                       : key == "name"        ? &r->name
                       : key == "path"        ? &r->path
                       : key == "status"      ? &r->status
                       : key == "unit"        ? &r->unit
                       : key == "compression" ? &r->compression
                                              : nullptr;
    if (str != nullptr) {
      PW_RETURN_IF_ERROR(ReadString(value, what, kMaxResultFieldBytes, str));
      continue;
    }
    std::optional<double>* num = key == "value"            ? &r->value
                                 : key == "budget"         ? &r->budget
                                 : key == "tolerance"      ? &r->tolerance
                                 : key == "headroom_ratio" ? &r->headroom
                                                           : nullptr;
    if (num != nullptr) {
      PW_RETURN_IF_ERROR(ReadNumber(value, what, num));
      continue;
    }
    if (key == "baseline" || key == "samples") {
      std::optional<double> ignored;
      PW_RETURN_IF_ERROR(ReadNumber(value, what, &ignored));
    } else if (key == "message") {
      std::string ignored;
      PW_RETURN_IF_ERROR(ReadString(value, what, RunStore::kMaxJsonBytes, &ignored));
    }  // other members are kept as sent
  }
  if (r->kind.empty()) return InvalidArgument(at + ".kind is required");
  if (!OneOf(r->kind, kKinds)) return InvalidArgument(at + ".kind must be one of " + Joined(kKinds));
  if (r->name.empty()) return InvalidArgument(at + ".name is required");
  if (r->status.empty()) return InvalidArgument(at + ".status is required");
  if (!OneOf(r->status, kStatuses)) return InvalidArgument(at + ".status must be one of " + Joined(kStatuses));
  if (!r->unit.empty() && !OneOf(r->unit, kUnits)) return InvalidArgument(at + ".unit must be one of " + Joined(kUnits));
  if (!r->compression.empty() && !OneOf(r->compression, kCompressions)) {
    return InvalidArgument(at + ".compression must be one of " + Joined(kCompressions));
  }
  if (r->kind == "bundle" && r->compression.empty()) {
    return InvalidArgument(at + ".compression is required for bundle results (raw, gzip or brotli)");
  }
  if (r->tolerance && *r->tolerance < 0) return InvalidArgument(at + ".tolerance must not be negative");
  return Status::Ok();
}

// The series of one run's results (see the header for the rules).
std::vector<RunSeries> SeriesOf(const std::string& app, const std::vector<ResultFields>& results) {
  std::map<std::pair<std::string, std::string>, double> bundles;                  // (bundle, compression) -> bytes
  std::map<std::tuple<std::string, std::string, std::string>, double> headroom;  // (kind, name, path) -> ratio
  for (const ResultFields& r : results) {
    if (r.kind == "bundle" && r.value) {
      const double bytes = *r.value * (r.unit == "KB" ? 1024.0 : 1.0);
      auto [it, inserted] = bundles.try_emplace({r.name, r.compression}, bytes);
      if (!inserted) it->second = std::max(it->second, bytes);
    }
    if (r.status == "skipped" || !r.budget) continue;
    std::optional<double> ratio = r.headroom;
    if (!ratio && r.value) {
      const double limit = *r.budget + r.tolerance.value_or(0);
      if (limit != 0) ratio = (limit - *r.value) / limit;
    }
    if (!ratio) continue;
    auto [it, inserted] = headroom.try_emplace({r.kind, r.name, r.path}, *ratio);
    if (!inserted) it->second = std::min(it->second, *ratio);
  }
  std::vector<RunSeries> out;
  for (const auto& [key, bytes] : bundles) {
    out.push_back({std::string(kBundleBytesMetric), {{"app", app}, {"bundle", key.first}, {"compression", key.second}}, bytes});
  }
  for (const auto& [key, ratio] : headroom) {
    out.push_back({std::string(kHeadroomRatioMetric),
                   {{"app", app}, {"kind", std::get<0>(key)}, {"name", std::get<1>(key)}, {"path", std::get<2>(key)}},
                   ratio});
  }
  return out;
}

void WriteJson(http::Response& res, const std::string& data) {
  res.status = 200;
  res.content_type = "application/json";
  res.body = "{\"status\":\"success\",\"data\":" + data + "}";
}

}  // namespace

Result<ParsedRun> ParseBudgetRun(std::string_view body, int64_t now_ms) {
  dom::parser parser;
  auto root = analysis::ParseObjectBody(
      parser, body, R"({"app": "shop", "commit": "abc123", "results": [...]} (perfwatch budget check --format json))");
  if (!root.ok()) return root.status();
  ParsedRun out;
  NewRun& run = out.run;
  run.time_ms = now_ms;
  std::optional<bool> passed;
  std::optional<dom::element> results, summary;
  std::string extra;  // members kept as sent
  bool has_app = false;
  for (auto [key, value] : *root) {
    std::string* field = key == "app"        ? &run.app
                         : key == "commit"   ? &run.commit
                         : key == "branch"   ? &run.branch
                         : key == "build_id" ? &run.build_id
                                             : nullptr;
    if (field != nullptr) {
      if (key == "app") has_app = !value.is_null();
      PW_RETURN_IF_ERROR(ReadString(value, "\"" + std::string(key) + "\"", RunStore::kMaxFieldBytes, field));
    } else if (key == "time") {
      if (value.is_null()) continue;
      auto t = analysis::JsonTimeMs(value, "time");
      if (!t.ok()) return t.status();
      run.time_ms = *t;
    } else if (key == "passed") {
      if (value.is_null()) continue;
      if (!value.is_bool()) return InvalidArgument("\"passed\" must be true or false");
      passed = bool(value);
    } else if (key == "results") {
      if (value.is_null()) continue;
      if (!value.is_array()) return InvalidArgument("\"results\" must be an array of budget results");
      results = value;
    } else if (key == "summary") {
      if (value.is_null()) continue;
      if (!value.is_object()) return InvalidArgument("\"summary\" must be an object {\"passed\",\"failed\",\"skipped\"}");
      for (std::string_view count : {"passed", "failed", "skipped"}) {
        dom::element c;
        if (value[count].get(c) != simdjson::SUCCESS) continue;
        if (!c.is_uint64() && !(c.is_int64() && int64_t(c) >= 0)) {
          return InvalidArgument("\"summary\"." + std::string(count) + " must be a non-negative integer");
        }
      }
      summary = value;
    } else if (key != "id") {  // the server assigns ids
      extra += ',';
      AppendJsonString(extra, key);
      extra += ':';
      extra += simdjson::minify(value);
    }
  }
  if (!has_app || run.app.empty()) return InvalidArgument("\"app\" is required");

  std::vector<ResultFields> fields;
  std::string results_json = "[";
  uint64_t counts[3] = {0, 0, 0};  // pass, fail, skipped
  if (results) {
    dom::array a = *results;
    if (a.size() > kMaxRunResults) {
      return InvalidArgument("\"results\" has more than " + std::to_string(kMaxRunResults) + " entries");
    }
    for (dom::element e : a) {
      ResultFields r;
      PW_RETURN_IF_ERROR(ParseResult(e, fields.size(), &r));
      counts[r.status == "pass" ? 0 : r.status == "fail" ? 1 : 2]++;
      if (results_json.size() > 1) results_json += ',';
      results_json += simdjson::minify(e);
      fields.push_back(std::move(r));
    }
  }
  results_json += ']';

  std::string& json = run.json;
  json = "{\"app\":";
  AppendJsonString(json, run.app);
  json += ",\"commit\":";
  AppendJsonString(json, run.commit);
  json += ",\"branch\":";
  AppendJsonString(json, run.branch);
  json += ",\"build_id\":";
  AppendJsonString(json, run.build_id);
  json += ",\"time\":\"" + FormatRfc3339Ms(run.time_ms) + "\",\"passed\":";
  json += passed.value_or(counts[1] == 0) ? "true" : "false";
  json += ",\"results\":";
  json += results_json;
  json += ",\"summary\":";
  if (summary) {
    json += simdjson::minify(*summary);
  } else {
    json += "{\"passed\":" + std::to_string(counts[0]) + ",\"failed\":" + std::to_string(counts[1]) +
            ",\"skipped\":" + std::to_string(counts[2]) + "}";
  }
  json += extra;
  json += '}';
  if (json.size() > RunStore::kMaxJsonBytes) {
    return InvalidArgument("the run is larger than " + std::to_string(RunStore::kMaxJsonBytes) + " bytes");
  }
  out.series = SeriesOf(run.app, fields);
  return out;
}

Status WriteRunSeries(tsdb::Tsdb* tsdb, const std::vector<RunSeries>& series, int64_t time_ms) {
  if (tsdb == nullptr || series.empty()) return Status::Ok();
  std::vector<std::vector<tsdb::LabelView>> labels;
  std::vector<tsdb::Sample> samples;
  labels.reserve(series.size());
  samples.reserve(series.size());
  for (const RunSeries& s : series) {
    auto& l = labels.emplace_back();
    l.push_back({tsdb::kMetricNameLabel, s.metric});
    for (const auto& [name, value] : s.labels) l.push_back({name, value});  // sorted; empty values are dropped
    samples.push_back({time_ms, s.value});
  }
  std::vector<tsdb::SeriesSamples> batch;
  batch.reserve(series.size());
  for (size_t i = 0; i < series.size(); ++i) {
    batch.push_back({std::span<const tsdb::LabelView>(labels[i]), std::span<const tsdb::Sample>(&samples[i], 1)});
  }
  tsdb::AppendResult result;
  PW_RETURN_IF_ERROR(tsdb->AppendBatch(batch, &result));
  if (result.rejected != 0) {
    return InvalidArgument(std::to_string(result.rejected) + " of " + std::to_string(series.size()) +
                           " samples refused (e.g. older than the series' last sample)");
  }
  return Status::Ok();
}

void RegisterBudgetRunsApi(http::Router& router, RunsApiSources src) {
  router.Handle(
      "POST", "/api/v1/budget-runs",
      [src](const http::Request& req, http::Response& res) {
        auto parsed = ParseBudgetRun(req.body, NowMs());
        if (!parsed.ok()) return http::WriteApiError(res, 400, "bad_data", parsed.status().message());
        const int64_t time_ms = parsed->run.time_ms;
        const std::string app = parsed->run.app;
        auto id = src.runs->Add(std::move(parsed->run));
        if (!id.ok()) {
          const bool bad = id.status().code() == StatusCode::kInvalidArgument;
          return http::WriteApiError(res, bad ? 400 : 503, bad ? "bad_data" : "unavailable", id.status().message());
        }
        if (Status st = WriteRunSeries(src.tsdb, parsed->series, time_ms); !st.ok()) {
          // The run is stored (the source of truth); only (some of) its series are missing.
          PW_LOG_WARN("budget run series not written", "id={} app={} error={}", *id, LogQuote(app),
                      LogQuote(st.message()));
        }
        std::string data = "{\"id\":";
        AppendJsonString(data, *id);
        data += '}';
        WriteJson(res, data);
      },
      {.scope = http::Scope::kIngest, .route_class = http::RouteClass::kIngest});

  router.Handle(
      "GET", "/api/v1/budget-runs",
      [src](const http::Request& req, http::Response& res) {
        RunFilter f;
        f.app = req.Param("app").value_or("");
        f.branch = req.Param("branch").value_or("");
        f.commit = req.Param("commit").value_or("");
        f.build_id = req.Param("build_id").value_or("");
        f.limit = kDefaultRunsLimit;
        if (auto limit = req.Param("limit"); limit && !limit->empty()) {
          char* endp = nullptr;
          long long n = std::strtoll(limit->c_str(), &endp, 10);
          if (*endp != '\0' || n < 0) {
            return http::WriteApiError(res, 400, "bad_data", "invalid parameter \"limit\": want a non-negative integer");
          }
          f.limit = static_cast<size_t>(n);
        }
        auto runs = src.runs->List(f);
        if (!runs.ok()) return http::WriteApiError(res, 503, "unavailable", runs.status().message());
        std::string data = "[";
        for (const std::string& run : *runs) {
          if (data.size() > 1) data += ',';
          data += run;
        }
        data += ']';
        WriteJson(res, data);
      },
      {.scope = http::Scope::kRead, .route_class = http::RouteClass::kQuery});
}

}  // namespace perfwatch::budget
