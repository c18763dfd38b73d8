#include "ingest/scrape/scrape_api.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "common/json_writer.h"
#include "common/time.h"
#include "http/url.h"

namespace perfwatch::ingest {
namespace {

void AppendObject(std::string& out, const std::map<std::string, std::string>& kv) {
  out += '{';
  bool first = true;
  for (const auto& [k, v] : kv) {
    if (!first) out += ',';
    first = false;
    AppendJsonString(out, k);
    out += ':';
    AppendJsonString(out, v);
  }
  out += '}';
}

bool IsLoopbackHost(std::string_view host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.substr(0, 4) == "127.";
}

std::string LocalHostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof(buf) - 1) != 0) return "localhost";
  return buf;
}

void AppendTarget(std::string& out, const ScrapeTarget& t, const ScrapeReport& r, std::string_view hostname) {
  const size_t q = t.path_and_query.find('?');
  const std::string path = t.path_and_query.substr(0, q);
  std::map<std::string, std::string> discovered, labels;
  discovered["__address__"] = t.address;
  discovered["__metrics_path__"] = path;
  discovered["__scheme__"] = t.scheme;
  discovered["__scrape_interval__"] = FormatPromDuration(t.interval_ms);
  discovered["__scrape_timeout__"] = FormatPromDuration(t.timeout_ms);
  if (q != std::string::npos) {
    std::string_view rest = std::string_view(t.path_and_query).substr(q + 1);
    while (!rest.empty()) {
      size_t amp = rest.find('&');
      std::string_view pair = rest.substr(0, amp);
      size_t eq = pair.find('=');
      std::string name, value;
      http::PercentDecode(pair.substr(0, eq), name);
      if (eq != std::string_view::npos) http::PercentDecode(pair.substr(eq + 1), value);
      // url.Values keeps every value; the label holds the first (Prometheus' __param_).
      discovered.emplace("__param_" + name, value);
      rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    }
  }
  for (const auto& l : t.labels) {
    labels[l.name] = l.value;
    if (l.name != "instance") discovered[l.name] = l.value;
  }
  const std::string url = t.scheme + "://" + t.address + t.path_and_query;
  std::string global = url;
  if (size_t colon = t.address.rfind(':'); colon != std::string::npos && !t.address.empty() &&
                                           IsLoopbackHost(std::string_view(t.address).substr(0, colon))) {
    global = t.scheme + "://" + std::string(hostname) + t.address.substr(colon) + t.path_and_query;
  }
  out += R"({"discoveredLabels":)";
  AppendObject(out, discovered);
  out += R"(,"labels":)";
  AppendObject(out, labels);
  out += R"(,"scrapePool":)";
  AppendJsonString(out, t.job);
  out += R"(,"scrapeUrl":)";
  AppendJsonString(out, url);
  out += R"(,"globalUrl":)";
  AppendJsonString(out, global);
  out += R"(,"lastError":)";
  AppendJsonString(out, r.time_ms == 0 || r.up ? std::string() : r.error);
  out += R"(,"lastScrape":)";
  AppendJsonString(out, FormatGoTime(r.time_ms));
  out += R"(,"lastScrapeDuration":)";
  AppendJsonNumber(out, r.duration_seconds);
  out += R"(,"health":)";
  AppendJsonString(out, r.time_ms == 0 ? "unknown" : r.up ? "up" : "down");
  out += R"(,"scrapeInterval":)";
  AppendJsonString(out, FormatPromDuration(t.interval_ms));
  out += R"(,"scrapeTimeout":)";
  AppendJsonString(out, FormatPromDuration(t.timeout_ms));
  out += '}';
}

}  // namespace

std::string RenderTargets(const std::vector<std::pair<ScrapeTarget, ScrapeReport>>& reports, std::string_view state,
                          std::string_view scrape_pool, std::string_view hostname) {
  const bool active = state.empty() || state == "any" || state == "active";
  std::string out = R"({"activeTargets":[)";
  if (active) {
    // Pools in name order (Prometheus sorts the pool names), targets in their order.
    std::vector<size_t> order(reports.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return reports[a].first.job < reports[b].first.job; });
    bool first = true;
    for (size_t i : order) {
      if (!scrape_pool.empty() && reports[i].first.job != scrape_pool) continue;
      if (!first) out += ',';
      first = false;
      AppendTarget(out, reports[i].first, reports[i].second, hostname);
    }
  }
  out += R"(],"droppedTargets":[]})";  // nothing is ever dropped: no relabelling
  return out;
}

void RegisterTargetsApi(http::Router& router, TargetReports reports) {
  router.Handle("GET", "/api/v1/targets", [reports = std::move(reports), host = LocalHostname()](
                                              const http::Request& req, http::Response& res) {
    std::string state = req.Param("state").value_or("");
    for (char& c : state) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const std::string pool = req.Param("scrapePool").value_or("");
    res.status = 200;
    res.content_type = "application/json";
    res.body = R"({"status":"success","data":)" + RenderTargets(reports(), state, pool, host) + "}";
  }, {.scope = http::Scope::kRead});
}

}  // namespace perfwatch::ingest
