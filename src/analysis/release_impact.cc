#include "analysis/release_impact.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

#include "analysis/deploys_api.h"
#include "analysis/percentile.h"
#include "analysis/stats.h"
#include "common/hex.h"
#include "common/json_writer.h"
#include "common/time.h"

namespace perfwatch::analysis {
namespace {

constexpr int kDimApp = 0;
constexpr int kDimPage = 1;
constexpr events::Vital kImpactVitals[] = {events::Vital::kLCP, events::Vital::kINP, events::Vital::kCLS,
                                           events::Vital::kFCP, events::Vital::kTTFB};

void AppendNumberOrNull(std::string& out, double v) {
  if (std::isfinite(v)) {
    AppendJsonNumber(out, v);
  } else {
    out += "null";
  }
}

void AppendComparison(std::string& out, const ImpactComparison& c, std::string_view scope_key) {
  out += "{\"";
  out += scope_key;
  out += "\":";
  AppendJsonString(out, c.scope);
  out += ",\"metric\":";
  AppendJsonString(out, c.metric);
  out += ",\"before\":";
  AppendNumberOrNull(out, c.before);
  out += ",\"after\":";
  AppendNumberOrNull(out, c.after);
  out += ",\"before_count\":" + std::to_string(c.before_count);
  out += ",\"after_count\":" + std::to_string(c.after_count);
  out += ",\"change\":";
  AppendNumberOrNull(out, c.change);
  out += ",\"p_value\":";
  AppendJsonNumber(out, c.p_value);
  out += ",\"effect\":";
  AppendJsonNumber(out, c.effect);
  out += ",\"significant\":";
  out += c.significant ? "true" : "false";
  out += ",\"verdict\":";
  AppendJsonString(out, c.verdict);
  out += '}';
}

}  // namespace

void CompareSamples(std::vector<double>& before, std::vector<double>& after, double percentile,
                    const ImpactOptions& options, ImpactComparison* out) {
  out->before_count = before.size();
  out->after_count = after.size();
  MannWhitneyResult mw = MannWhitneyU(before, after);  // before the percentiles reorder them
  const double ps[1] = {percentile};
  out->before = before.empty() ? NAN : ExactPercentiles(before, ps)[0];
  out->after = after.empty() ? NAN : ExactPercentiles(after, ps)[0];
  out->change = (std::isfinite(out->before) && std::isfinite(out->after) && out->before != 0)
                    ? (out->after - out->before) / out->before
                    : NAN;
  out->p_value = mw.p;
  out->effect = mw.effect;
  out->significant = mw.p < options.alpha && before.size() >= options.min_samples &&
                     after.size() >= options.min_samples;
  out->verdict = !out->significant ? "unchanged" : (mw.z > 0 ? "worse" : "better");
}

Result<ImpactReport> ComputeReleaseImpact(const events::Deploy& deploy, const ImpactOptions& options, int64_t now_ms,
                                          const events::EventReader* events, const events::SpanReader* spans,
                                          const events::ErrorReader* errors) {
  if (options.window_ms <= 0) return InvalidArgument("window must be positive");
  ImpactReport r;
  r.deploy = deploy;
  const int64_t t = deploy.time_ms;
  r.window_ms = std::max<int64_t>(0, std::min(options.window_ms, now_ms - t));
  r.before_start_ms = t - r.window_ms;
  r.before_end_ms = t;
  r.after_start_ms = t;
  r.after_end_ms = t + r.window_ms;
  if (r.window_ms == 0) return r;

  // Pages: each vital's raw values per page, before and after.
  if (events != nullptr && !deploy.app.empty()) {
    for (events::Vital vital : kImpactVitals) {
      std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> by_page;
      for (int side = 0; side < 2; ++side) {
        events::VitalScan scan;
        scan.vital = vital;
        scan.from_ms = side == 0 ? r.before_start_ms : r.after_start_ms;
        scan.to_ms = (side == 0 ? r.before_end_ms : r.after_end_ms) - 1;  // inclusive
        scan.filters[kDimApp] = deploy.app;
        scan.group_by[kDimPage] = true;
        PW_RETURN_IF_ERROR(events->ScanVitals(
            scan, [&](const std::array<std::string_view, events::kDimCount>& key, std::span<const double> values) {
              auto& [b, a] = by_page[std::string(key[kDimPage])];
              auto& dst = side == 0 ? b : a;
              dst.insert(dst.end(), values.begin(), values.end());
            }));
      }
      for (auto& [page, samples] : by_page) {
        ImpactComparison c;
        c.scope = page;
        c.metric = std::string(events::VitalName(vital));
        CompareSamples(samples.first, samples.second, 75, options, &c);
        r.pages.push_back(std::move(c));
      }
    }
    std::stable_sort(r.pages.begin(), r.pages.end(),
                     [](const ImpactComparison& x, const ImpactComparison& y) { return x.scope < y.scope; });
  }

  // Routes: entry spans' durations (seconds) and error flags per route.
  if (spans != nullptr && !deploy.service.empty()) {
    struct RouteSamples {
      std::vector<double> duration[2], error[2];
    };
    std::map<std::string, RouteSamples> by_route;
    std::vector<events::SpanRecord> records;
    for (int side = 0; side < 2; ++side) {
      events::SpanListQuery q;
      q.from_ns = (side == 0 ? r.before_start_ms : r.after_start_ms) * 1'000'000;
      q.to_ns = (side == 0 ? r.before_end_ms : r.after_end_ms) * 1'000'000 - 1;
      q.service = deploy.service;
      q.limit = options.max_spans;
      PW_RETURN_IF_ERROR(spans->ListEntrySpans(q, &records));
      if (records.size() >= options.max_spans) r.truncated = true;
      for (const events::SpanRecord& s : records) {
        const events::SpanAttribute* route = s.Find("http.route");
        std::string key = route != nullptr && route->type == events::SpanAttribute::Type::kString &&
                                  !route->string_value.empty()
                              ? route->string_value
                              : s.name;
        RouteSamples& rs = by_route[key];
        rs.duration[side].push_back(static_cast<double>(s.end_time_unix_nano - s.start_time_unix_nano) / 1e9);
        rs.error[side].push_back(s.status_code == events::kSpanStatusError ? 1 : 0);
      }
    }
    for (auto& [route, rs] : by_route) {
      ImpactComparison latency;
      latency.scope = route;
      latency.metric = "p95";
      CompareSamples(rs.duration[0], rs.duration[1], 95, options, &latency);
      r.routes.push_back(std::move(latency));
      ImpactComparison errors_cmp;
      errors_cmp.scope = route;
      errors_cmp.metric = "error_ratio";
      // The test runs on the 0/1 flags; before and after are their means (the ratios).
      CompareSamples(rs.error[0], rs.error[1], 50, options, &errors_cmp);
      auto ratio = [](const std::vector<double>& v) {
        if (v.empty()) return static_cast<double>(NAN);
        double sum = 0;
        for (double x : v) sum += x;
        return sum / static_cast<double>(v.size());
      };
      errors_cmp.before = ratio(rs.error[0]);
      errors_cmp.after = ratio(rs.error[1]);
      errors_cmp.change = (std::isfinite(errors_cmp.before) && std::isfinite(errors_cmp.after) && errors_cmp.before != 0)
                              ? (errors_cmp.after - errors_cmp.before) / errors_cmp.before
                              : NAN;
      r.routes.push_back(std::move(errors_cmp));
    }
  }

  // Error groups of this app or service first seen after the deploy.
  if (errors != nullptr) {
    const std::string& scope = deploy.app.empty() ? deploy.service : deploy.app;
    const events::ErrorSource source = deploy.app.empty() ? events::ErrorSource::kBackend : events::ErrorSource::kBrowser;
    // The groups first seen after the deploy have their first occurrence there: one scan of
    // the window finds them and counts their occurrences in this app or service.
    std::unordered_map<uint64_t, size_t> index;
    PW_ASSIGN_OR_RETURN(
        std::shared_ptr<const void> hold,
        errors->ScanWindow(r.after_start_ms, r.after_end_ms - 1, std::nullopt,
                           [&](const events::ErrorGroup& g, const events::ErrorOccurrenceView& o) {
                             if (g.info.source != source || g.info.scope != scope) return;
                             if (g.first_seen_ms < r.after_start_ms || g.first_seen_ms >= r.after_end_ms) return;
                             auto [it, added] = index.emplace(g.info.fingerprint, r.new_errors.size());
                             if (added) {
                               NewErrorGroup n;
                               n.fingerprint = g.info.fingerprint;
                               n.type = g.info.type;
                               n.message = g.info.message;
                               n.source = std::string(events::ErrorSourceName(g.info.source));
                               n.first_seen_ms = g.first_seen_ms;
                               r.new_errors.push_back(std::move(n));
                             }
                             if (o.scope == scope) ++r.new_errors[it->second].count;
                           }));
    (void)hold;
    std::sort(r.new_errors.begin(), r.new_errors.end(), [](const NewErrorGroup& a, const NewErrorGroup& b) {
      if (a.count != b.count) return a.count > b.count;
      return a.first_seen_ms != b.first_seen_ms ? a.first_seen_ms < b.first_seen_ms : a.fingerprint < b.fingerprint;
    });
  }
  return r;
}

std::string RenderImpactJson(const ImpactReport& r) {
  std::string out = "{\"deploy\":";
  out += RenderDeployJson(r.deploy);
  out += ",\"window\":\"" + FormatPromDuration(r.window_ms) + "\"";
  out += ",\"before\":{\"start\":\"" + FormatRfc3339Ms(r.before_start_ms) + "\",\"end\":\"" +
         FormatRfc3339Ms(r.before_end_ms) + "\"}";
  out += ",\"after\":{\"start\":\"" + FormatRfc3339Ms(r.after_start_ms) + "\",\"end\":\"" +
         FormatRfc3339Ms(r.after_end_ms) + "\"}";
  out += ",\"pages\":[";
  for (size_t i = 0; i < r.pages.size(); ++i) {
    if (i) out += ',';
    AppendComparison(out, r.pages[i], "page");
  }
  out += "],\"routes\":[";
  for (size_t i = 0; i < r.routes.size(); ++i) {
    if (i) out += ',';
    out += "{\"service\":";
    AppendJsonString(out, r.deploy.service);
    out += ',';
    std::string one;
    AppendComparison(one, r.routes[i], "route");
    out.append(one, 1);  // without its '{'
  }
  out += "],\"new_errors\":[";
  for (size_t i = 0; i < r.new_errors.size(); ++i) {
    const NewErrorGroup& e = r.new_errors[i];
    if (i) out += ',';
    out += "{\"fingerprint\":\"" + Hex64(e.fingerprint) + "\",\"type\":";
    AppendJsonString(out, e.type);
    out += ",\"message\":";
    AppendJsonString(out, e.message);
    out += ",\"source\":";
    AppendJsonString(out, e.source);
    out += ",\"first_seen\":\"" + FormatRfc3339Ms(e.first_seen_ms) + "\",\"count\":" + std::to_string(e.count) + "}";
  }
  out += "],\"truncated\":";
  out += r.truncated ? "true" : "false";
  out += '}';
  return out;
}

}  // namespace perfwatch::analysis
