#include "analysis/network.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstddef>
#include <deque>
#include <exception>
#include <iterator>
#include <map>
#include <system_error>
#include <thread>
#include <utility>

#include "analysis/percentile.h"
#include "analysis/score.h"  // FindPageViewId
#include "common/flat_index.h"
#include "common/fork_join.h"
#include "common/json_writer.h"

namespace perfwatch::analysis {
namespace {

bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

bool IsIdSegment(std::string_view s) {
  if (s.empty()) return false;
  if (std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) return true;
  if (s.size() == 36) {
    bool uuid = true;
    for (size_t i = 0; i < s.size() && uuid; ++i) {
      uuid = (i == 8 || i == 13 || i == 18 || i == 23) ? s[i] == '-' : IsHex(s[i]);
    }
    if (uuid) return true;
  }
  return s.size() >= 16 && std::all_of(s.begin(), s.end(), IsHex);
}

bool EndsWithNoCase(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  for (size_t i = 0; i < suffix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[s.size() - suffix.size() + i])) != suffix[i]) return false;
  }
  return true;
}

// The extension of the URL's path, lower case ("" when none).
std::string Extension(std::string_view url) {
  url = url.substr(0, url.find_first_of("?#"));
  const size_t slash = url.rfind('/');
  const size_t dot = url.rfind('.');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) return "";
  std::string ext(url.substr(dot + 1));
  for (char& c : ext) {
    if (!std::isalnum(static_cast<unsigned char>(c))) return "";
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return ext;
}

// A non-negative finite number member, else NaN.
double Number(simdjson::dom::object o, std::string_view key) {
  simdjson::dom::element e;
  if (o.at_key(key).get(e)) return kUnknown;
  double v = 0;
  if (e.get_double().get(v) || !std::isfinite(v) || v < 0) return kUnknown;
  return v;
}

// A flag member: 1 for true / a non-zero number, 0 for false / 0, -1 when absent or other.
int8_t Flag(simdjson::dom::object o, std::string_view key) {
  simdjson::dom::element e;
  if (o.at_key(key).get(e)) return -1;
  bool b = false;
  if (!e.get_bool().get(b)) return b ? 1 : 0;
  double v = 0;
  if (!e.get_double().get(v)) return v != 0 ? 1 : 0;
  return -1;
}

std::string_view String(simdjson::dom::object o, std::string_view key) {
  std::string_view s;
  if (o.at_key(key).get_string().get(s)) return {};
  return s;
}

std::optional<ResourceType> ParseType(std::string_view t) {
  static constexpr std::array<std::string_view, 6> kNames = {"script", "css", "img", "font", "fetch", "other"};
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == t) return static_cast<ResourceType>(i);
  }
  return std::nullopt;
}

double Round3(double v) { return std::isfinite(v) ? std::round(v * 1000) / 1000 : v; }

void Num(std::string& out, double v) {
  if (std::isfinite(v)) AppendJsonNumber(out, Round3(v));
  else out += "null";
}

// A small builder of one JSON object (the findings' evidence).
class Evidence {
 public:
  Evidence& Str(std::string_view k, std::string_view v) {
    Key(k);
    AppendJsonString(s_, v);
    return *this;
  }
  Evidence& Number(std::string_view k, double v) {
    Key(k);
    Num(s_, v);
    return *this;
  }
  std::string Done() { return s_ + "}"; }

 private:
  void Key(std::string_view k) {
    s_ += s_.size() > 1 ? "," : "";
    AppendJsonString(s_, k);
    s_ += ':';
  }
  std::string s_ = "{";
};

std::string Bytes(double b) {
  char buf[64];
  if (b >= 1024 * 1024) std::snprintf(buf, sizeof(buf), "%.1f MiB", b / (1024 * 1024));
  else if (b >= 1024) std::snprintf(buf, sizeof(buf), "%.1f KiB", b / 1024);
  else std::snprintf(buf, sizeof(buf), "%.0f B", b);
  return buf;
}

std::string Ms(double ms) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.0f ms", ms);
  return buf;
}

int SeverityRank(std::string_view s) { return s == "critical" ? 0 : s == "warning" ? 1 : 2; }

int KindRank(std::string_view k) {
  static constexpr std::array<std::string_view, 10> kKinds = {
      "over_budget_critical_path", "over_budget_bytes", "over_budget_resources", "lcp_late_discovery",
      "lcp_not_preloaded",         "render_blocking",   "uncompressed_text",     "cache_miss_repeat",
      "oversized_image",           "third_party_cost"};
  for (size_t i = 0; i < kKinds.size(); ++i) {
    if (kKinds[i] == k) return static_cast<int>(i);
  }
  return static_cast<int>(kKinds.size());
}

}  // namespace

std::string_view ResourceTypeName(ResourceType t) {
  static constexpr std::array<std::string_view, 6> kNames = {"script", "css", "img", "font", "fetch", "other"};
  return kNames[static_cast<size_t>(t)];
}

ResourceType ClassifyResource(std::string_view initiator, std::string_view url) {
  if (initiator == "fetch" || initiator == "xmlhttprequest" || initiator == "beacon") return ResourceType::kFetch;
  const std::string ext = Extension(url);
  if (ext == "js" || ext == "mjs" || initiator == "script") return ResourceType::kScript;
  if (ext == "css") return ResourceType::kCss;
  static constexpr std::array<std::string_view, 9> kImages = {"png", "jpg", "jpeg", "gif", "webp",
                                                              "avif", "svg", "ico", "bmp"};
  if (std::find(kImages.begin(), kImages.end(), ext) != kImages.end() || initiator == "img" ||
      initiator == "image") {
    return ResourceType::kImg;
  }
  if (ext == "woff" || ext == "woff2" || ext == "ttf" || ext == "otf" || ext == "eot") return ResourceType::kFont;
  return ResourceType::kOther;
}

std::string_view UrlOrigin(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos || scheme == 0) return {};
  for (size_t i = 0; i < scheme; ++i) {
    const char c = url[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return {};
  }
  const size_t end = url.find_first_of("/?#", scheme + 3);
  return url.substr(0, end);
}

std::string ResourceUrlTemplate(std::string_view url) {
  url = url.substr(0, url.find_first_of("?#"));
  const std::string_view origin = UrlOrigin(url);
  std::string out(origin);
  std::string_view path = url.substr(origin.size());
  size_t i = 0;
  while (true) {
    const size_t slash = path.find('/', i);
    const std::string_view seg = path.substr(i, slash == std::string_view::npos ? std::string_view::npos : slash - i);
    out += IsIdSegment(seg) ? std::string_view(":id") : seg;
    if (slash == std::string_view::npos) break;
    out += '/';
    i = slash + 1;
  }
  return out;
}

Status DecodeResourceBeacon(simdjson::dom::parser& parser, std::string_view attrs_json, ResourceBeacon* out) {
  out->page_view_id = {};
  out->resources.clear();
  out->has_summary = false;
  out->summary_resources = kUnknown;
  out->summary_transfer = kUnknown;
  simdjson::dom::element root;
  if (auto err = parser.parse(attrs_json.data(), attrs_json.size()).get(root)) {
    return InvalidArgument(std::string("invalid JSON: ") + simdjson::error_message(err));
  }
  simdjson::dom::object obj;
  if (root.get_object().get(obj)) return InvalidArgument("attrs_json is not a JSON object");
  out->page_view_id = String(obj, "pageViewId");

  simdjson::dom::object summary;
  if (!obj.at_key("summary").get_object().get(summary)) {
    out->has_summary = true;
    simdjson::dom::object by_type;
    if (!summary.at_key("byType").get_object().get(by_type)) {
      double n = 0;
      for (auto field : by_type) {
        simdjson::dom::object t;
        if (field.value.get_object().get(t)) continue;
        const double v = Number(t, "n");
        if (std::isfinite(v)) n += v;
      }
      out->summary_resources = n;
    }
    double transfer = kUnknown;
    for (std::string_view party : {"firstParty", "thirdParty"}) {
      simdjson::dom::object p;
      if (summary.at_key(party).get_object().get(p)) continue;
      const double v = Number(p, "transfer");
      if (std::isfinite(v)) transfer = (std::isfinite(transfer) ? transfer : 0) + v;
    }
    out->summary_transfer = transfer;
  }

  simdjson::dom::array list;
  if (obj.at_key("resources").get_array().get(list)) return Status::Ok();
  for (simdjson::dom::element item : list) {
    simdjson::dom::object r;
    if (item.get_object().get(r)) continue;
    ResourceView v;
    if (r.at_key("u").get_string().get(v.url)) continue;
    v.initiator = String(r, "i");
    const double s = Number(r, "s"), d = Number(r, "d");
    v.start = std::isfinite(s) ? s : 0;
    v.duration = std::isfinite(d) ? d : 0;
    v.transfer = Number(r, "z");
    // The full build's records carry "t"; their flags are sent only when set.
    std::string_view t;
    const bool full = !r.at_key("t").get_string().get(t);
    const auto type = full ? ParseType(t) : std::nullopt;
    v.type = type ? *type : ClassifyResource(v.initiator, v.url);
    if (full) {
      v.dns = Number(r, "dns");
      v.connect = Number(r, "tcp");
      v.tls = Number(r, "tls");
      v.request = Number(r, "req");
      v.response = Number(r, "res");
      v.encoded = Number(r, "e");
      v.decoded = Number(r, "b");
      v.render_blocking = std::max<int8_t>(Flag(r, "rb"), 0);
      v.cache_hit = std::max<int8_t>(Flag(r, "c"), 0);
      v.third_party = std::max<int8_t>(Flag(r, "tp"), 0);
    } else {
      v.render_blocking = Flag(r, "rb");
      v.cache_hit = Flag(r, "c");
      v.third_party = Flag(r, "tp");
    }
    v.lcp = Flag(r, "lcp") == 1;
    out->resources.push_back(v);
  }
  return Status::Ok();
}

