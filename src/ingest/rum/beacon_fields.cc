#include "ingest/rum/beacon_fields.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <utility>

#include "common/json_writer.h"

namespace perfwatch::ingest {
namespace {

namespace dom = simdjson::dom;
using events::EventInput;
using events::EventType;

constexpr std::string_view kUnknownConnection = "unknown";
// Longest client text echoed back in a reason.
constexpr size_t kMaxEchoBytes = 40;
// Room kept under the attribute cap for the truncation marker.
constexpr std::string_view kTruncatedMarker = "\"_truncated\":true}";

enum class Key {
  kOther,  // copied to attributes
  kType,
  kName,
  kValue,
  kUrl,
  kTimestamp,
  kSessionId,
  kId,
  kUserAgent,
  kConnection,
  kNavigationType,
  kRating,
  kApp,
};

Key ClassifyKey(std::string_view k) {
  switch (k.size()) {
    case 2: return k == "id" ? Key::kId : Key::kOther;
    case 3: return k == "url" ? Key::kUrl : k == "app" ? Key::kApp : Key::kOther;
    case 4: return k == "type" ? Key::kType : k == "name" ? Key::kName : Key::kOther;
    case 5: return k == "value" ? Key::kValue : Key::kOther;
    case 6: return k == "rating" ? Key::kRating : Key::kOther;
    case 9:
      if (k == "timestamp") return Key::kTimestamp;
      if (k == "sessionId") return Key::kSessionId;
      if (k == "userAgent") return Key::kUserAgent;
      return Key::kOther;
    case 10: return k == "connection" ? Key::kConnection : Key::kOther;
    case 14: return k == "navigationType" ? Key::kNavigationType : Key::kOther;
    default: return Key::kOther;
  }
}

// Cuts `s` to at most `max` bytes without splitting a UTF-8 character.
std::string_view CutUtf8(std::string_view s, size_t max) {
  if (s.size() <= max) return s;
  size_t cut = max;
  for (int k = 0; k < 3 && cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80; ++k) --cut;
  return s.substr(0, cut);
}

std::string Quoted(std::string_view s) {
  std::string out = "\"";
  out.append(CutUtf8(s, kMaxEchoBytes));
  if (s.size() > kMaxEchoBytes) out.append("...");
  out.push_back('"');
  return out;
}

// Writes a parsed JSON value compactly. simdjson already bounded the nesting depth.
void AppendElement(std::string& out, dom::element el) {
  switch (el.type()) {
    case dom::element_type::OBJECT: {
      out.push_back('{');
      bool first = true;
      const dom::object object = el.get_object().value_unsafe();
      for (dom::key_value_pair kv : object) {
        if (!first) out.push_back(',');
        first = false;
        AppendJsonString(out, kv.key);
        out.push_back(':');
        AppendElement(out, kv.value);
      }
      out.push_back('}');
      break;
    }
    case dom::element_type::ARRAY: {
      out.push_back('[');
      bool first = true;
      const dom::array array = el.get_array().value_unsafe();
      for (dom::element child : array) {
        if (!first) out.push_back(',');
        first = false;
        AppendElement(out, child);
      }
      out.push_back(']');
      break;
    }
    case dom::element_type::INT64:
      AppendJsonInt(out, el.get_int64().value_unsafe());
      break;
    case dom::element_type::UINT64: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof(buf), el.get_uint64().value_unsafe());
      out.append(buf, r.ptr);
      break;
    }
    case dom::element_type::DOUBLE: {
      const double v = el.get_double().value_unsafe();  // always finite here
      if (std::fabs(v) < 1e18) {
        AppendJsonNumber(out, v);
      } else {
        // Shortest form could be a 20+ digit integer ("1234567898901234581504"), which
        // strict 64-bit JSON readers (simdjson among them) reject: force an exponent.
        char buf[32];
        auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
        out.append(buf, r.ptr);
      }
      break;
    }
    case dom::element_type::STRING:
      AppendJsonString(out, el.get_string().value_unsafe());
      break;
    case dom::element_type::BOOL:
      out.append(el.get_bool().value_unsafe() ? "true" : "false");
      break;
    case dom::element_type::NULL_VALUE:
      out.append("null");
      break;
  }
}

bool IsNumber(dom::element el) { return el.is_number(); }

// The string value of `el`, or nullopt for another type.
inline std::optional<std::string_view> AsString(dom::element el) {
  std::string_view s;
  if (el.get_string().get(s)) return std::nullopt;
  return s;
}

}  // namespace

// Collects "key":value pairs into one JSON object in attrs_arena_, up to the cap.
struct BeaconFields::AttrsWriter {
  std::string& arena;
  const size_t start;
  bool open = false;
  bool truncated = false;

