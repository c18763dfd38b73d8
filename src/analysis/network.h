#pragma once
// The network analysis of GET /api/v1/network (issue 16 item 3; every rule:
// docs/analysis.md "Network: waterfall, critical path, findings").
//
// Input: the RUM events of page views — "slow-resources" beacons (the full SDK build's
// resource summary with phases, or the core build's bare list u,i,s,d,w,z), the LCP vital
// and the navigation beacon — joined by the `pageViewId` in their attrs_json. Output, per
// app × page: the median page view's waterfall, the resource table aggregated by URL
// template, the critical path, a summary and findings with their evidence. Unknown values
// (fields an older beacon does not carry) are NaN / -1 here and null in the API.
//
// Thread safety: pure functions; a NetworkAccumulator (and a simdjson parser) belongs to
// one thread.
#include <simdjson.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"

namespace perfwatch::analysis {

inline constexpr double kUnknown = std::numeric_limits<double>::quiet_NaN();

// The SDK's resource types (sdk/browser/src/resources.ts kind()).
enum class ResourceType : uint8_t { kScript, kCss, kImg, kFont, kFetch, kOther };
std::string_view ResourceTypeName(ResourceType t);  // "script", "css", ...
// The type of a resource without a "t" field: the SDK's rule from the initiator and the
// URL's extension (fetch|xmlhttprequest|beacon → fetch; .js/.mjs or initiator script →
// script; .css → css; image extensions or initiator img/image → img; fonts → font).
ResourceType ClassifyResource(std::string_view initiator, std::string_view url);

// The URL template of a resource (the table's "url"): scheme and host kept, query and
// fragment dropped, and each path segment that is all digits, a UUID (8-4-4-4-12 hex) or
// a hex string of 16 or more characters replaced by ":id" — the rules of the RUM route
// templater (docs/ingest.md "Route templates") without its configurable extra rules,
// re-implemented here because analysis must not include ingest headers.
//   "https://cdn.example/img/42/a.jpg?w=1" → "https://cdn.example/img/:id/a.jpg"
std::string ResourceUrlTemplate(std::string_view url);
// "https://cdn.example:8443" of an absolute URL; "" for a relative one.
std::string_view UrlOrigin(std::string_view url);

// One resource of a beacon. Strings borrow the parser's memory (valid until its next parse).
struct ResourceView {
  std::string_view url, initiator;
  ResourceType type = ResourceType::kOther;
  double start = 0, duration = 0;
  double dns = kUnknown, connect = kUnknown, tls = kUnknown, request = kUnknown, response = kUnknown;
  double transfer = kUnknown, encoded = kUnknown, decoded = kUnknown;
  int8_t render_blocking = -1, cache_hit = -1, third_party = -1;  // -1 unknown, 0 no, 1 yes
  bool lcp = false;
};

// What a "slow-resources" beacon's attrs_json holds.
struct ResourceBeacon {
  std::string_view page_view_id;  // "" when absent
  std::vector<ResourceView> resources;
  bool has_summary = false;
  double summary_resources = kUnknown;  // Σ summary.byType[*].n
  double summary_transfer = kUnknown;   // summary firstParty.transfer + thirdParty.transfer
};

// Decodes a "slow-resources" event's attrs_json (either SDK build). Lenient as the server
// must be with older and newer SDKs: unknown fields are ignored, a resource without a
// string "u" is skipped, a field of the wrong type counts as absent. InvalidArgument only
// when `attrs_json` is not a JSON object.
Status DecodeResourceBeacon(simdjson::dom::parser& parser, std::string_view attrs_json, ResourceBeacon* out);

// Thresholds of the findings (the and the seeds' budgets); docs/analysis.md.
struct NetworkRules {
  double uncompressed_min_bytes = 1024;                 // decoded body > 1 KiB
  double late_discovery_lcp_share = 0.25;               // LCP resource start > 25 % of LCP
  double not_preloaded_delay_ms = 100;                  // start > earliest start + 100 ms
  double oversized_image_bytes = 500 * 1024;            // decoded p75 > 500 KiB, or
  double oversized_image_relative = 2;                  // > 2 × the page's image p75
  double oversized_image_relative_min_bytes = 100 * 1024;  //   and > 100 KiB
  double budget_resources = 100;                        // p75 resources per view
  double budget_bytes = 2 * 1024 * 1024;                // p75 transfer bytes per view
  double budget_critical_path_ms = 1500;                // p75 critical path
  size_t max_findings_per_kind = 10;
};

struct WaterfallEntry {
  std::string url, type;
  double start = 0, duration = 0;
  double dns = kUnknown, connect = kUnknown, tls = kUnknown, request = kUnknown, response = kUnknown;
  double transfer = kUnknown;
  int8_t render_blocking = -1, third_party = -1;
  bool lcp = false;
};

struct ResourceRow {
  std::string url, type;  // url: the template
  int64_t count = 0;
  double p75_duration = 0, p75_transfer = kUnknown, cache_hit_rate = kUnknown, compression = kUnknown;
  int8_t third_party = -1, render_blocking = -1;
};

struct CriticalPathEntry {
  std::string url, type;
  double duration = 0, share_of_lcp = kUnknown;
};
struct CriticalPath {
  std::vector<CriticalPathEntry> resources;
  double duration = 0;  // end of the last of them (0 without any)
  double lcp = kUnknown;
};

struct NetworkSummary {
  double resources = 0, transfer_bytes = 0;  // of the median page view
  double p75_resources = 0, p75_transfer_bytes = 0;
};

struct NetworkFinding {
  std::string kind, severity, message;
  std::string evidence_json;  // one JSON object
};

struct PageNetwork {
  std::string app, page;
  int64_t views = 0;
  std::vector<WaterfallEntry> waterfall;
  std::vector<ResourceRow> resources;
  CriticalPath critical_path;
  NetworkSummary summary;
  std::vector<NetworkFinding> findings;
};

struct NetworkReport {
  std::vector<PageNetwork> pages;  // by app, then page
  int64_t undecodable = 0;         // events whose attrs_json could not be read (skipped)
};

// Collects the events of one query, in any order, and analyses them. A page view is the
// resource beacons sharing (app, pageViewId); a resource beacon without a pageViewId is a
// view of its own. LCP and navigation events only add to views that have resources.
class NetworkAccumulator {
 public:
  explicit NetworkAccumulator(NetworkRules rules = {}) : rules_(rules) {}