namespace {
constexpr uint32_t kPackedNaN = 0xFFFFFFFFu;
constexpr uint32_t kPackedWide = 7;  // scale code: an index into `wide`
constexpr double kPow10[7] = {1, 10, 100, 1000, 10000, 100000, 1000000};
}  // namespace

uint32_t PackNumber(double v, std::vector<double>& wide) {
  if (std::isnan(v)) return kPackedNaN;
  if (v >= 0 && !std::signbit(v)) {
    for (uint32_t sc = 0; sc < 7; ++sc) {
      const double k = std::round(v * kPow10[sc]);
      if (k >= static_cast<double>(1u << 29)) break;
      if (k / kPow10[sc] == v) return (sc << 29) | static_cast<uint32_t>(k);
    }
  }
  wide.push_back(v);
  return (kPackedWide << 29) | static_cast<uint32_t>(wide.size() - 1);
}

double UnpackNumber(uint32_t packed, const std::vector<double>& wide) {
  if (packed == kPackedNaN) return kUnknown;
  const uint32_t sc = packed >> 29, k = packed & ((1u << 29) - 1);
  if (sc == kPackedWide) return wide[k];
  return static_cast<double>(k) / kPow10[sc];
}

size_t ParseNetworkEvent(simdjson::dom::parser& parser, EventKindForNetwork kind, std::string_view app,
                         std::string_view page, std::string_view session, std::string_view event_id, double value,
                         std::string_view attrs_json, StringTable& strings, CachedNetworkEvent& out) {
  using Kind = CachedNetworkEvent::Kind;
  out.value = value;
  switch (kind) {
    case EventKindForNetwork::kResources: {
      ResourceBeacon beacon;
      if (attrs_json.empty() || !DecodeResourceBeacon(parser, attrs_json, &beacon).ok()) {
        out.kind = Kind::kUndecodable;
        return 0;
      }
      out.kind = Kind::kResources;
      out.app = strings.Intern(app);
      out.page = strings.Intern(page);
      out.session = strings.Intern(session);
      if (!beacon.page_view_id.empty()) out.page_view_id = strings.Intern(beacon.page_view_id);
      else out.event_id = strings.Intern(event_id);
      out.has_summary = beacon.has_summary;
      out.summary_resources = beacon.summary_resources;
      out.summary_transfer = beacon.summary_transfer;
      out.resources.reserve(beacon.resources.size());
      for (const ResourceView& r : beacon.resources) {
        CachedResource& c = out.resources.emplace_back();
        c.url = strings.Intern(r.url);
        // The URL's template, computed once per partition (kept as the URL string's tag).
        c.tmpl = strings.Tag(c.url);
        if (c.tmpl == StringTable::kNoTag) {
          c.tmpl = strings.Intern(ResourceUrlTemplate(r.url));
          strings.SetTag(c.url, c.tmpl);
        }
        c.type = r.type;
        c.link = r.initiator == "link";
        c.lcp = r.lcp;
        c.render_blocking = r.render_blocking;
        c.cache_hit = r.cache_hit;
        c.third_party = r.third_party;
        const double nums[10] = {r.start,    r.duration, r.dns,      r.connect, r.tls,
                                 r.request,  r.response, r.transfer, r.encoded, r.decoded};
        for (size_t i = 0; i < 10; ++i) c.numbers[i] = PackNumber(nums[i], out.wide);
      }
      out.wide.shrink_to_fit();
      return out.resources.capacity() * sizeof(CachedResource) + out.wide.capacity() * sizeof(double);
    }
    case EventKindForNetwork::kLcp: {
      if (!std::isfinite(value) || attrs_json.empty()) return 0;  // kIgnored
      simdjson::dom::element root;
      simdjson::dom::object obj;
      if (parser.parse(attrs_json.data(), attrs_json.size()).get(root) || root.get_object().get(obj)) {
        out.kind = Kind::kUndecodable;
        return 0;
      }
      const std::string_view id = String(obj, "pageViewId");
      if (id.empty()) return 0;
      out.kind = Kind::kLcp;
      out.app = strings.Intern(app);
      out.page_view_id = strings.Intern(id);
      simdjson::dom::object attribution;
      if (!obj.at_key("attribution").get_object().get(attribution)) {
        const std::string_view url = String(attribution, "url");
        if (!url.empty()) out.lcp_url = strings.Intern(url);
      }
      return 0;
    }
    case EventKindForNetwork::kNavigation: {
      const std::string_view id = FindPageViewId(attrs_json);
      if (id.empty() || !std::isfinite(value)) return 0;
      out.kind = Kind::kNavigation;
      out.app = strings.Intern(app);
      out.page_view_id = strings.Intern(id);
      return 0;
    }
  }
  return 0;
}

uint32_t NetworkAccumulator::Intern(Index& map, std::vector<std::string>& list, std::string_view s) {
  auto it = map.find(s);
  if (it != map.end()) return it->second;
  const uint32_t id = static_cast<uint32_t>(list.size());
  list.emplace_back(s);
  map.emplace(list.back(), id);
  return id;
}

void NetworkAccumulator::AddResources(std::string_view app, std::string_view page, std::string_view session,
                                      std::string_view event_id, std::string_view attrs_json) {
  own_resources_.push_back(static_cast<uint32_t>(own_.entries.size()));
  ParseNetworkEvent(parser_, EventKindForNetwork::kResources, app, page, session, event_id, 0, attrs_json, own_.strings,
                    own_.entries.emplace_back());
}

void NetworkAccumulator::AddLcp(std::string_view app, double value, std::string_view attrs_json) {
  own_joins_.push_back(static_cast<uint32_t>(own_.entries.size()));
  ParseNetworkEvent(parser_, EventKindForNetwork::kLcp, app, {}, {}, {}, value, attrs_json, own_.strings,
                    own_.entries.emplace_back());
}

void NetworkAccumulator::AddNavigation(std::string_view app, double value, std::string_view attrs_json) {
  own_joins_.push_back(static_cast<uint32_t>(own_.entries.size()));
  ParseNetworkEvent(parser_, EventKindForNetwork::kNavigation, app, {}, {}, {}, value, attrs_json, own_.strings,
                    own_.entries.emplace_back());
}

NetworkAccumulator::PartitionIds& NetworkAccumulator::StartPartition(size_t part,
                                                                    const CachedRows<CachedNetworkEvent>& rows) {
  const StringTable& strings = rows.strings;
  rows_by_id_[rows.id] = &rows;
  if (first_part_ == SIZE_MAX) first_part_ = part;
  if (part != first_part_ && !multi_) {
    // A second partition: from now on views are also found by key, across partitions.
    multi_ = true;
    for (uint32_t v = 0; v < views_.size(); ++v) view_index_.emplace(views_[v].key, v);
  }
  PartitionIds& ids = part_ids_[part];
  ids.strings = &strings;
  ids.part = static_cast<uint32_t>(rows.id);
  const size_t n = strings.size();
  if (ids.group_by_page.size() < n) {
    ids.group_by_page.resize(n, {kNoStringId, kNoStringId});
    ids.view_by_pvid.resize(n, {kNoStringId, kNoStringId});
  }
  return ids;
}

uint32_t NetworkAccumulator::NewView(std::string_view app, std::string_view page, std::string_view session) {
  std::string group(app);
  group.push_back('\0');
  group.append(page);
  return NewView(app, Intern(group_index_, groups_, group), session);
}

uint32_t NetworkAccumulator::NewView(PartitionIds& ids, uint32_t app, uint32_t page, uint32_t session) {
  const StringTable& st = *ids.strings;
  std::pair<uint32_t, uint32_t>& g = ids.group_by_page[page];
  uint32_t group;
  if (g.first == app) {
    group = g.second;
  } else {
    std::string name(st.Get(app));
    name.push_back('\0');
    name.append(st.Get(page));
    group = Intern(group_index_, groups_, name);
    if (g.first == kNoStringId) g = {app, group};
  }
  return NewView(st.Get(app), group, st.Get(session));
}

uint32_t NetworkAccumulator::NewView(std::string_view app, uint32_t group, std::string_view session) {
  const uint32_t vi = static_cast<uint32_t>(views_.size());
  View& v = views_.emplace_back();
  v.group = group;
  v.session = session;
  v.key = key_;
  if (multi_ || (key_.size() > app.size() + 1 && key_[app.size() + 1] == '\1')) view_index_.emplace(key_, vi);
  return vi;
}

