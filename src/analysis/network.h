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
// one thread (its Finish may start helper threads of its own and joins them).
#include <simdjson.h>

#include <array>
#include <cmath>
#include <span>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "analysis/record_cache.h"
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

enum class EventKindForNetwork : uint8_t { kResources, kLcp, kNavigation };

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
  bool operator==(const NetworkRules&) const = default;
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
  int64_t incremental = 0;         // pages analysed by updating their kept state (not rendered)
};

// ---- The cached form of the three kinds of events the analysis reads (kept per event-store
// partition by analysis/network_api.cc's NetworkCache, analysis/record_cache.h). Strings
// are ids of the partition's StringTable; numbers are packed (PackNumber) exactly.

inline constexpr uint32_t kNoStringId = UINT32_MAX;

// A double as 4 bytes when it is a short decimal that converts back bit for bit
// (k / 10^s, s <= 6, k < 2^29, not -0), NaN as a code of its own, else an index into `wide`.
uint32_t PackNumber(double v, std::vector<double>& wide);
double UnpackNumber(uint32_t packed, const std::vector<double>& wide);

struct CachedResource {
  uint32_t url = kNoStringId, tmpl = kNoStringId;  // the URL and its template (ResourceUrlTemplate)
  ResourceType type = ResourceType::kOther;
  bool link = false, lcp = false;
  int8_t render_blocking = -1, cache_hit = -1, third_party = -1;
  // start, duration, dns, connect, tls, request, response, transfer, encoded, decoded
  std::array<uint32_t, 10> numbers{};
};

struct CachedNetworkEvent {
  enum class Kind : uint8_t { kIgnored, kUndecodable, kResources, kLcp, kNavigation };
  Kind kind = Kind::kIgnored;
  bool has_summary = false;
  uint32_t app = kNoStringId, page_view_id = kNoStringId;  // page_view_id: kNoStringId when absent/empty
  uint32_t page = kNoStringId, session = kNoStringId, event_id = kNoStringId;  // resources
  uint32_t lcp_url = kNoStringId;                                               // LCP: attribution.url
  double value = 0;                                                             // LCP, navigation
  double summary_resources = kUnknown, summary_transfer = kUnknown;
  std::vector<CachedResource> resources;
  std::vector<double> wide;  // numbers that do not pack
};

// Parses one stored event (a "slow-resources" event, an LCP vital or a navigation) as the
// NetworkAccumulator's Add* methods read it. Returns the heap bytes the entry holds.
size_t ParseNetworkEvent(simdjson::dom::parser& parser, EventKindForNetwork kind, std::string_view app,
                         std::string_view page, std::string_view session, std::string_view event_id, double value,
                         std::string_view attrs_json, StringTable& strings, CachedNetworkEvent& out);

// A page's incremental analysis state (network.cc): per-view figures, per-template sorted
// value lists and exact sums, kept so that the next request applies only the views that
// arrived, changed or left (docs/analysis.md "Incremental pages").
struct NetworkPageState;
size_t NetworkPageStateBytes(const NetworkPageState& state);

// The answers of pages whose input did not change, kept between requests (NetworkCache's;
// docs/analysis.md "Caches of parsed events"), with each page's analysis state. A page's
// answer depends only on the rules and its own events (ties are broken by names or by
// first appearance within the page, never by what other pages hold), so a page is
// answered from here when its key — the (cached partition id, entry) of each of its
// resource, LCP and navigation events, view by view, in the order the analysis reads
// them — equals the stored one: exact, since an entry never changes and a partition id is
// never reused. A changed page takes its state out (TakeState), updates it and stores it
// back with the new answer. Bounded by `max_bytes` (least recently used pages dropped
// first).
// Thread safety: thread-safe.
class NetworkPageMemo {
 public:
  explicit NetworkPageMemo(size_t max_bytes) : max_bytes_(max_bytes) {}
  bool Find(const std::string& group, const std::vector<uint64_t>& key, const NetworkRules& rules,
            PageNetwork* out) const;
  // The page's analysis state under the same rules, removed from the memo (nullptr: none).
  std::shared_ptr<NetworkPageState> TakeState(const std::string& group, const NetworkRules& rules);
  void Store(const std::string& group, std::vector<uint64_t> key, const NetworkRules& rules, const PageNetwork& page,
             std::shared_ptr<NetworkPageState> state = nullptr);
  size_t MemoryBytes() const;
  size_t Pages() const;

