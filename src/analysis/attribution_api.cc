#include "analysis/attribution_api.h"

#include <simdjson.h>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <span>
#include <string_view>
#include <unordered_map>

#include "analysis/get_api.h"
#include "analysis/percentile.h"
#include "analysis/time_window.h"
#include "common/json_writer.h"
#include "common/time.h"

namespace perfwatch::analysis {
namespace {

namespace dom = simdjson::dom;

constexpr size_t kMaxScripts = 5;

constexpr std::string_view kLcpSubparts[] = {"ttfb", "loadDelay", "loadDuration", "renderDelay"};
constexpr std::string_view kInpSubparts[] = {"inputDelay", "processing", "presentation"};

std::span<const std::string_view> Subparts(events::Vital v) {
  if (v == events::Vital::kLCP) return kLcpSubparts;
  if (v == events::Vital::kINP) return kInpSubparts;
  return {};
}

std::optional<double> P75(std::vector<double>& v) {
  if (v.empty()) return std::nullopt;
  const double ps[1] = {75};
  return ExactPercentiles(v, ps)[0];
}

void AppendRounded(std::string& out, const std::optional<double>& v, double scale) {
  if (!v || !std::isfinite(*v)) {
    out += "null";
    return;
  }
  AppendJsonNumber(out, std::round(*v * scale) / scale);
}

struct Acc {
  uint64_t count = 0;
  std::vector<double> values;
  std::vector<std::vector<double>> subparts;
  std::map<std::string, std::vector<double>> scripts;  // src \0 fn \0 invoker -> durations
};

}  // namespace

Result<AttributionRequest> ParseAttributionRequest(const http::Request& req, int64_t now_ms) {
  AttributionRequest out;
  auto metric = req.Param("metric");
  if (!metric || metric->empty()) return InvalidArgument("missing parameter \"metric\" (one of LCP, INP, CLS)");
  std::string upper = *metric;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto vital = events::ParseVital(upper);
  if (!vital || (*vital != events::Vital::kLCP && *vital != events::Vital::kINP && *vital != events::Vital::kCLS)) {
    return InvalidArgument("invalid metric \"" + *metric + "\": expected one of LCP, INP, CLS");
  }
  out.metric = *vital;
  if (auto app = req.Param("app"); app && !app->empty()) out.app = *app;
  if (auto page = req.Param("page"); page && !page->empty()) out.page = *page;
  auto window = ParseTimeWindow(req, now_ms);
  if (!window.ok()) return window.status();
  out.from_ms = window->from_ms;
  out.to_ms = window->to_ms;
  if (auto l = req.Param("limit")) {
    size_t n = 0;
    auto [p, ec] = std::from_chars(l->data(), l->data() + l->size(), n);
    if (ec != std::errc() || p != l->data() + l->size() || n == 0) {
      return InvalidArgument("invalid limit \"" + *l + "\": expected a positive integer");
    }
    out.limit = n;
  }
  return out;
}

Result<AttributionReport> ComputeAttribution(const events::EventStore& store, const AttributionRequest& request) {
  events::RecordScan scan;
  scan.from_ms = request.from_ms;
  scan.to_ms = request.to_ms;
  scan.type = events::EventType::kVital;
  scan.vital = request.metric;
  if (request.app) scan.filters[events::kApp] = *request.app;
  if (request.page) scan.filters[events::kPage] = *request.page;
  const std::span<const std::string_view> subparts = Subparts(request.metric);
  const std::string_view selector_key = request.metric == events::Vital::kLCP ? "element" : "target";
  const bool inp = request.metric == events::Vital::kINP;
  AttributionReport report;
  report.metric = request.metric;
  std::unordered_map<std::string, Acc> accs;
  dom::parser parser;
  std::string script_key;
  PW_RETURN_IF_ERROR(store.ScanRecords(scan, [&](const events::EventRecord& e) {
    if (e.vital != request.metric) return;
    ++report.views;
    if (e.attrs_json.empty()) return;
    dom::element root;
    if (parser.parse(e.attrs_json.data(), e.attrs_json.size()).get(root)) return;
    dom::object attribution;
    if (root["attribution"].get_object().get(attribution)) return;
    std::string_view selector;
    if (attribution[selector_key].get_string().get(selector) || selector.empty()) return;
    auto [it, inserted] = accs.try_emplace(std::string(selector));
    Acc& a = it->second;
    if (inserted) a.subparts.resize(subparts.size());
    ++a.count;
    if (std::isfinite(e.value)) a.values.push_back(e.value);
    for (size_t i = 0; i < subparts.size(); ++i) {
      double v = 0;
      if (!attribution[subparts[i]].get_double().get(v) && std::isfinite(v)) a.subparts[i].push_back(v);
    }
    if (!inp) return;
    dom::array scripts;
    if (attribution["scripts"].get_array().get(scripts)) return;
    for (dom::element s : scripts) {
      std::string_view src, fn, invoker;
      if (s["src"].get_string().get(src)) src = {};
      if (s["fn"].get_string().get(fn)) fn = {};
      if (s["invoker"].get_string().get(invoker)) invoker = {};
      double dur = 0;
      if (s["dur"].get_double().get(dur) || !std::isfinite(dur)) dur = 0;
      if (src.empty() && fn.empty() && invoker.empty()) continue;
      script_key.assign(src);
      script_key.push_back('\0');
      script_key.append(fn);
      script_key.push_back('\0');
      script_key.append(invoker);
      a.scripts[script_key].push_back(dur);
    }
  }));

  std::vector<std::pair<const std::string*, Acc*>> order;
  for (auto& [sel, a] : accs) order.emplace_back(&sel, &a);
  std::sort(order.begin(), order.end(), [](const auto& x, const auto& y) {
    if (x.second->count != y.second->count) return x.second->count > y.second->count;
    return *x.first < *y.first;
  });
  if (order.size() > request.limit) order.resize(request.limit);
  for (auto& [sel, a] : order) {
    AttributionTarget t;
    t.selector = *sel;
    t.count = a->count;
    t.share = report.views ? static_cast<double>(a->count) / static_cast<double>(report.views) : 0;
    t.p75 = P75(a->values);
    for (size_t i = 0; i < subparts.size(); ++i) t.subparts.emplace_back(std::string(subparts[i]), P75(a->subparts[i]));
    for (auto& [key, durs] : a->scripts) {
      AttributionScript s;
      const size_t z1 = key.find('\0'), z2 = key.find('\0', z1 + 1);
      s.src = key.substr(0, z1);
      s.fn = key.substr(z1 + 1, z2 - z1 - 1);
      s.invoker = key.substr(z2 + 1);
      s.count = durs.size();
      for (double d : durs) s.total += d;
      s.p75 = P75(durs);
      t.scripts.push_back(std::move(s));
    }
    std::sort(t.scripts.begin(), t.scripts.end(), [](const AttributionScript& x, const AttributionScript& y) {
      if (x.total != y.total) return x.total > y.total;
      return std::tie(x.src, x.fn, x.invoker) < std::tie(y.src, y.fn, y.invoker);
    });
    if (t.scripts.size() > kMaxScripts) t.scripts.resize(kMaxScripts);
    report.targets.push_back(std::move(t));
  }
  return report;
}

std::string RenderAttributionJson(const AttributionReport& report) {
  const double scale = report.metric == events::Vital::kCLS ? 1e4 : 100;
  std::string out = R"({"status":"success","data":{"metric":)";
  AppendJsonString(out, events::VitalName(report.metric));
  out += R"(,"views":)";
  AppendJsonInt(out, static_cast<long long>(report.views));
  out += R"(,"targets":[)";
  for (size_t i = 0; i < report.targets.size(); ++i) {
    const AttributionTarget& t = report.targets[i];
    if (i) out += ',';
    out += R"({"selector":)";
    AppendJsonString(out, t.selector);
    out += R"(,"count":)";
    AppendJsonInt(out, static_cast<long long>(t.count));
    out += R"(,"share":)";
    AppendRounded(out, t.share, 1e4);
    out += R"(,"p75":)";
    AppendRounded(out, t.p75, scale);
    out += R"(,"subparts":{)";
    for (size_t s = 0; s < t.subparts.size(); ++s) {
      if (s) out += ',';
      AppendJsonString(out, t.subparts[s].first);
      out += ':';
      AppendRounded(out, t.subparts[s].second, 100);
    }
    out += '}';
    if (report.metric == events::Vital::kINP) {
      out += R"(,"scripts":[)";
      for (size_t s = 0; s < t.scripts.size(); ++s) {
        const AttributionScript& sc = t.scripts[s];
        if (s) out += ',';
        out += R"({"src":)";
        AppendJsonString(out, sc.src);
        out += R"(,"fn":)";
        AppendJsonString(out, sc.fn);
        out += R"(,"invoker":)";
        AppendJsonString(out, sc.invoker);
        out += R"(,"count":)";
        AppendJsonInt(out, static_cast<long long>(sc.count));
        out += R"(,"p75":)";
        AppendRounded(out, sc.p75, 100);
        out += '}';
      }
      out += ']';
    }
    out += '}';
  }
  out += "]}}";
  return out;
}

void RegisterAttributionHandler(http::Router& router, const events::EventStore* store) {
  RegisterAnalysisGet(router, "/api/v1/vitals/attribution", ParseAttributionRequest,
                      [store](const AttributionRequest& request, int64_t) -> Result<std::string> {
                        PW_ASSIGN_OR_RETURN(AttributionReport report, ComputeAttribution(*store, request));
                        return RenderAttributionJson(report);
                      });
}

}  // namespace perfwatch::analysis