  void Add(std::string_view key, dom::element value) {
    if (truncated) return;
    const size_t before = arena.size();
    arena.push_back(open ? ',' : '{');
    AppendJsonString(arena, key);
    arena.push_back(':');
    AppendElement(arena, value);
    if (arena.size() - start + kTruncatedMarker.size() + 1 > BeaconParser::kMaxAttrsBytes) {
      arena.resize(before);
      truncated = true;
      return;
    }
    open = true;
  }
  // Closes the object; returns its length (0 when there were no attributes).
  size_t Close() {
    if (truncated) {
      arena.push_back(open ? ',' : '{');
      arena.append(kTruncatedMarker);
    } else if (open) {
      arena.push_back('}');
    }
    return arena.size() - start;
  }
  void Discard() { arena.resize(start); }
};

BeaconFields::BeaconFields(const RumConfig& config, std::shared_ptr<const RouteTemplater> templater)
    : default_app_(config.default_app),
      max_timestamp_age_ms_(config.max_timestamp_age_ms),
      keep_query_strings_(config.keep_query_strings),
      templater_(std::move(templater)) {}

void BeaconFields::Clear() {
  event_count_ = 0;
  rejections_.clear();
  pending_.clear();
  page_arena_.clear();
  attrs_arena_.clear();
}

void BeaconFields::Reject(int index, RejectCode code, std::string reason) {
  rejections_.push_back({index, code, std::move(reason)});
}

UserAgentClass BeaconFields::Classify(std::string_view user_agent) {
  if (cache_valid_ && user_agent == cached_user_agent_) return cached_class_;
  cached_class_ = ClassifyUserAgent(user_agent);
  if (user_agent.size() <= 1024) {
    cached_user_agent_.assign(user_agent);
    cache_valid_ = true;
  } else {
    cache_valid_ = false;
  }
  return cached_class_;
}