 private:
  struct Entry {
    std::vector<uint64_t> key;
    NetworkRules rules;
    PageNetwork page;
    std::shared_ptr<NetworkPageState> state;
    size_t bytes = 0;
    mutable uint64_t last_used = 0;
  };
  const size_t max_bytes_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> pages_;  // by app '\0' page; guarded by mu_
  size_t bytes_ = 0;                               // guarded by mu_
  mutable uint64_t clock_ = 0;                     // guarded by mu_
};

// Finish analyses pages in parallel from this much work on (views plus their resource
// events: a few ms of updating page states, far more when they are built), where starting
// a thread is worth it.
inline constexpr size_t kParallelNetworkWork = 6'000;

// Collects the events of one query and analyses them. A page view is the resource beacons
// sharing (app, pageViewId); a resource beacon without a pageViewId is a view of its own.
// LCP and navigation events only add to views that have resources. The analysis reads the
// records from the cached entries themselves (no copy per request): Finish must run while
// the entries handed to the cached passes are readable (RecordCache::Scan's `finish`).
// Either the Add* methods or the cached passes, not both, on one accumulator.
class NetworkAccumulator {
 public:
  explicit NetworkAccumulator(NetworkRules rules = {}) : rules_(rules) {}

  // The uncached path, events in any order: each is parsed (ParseNetworkEvent) into the
  // accumulator's own entries, which Finish analyses as the cached path would.
  // A "slow-resources" event (`event_id` keys a view without pageViewId).
  void AddResources(std::string_view app, std::string_view page, std::string_view session,
                    std::string_view event_id, std::string_view attrs_json);
  // An LCP vital event (its value, and attribution.url when present).
  void AddLcp(std::string_view app, double value, std::string_view attrs_json);
  // A navigation event (its value: loadEventEnd).
  void AddNavigation(std::string_view app, double value, std::string_view attrs_json);

  // The cached path: the selected entries of one partition's cache, in row order. All
  // partitions' resource events must come first (partition order), then the LCP and
  // navigation events; the answer equals the Add* path's over the same events.
  // `part` names the partition (the same number for the same string table; < 2^32).
  // `rows` must stay valid and its entries readable until Finish returns.
  void AddCachedResources(size_t part, const CachedRows<CachedNetworkEvent>& rows, std::span<const uint32_t> index);
  void AddCachedJoins(size_t part, const CachedRows<CachedNetworkEvent>& rows, std::span<const uint32_t> index);
  // After the cached passes: takes the answer of each page whose key `memo` holds from it,
  // and gives the other pages' views their records. Without a memo, every view's.
  void ResolveCached(const NetworkPageMemo* memo);

  // The answer; pages analysed (not taken from the memo) are stored into `memo`. Pages are
  // analysed on up to `threads` threads (0: the machine's cores, at most 8) when they hold
  // kParallelNetworkWork views and events or more between them; the answer is the same.
  NetworkReport Finish(NetworkPageMemo* memo = nullptr, int threads = 0);