uint32_t NetworkAccumulator::CachedView(PartitionIds& ids, uint32_t app, uint32_t pvid, const CachedNetworkEvent* e) {
  const StringTable& st = *ids.strings;
  std::pair<uint32_t, uint32_t>& slot = ids.view_by_pvid[pvid];
  if (slot.first == app) return slot.second;
  const uint64_t other_key = (static_cast<uint64_t>(app) << 32) | pvid;
  if (slot.first != kNoStringId) {
    if (auto it = ids.view_other_app.find(other_key); it != ids.view_other_app.end()) return it->second;
  }
  key_.assign(st.Get(app));
  key_.push_back('\0');
  key_.append(st.Get(pvid));
  uint32_t vi = UINT32_MAX;
  // A pageViewId starting with '\1' could equal a key of a view without one: by key.
  const bool by_key = multi_ || st.Get(pvid)[0] == '\1';
  if (by_key) {
    if (auto it = view_index_.find(std::string_view(key_)); it != view_index_.end()) vi = it->second;
  }
  if (vi == UINT32_MAX) {
    if (e == nullptr) return UINT32_MAX;
    vi = NewView(ids, app, e->page, e->session);
    if (by_key) view_index_.emplace(key_, vi);
  }
  if (slot.first == kNoStringId) slot = {app, vi};
  else ids.view_other_app.emplace(other_key, vi);
  return vi;
}

void NetworkAccumulator::AttachEvent(uint32_t vi, const PartitionIds& ids, const CachedNetworkEvent& e,
                                     uint64_t ref) {
  View& view = views_[vi];
  if (e.has_summary) {
    // The full build's summary is re-sent with running totals: the latest one wins, with
    // its list (the store keeps one per view; this guards against a second).
    view.has_summary = true;
    view.summary_resources = e.summary_resources;
    view.summary_transfer = e.summary_transfer;
    view.events.clear();
  }
  view.events.push_back({&e, ids.strings, ids.part, ref});
}

void NetworkAccumulator::AddCachedResources(size_t part, const CachedRows<CachedNetworkEvent>& rows,
                                            std::span<const uint32_t> index) {
  PartitionIds& ids = StartPartition(part, rows);
  const StringTable& st = rows.strings;
  for (uint32_t i : index) {
    const CachedNetworkEvent& e = rows.entries[i];
    if (e.kind == CachedNetworkEvent::Kind::kUndecodable) {
      ++undecodable_;
      continue;
    }
    if (e.kind != CachedNetworkEvent::Kind::kResources) continue;
    uint32_t vi;
    if (e.page_view_id != kNoStringId) {
      vi = CachedView(ids, e.app, e.page_view_id, &e);
    } else {
      // A view of its own; '\1' keeps it apart from every pageViewId.
      key_.assign(st.Get(e.app));
      key_.push_back('\0');
      key_.push_back('\1');
      key_.append(st.Get(e.session));
      key_.push_back('\0');
      key_.append(st.Get(e.event_id));
      auto it = view_index_.find(std::string_view(key_));
      vi = it != view_index_.end() ? it->second : NewView(st.Get(e.app), st.Get(e.page), st.Get(e.session));
    }
    pending_.push_back({&rows, &ids, i, vi});  // its records are read by ResolveCached
  }
}

void NetworkAccumulator::AddCachedJoins(size_t part, const CachedRows<CachedNetworkEvent>& rows,
                                        std::span<const uint32_t> index) {
  PartitionIds& ids = StartPartition(part, rows);
  for (uint32_t i : index) {
    const CachedNetworkEvent& e = rows.entries[i];
    if (e.kind == CachedNetworkEvent::Kind::kUndecodable) {
      ++undecodable_;
      continue;
    }
    if (e.kind != CachedNetworkEvent::Kind::kLcp && e.kind != CachedNetworkEvent::Kind::kNavigation) continue;
    // Every resource event came first: a view not found now never exists.
    const uint32_t vi = CachedView(ids, e.app, e.page_view_id, nullptr);
    if (vi == UINT32_MAX) continue;
    View& v = views_[vi];
    const uint64_t ref = (rows.id << 32) | i;
    if (e.kind == CachedNetworkEvent::Kind::kNavigation) {
      v.has_load = true;
      v.load = e.value;
      v.load_ref = ref;
      continue;
    }
    if (v.has_lcp && std::isfinite(v.lcp) && v.lcp >= e.value) continue;  // the largest LCP of the view wins
    v.has_lcp = true;
    v.lcp = e.value;
    v.lcp_ref = ref;
    v.lcp_strings = ids.strings;
    v.lcp_url = e.lcp_url;
  }
}

void NetworkAccumulator::ResolveCached(const NetworkPageMemo* memo) {
  resolved_ = true;
  const size_t groups = groups_.size();
  from_memo_.assign(groups, 0);
  memo_pages_.clear();
  memo_pages_.resize(groups);
  keys_.assign(groups, {});
  if (memo != nullptr) {
    // Each page's key: [events, views], then per resource event (in the order they were
    // read) its entry and the ordinal of its view within the page, then per view its
    // joined LCP and navigation entries. Entries are >= 2^32 (partition ids start at 1),
    // ordinals below.
    std::vector<uint32_t> ordinal(views_.size()), nviews(groups, 0), nevents(groups, 0);
    for (uint32_t v = 0; v < views_.size(); ++v) ordinal[v] = nviews[views_[v].group]++;
    for (const PendingEvent& p : pending_) ++nevents[views_[p.view].group];
    for (size_t g = 0; g < groups; ++g) {
      keys_[g].reserve(2 + 2 * size_t{nevents[g]} + 2 * size_t{nviews[g]});
      keys_[g].push_back(nevents[g]);
      keys_[g].push_back(nviews[g]);
    }
    for (const PendingEvent& p : pending_) {
      std::vector<uint64_t>& k = keys_[views_[p.view].group];
      k.push_back((p.rows->id << 32) | p.entry);
      k.push_back(ordinal[p.view]);
    }
    for (const View& v : views_) {
      std::vector<uint64_t>& k = keys_[v.group];
      k.push_back(v.lcp_ref);
      k.push_back(v.load_ref);
    }
    for (size_t g = 0; g < groups; ++g) from_memo_[g] = memo->Find(groups_[g], keys_[g], rules_, &memo_pages_[g]);
  }
  // The other pages' records, in the order they were selected.
  for (const PendingEvent& p : pending_) {
    if (!from_memo_[views_[p.view].group]) {
      AttachEvent(p.view, *p.ids, p.rows->entries[p.entry], (p.rows->id << 32) | p.entry);
    }
  }
  pending_.clear();
  pending_.shrink_to_fit();
}

