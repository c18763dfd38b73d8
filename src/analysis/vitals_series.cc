#include "analysis/vitals_series.h"

#include <algorithm>
#include <cmath>

#include "analysis/percentile.h"
#include "analysis/vitals_handler.h"
#include "analysis/web_vitals.h"
#include "common/json_writer.h"
#include "common/time.h"

namespace perfwatch::analysis {
namespace {

using Key = std::array<std::string, events::kDimCount>;

constexpr int kDefaultBuckets = 40;
constexpr int kMaxBuckets = 1000;
constexpr double kHistogramP = 99;  // the automatic range covers this percentile

// `step`: seconds ("300", "0.5") or a duration ("5m"); absent: about 240 points over the
// range, rounded up to a whole minute, 5 or 15 minutes, or whole hours.
Result<int64_t> ParseStep(const http::Request& req, const VitalsRequest& r) {
  if (auto text = req.Param("step"); text && !text->empty()) {
    int64_t ms = 0;
    if (auto v = ParseNumberParam(*text); v.ok()) {
      if (*v * 1000 > 9.2e18) return InvalidArgument("invalid step \"" + *text + "\": too large");
      ms = static_cast<int64_t>(std::llround(*v * 1000));
    } else {
      auto d = ParseDurationMs(*text);
      if (!d.ok()) return InvalidArgument("invalid step \"" + *text + "\": expected seconds or a duration such as 5m");
      ms = *d;
    }
    if (ms <= 0) return InvalidArgument("invalid step \"" + *text + "\": must be positive");
    return ms;
  }
  const int64_t span = std::max<int64_t>(r.scan.to_ms - r.scan.from_ms, 1);
  for (int64_t step : {60'000LL, 300'000LL, 900'000LL}) {
    if (span / step <= 240) return step;
  }
  const int64_t hours = (span / 240 + 3'599'999) / 3'600'000;
  return hours * 3'600'000;
}

void AppendHeader(std::string& out, const VitalsRequest& request) {
  out += R"({"status":"success","data":{"metric":)";
  AppendJsonString(out, events::VitalName(request.scan.vital));
  out += R"(,"from":)";
  AppendJsonNumber(out, static_cast<double>(request.scan.from_ms) / 1000.0);
  out += R"(,"to":)";
  AppendJsonNumber(out, static_cast<double>(request.scan.to_ms) / 1000.0);
}

std::string RenderSeries(const VitalsRequest& request, int64_t step_ms, const std::vector<VitalSeries>& series) {
  std::string out;
  AppendHeader(out, request);
  out += R"(,"percentile":)";
  AppendJsonNumber(out, request.percentile);
  out += R"(,"step":)";
  AppendJsonNumber(out, static_cast<double>(step_ms) / 1000.0);
  out += R"(,"series":[)";
  for (size_t i = 0; i < series.size(); ++i) {
    const VitalSeries& s = series[i];
    if (i) out += ',';
    AppendVitalsLabels(out, request, s.key);
    out += R"(,"timestamps":[)";
    for (size_t j = 0; j < s.step_starts_ms.size(); ++j) {
      if (j) out += ',';
      AppendJsonNumber(out, static_cast<double>(s.step_starts_ms[j]) / 1000.0);
    }
    out += R"(],"values":[)";
    for (size_t j = 0; j < s.values.size(); ++j) {
      if (j) out += ',';
      AppendJsonNumber(out, s.values[j]);
    }
    out += R"(],"counts":[)";
    for (size_t j = 0; j < s.counts.size(); ++j) {
      if (j) out += ',';
      AppendJsonInt(out, static_cast<long long>(s.counts[j]));
    }
    out += "]}";
  }
  out += "]}}";
  return out;
}

// A round number >= v: 1, 2, 2.5 or 5 times a power of ten.
double NiceCeil(double v) {
  if (!(v > 0)) return 1;
  const double p = std::pow(10.0, std::floor(std::log10(v)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (m * p >= v * (1 - 1e-12)) return m * p;
  }
  return 10 * p;
}

// `buckets`: a count ("40") or ascending lower bounds ("0,1000,2500,4000").
Status ParseBuckets(const http::Request& req, int* buckets, std::vector<double>* edges) {
  *buckets = kDefaultBuckets;
  auto text = req.Param("buckets");
  if (!text || text->empty()) return Status::Ok();
  if (text->find(',') == std::string::npos) {
    auto v = ParseNumberParam(*text);
    if (!v.ok() || *v < 1 || *v > kMaxBuckets || *v != std::floor(*v)) {
      return InvalidArgument("invalid buckets \"" + *text + "\": expected a count from 1 to " +
                             std::to_string(kMaxBuckets) + " or ascending bucket bounds such as 0,1000,2500");
    }
    *buckets = static_cast<int>(*v);
    return Status::Ok();
  }
  std::string_view rest = *text;
  for (;;) {
    size_t comma = rest.find(',');
    auto v = ParseNumberParam(rest.substr(0, comma));
    if (!v.ok()) return InvalidArgument("invalid buckets \"" + *text + "\": " + v.status().message());
    if (!edges->empty() && *v <= edges->back()) {
      return InvalidArgument("invalid buckets \"" + *text + "\": bounds must be ascending");
    }
    edges->push_back(*v);
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  if (edges->size() > static_cast<size_t>(kMaxBuckets)) {
    return InvalidArgument("invalid buckets: at most " + std::to_string(kMaxBuckets) + " bounds");
  }
  return Status::Ok();
}

std::string RenderHistogram(const VitalsRequest& request, const VitalHistogram& h) {
  std::string out;
  AppendHeader(out, request);
  out += R"(,"count":)";
  AppendJsonInt(out, static_cast<long long>(h.count));
  for (const auto& [name, v] : {std::pair<const char*, double>{"p50", h.p50}, {"p75", h.p75}, {"p95", h.p95}}) {
    out += ",\"";
    out += name;
    out += "\":";
    AppendJsonNumber(out, v);
  }
  if (auto t = ThresholdsFor(request.scan.vital)) {
    out += R"(,"thresholds":{"good":)";
    AppendJsonNumber(out, t->good);
    out += R"(,"poor":)";
    AppendJsonNumber(out, t->poor);
    out += '}';
  }
  out += R"(,"buckets":[)";
  for (size_t i = 0; i < h.edges.size(); ++i) {
    if (i) out += ',';
    out += R"({"from":)";
    AppendJsonNumber(out, h.edges[i]);
    out += R"(,"to":)";
    if (i + 1 < h.edges.size()) AppendJsonNumber(out, h.edges[i + 1]);
    else out += "null";
    out += R"(,"count":)";
    AppendJsonInt(out, static_cast<long long>(h.counts[i]));
    out += '}';
  }
  out += "]}}";
  return out;
}

void WriteError(http::Response& res, const Status& st) {
  const bool bad = st.code() == StatusCode::kInvalidArgument;
  http::WriteApiError(res, bad ? 400 : 503, bad ? "bad_data" : "unavailable", st.message());
}

}  // namespace

Result<std::vector<VitalSeries>> ComputeVitalSeries(const events::EventReader& store, const VitalsRequest& request,
                                                    int64_t step_ms) {
  // A step may span two partitions: merge by key and step first.
  std::map<Key, std::map<int64_t, std::vector<double>>> merged;
  PW_RETURN_IF_ERROR(store.ScanVitalSteps(
      request.scan, step_ms, kMaxVitalSteps,
      [&](const std::array<std::string_view, events::kDimCount>& key, int64_t step, std::span<const double> values) {
        Key k;
        for (int d = 0; d < events::kDimCount; ++d) k[d] = std::string(key[d]);
        auto& dst = merged[k][step];
        dst.insert(dst.end(), values.begin(), values.end());
      }));
  std::vector<VitalSeries> out;
  out.reserve(merged.size());
  const double p[1] = {request.percentile};
  for (auto& [key, steps] : merged) {
    VitalSeries s;
    s.key = key;
    for (auto& [step, values] : steps) {
      s.step_starts_ms.push_back(step);
      s.counts.push_back(values.size());
      s.values.push_back(ExactPercentiles(values, p)[0]);
    }
    out.push_back(std::move(s));
  }
  return out;
}

Result<VitalHistogram> ComputeVitalHistogram(const events::EventReader& store, const VitalsRequest& request,
                                             int buckets, std::vector<double> edges) {
  auto thresholds = ThresholdsFor(request.scan.vital);
  if (!thresholds) return InvalidArgument("no thresholds for this metric");
  events::VitalScan scan = request.scan;
  scan.group_by = {};
  std::vector<double> values;
  PW_RETURN_IF_ERROR(store.ScanVitals(scan, [&](const auto&, std::span<const double> v) {
    values.insert(values.end(), v.begin(), v.end());
  }));
  VitalHistogram h;
  h.count = values.size();
  const double ps[4] = {50, 75, 95, kHistogramP};
  auto q = ExactPercentiles(values, ps);
  h.p50 = q[0];
  h.p75 = q[1];
  h.p95 = q[2];
  if (edges.empty()) {
    // Equal widths from 0 up to a round bound over both the poor threshold and the p99,
    // then one open bucket for the rest.
    const double top = NiceCeil(std::max(thresholds->poor * 1.5, values.empty() ? 0.0 : q[3]));
    for (int i = 0; i < buckets; ++i) edges.push_back(top * i / buckets);
    edges.push_back(top);
  }
  h.edges = std::move(edges);
  h.counts.assign(h.edges.size(), 0);
  for (double v : values) {
    // The bucket whose lower bound is the last one <= v (values below the first go to it).
    auto it = std::upper_bound(h.edges.begin(), h.edges.end(), v);
    size_t i = it == h.edges.begin() ? 0 : static_cast<size_t>(it - h.edges.begin()) - 1;
    ++h.counts[i];
  }
  return h;
}

void RegisterVitalsSeriesHandlers(http::Router& router, const events::EventReader* store) {
  auto series = [store](const http::Request& req, http::Response& res) {
    auto request = ParseVitalsRequest(req, NowMs());
    if (!request.ok()) return WriteError(res, request.status());
    auto step = ParseStep(req, *request);
    if (!step.ok()) return WriteError(res, step.status());
    auto result = ComputeVitalSeries(*store, *request, *step);
    if (!result.ok()) return WriteError(res, result.status());
    res.status = 200;
    res.content_type = "application/json";
    res.body = RenderSeries(*request, *step, *result);
  };
  auto histogram = [store](const http::Request& req, http::Response& res) {
    auto request = ParseVitalsRequest(req, NowMs());
    if (!request.ok()) return WriteError(res, request.status());
    int buckets = 0;
    std::vector<double> edges;
    if (Status st = ParseBuckets(req, &buckets, &edges); !st.ok()) return WriteError(res, st);
    auto result = ComputeVitalHistogram(*store, *request, buckets, std::move(edges));
    if (!result.ok()) return WriteError(res, result.status());
    res.status = 200;
    res.content_type = "application/json";
    res.body = RenderHistogram(*request, *result);
  };
  const http::RouteOptions options{.scope = http::Scope::kRead, .route_class = http::RouteClass::kQuery};
  for (const char* method : {"GET", "POST"}) {
    router.Handle(method, "/api/v1/vitals/series", series, options);
    router.Handle(method, "/api/v1/vitals/histogram", histogram, options);
  }
}

}  // namespace perfwatch::analysis