 private:
  // One resource event of a view: a cached entry and the strings its ids name.
  struct EventRef {
    const CachedNetworkEvent* event;
    const StringTable* strings;
    uint32_t part;  // the cached partition's id (CachedRows::id; stable across queries)
    uint64_t ref;   // part << 32 | entry index: the event's name in a NetworkPageState
  };
  struct View {
    uint32_t group = 0;    // index into groups_
    std::string_view session;  // in its partition's strings (readable until Finish returns)
    bool has_summary = false;
    bool has_lcp = false, has_load = false;
    double summary_resources = kUnknown, summary_transfer = kUnknown;
    double lcp = kUnknown, load = kUnknown;
    const StringTable* lcp_strings = nullptr;  // the LCP's attribution.url: lcp_url in lcp_strings
    uint32_t lcp_url = kNoStringId;
    uint64_t lcp_ref = UINT64_MAX, load_ref = UINT64_MAX;  // the joined entries (memo key)
    std::string key;                                      // app '\0' pageViewId
    std::vector<EventRef> events;  // its resource events from the last with a summary on
  };
  // Per-partition translations of string ids (kNoStringId: not yet).
  struct PartitionIds {
    const StringTable* strings = nullptr;
    uint32_t part = 0;
    std::vector<std::pair<uint32_t, uint32_t>> group_by_page;  // page id -> (app id, group)
    std::vector<std::pair<uint32_t, uint32_t>> view_by_pvid;   // pageViewId id -> (app id, view)
    std::unordered_map<uint64_t, uint32_t> view_other_app;     // app << 32 | pageViewId -> view
  };
  PartitionIds& StartPartition(size_t part, const CachedRows<CachedNetworkEvent>& rows);
  // The view of (app, pageViewId) (string ids of `ids`), or UINT32_MAX; `e` (a resource
  // event) creates it when missing.
  uint32_t CachedView(PartitionIds& ids, uint32_t app, uint32_t pvid, const CachedNetworkEvent* e);
  uint32_t NewView(std::string_view app, std::string_view page, std::string_view session);
  uint32_t NewView(PartitionIds& ids, uint32_t app, uint32_t page, uint32_t session);  // string ids of `ids`
  uint32_t NewView(std::string_view app, uint32_t group, std::string_view session);      // key_: the view's key
  void AttachEvent(uint32_t vi, const PartitionIds& ids, const CachedNetworkEvent& e, uint64_t ref);
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Index = std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>>;

  static uint32_t Intern(Index& map, std::vector<std::string>& list, std::string_view s);
  friend struct NetworkPageState;
  // Brings `state` to the page's views (applying only what changed when it can follow, else
  // rebuilding it) and renders the answer from it.
  // True when the state followed the change (not rebuilt).
  // `keep`: the state goes to the memo after (else it is dropped: no need to sort its lists).
  bool AnalyzeGroup(const std::vector<uint32_t>& views, std::shared_ptr<NetworkPageState>& state, PageNetwork& out,
                    bool keep) const;
  bool UpdateState(const std::vector<uint32_t>& views, NetworkPageState& state, bool keep) const;
  void RenderState(const std::vector<uint32_t>& views, NetworkPageState& state, PageNetwork& out) const;
  // A cached resource event whose view gets it in ResolveCached.
  struct PendingEvent {
    const CachedRows<CachedNetworkEvent>* rows;
    PartitionIds* ids;
    uint32_t entry, view;
  };

  NetworkRules rules_;
  simdjson::dom::parser parser_;
  std::string key_;
  Index view_index_, group_index_;
  std::vector<std::string> groups_;  // app '\0' page
  std::vector<View> views_;
  int64_t undecodable_ = 0;
  // The Add* path's parsed events (resource events; LCP and navigation events).
  CachedRows<CachedNetworkEvent> own_;
  std::vector<uint32_t> own_resources_, own_joins_;
  // Cached path.
  std::unordered_map<size_t, PartitionIds> part_ids_;
  std::unordered_map<uint64_t, const CachedRows<CachedNetworkEvent>*> rows_by_id_;  // the partitions read
  size_t first_part_ = SIZE_MAX;
  bool multi_ = false;  // several partitions: views are also found by key (view_index_)
  std::vector<PendingEvent> pending_;
  bool resolved_ = false;                     // ResolveCached ran (the cached path)
  std::vector<uint8_t> from_memo_;            // per group: answered from the memo
  std::vector<PageNetwork> memo_pages_;       // per group, when from_memo_
  std::vector<std::vector<uint64_t>> keys_;   // per group: the memo key (cached path with a memo)
};

}  // namespace perfwatch::analysis