NetworkReport NetworkAccumulator::Finish(NetworkPageMemo* memo, int threads) {
  if (!own_resources_.empty() || !own_joins_.empty()) {
    // The Add* path: its own entries through the cached passes (one partition, no memo).
    own_.id = 1;
    AddCachedResources(0, own_, own_resources_);
    AddCachedJoins(0, own_, own_joins_);
    own_resources_.clear();
    own_joins_.clear();
  }
  if (!resolved_ && !pending_.empty()) ResolveCached(nullptr);
  NetworkReport report;
  report.undecodable = undecodable_;
  std::vector<std::vector<uint32_t>> by_group(groups_.size());
  for (uint32_t v = 0; v < views_.size(); ++v) by_group[views_[v].group].push_back(v);
  std::vector<uint32_t> order(groups_.size());
  for (uint32_t g = 0; g < order.size(); ++g) order[g] = g;
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return groups_[a] < groups_[b]; });
  // Pages from the memo take their place; the others are analysed, largest first (by
  // views and events), on up to `threads` threads: the pages are independent, and each
  // answer lands in its own slot, so the report is the same whatever the split.
  report.pages.resize(order.size());
  std::vector<std::pair<size_t, size_t>> todo;  // (work, index into order)
  size_t work = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    const uint32_t g = order[i];
    if (resolved_ && from_memo_[g]) {
      report.pages[i] = std::move(memo_pages_[g]);
      continue;
    }
    const size_t nul = groups_[g].find('\0');
    report.pages[i].app = groups_[g].substr(0, nul);
    report.pages[i].page = groups_[g].substr(nul + 1);
    // The work: per view its matching against the page's state, per event (new or left) its
    // records; counted without reading the entries (that alone was a cache miss per event).
    size_t n = 0;
    for (uint32_t v : by_group[g]) n += 1 + views_[v].events.size();
    todo.emplace_back(n, i);
    work += n;
  }
  std::stable_sort(todo.begin(), todo.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  if (threads <= 0) threads = static_cast<int>(std::min(8u, std::max(1u, std::thread::hardware_concurrency())));
  // Below a few ms of work a thread costs more than it saves.
  if (work < kParallelNetworkWork) threads = 1;
  threads = static_cast<int>(std::min<size_t>(static_cast<size_t>(threads), todo.size()));
  // Each page's analysis state: the memo's (taken out while this query updates it), else new.
  std::vector<std::shared_ptr<NetworkPageState>> states(order.size());
  const bool keep = memo != nullptr && resolved_;
  if (keep) {
    for (const auto& [n, i] : todo) states[i] = memo->TakeState(groups_[order[i]], rules_);
  }
  std::atomic<size_t> next{0};
  std::atomic<int64_t> incremental{0};
  // A part of the fork-join must not throw: each keeps its exception for after the join.
  std::vector<std::exception_ptr> errors(static_cast<size_t>(std::max(threads, 1)));
  auto part = [&](int t) {
    try {
      for (size_t k; (k = next.fetch_add(1)) < todo.size();) {
        const size_t i = todo[k].second;
        if (AnalyzeGroup(by_group[order[i]], states[i], report.pages[i], keep)) incremental.fetch_add(1);
      }
    } catch (...) {
      errors[static_cast<size_t>(t)] = std::current_exception();
    }
  };
  if (threads > 1) {
    ForkJoin fork_join;
    try {
      fork_join.Run(threads, part);
    } catch (const std::system_error&) {
      part(0);  // no helper thread to be had: this thread takes every page left
    }
  } else {
    part(0);
  }
  for (const std::exception_ptr& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  report.incremental = incremental.load();
  if (memo != nullptr && resolved_) {
    for (const auto& [n, i] : todo) {
      const uint32_t g = order[i];
      if (!keys_[g].empty()) memo->Store(groups_[g], std::move(keys_[g]), rules_, report.pages[i], std::move(states[i]));
    }
  }
  return report;
}

namespace network_detail {

// One record of a view as the analysis reads it (unpacked from a CachedResource).
struct Rec {
  const StringTable* strings = nullptr;
  uint32_t url = 0;   // string id in `strings`
  uint32_t part = 0;  // the cached partition's id (string ids are per partition)
  uint32_t row = 0;   // the page's resource-table row (URL template)
  ResourceType type = ResourceType::kOther;
  bool link = false, lcp = false;
  int8_t render_blocking = -1, cache_hit = -1, third_party = -1;
  double start = 0, duration = 0, transfer = kUnknown, encoded = kUnknown, decoded = kUnknown;
  std::string_view Url() const { return strings->Get(url); }
  uint64_t UrlKey() const { return (static_cast<uint64_t>(part) << 32) | url; }
};

// Page-local ids of strings that come as (partition id, string id): one probe per record,
// the string read only the first time a (partition, id) is met. Owns its strings (a page's
// state outlives the query whose partitions named them).
class PageIds {
 public:
  // The id of the string `id` of `strings`: `create`, a new id when the page has none for
  // that string yet; else UINT32_MAX for a string the page never named.
  uint32_t Get(uint32_t part, const StringTable& strings, uint32_t id, bool create = true) {
    auto [slot, fresh] = by_key_.TryEmplace((static_cast<uint64_t>(part) << 32) | id);
    if (fresh || (*slot == UINT32_MAX && create)) {
      const std::string_view s = strings.Get(id);
      auto it = by_name_.find(s);
      if (it == by_name_.end() && create) {
        names_.emplace_back(s);
        bytes_ += s.size() + 48;
        it = by_name_.emplace(names_.back(), static_cast<uint32_t>(names_.size() - 1)).first;
      }
      *slot = it == by_name_.end() ? UINT32_MAX : it->second;
      bytes_ += 16;
    }
    return *slot;
  }
  std::string_view Name(uint32_t id) const { return names_[id]; }
  size_t size() const { return names_.size(); }
  size_t MemoryBytes() const { return bytes_; }

 private:
  FlatIndex by_key_;
  std::unordered_map<std::string_view, uint32_t> by_name_;
  std::deque<std::string> names_;
  size_t bytes_ = 0;
};

// A multiset kept as a sorted vector: Add and Remove are queued, Settle applies them (one
// by one when few, else by one sort and merge). A list filled in one go by Settle(false)
// is left unsorted (a state that will not be kept needs only its percentiles: a selection,
// O(n)) and sorted by the first Settle that changes it.
template <class T, class Less = std::less<T>>
class SortedList {
 public:
  void Add(const T& v) { add_.push_back(v); }
  void Remove(const T& v) { del_.push_back(v); }
  void Settle(bool sort = true) {
    if (add_.empty() && del_.empty()) return;
    const Less less;
    if (v_.empty() && del_.empty()) {
      v_.swap(add_);
      v_.shrink_to_fit();
      sorted_ = false;
      if (sort) std::sort(v_.begin(), v_.end(), less), sorted_ = true;
      return;
    }
    if (!sorted_) std::sort(v_.begin(), v_.end(), less), sorted_ = true;
    if (add_.size() + del_.size() <= 4) {
      if (v_.size() + add_.size() > v_.capacity()) v_.reserve(v_.size() + add_.size() + v_.size() / 8);  // not twice
      for (const T& d : del_) {
        auto it = std::lower_bound(v_.begin(), v_.end(), d, less);
        if (it != v_.end() && !less(d, *it)) v_.erase(it);
      }
      for (const T& a : add_) v_.insert(std::upper_bound(v_.begin(), v_.end(), a, less), a);
    } else {
      std::sort(del_.begin(), del_.end(), less);
      std::sort(add_.begin(), add_.end(), less);
      std::vector<T> kept;
      kept.reserve(v_.size());
      size_t d = 0;
      for (const T& x : v_) {
        while (d < del_.size() && less(del_[d], x)) ++d;  // (never: every removed value is present)
        if (d < del_.size() && !less(x, del_[d])) {
          ++d;
          continue;
        }
        kept.push_back(x);
      }
      v_.clear();
      v_.reserve(kept.size() + add_.size());
      std::merge(kept.begin(), kept.end(), add_.begin(), add_.end(), std::back_inserter(v_), less);
    }
    add_.clear();
    del_.clear();
    if (add_.capacity() > 64) add_.shrink_to_fit(), del_.shrink_to_fit();
  }
  // After Settle.
  size_t size() const { return v_.size(); }
  bool empty() const { return v_.empty(); }
  // The k-th smallest (k < size()).
  const T& Nth(size_t k) {
    if (!sorted_) std::nth_element(v_.begin(), v_.begin() + static_cast<ptrdiff_t>(k), v_.end(), Less());
    return v_[k];
  }
  // The 75th percentile (percentile.h's definition; NaN when empty), for lists of doubles.
  double P75() {
    if (sorted_) return PercentileOfSorted(v_, 75);
    const double p = 75;
    return ExactPercentiles(std::span<double>(v_), std::span<const double>(&p, 1))[0];
  }
  size_t MemoryBytes() const { return (v_.capacity() + add_.capacity() + del_.capacity()) * sizeof(T); }

 private:
  std::vector<T> v_, add_, del_;
  bool sorted_ = true;
};

// A sum that subtracts exactly: each value counted in millionths (up to 10^12 each), so the
// order in which views come and go never changes it.
class ExactSum {
 public:
  void Add(double v, int sign) { sum_ += sign * static_cast<__int128>(std::llround(std::min(v, 1e12) * 1e6)); }
  void Add(const ExactSum& other, int sign) { sum_ += sign * other.sum_; }
  double value() const {
    // The whole part straight from 128 bits (through int64 it would overflow above 9.2e12).
    return static_cast<double>(sum_ / 1'000'000) + static_cast<double>(sum_ % 1'000'000) / 1e6;
  }

 private:
  __int128 sum_ = 0;
};

// Per view: LCP, load, the LCP resource, counts, the critical path.
struct Calc {
  double lcp = kUnknown, load = kUnknown, span = 0, resources = 0, transfer = 0;
  double critical = kUnknown;  // NaN: unknown (an older beacon without render-blocking status)
  int lcp_res = -1;            // index into the view's records
};

struct BasisItem {
  double value;
  const std::string* key;  // the view's key (the state's map key: stable)
};
struct BasisLess {
  bool operator()(const BasisItem& a, const BasisItem& b) const {
    if (a.value != b.value) return a.value < b.value;
    return *a.key < *b.key;
  }
};

}  // namespace network_detail

using network_detail::BasisItem;
using network_detail::Calc;
using network_detail::ExactSum;
using network_detail::Rec;
using network_detail::SortedList;

struct NetworkPageState {
  // One resource-table row (URL template).
  struct Row {
    std::array<int64_t, 6> types{};  // records by ResourceType
    int64_t count = 0, cache_known = 0, cache_hits = 0, rb = 0, rb_views = 0, compression_known = 0;
    int64_t third_party_yes = 0, third_party_no = 0, rb_yes = 0, rb_no = 0;
    ExactSum encoded, decoded;
    bool json = false;  // the template ends in .json (a text resource whatever its type)
    uint64_t rb_stamp = 0, repeat_stamp = 0;  // the view last applied (or read) that counted here
    SortedList<double> durations, transfers, decoded_sizes, uncompressed;
    int64_t repeat_sessions = 0, repeat_views = 0;  // cache_miss_repeat, over the sessions
    ExactSum repeat_bytes;
    ResourceType Type() const {  // the most common type of its records (ties: the first type)
      size_t best = 0;
      for (size_t t = 1; t < types.size(); ++t) best = types[t] > types[best] ? t : best;
      return static_cast<ResourceType>(best);
    }
  };
  struct Party {
    int64_t count = 0;
    ExactSum transfer, blocking;
  };
  struct ViewState {
    const std::string* key = nullptr;  // its key in views (the node's: stable)
    std::vector<uint64_t> sig;  // its resource events' refs, then its LCP's and its navigation's
    Calc calc;
    const std::string* session = nullptr;  // key in sessions
    uint64_t seq = 0;  // order of arrival within the page
    uint64_t gen = 0;  // the update that last saw it
    uint32_t vid = 0;  // its index in the accumulator of that update
  };
  struct Session {
    const std::string* key = nullptr;  // its key in sessions
    uint64_t open_gen = 0;             // the update that took its repeats out
    std::vector<std::pair<uint64_t, const ViewState*>> views;  // (seq, view), by seq
  };

  network_detail::PageIds row_ids, url_ids;
  std::vector<Row> rows;
  std::unordered_map<std::string, ViewState> views;
  std::vector<ViewState*> order;  // the views by seq (the order of the last update's views)
  std::unordered_map<std::string, Session, NetworkAccumulator::StringHash, std::equal_to<>> sessions;
  uint64_t next_seq = 0, gen = 0, stamp = 0;
  size_t sig_words = 0;
  std::vector<Party> parties;
  std::unordered_map<std::string, uint32_t> party_ids;  // by origin
  FlatIndex party_of_url;                               // (partition, URL) -> index into parties
  ExactSum total_transfer;
  SortedList<double> page_images;
  // LCP resource findings, evaluated per view with an LCP resource.
  int64_t with_lcp_res = 0;
  SortedList<double> late_start, late_lcp, late_rb_end, np_delay;
  std::vector<int64_t> late_urls, np_urls;  // views by url_ids
  // Per view figures.
  SortedList<double> counts, transfers, criticals;
  SortedList<BasisItem, network_detail::BasisLess> basis_lcp, basis_load, basis_span;

  using EventRef = NetworkAccumulator::EventRef;
  using View = NetworkAccumulator::View;

  // A view's records, unpacked into `recs`, with the page's row ids (new rows created).
  void Load(std::span<const EventRef> events, std::vector<Rec>& recs) {
    recs.clear();
    for (const EventRef& ref : events) {
      const std::vector<double>& wide = ref.event->wide;
      for (const CachedResource& r : ref.event->resources) {
        Rec& x = recs.emplace_back();
        x.strings = ref.strings;
        x.url = r.url;
        x.part = ref.part;
        x.row = row_ids.Get(ref.part, *ref.strings, r.tmpl);
        if (x.row == rows.size()) rows.emplace_back().json = EndsWithNoCase(row_ids.Name(x.row), ".json");
        x.type = r.type;
        x.link = r.link;
        x.lcp = r.lcp;
        x.render_blocking = r.render_blocking;
        x.cache_hit = r.cache_hit;
        x.third_party = r.third_party;
        x.start = UnpackNumber(r.numbers[0], wide);
        x.duration = UnpackNumber(r.numbers[1], wide);
        x.transfer = UnpackNumber(r.numbers[7], wide);
        x.encoded = UnpackNumber(r.numbers[8], wide);
        x.decoded = UnpackNumber(r.numbers[9], wide);
      }
    }
  }

  // A view's own figures from its records.
  static Calc Compute(const View& v, const std::vector<Rec>& recs) {
    Calc c;
    if (v.has_lcp) c.lcp = v.lcp;
    if (v.has_load) c.load = v.load;
    double transfer = 0;
    bool rb_known = false;
    for (size_t r = 0; r < recs.size(); ++r) {
      const Rec& x = recs[r];
      c.span = std::max(c.span, x.start + x.duration);
      if (std::isfinite(x.transfer)) transfer += x.transfer;
      if (x.render_blocking >= 0) rb_known = true;
      if (x.lcp && c.lcp_res < 0) c.lcp_res = static_cast<int>(r);
    }
    if (c.lcp_res < 0 && v.has_lcp && v.lcp_url != kNoStringId) {
      // The LCP's attribution.url among the view's records (the same string: the same id
      // within one string table).
      const std::string_view lcp_url = v.lcp_strings->Get(v.lcp_url);
      for (size_t r = 0; r < recs.size(); ++r) {
        const Rec& x = recs[r];
        if (x.strings == v.lcp_strings ? x.url == v.lcp_url : x.Url() == lcp_url) {
          c.lcp_res = static_cast<int>(r);
          break;
        }
      }
    }
    c.resources = std::isfinite(v.summary_resources) ? v.summary_resources : static_cast<double>(recs.size());
    c.transfer = std::isfinite(v.summary_transfer) ? v.summary_transfer : transfer;
    if (rb_known || c.lcp_res >= 0) {
      double end = 0;
      for (size_t r = 0; r < recs.size(); ++r) {
        const Rec& x = recs[r];
        if (x.render_blocking == 1 || static_cast<int>(r) == c.lcp_res) end = std::max(end, x.start + x.duration);
      }
      c.critical = end;
    }
    return c;
  }

  // Adds (sign 1) or removes (sign -1) one view: its records and figures.
  void Apply(const std::vector<Rec>& recs, const Calc& c, const ViewState& vs, int sign, const NetworkRules& rules) {
    const std::string* key = vs.key;
    const uint64_t now = ++stamp;
    auto put = [sign](auto& list, const auto& v) { sign > 0 ? list.Add(v) : list.Remove(v); };
    put(counts, c.resources);
    put(transfers, c.transfer);
    if (std::isfinite(c.critical)) put(criticals, c.critical);
    if (std::isfinite(c.lcp)) put(basis_lcp, BasisItem{c.lcp, key});
    if (std::isfinite(c.load)) put(basis_load, BasisItem{c.load, key});
    put(basis_span, BasisItem{c.span, key});
    for (const Rec& x : recs) {
      Row& row = rows[x.row];
      row.types[static_cast<size_t>(x.type)] += sign;
      row.count += sign;
      put(row.durations, x.duration);
      if (std::isfinite(x.transfer)) put(row.transfers, x.transfer), total_transfer.Add(x.transfer, sign);
      if (x.cache_hit >= 0) row.cache_known += sign, row.cache_hits += sign * x.cache_hit;
      if (std::isfinite(x.encoded) && std::isfinite(x.decoded) && x.decoded > 0) {
        row.encoded.Add(x.encoded, sign);
        row.decoded.Add(x.decoded, sign);
        row.compression_known += sign;
      }
      if (x.third_party >= 0) (x.third_party ? row.third_party_yes : row.third_party_no) += sign;
      if (x.render_blocking >= 0) (x.render_blocking ? row.rb_yes : row.rb_no) += sign;
      if (x.render_blocking == 1) {
        row.rb += sign;
        if (row.rb_stamp != now) row.rb_views += sign, row.rb_stamp = now;
      }
      if (std::isfinite(x.decoded)) {
        put(row.decoded_sizes, x.decoded);
        if (x.type == ResourceType::kImg) put(page_images, x.decoded);
      }
      // uncompressed_text: a text resource whose body went over the wire as is.
      const bool text = x.type == ResourceType::kScript || x.type == ResourceType::kCss || row.json;
      if (text && std::isfinite(x.encoded) && std::isfinite(x.decoded) && x.encoded == x.decoded &&
          x.decoded > rules.uncompressed_min_bytes && x.cache_hit != 1) {
        put(row.uncompressed, x.decoded);
      }
      if (x.third_party == 1) {
        auto [pu, fresh] = party_of_url.TryEmplace(x.UrlKey());
        if (fresh) {
          auto [pi, added] = party_ids.try_emplace(std::string(UrlOrigin(x.Url())), static_cast<uint32_t>(parties.size()));
          if (added) parties.emplace_back();
          *pu = pi->second;
        }
        Party& p = parties[*pu];
        p.count += sign;
        if (std::isfinite(x.transfer)) p.transfer.Add(x.transfer, sign);
        if (x.render_blocking == 1) p.blocking.Add(x.duration, sign);
      }
    }
    if (c.lcp_res < 0) return;
    with_lcp_res += sign;
    const Rec& l = recs[static_cast<size_t>(c.lcp_res)];
    double earliest = l.start, first_rb_start = INFINITY, first_rb_end = kUnknown;
    for (size_t r = 0; r < recs.size(); ++r) {
      const Rec& x = recs[r];
      earliest = std::min(earliest, x.start);
      if (x.render_blocking == 1 && static_cast<int>(r) != c.lcp_res && x.start < first_rb_start) {
        first_rb_start = x.start;
        first_rb_end = x.start + x.duration;
      }
    }
    auto count_url = [&](std::vector<int64_t>& counts_by_url) {
      const uint32_t u = url_ids.Get(l.part, *l.strings, l.url);
      if (counts_by_url.size() <= u) counts_by_url.resize(u + 1, 0);
      counts_by_url[u] += sign;
    };
    const bool late_share = std::isfinite(c.lcp) && l.start > rules.late_discovery_lcp_share * c.lcp;
    const bool after_rb = std::isfinite(first_rb_end) && l.start >= first_rb_end;
    if (late_share || after_rb) {
      put(late_start, l.start);
      if (std::isfinite(c.lcp)) put(late_lcp, c.lcp);
      if (std::isfinite(first_rb_end)) put(late_rb_end, first_rb_end);
      count_url(late_urls);
    }
    if (!l.link && l.start > earliest + rules.not_preloaded_delay_ms) {
      put(np_delay, l.start - earliest);
      count_url(np_urls);
    }
  }

  // Ids that no live view names any more are only dropped by a rebuild: true when they
  // outnumber the live ones (a page whose URLs churn).
  bool WantsRebuild() const {
    size_t live_rows = 0, live_urls = 0, live_parties = 0;
    int64_t party_records = 0;
    for (const Row& r : rows) live_rows += r.count > 0;
    for (int64_t n : late_urls) live_urls += n > 0;
    for (int64_t n : np_urls) live_urls += n > 0;
    for (const Party& p : parties) live_parties += p.count > 0, party_records += p.count;
    return rows.size() > 2 * live_rows + 256 || url_ids.size() > 2 * live_urls + 256 ||
           parties.size() > 2 * live_parties + 256 || party_of_url.size() > 2 * static_cast<size_t>(party_records) + 1024;
  }

  // `keep`: the state is kept for the next request (its lists are sorted now, else when
  // they first change).
  void Settle(bool keep) {
    for (Row& r : rows) {
      r.durations.Settle(keep);
      r.transfers.Settle(keep);
      r.decoded_sizes.Settle(keep);
      r.uncompressed.Settle(keep);
    }
    for (SortedList<double>* l : {&page_images, &late_start, &late_lcp, &late_rb_end, &np_delay, &counts, &transfers,
                                  &criticals}) {
      l->Settle(keep);
    }
    basis_lcp.Settle(keep);
    basis_load.Settle(keep);
    basis_span.Settle(keep);
  }
  size_t MemoryBytes() const {
    size_t n = sizeof(*this) + row_ids.MemoryBytes() + url_ids.MemoryBytes() + rows.capacity() * sizeof(Row);
    for (const Row& r : rows) {
      n += r.durations.MemoryBytes() + r.transfers.MemoryBytes() + r.decoded_sizes.MemoryBytes() +
           r.uncompressed.MemoryBytes();
    }
    n += views.size() * (sizeof(ViewState) + 104) + sig_words * sizeof(uint64_t) + sessions.size() * 120;
    n += parties.capacity() * sizeof(Party) + party_ids.size() * 64 + party_of_url.size() * 16;
    for (const SortedList<double>* l : {&page_images, &late_start, &late_lcp, &late_rb_end, &np_delay, &counts,
                                        &transfers, &criticals}) {
      n += l->MemoryBytes();
    }
    n += basis_lcp.MemoryBytes() + basis_load.MemoryBytes() + basis_span.MemoryBytes();
    n += (late_urls.capacity() + np_urls.capacity()) * sizeof(int64_t);
    return n;
  }
};

size_t NetworkPageStateBytes(const NetworkPageState& state) { return state.MemoryBytes(); }


bool NetworkAccumulator::UpdateState(const std::vector<uint32_t>& view_ids, NetworkPageState& st, bool keep) const {
  using ViewState = NetworkPageState::ViewState;
  auto same = [](const View& v, const std::vector<uint64_t>& sig) {
    if (sig.size() != v.events.size() + 2) return false;
    for (size_t i = 0; i < v.events.size(); ++i) {
      if (v.events[i].ref != sig[i]) return false;
    }
    return sig[v.events.size()] == v.lcp_ref && sig[v.events.size() + 1] == v.load_ref;
  };
  auto signature = [](const View& v) {
    std::vector<uint64_t> sig;
    sig.reserve(v.events.size() + 2);
    for (const EventRef& e : v.events) sig.push_back(e.ref);
    sig.push_back(v.lcp_ref);
    sig.push_back(v.load_ref);
    return sig;
  };
  // A removed (or changed) view's records: its events, read again from the partitions of
  // this query (false when one of them is not among them: the state cannot undo it).
  std::vector<EventRef> old_events, peer_events;
  auto resolve = [&](const ViewState& vs, std::vector<EventRef>& events) {
    events.clear();
    for (size_t i = 0; i + 2 < vs.sig.size(); ++i) {
      const uint64_t ref = vs.sig[i];
      auto it = rows_by_id_.find(ref >> 32);
      const uint32_t entry = static_cast<uint32_t>(ref & 0xffffffffu);
      if (it == rows_by_id_.end() || entry >= it->second->entries.size()) return false;
      events.push_back({&it->second->entries[entry], &it->second->strings, static_cast<uint32_t>(ref >> 32), ref});
    }
    return true;
  };

  // Match the views. A kept view stays in place when it comes in the order the state has
  // them; from the first view that is new or out of order on (a view whose resource event
  // was sent again moves to the end), every view takes a new place after all others.
  const uint64_t gen = ++st.gen;
  struct Tail {
    uint32_t vid;
    ViewState* old;  // its state before, or nullptr
    size_t pos;      // in view_ids
  };
  std::vector<Tail> tail;  // in order
  std::vector<ViewState*> changed, removed;
  size_t moved = 0;
  uint64_t last_seq = 0;
  bool have_kept = false;
  size_t guess = 0;  // st.order: the views of the last update in their order, usually this one's
  std::vector<ViewState*> order;
  order.reserve(view_ids.size());
  for (uint32_t vid : view_ids) {
    const View& v = views_[vid];
    ViewState* vs = nullptr;
    if (guess < st.order.size() && *st.order[guess]->key == v.key) {
      vs = st.order[guess++];
    } else {
      auto it = st.views.find(v.key);
      if (it != st.views.end()) {
        vs = &it->second;
        if (guess < st.order.size() && st.order[guess]->seq < vs->seq) {
          // Skip the views between (they left): the next ones usually follow this one.
          guess = static_cast<size_t>(std::lower_bound(st.order.begin() + static_cast<ptrdiff_t>(guess), st.order.end(),
                                                       vs->seq, [](const ViewState* a, uint64_t seq) { return a->seq < seq; }) -
                                      st.order.begin()) + 1;
        }
      }
    }
    order.push_back(vs);
    if (vs != nullptr) vs->gen = gen, vs->vid = vid;
    if (vs == nullptr || !tail.empty() || (have_kept && vs->seq <= last_seq)) {
      tail.push_back({vid, vs, order.size() - 1});
      moved += vs != nullptr;
      continue;
    }
    have_kept = true;
    last_seq = vs->seq;
    if (!same(v, vs->sig)) changed.push_back(vs);
  }
  if (st.views.size() > view_ids.size() - (tail.size() - moved)) {
    for (ViewState* vs : st.order) {  // every view of the state (the last update's)
      if (vs->gen != gen) removed.push_back(vs);
    }
  }
  if (!st.views.empty() && (removed.size() + 2 * (changed.size() + moved) + tail.size() - moved >
                                view_ids.size() / 2 + 16 ||
                            st.WantsRebuild())) {
    return false;  // a rebuild costs less (or frees what the state no longer needs)
  }

  std::vector<Rec> recs, peer_recs;
  using Session = NetworkPageState::Session;
  // cache_miss_repeat is a property of a session's views together: per template, the views
  // that downloaded it (the first such record of each), in order; every view after the first
  // is a repeat. A session touched by this update has its contribution taken out before its
  // first change and put back, from its views then, after the last (`opened`).
  struct RowRepeat {
    int64_t views = 0;
    ExactSum later;  // the transfers of every view after the first
  };
  std::vector<RowRepeat> per_row;
  std::vector<uint32_t> rows_seen;
  auto contribute = [&](const Session& session, int sign) {
    if (session.views.size() < 2) return true;
    if (per_row.size() < st.rows.size()) per_row.resize(st.rows.size());
    rows_seen.clear();
    for (const auto& [seq, peer] : session.views) {
      if (!resolve(*peer, peer_events)) return false;
      st.Load(peer_events, peer_recs);
      if (per_row.size() < st.rows.size()) per_row.resize(st.rows.size());
      const uint64_t now = ++st.stamp;
      for (const Rec& x : peer_recs) {
        NetworkPageState::Row& row = st.rows[x.row];
        if (x.type == ResourceType::kFetch || !std::isfinite(x.transfer) || x.transfer <= 0 || x.cache_hit == 1 ||
            row.repeat_stamp == now) {
          continue;
        }
        row.repeat_stamp = now;
        RowRepeat& r = per_row[x.row];
        if (r.views++ == 0) rows_seen.push_back(x.row);
        else r.later.Add(x.transfer, 1);
      }
    }
    for (uint32_t ri : rows_seen) {
      RowRepeat& r = per_row[ri];
      if (r.views >= 2) {
        NetworkPageState::Row& row = st.rows[ri];
        row.repeat_sessions += sign;
        row.repeat_views += sign * (r.views - 1);
        row.repeat_bytes.Add(r.later, sign);
      }
      r = RowRepeat{};
    }
    return true;
  };
  std::vector<Session*> opened;
  auto open = [&](Session& session) {
    if (session.open_gen == gen) return true;
    session.open_gen = gen;
    opened.push_back(&session);
    return contribute(session, -1);
  };
  auto leave_session = [&](const ViewState& vs) {
    Session& session = st.sessions.at(*vs.session);
    if (!open(session)) return false;
    auto& members = session.views;
    members.erase(std::find_if(members.begin(), members.end(), [&](const auto& m) { return m.second == &vs; }));
    return true;
  };
  auto join_session = [&](ViewState& vs, const View& v) {
    auto it = st.sessions.find(v.session);
    if (it == st.sessions.end()) {
      it = st.sessions.try_emplace(std::string(v.session)).first;
      it->second.key = &it->first;
    }
    vs.session = &it->first;
    if (!open(it->second)) return false;
    auto& members = it->second.views;
    members.insert(std::upper_bound(members.begin(), members.end(), vs.seq,
                                    [](uint64_t seq, const auto& m) { return seq < m.first; }),
                   {vs.seq, &vs});
    return true;
  };
  auto add = [&](ViewState& vs, const View& v) {
    st.Load(v.events, recs);
    vs.calc = NetworkPageState::Compute(v, recs);
    vs.sig = signature(v);
    st.sig_words += vs.sig.size();
    st.Apply(recs, vs.calc, vs, 1, rules_);
    return join_session(vs, v);
  };
  auto remove = [&](ViewState& vs) {
    if (!leave_session(vs) || !resolve(vs, old_events)) return false;
    st.Load(old_events, recs);
    st.Apply(recs, vs.calc, vs, -1, rules_);
    st.sig_words -= vs.sig.size();
    return true;
  };
  for (ViewState* vs : removed) {
    if (!remove(*vs)) return false;
  }
  for (ViewState* vs : changed) {
    if (!remove(*vs) || !add(*vs, views_[vs->vid])) return false;
  }
  for (auto [vid, old, pos] : tail) {
    const View& v = views_[vid];
    if (old != nullptr && !remove(*old)) return false;
    auto [it, fresh] = st.views.try_emplace(v.key);
    ViewState& vs = it->second;
    vs.key = &it->first;
    vs.seq = st.next_seq++;
    vs.gen = gen;
    vs.vid = vid;
    if (!add(vs, v)) return false;
    order[pos] = &vs;
  }
  for (Session* session : opened) {
    if (!contribute(*session, 1)) return false;
  }
  for (Session* session : opened) {
    if (session->views.empty()) st.sessions.erase(st.sessions.find(*session->key));
  }
  st.Settle(keep);
  for (ViewState* vs : removed) st.views.erase(*vs->key);  // after Settle: the lists compared their keys
  st.order = std::move(order);
  return true;
}

bool NetworkAccumulator::AnalyzeGroup(const std::vector<uint32_t>& view_ids, std::shared_ptr<NetworkPageState>& state,
                                      PageNetwork& out, bool keep) const {
  const bool followed = state != nullptr && UpdateState(view_ids, *state, keep);
  if (!followed) {
    state = std::make_shared<NetworkPageState>();  // from nothing: every view is new
    UpdateState(view_ids, *state, keep);
  }
  RenderState(view_ids, *state, out);
  return followed;
}

void NetworkAccumulator::RenderState(const std::vector<uint32_t>& view_ids, NetworkPageState& st,
                                     PageNetwork& out) const {
  using Row = NetworkPageState::Row;
  const NetworkRules& rules = rules_;
  out.views = static_cast<int64_t>(view_ids.size());

  // The median page view: by LCP, else load time, else the end of its last resource.
  auto& basis = !st.basis_lcp.empty() ? st.basis_lcp : !st.basis_load.empty() ? st.basis_load : st.basis_span;
  if (basis.empty()) return;
  const NetworkPageState::ViewState& mvs = st.views.at(*basis.Nth((basis.size() - 1) / 2).key);
  const View& mv = views_[mvs.vid];
  const Calc& mc = mvs.calc;

  // Waterfall: the median view's records by start, with their phases.
  std::vector<Rec> recs;
  st.Load(mv.events, recs);
  struct Phases {
    double dns, connect, tls, request, response;
  };
  std::vector<Phases> phases;
  for (const EventRef& ref : mv.events) {
    for (const CachedResource& r : ref.event->resources) {
      const std::vector<double>& wide = ref.event->wide;
      phases.push_back({UnpackNumber(r.numbers[2], wide), UnpackNumber(r.numbers[3], wide),
                        UnpackNumber(r.numbers[4], wide), UnpackNumber(r.numbers[5], wide),
                        UnpackNumber(r.numbers[6], wide)});
    }
  }
  std::vector<size_t> idx(recs.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
    const Rec &x = recs[a], &y = recs[b];
    if (x.start != y.start) return x.start < y.start;
    return x.start + x.duration < y.start + y.duration;
  });
  for (size_t i : idx) {
    const Rec& x = recs[i];
    WaterfallEntry& w = out.waterfall.emplace_back();
    w.url = x.Url();
    w.type = ResourceTypeName(x.type);
    w.start = x.start;
    w.duration = x.duration;
    w.dns = phases[i].dns;
    w.connect = phases[i].connect;
    w.tls = phases[i].tls;
    w.request = phases[i].request;
    w.response = phases[i].response;
    w.transfer = x.transfer;
    w.render_blocking = x.render_blocking;
    w.third_party = x.third_party;
    w.lcp = static_cast<int>(i) == mc.lcp_res;
  }

  // Critical path: the median view's render-blocking resources and its LCP resource.
  out.critical_path.lcp = mc.lcp;
  for (size_t i : idx) {
    const Rec& x = recs[i];
    if (x.render_blocking != 1 && static_cast<int>(i) != mc.lcp_res) continue;
    CriticalPathEntry& e = out.critical_path.resources.emplace_back();
    e.url = x.Url();
    e.type = ResourceTypeName(x.type);
    e.duration = x.duration;
    e.share_of_lcp = std::isfinite(mc.lcp) && mc.lcp > 0 ? x.duration / mc.lcp : kUnknown;
    out.critical_path.duration = std::max(out.critical_path.duration, x.start + x.duration);
  }

  // The resource table: the templates some view still loads, by name (ties among findings
  // of equal weight go by name too).
  std::vector<uint32_t> live;
  for (uint32_t r = 0; r < st.rows.size(); ++r) {
    if (st.rows[r].count > 0) live.push_back(r);
  }
  std::sort(live.begin(), live.end(), [&](uint32_t a, uint32_t b) { return st.row_ids.Name(a) < st.row_ids.Name(b); });
  for (uint32_t li : live) {
    Row& row = st.rows[li];
    ResourceRow& r = out.resources.emplace_back();
    r.url = st.row_ids.Name(li);
    r.type = ResourceTypeName(row.Type());
    r.count = row.count;
    r.p75_duration = row.durations.P75();
    r.p75_transfer = row.transfers.P75();
    if (row.cache_known > 0) r.cache_hit_rate = static_cast<double>(row.cache_hits) / static_cast<double>(row.cache_known);
    if (row.compression_known > 0) r.compression = row.encoded.value() / row.decoded.value();
    r.third_party = row.third_party_yes > 0 ? 1 : row.third_party_no > 0 ? 0 : -1;
    r.render_blocking = row.rb_yes > 0 ? 1 : row.rb_no > 0 ? 0 : -1;
  }
  std::sort(out.resources.begin(), out.resources.end(), [](const ResourceRow& a, const ResourceRow& b) {
    if (a.count != b.count) return a.count > b.count;
    if (a.p75_duration != b.p75_duration) return a.p75_duration > b.p75_duration;
    return a.url < b.url;
  });
  std::unordered_map<std::string_view, const ResourceRow*> row_of;
  for (const ResourceRow& r : out.resources) row_of[r.url] = &r;

  // Summary.
  out.summary.resources = mc.resources;
  out.summary.transfer_bytes = mc.transfer;
  out.summary.p75_resources = st.counts.P75();
  out.summary.p75_transfer_bytes = st.transfers.P75();
  const double p75_critical = st.criticals.P75();

  auto add = [&](std::string kind, std::string severity, std::string message, std::string evidence) {
    out.findings.push_back({std::move(kind), std::move(severity), std::move(message), std::move(evidence)});
  };
  // Per-template findings, worst first, at most max_findings_per_kind of each kind.
  struct Candidate {
    double weight;
    NetworkFinding finding;
  };
  auto flush = [&](std::vector<Candidate>& cands) {
    std::stable_sort(cands.begin(), cands.end(), [](const Candidate& a, const Candidate& b) { return a.weight > b.weight; });
    for (size_t i = 0; i < cands.size() && i < rules.max_findings_per_kind; ++i) out.findings.push_back(std::move(cands[i].finding));
    cands.clear();
  };
  std::vector<Candidate> cands;
  const double views = static_cast<double>(view_ids.size());

  // over_budget_*: p75 over the page's views.
  if (out.summary.p75_resources > rules.budget_resources) {
    add("over_budget_resources", "critical",
        "p75 page view loads " + std::to_string(static_cast<int64_t>(std::ceil(out.summary.p75_resources))) +
            " resources (budget " + std::to_string(static_cast<int64_t>(rules.budget_resources)) + ")",
        Evidence().Number("p75_resources", out.summary.p75_resources).Number("budget", rules.budget_resources)
            .Number("views", views).Done());
  }
  if (out.summary.p75_transfer_bytes > rules.budget_bytes) {
    add("over_budget_bytes", "critical",
        "p75 page view transfers " + Bytes(out.summary.p75_transfer_bytes) + " (budget " + Bytes(rules.budget_bytes) + ")",
        Evidence().Number("p75_transfer_bytes", out.summary.p75_transfer_bytes).Number("budget", rules.budget_bytes)
            .Number("views", views).Done());
  }
  if (std::isfinite(p75_critical) && p75_critical > rules.budget_critical_path_ms) {
    add("over_budget_critical_path", "critical",
        "p75 critical path is " + Ms(p75_critical) + " (budget " + Ms(rules.budget_critical_path_ms) + ")",
        Evidence().Number("p75_critical_path_ms", p75_critical).Number("budget", rules.budget_critical_path_ms)
            .Number("views", static_cast<double>(st.criticals.size())).Done());
  }

  // The URL of the most views; of equal counts the first loaded within the page (views in
  // order, each view's resources in order).
  auto most_common = [&](const std::vector<int64_t>& counts) {
    int64_t n = 0;
    std::vector<uint32_t> tied;
    for (uint32_t u = 0; u < counts.size(); ++u) {
      if (counts[u] > n) tied.clear(), n = counts[u];
      if (counts[u] == n && n > 0) tied.push_back(u);
    }
    if (tied.size() > 1) {
      for (uint32_t vid : view_ids) {
        for (const EventRef& ref : views_[vid].events) {
          for (const CachedResource& r : ref.event->resources) {
            const uint32_t u = st.url_ids.Get(ref.part, *ref.strings, r.url, false);
            if (u != UINT32_MAX && std::binary_search(tied.begin(), tied.end(), u)) return std::string(st.url_ids.Name(u));
          }
        }
      }
    }
    return std::string(st.url_ids.Name(tied.front()));
  };
  const double late_n = static_cast<double>(st.late_start.size());
  if (late_n > 0 && 2 * late_n >= static_cast<double>(st.with_lcp_res)) {
    const std::string url = most_common(st.late_urls);
    const double start = st.late_start.P75(), lcp = st.late_lcp.P75();
    add("lcp_late_discovery", "warning",
        "the LCP resource " + url + " starts late (p75 " + Ms(start) + " after navigation" +
            (std::isfinite(lcp) ? ", LCP " + Ms(lcp) : std::string()) + "): the browser discovers it late",
        Evidence().Str("url", url).Number("views", late_n).Number("of_views", static_cast<double>(st.with_lcp_res))
            .Number("p75_start", start).Number("p75_lcp", lcp).Number("p75_first_render_blocking_end", st.late_rb_end.P75())
            .Number("share_threshold", rules.late_discovery_lcp_share).Done());
  }
  const double np_n = static_cast<double>(st.np_delay.size());
  if (np_n > 0 && 2 * np_n >= static_cast<double>(st.with_lcp_res)) {
    const std::string url = most_common(st.np_urls);
    const double delay = st.np_delay.P75();
    add("lcp_not_preloaded", "warning",
        "the LCP resource " + url + " is not preloaded: it starts p75 " + Ms(delay) + " after the first resource",
        Evidence().Str("url", url).Number("views", np_n).Number("of_views", static_cast<double>(st.with_lcp_res))
            .Number("p75_delay_ms", delay).Number("threshold_ms", rules.not_preloaded_delay_ms).Done());
  }

  // render_blocking: scripts and styles marked blocking.
  for (uint32_t li : live) {
    const std::string name(st.row_ids.Name(li));
    Row& row = st.rows[li];
    const ResourceType type = row.Type();
    if (row.rb == 0 || (type != ResourceType::kScript && type != ResourceType::kCss)) continue;
    const ResourceRow& r = *row_of[name];
    cands.push_back({r.p75_duration * static_cast<double>(row.rb_views),
                     {"render_blocking", "warning",
                      std::string(ResourceTypeName(type)) + " " + name + " blocks rendering (p75 " +
                          Ms(r.p75_duration) + ")",
                      Evidence().Str("url", name).Str("type", ResourceTypeName(type))
                          .Number("count", static_cast<double>(row.rb)).Number("views", static_cast<double>(row.rb_views))
                          .Number("of_views", views).Number("p75_duration", r.p75_duration).Done()}});
  }
  flush(cands);
  // uncompressed_text.
  for (uint32_t li : live) {
    const std::string name(st.row_ids.Name(li));
    Row& row = st.rows[li];
    if (row.uncompressed.empty()) continue;
    const double n = static_cast<double>(row.uncompressed.size());
    const double p75 = row.uncompressed.P75();
    cands.push_back({p75 * n,
                     {"uncompressed_text", "warning",
                      name + " is sent uncompressed (" + Bytes(p75) + " at p75; encoded = decoded size)",
                      Evidence().Str("url", name).Str("type", ResourceTypeName(row.Type())).Number("count", n)
                          .Number("of_count", static_cast<double>(row.count)).Number("p75_decoded_bytes", p75)
                          .Number("min_bytes", rules.uncompressed_min_bytes).Done()}});
  }
  flush(cands);
  // cache_miss_repeat: per template, the sessions that fetched it in two or more views.
  for (uint32_t li : live) {
    const std::string name(st.row_ids.Name(li));
    Row& row = st.rows[li];
    if (row.repeat_sessions <= 0) continue;
    const double bytes = row.repeat_bytes.value();
    cands.push_back({bytes,
                     {"cache_miss_repeat", "warning",
                      name + " is downloaded again in later page views of the same session (" +
                          std::to_string(row.repeat_views) + " repeat downloads, " + Bytes(bytes) + ")",
                      Evidence().Str("url", name).Str("type", ResourceTypeName(row.Type()))
                          .Number("sessions", static_cast<double>(row.repeat_sessions))
                          .Number("repeat_views", static_cast<double>(row.repeat_views))
                          .Number("repeat_transfer_bytes", bytes).Done()}});
  }
  flush(cands);
  // oversized_image.
  const double page_image_p75 = st.page_images.P75();
  for (uint32_t li : live) {
    const std::string name(st.row_ids.Name(li));
    Row& row = st.rows[li];
    if (row.Type() != ResourceType::kImg || row.decoded_sizes.empty()) continue;
    const double p75 = row.decoded_sizes.P75();
    const bool absolute = p75 > rules.oversized_image_bytes;
    const bool relative = p75 > rules.oversized_image_relative * page_image_p75 &&
                          p75 > rules.oversized_image_relative_min_bytes;
    if (!absolute && !relative) continue;
    cands.push_back({p75,
                     {"oversized_image", "warning",
                      "image " + name + " decodes to " + Bytes(p75) + " at p75" +
                          (absolute ? " (over " + Bytes(rules.oversized_image_bytes) + ")"
                                    : " (over 2x the page's image p75 " + Bytes(page_image_p75) + ")"),
                      Evidence().Str("url", name).Number("count", static_cast<double>(row.count))
                          .Number("p75_decoded_bytes", p75).Number("page_image_p75_bytes", page_image_p75)
                          .Str("rule", absolute ? "absolute" : "relative").Done()}});
  }
  flush(cands);
  // third_party_cost: per third-party origin, by transfer (blocking time as evidence).
  const double total_transfer = st.total_transfer.value();
  std::map<std::string_view, const NetworkPageState::Party*> parties;
  for (const auto& [origin, id] : st.party_ids) {
    if (st.parties[id].count > 0) parties.emplace(origin, &st.parties[id]);
  }
  for (const auto& [origin, party] : parties) {
    const std::string name = origin.empty() ? "(relative URLs)" : std::string(origin);
    const double transfer = party->transfer.value(), blocking = party->blocking.value();
    cands.push_back({transfer + blocking,
                     {"third_party_cost", blocking > 0 ? "warning" : "info",
                      "third party " + name + ": " + Bytes(transfer / views) + " and " + Ms(blocking / views) +
                          " of render-blocking time per page view",
                      Evidence().Str("origin", name).Number("resources_per_view", static_cast<double>(party->count) / views)
                          .Number("transfer_bytes_per_view", transfer / views)
                          .Number("blocking_ms_per_view", blocking / views)
                          .Number("share_of_transfer", total_transfer > 0 ? transfer / total_transfer : kUnknown)
                          .Done()}});
  }
  flush(cands);

  std::stable_sort(out.findings.begin(), out.findings.end(), [](const NetworkFinding& a, const NetworkFinding& b) {
    const int sa = SeverityRank(a.severity), sb = SeverityRank(b.severity);
    if (sa != sb) return sa < sb;
    return KindRank(a.kind) < KindRank(b.kind);
  });
}

