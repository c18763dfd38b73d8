#include "analysis/attribution_api.h"

#include <simdjson.h>
#include <algorithm>
#include <array>
#include <memory>
#include <charconv>
#include <cmath>
#include <map>
#include <span>
#include <string_view>
#include <unordered_map>

#include "analysis/get_api.h"
#include "analysis/percentile.h"
#include "analysis/record_cache.h"
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
  std::unordered_map<uint32_t, std::vector<double>> scripts;  // script id (src \0 fn \0 invoker) -> durations
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

// Outside the anonymous namespace: AttributionCache::Caches (a member of a class with
// linkage) holds caches of it.
namespace attribution_detail {

constexpr uint32_t kNoSelector = UINT32_MAX;

// One vital event as the attribution reads it (the cache's entry).
struct AttributionEvent {
  double value = 0;
  uint32_t selector = kNoSelector;  // string id; none: counts in views only
  std::array<double, 4> subparts;   // the metric's, in order; NaN when absent
  std::vector<std::pair<uint32_t, double>> scripts;  // (string id of src \0 fn \0 invoker, duration)
};

}  // namespace attribution_detail

using attribution_detail::AttributionEvent;
using attribution_detail::kNoSelector;

namespace {

// Parses `e`'s attrs_json for `metric`; returns the heap bytes the entry holds.
size_t ParseAttributionEvent(events::Vital metric, const events::EventRecord& e, StringTable& strings,
                             AttributionEvent& out) {
  thread_local dom::parser parser;
  const std::span<const std::string_view> subparts = Subparts(metric);
  const std::string_view selector_key = metric == events::Vital::kLCP ? "element" : "target";
  out.value = e.value;
  out.subparts.fill(std::nan(""));
  if (e.attrs_json.empty()) return 0;
  dom::element root;
  if (parser.parse(e.attrs_json.data(), e.attrs_json.size()).get(root)) return 0;
  dom::object attribution;
  if (root["attribution"].get_object().get(attribution)) return 0;
  std::string_view selector;
  if (attribution[selector_key].get_string().get(selector) || selector.empty()) return 0;
  out.selector = strings.Intern(selector);
  for (size_t i = 0; i < subparts.size(); ++i) {
    double v = 0;
    if (!attribution[subparts[i]].get_double().get(v) && std::isfinite(v)) out.subparts[i] = v;
  }
  if (metric != events::Vital::kINP) return 0;
  dom::array scripts;
  if (attribution["scripts"].get_array().get(scripts)) return 0;
  std::string key;
  for (dom::element s : scripts) {
    std::string_view src, fn, invoker;
    if (s["src"].get_string().get(src)) src = {};
    if (s["fn"].get_string().get(fn)) fn = {};
    if (s["invoker"].get_string().get(invoker)) invoker = {};
    double dur = 0;
    if (s["dur"].get_double().get(dur) || !std::isfinite(dur)) dur = 0;
    if (src.empty() && fn.empty() && invoker.empty()) continue;
    key.assign(src);
    key.push_back('\0');
    key.append(fn);
    key.push_back('\0');
    key.append(invoker);
    out.scripts.emplace_back(strings.Intern(key), dur);
  }
  return out.scripts.capacity() * sizeof(out.scripts[0]);
}

// Accumulates parsed events (in row order) and builds the report.
class AttributionAccumulator {
 public:
  explicit AttributionAccumulator(const AttributionRequest& request) : request_(request) {
    report_.metric = request.metric;
  }

  void AddPartition(const CachedRows<AttributionEvent>& rows, std::span<const uint32_t> index) {
    const size_t nsub = Subparts(request_.metric).size();
    selector_acc_.assign(rows.strings.size(), nullptr);
    script_id_.assign(rows.strings.size(), UINT32_MAX);
    for (uint32_t i : index) {
      const AttributionEvent& e = rows.entries[i];
      ++report_.views;
      if (e.selector == kNoSelector) continue;
      Acc*& slot = selector_acc_[e.selector];
      if (slot == nullptr) {
        auto [it, inserted] = accs_.try_emplace(std::string(rows.strings.Get(e.selector)));
        if (inserted) it->second.subparts.resize(nsub);
        slot = &it->second;
      }
      Acc& a = *slot;
      ++a.count;
      if (std::isfinite(e.value)) a.values.push_back(e.value);
      for (size_t s = 0; s < nsub; ++s) {
        if (!std::isnan(e.subparts[s])) a.subparts[s].push_back(e.subparts[s]);
      }
      for (const auto& [key, dur] : e.scripts) {
        uint32_t& id = script_id_[key];
        if (id == UINT32_MAX) {
          auto [it, inserted] = script_ids_.try_emplace(std::string(rows.strings.Get(key)),
                                                        static_cast<uint32_t>(script_keys_.size()));
          if (inserted) script_keys_.push_back(&it->first);
          id = it->second;
        }
        a.scripts[id].push_back(dur);
      }
    }
  }