  // A "slow-resources" event (`event_id` keys a view without pageViewId).
  void AddResources(std::string_view app, std::string_view page, std::string_view session,
                    std::string_view event_id, std::string_view attrs_json);
  // An LCP vital event (its value, and attribution.url when present).
  void AddLcp(std::string_view app, double value, std::string_view attrs_json);
  // A navigation event (its value: loadEventEnd).
  void AddNavigation(std::string_view app, double value, std::string_view attrs_json);

  NetworkReport Finish() const;

 private:
  struct Res {
    uint32_t url = 0;  // index into urls_
    ResourceType type = ResourceType::kOther;
    bool link = false;  // initiator "link" (preloaded)
    int8_t render_blocking = -1, cache_hit = -1, third_party = -1;
    bool lcp = false;
    double start = 0, duration = 0, dns, connect, tls, request, response, transfer, encoded, decoded;
  };
  struct View {
    uint32_t group = 0;    // index into groups_
    uint32_t session = 0;  // index into sessions_
    bool has_summary = false;
    double summary_resources = kUnknown, summary_transfer = kUnknown;
    std::string key;  // app '\0' pageViewId (for the LCP / load join)
    std::vector<Res> resources;
  };
  struct LcpInfo {
    double value = kUnknown;
    std::string url;
  };
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Index = std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>>;

  static uint32_t Intern(Index& map, std::vector<std::string>& list, std::string_view s);
  // `tmpl[u]`: the template id of urls_[u]; `tmpls`: the templates.
  void AnalyzeGroup(const std::vector<uint32_t>& views, const std::vector<uint32_t>& tmpl,
                    const std::vector<std::string>& tmpls, PageNetwork& out) const;

  NetworkRules rules_;
  simdjson::dom::parser parser_;
  ResourceBeacon beacon_;
  std::string key_;
  Index view_index_, url_index_, group_index_, session_index_;
  std::vector<std::string> urls_, groups_, sessions_;  // groups_: app '\0' page
  std::vector<View> views_;
  std::unordered_map<std::string, LcpInfo, StringHash, std::equal_to<>> lcp_;
  std::unordered_map<std::string, double, StringHash, std::equal_to<>> load_;
  int64_t undecodable_ = 0;
};

}  // namespace perfwatch::analysis