namespace {

size_t PageBytes(const PageNetwork& p) {
  size_t n = sizeof(PageNetwork) + p.app.size() + p.page.size();
  for (const WaterfallEntry& w : p.waterfall) n += sizeof(w) + w.url.size() + w.type.size();
  for (const ResourceRow& r : p.resources) n += sizeof(r) + r.url.size() + r.type.size();
  for (const CriticalPathEntry& c : p.critical_path.resources) n += sizeof(c) + c.url.size() + c.type.size();
  for (const NetworkFinding& f : p.findings) {
    n += sizeof(f) + f.kind.size() + f.severity.size() + f.message.size() + f.evidence_json.size();
  }
  return n;
}

}  // namespace

bool NetworkPageMemo::Find(const std::string& group, const std::vector<uint64_t>& key, const NetworkRules& rules,
                           PageNetwork* out) const {
  std::lock_guard lock(mu_);
  auto it = pages_.find(group);
  if (it == pages_.end() || it->second.key != key || !(it->second.rules == rules)) return false;
  it->second.last_used = ++clock_;
  *out = it->second.page;
  return true;
}

std::shared_ptr<NetworkPageState> NetworkPageMemo::TakeState(const std::string& group, const NetworkRules& rules) {
  std::lock_guard lock(mu_);
  auto it = pages_.find(group);
  if (it == pages_.end() || !(it->second.rules == rules) || it->second.state == nullptr) return nullptr;
  // The entry keeps its answer; its bytes are recounted when the state comes back (Store).
  return std::move(it->second.state);
}