void BeaconFields::Process(dom::element beacon, int index, const BeaconContext& context) {
  dom::object object;
  if (beacon.get_object().get(object)) {
    Reject(index, RejectCode::kNotObject, "beacon must be a JSON object");
    return;
  }

  // Column fields; absent unless the matching has_ flag is set.
  dom::element type_el, name_el, value_el, url_el, timestamp_el, session_el;
  bool has_type = false, has_name = false, has_value = false, has_url = false,
       has_timestamp = false, has_session = false;
  std::string_view id, user_agent, connection, navigation_type, rating, app;

  AttrsWriter attrs{attrs_arena_, attrs_arena_.size()};
  for (dom::key_value_pair kv : object) {
    // The string-typed columns keep a value of another type as an attribute instead.
    auto soft_string = [&](std::string_view& slot) {
      if (auto s = AsString(kv.value)) {
        slot = *s;
      } else {
        attrs.Add(kv.key, kv.value);
      }
    };
    switch (ClassifyKey(kv.key)) {
      case Key::kType: type_el = kv.value, has_type = true; break;
      case Key::kName: name_el = kv.value, has_name = true; break;
      case Key::kValue: value_el = kv.value, has_value = true; break;
      case Key::kUrl: url_el = kv.value, has_url = true; break;
      case Key::kTimestamp: timestamp_el = kv.value, has_timestamp = true; break;
      case Key::kSessionId: session_el = kv.value, has_session = true; break;
      case Key::kId: soft_string(id); break;
      case Key::kUserAgent: soft_string(user_agent); break;
      case Key::kConnection: soft_string(connection); break;
      case Key::kNavigationType: soft_string(navigation_type); break;
      case Key::kRating: soft_string(rating); break;
      case Key::kApp: soft_string(app); break;
      case Key::kOther: attrs.Add(kv.key, kv.value); break;
    }
  }
  auto reject = [&](RejectCode code, std::string reason) {
    attrs.Discard();
    Reject(index, code, std::move(reason));
  };

  // The type: explicit, or a vital when there is a `name` or a `value` (a bare web-vitals
  // callback object).
  EventType type = EventType::kVital;
  if (has_type) {
    auto type_name = AsString(type_el);
    if (!type_name) return reject(RejectCode::kBadFieldType, "type must be a string");
    auto parsed = events::ParseEventType(*type_name);
    if (!parsed) return reject(RejectCode::kUnknownType, "unknown type " + Quoted(*type_name));
    type = *parsed;
  } else if (!has_name && !has_value) {
    return reject(RejectCode::kUnknownType, "missing type");
  }

  // Fields whose wrong type rejects the beacon (DESIGN.md).
  std::string_view url, session_id;
  if (has_url) {
    auto s = AsString(url_el);
    if (!s) return reject(RejectCode::kBadFieldType, "url must be a string");
    url = *s;
    // Query strings and fragments often carry personal data (tokens, e-mail addresses):
    // not stored unless rum.keep_query_strings (docs/security.md).
    if (!keep_query_strings_) url = url.substr(0, std::min(url.size(), url.find_first_of("?#")));
  }
  if (has_timestamp && !IsNumber(timestamp_el)) {
    return reject(RejectCode::kBadFieldType, "timestamp must be a number");
  }
  if (has_session) {
    auto s = AsString(session_el);
    if (!s) return reject(RejectCode::kBadFieldType, "sessionId must be a string");
    session_id = *s;
  }

  // Name and value.
  events::Vital vital = events::Vital::kNone;
  std::string_view name;
  double value = std::nan("");
  if (type == EventType::kVital) {
    if (!has_name) return reject(RejectCode::kUnknownVital, "missing vital name");
    auto s = AsString(name_el);
    if (!s) return reject(RejectCode::kUnknownVital, "vital name must be a string");
    auto parsed = events::ParseVital(*s);
    if (!parsed) return reject(RejectCode::kUnknownVital, "unknown vital " + Quoted(*s));
    vital = *parsed;
    name = events::VitalName(vital);
    if (!has_value) return reject(RejectCode::kBadValue, "missing value");
  } else if (has_name) {
    if (auto s = AsString(name_el)) {
      name = *s;
    } else {
      attrs.Add("name", name_el);
    }
  }
  if (has_value) {
    // Custom measures may be negative; everything else is a duration, size or count.
    const bool signed_ok = type == EventType::kMeasure;
    double v = 0;
    if (value_el.get_double().get(v) || !std::isfinite(v) || (!signed_ok && v < 0)) {
      return reject(RejectCode::kBadValue, signed_ok ? "value must be a finite number"
                                                     : "value must be a finite number >= 0");
    }
    value = v;
  }

  // Event time: the beacon's timestamp when recent, clamped to the receive time.
  const int64_t received = context.received_ms;
  int64_t time_ms = received;
  if (has_timestamp) {
    double ts = timestamp_el.get_double().value_unsafe();
    double age = static_cast<double>(received) - ts;
    if (age >= 0 && age <= static_cast<double>(max_timestamp_age_ms_)) {
      time_ms = static_cast<int64_t>(std::floor(ts));
    }
  }

  // Accepted: derive the dimensions.
  const size_t attrs_length = attrs.Close();
  Pending pending{0, 0, static_cast<uint32_t>(attrs.start), static_cast<uint32_t>(attrs_length)};
  // Slots are reused across batches (no zero-filling); every field is assigned here or in
  // Finish().
  if (event_count_ == events_.size()) events_.emplace_back();
  EventInput& ev = events_[event_count_++];
  ev.type = type;
  ev.vital = vital;
  ev.time_ms = time_ms;
  ev.received_ms = received;
  ev.value = value;
  ev.name = name;
  ev.url = url;
  ev.session_id = session_id;
  ev.id = id;
  ev.navigation_type = navigation_type;
  ev.rating = rating;
  ev.attrs_json = {};

  if (!app.empty()) {
    ev.dims[events::kApp] = CutUtf8(app, BeaconParser::kMaxDimBytes);
  } else if (!context.query_app.empty()) {
    ev.dims[events::kApp] = CutUtf8(context.query_app, BeaconParser::kMaxDimBytes);
  } else {
    ev.dims[events::kApp] = default_app_;
  }
  if (url.empty()) {
    ev.dims[events::kPage] = RouteTemplater::kUnknownPage;
  } else {
    pending.page_offset = static_cast<uint32_t>(page_arena_.size());
    templater_->Template(url, page_arena_);
    pending.page_length = static_cast<uint32_t>(page_arena_.size() - pending.page_offset);
  }
  ev.dims[events::kConnection] =
      connection.empty() ? kUnknownConnection : CutUtf8(connection, BeaconParser::kMaxDimBytes);
  ev.user_agent = user_agent.empty() ? context.header_user_agent : user_agent;
  const UserAgentClass ua = Classify(ev.user_agent);
  ev.dims[events::kDevice] = ua.device;
  ev.dims[events::kBrowser] = ua.browser;
  pending_.push_back(pending);
}

void BeaconFields::Finish() {
  for (size_t i = 0; i < event_count_; ++i) {
    const Pending& p = pending_[i];
    if (p.page_length != 0) {
      events_[i].dims[events::kPage] =
          std::string_view(page_arena_).substr(p.page_offset, p.page_length);
    }
    if (p.attrs_length != 0) {
      events_[i].attrs_json = std::string_view(attrs_arena_).substr(p.attrs_offset, p.attrs_length);
    }
  }
}

}  // namespace perfwatch::ingest