  AttributionReport Finish() {
    const std::span<const std::string_view> subparts = Subparts(request_.metric);
    std::vector<std::pair<const std::string*, Acc*>> order;
    for (auto& [sel, a] : accs_) order.emplace_back(&sel, &a);
    std::sort(order.begin(), order.end(), [](const auto& x, const auto& y) {
      if (x.second->count != y.second->count) return x.second->count > y.second->count;
      return *x.first < *y.first;
    });
    if (order.size() > request_.limit) order.resize(request_.limit);
    for (auto& [sel, a] : order) {
      AttributionTarget t;
      t.selector = *sel;
      t.count = a->count;
      t.share = report_.views ? static_cast<double>(a->count) / static_cast<double>(report_.views) : 0;
      t.p75 = P75(a->values);
      for (size_t i = 0; i < subparts.size(); ++i) t.subparts.emplace_back(std::string(subparts[i]), P75(a->subparts[i]));
      for (auto& [id, durs] : a->scripts) {
        const std::string& key = *script_keys_[id];
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
      report_.targets.push_back(std::move(t));
    }
    return std::move(report_);
  }

 private:
  const AttributionRequest& request_;
  AttributionReport report_;
  std::unordered_map<std::string, Acc> accs_;
  std::unordered_map<std::string, uint32_t> script_ids_;
  std::vector<const std::string*> script_keys_;
  std::vector<Acc*> selector_acc_;     // this partition's string id -> its target
  std::vector<uint32_t> script_id_;    // this partition's string id -> script id
};

events::RecordScan AttributionScan(const AttributionRequest& request) {
  events::RecordScan scan;
  scan.from_ms = request.from_ms;
  scan.to_ms = request.to_ms;
  scan.type = events::EventType::kVital;
  scan.vital = request.metric;
  if (request.app) scan.filters[events::kApp] = *request.app;
  if (request.page) scan.filters[events::kPage] = *request.page;
  return scan;
}

}  // namespace

struct AttributionCache::Caches {
  explicit Caches(size_t max_bytes_each) {
    for (events::Vital v : {events::Vital::kLCP, events::Vital::kINP, events::Vital::kCLS}) {
      caches.emplace(v, std::make_unique<RecordCache<AttributionEvent>>(
                            RecordCacheOptions{.max_bytes = max_bytes_each},
                            [v](const events::EventRecord& e, StringTable& strings, AttributionEvent& out) {
                              return ParseAttributionEvent(v, e, strings, out);
                            }));
    }
  }
  std::map<events::Vital, std::unique_ptr<RecordCache<AttributionEvent>>> caches;
};

AttributionCache::AttributionCache(size_t max_bytes_per_metric)
    : caches_(std::make_unique<Caches>(max_bytes_per_metric)) {}
AttributionCache::~AttributionCache() = default;

RecordCacheStats AttributionCache::Stats() const {
  RecordCacheStats total;
  for (const auto& [v, c] : caches_->caches) {
    RecordCacheStats s = c->Stats();
    total.partitions += s.partitions;
    total.entries += s.entries;
    total.bytes += s.bytes;
    total.parsed += s.parsed;
    total.evictions += s.evictions;
  }
  return total;
}

Result<AttributionReport> ComputeAttribution(const events::EventReader& store, const AttributionRequest& request) {
  AttributionAccumulator acc(request);
  CachedRows<AttributionEvent> rows;
  std::vector<uint32_t> index;
  PW_RETURN_IF_ERROR(store.ScanRecords(AttributionScan(request), [&](const events::EventRecord& e) {
    if (e.vital != request.metric) return;
    index.push_back(static_cast<uint32_t>(rows.entries.size()));
    ParseAttributionEvent(request.metric, e, rows.strings, rows.entries.emplace_back());
  }));
  acc.AddPartition(rows, index);
  return acc.Finish();
}

Result<AttributionReport> ComputeAttribution(const events::EventStore& store, const AttributionRequest& request,
                                             AttributionCache& cache) {
  auto it = cache.caches_->caches.find(request.metric);
  if (it == cache.caches_->caches.end()) return ComputeAttribution(store, request);
  AttributionAccumulator acc(request);
  PW_RETURN_IF_ERROR(it->second->Scan(
      store, AttributionScan(request),
      [&](const CachedRows<AttributionEvent>& rows, std::span<const uint32_t> index) { acc.AddPartition(rows, index); }));
  return acc.Finish();
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

void RegisterAttributionHandler(http::Router& router, const events::EventStore* store,
                                const events::EventReader* backend) {
  auto cache = std::make_shared<AttributionCache>();
  RegisterAnalysisGet(router, "/api/v1/vitals/attribution", ParseAttributionRequest,
                      [store, backend, cache](const AttributionRequest& request, int64_t) -> Result<std::string> {
                        PW_ASSIGN_OR_RETURN(AttributionReport report, backend ? ComputeAttribution(*backend, request)
                                                                              : ComputeAttribution(*store, request, *cache));
                        return RenderAttributionJson(report);
                      });
}

}  // namespace perfwatch::analysis