void NetworkPageMemo::Store(const std::string& group, std::vector<uint64_t> key, const NetworkRules& rules,
                            const PageNetwork& page, std::shared_ptr<NetworkPageState> state) {
  size_t bytes = group.size() + key.size() * sizeof(uint64_t) + PageBytes(page) + 64;
  if (state != nullptr) {
    const size_t state_bytes = NetworkPageStateBytes(*state);
    if (bytes + state_bytes <= max_bytes_) bytes += state_bytes;
    else state = nullptr;  // too large to keep: the answer alone
  }
  std::lock_guard lock(mu_);
  if (auto it = pages_.find(group); it != pages_.end()) {
    bytes_ -= it->second.bytes;
    pages_.erase(it);
  }
  if (bytes > max_bytes_) return;
  while (bytes_ + bytes > max_bytes_ && !pages_.empty()) {
    auto lru = pages_.begin();
    for (auto it = pages_.begin(); it != pages_.end(); ++it) {
      if (it->second.last_used < lru->second.last_used) lru = it;
    }
    bytes_ -= lru->second.bytes;
    pages_.erase(lru);
  }
  Entry& e = pages_[group];
  e.key = std::move(key);
  e.key.shrink_to_fit();
  e.rules = rules;
  e.page = page;
  e.state = std::move(state);
  e.bytes = bytes;
  e.last_used = ++clock_;
  bytes_ += bytes;
}

size_t NetworkPageMemo::MemoryBytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

size_t NetworkPageMemo::Pages() const {
  std::lock_guard lock(mu_);
  return pages_.size();
}

}  // namespace perfwatch::analysis
