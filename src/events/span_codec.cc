#include "events/span_codec.h"

#include <cstring>

#include "common/coding.h"

namespace perfwatch::events {

namespace {

constexpr uint32_t kMessageKey = UINT32_MAX - 1;  // values_per_key slot for status messages

struct Encoder {
  SpanDictionary& dict;
  uint32_t first_new;
  std::string defs;  // the new strings, framed
  uint32_t n_new = 0;

  uint32_t Intern(std::string_view s) {
    if (auto id = dict.strings.Find(s)) return *id;
    uint32_t id = dict.strings.Add(s);
    PutVarint(defs, s.size());
    defs.append(s);
    ++n_new;
    return id;
  }
  // Always-interned strings (service, name, keys, routes); returns kNoId when too long.
  uint32_t Str(std::string& out, std::string_view s) {
    if (s.size() > StringDictionary::kMaxStringBytes) {
      PutVarint(out, (uint64_t{s.size()} << 1) | 1);
      out.append(s);
      return kNoId;
    }
    uint32_t id = Intern(s);
    PutVarint(out, uint64_t{id} << 1);
    return id;
  }
  // A value: interned while short and its key has few distinct values.
  void Value(std::string& out, uint32_t key_slot, std::string_view s) {
    std::optional<uint32_t> id;
    if (s.size() <= kMaxInternedBytes) {
      id = dict.strings.Find(s);
      if (!id) {
        uint32_t* count = nullptr;
        if (key_slot != kNoId) {
          size_t slot = key_slot == kMessageKey ? 0 : size_t{key_slot} + 1;
          if (dict.values_per_key.size() <= slot) dict.values_per_key.resize(slot + 1, 0);
          count = &dict.values_per_key[slot];
        }
        if (!count || *count < kMaxInternedValuesPerKey) {
          id = Intern(s);
          if (count) ++*count;
        }
      }
    }
    if (id) {
      PutVarint(out, uint64_t{*id} << 1);
    } else {
      PutVarint(out, (uint64_t{s.size()} << 1) | 1);
      out.append(s);
    }
  }
  void Attributes(std::string& out, const std::vector<SpanAttribute>& attrs, SpanIds* ids) {
    PutVarint(out, attrs.size());
    for (const SpanAttribute& a : attrs) {
      uint32_t key = Str(out, a.key);
      switch (a.type) {
        case SpanAttribute::Type::kString:
          out.push_back(0);
          if (ids && a.key == "http.route") {
            uint32_t route = Str(out, a.string_value);
            if (ids->route == kNoId) ids->route = route;
          } else {
            Value(out, key, a.string_value);
          }
          break;
        case SpanAttribute::Type::kInt:
          out.push_back(1);
          PutVarint(out, ZigZag(a.int_value));
          break;
        case SpanAttribute::Type::kDouble: {
          out.push_back(2);
          uint64_t bits;
          std::memcpy(&bits, &a.double_value, 8);
          PutFixed64(out, bits);
          break;
        }
        case SpanAttribute::Type::kBool:
          out.push_back(a.bool_value ? 4 : 3);
          break;
      }
    }
  }
};

bool IsZeroId(const std::array<uint8_t, 8>& id) {
  for (uint8_t b : id)
    if (b) return false;
  return true;
}

struct Reader {
  Decoder d;
  const StringDictionary& dict;
  uint32_t limit;  // ids below this are valid

  bool Str(std::string* out, uint32_t* id = nullptr) {
    uint64_t v;
    if (!d.Varint(&v)) return false;
    if (v & 1) {
      std::string_view s;
      if (!d.Bytes(static_cast<size_t>(v >> 1), &s)) return false;
      out->assign(s);
      if (id) *id = kNoId;
      return true;
    }
    if ((v >> 1) >= limit) return false;
    out->assign(dict.Get(static_cast<uint32_t>(v >> 1)));
    if (id) *id = static_cast<uint32_t>(v >> 1);
    return true;
  }
  bool Attributes(std::vector<SpanAttribute>* attrs, SpanIds* ids) {
    uint64_t n;
    if (!d.Varint(&n) || n > d.remaining()) return false;
    attrs->resize(static_cast<size_t>(n));
    for (SpanAttribute& a : *attrs) {
      uint8_t type;
      if (!Str(&a.key) || !d.Byte(&type)) return false;
      switch (type) {
        case 0: {
          a.type = SpanAttribute::Type::kString;
          uint32_t id;
          if (!Str(&a.string_value, &id)) return false;
          if (ids && ids->route == kNoId && a.key == "http.route") ids->route = id;
          break;
        }
        case 1: {
          uint64_t v;
          if (!d.Varint(&v)) return false;
          a.type = SpanAttribute::Type::kInt;
          a.int_value = UnZigZag(v);
          break;
        }
        case 2: {
          uint64_t bits;
          if (!d.Fixed64(&bits)) return false;
          a.type = SpanAttribute::Type::kDouble;
          std::memcpy(&a.double_value, &bits, 8);
          break;
        }
        case 3:
        case 4:
          a.type = SpanAttribute::Type::kBool;
          a.bool_value = type == 4;
          break;
        default:
          return false;
      }
    }
    return true;
  }
};

}  // namespace

void EncodeSpanBlock(std::span<const SpanRecord* const> spans, uint64_t base_ns, SpanDictionary& dict,
                     std::string& out, std::vector<SpanIds>* ids) {
  Encoder e{dict, dict.strings.size(), {}};
  std::string body;
  body.reserve(spans.size() * 96);
  PutVarint(body, spans.size());
  std::vector<const std::array<uint8_t, 16>*> traces;
  uint64_t prev = base_ns;
  for (const SpanRecord* sp : spans) {
    const SpanRecord& s = *sp;
    size_t ref = 0;
    for (size_t i = traces.size(); i-- > 0;) {
      if (*traces[i] == s.trace_id) {
        ref = i + 1;
        break;
      }
    }
    PutVarint(body, ref);
    if (ref == 0) {
      body.append(reinterpret_cast<const char*>(s.trace_id.data()), 16);
      traces.push_back(&s.trace_id);
    }
    body.append(reinterpret_cast<const char*>(s.span_id.data()), 8);
    const bool has_parent = !IsZeroId(s.parent_span_id);
    uint8_t flags = static_cast<uint8_t>((s.kind <= 5 ? s.kind : 0) | (s.status_code <= 2 ? s.status_code : 0) << 3 |
                                         has_parent << 5 | !s.status_message.empty() << 6 | !s.events.empty() << 7);
    body.push_back(static_cast<char>(flags));
    if (has_parent) body.append(reinterpret_cast<const char*>(s.parent_span_id.data()), 8);
    SpanIds span_ids;
    span_ids.service = e.Str(body, s.service);
    span_ids.name = e.Str(body, s.name);
    if (!s.status_message.empty()) e.Value(body, kMessageKey, s.status_message);
    PutVarint(body, ZigZag(static_cast<int64_t>(s.start_time_unix_nano - prev)));
    prev = s.start_time_unix_nano;
    PutVarint(body, s.end_time_unix_nano >= s.start_time_unix_nano ? s.end_time_unix_nano - s.start_time_unix_nano : 0);
    e.Attributes(body, s.attributes, &span_ids);
    if (!s.events.empty()) {
      PutVarint(body, s.events.size());
      for (const SpanEventRecord& ev : s.events) {
        e.Str(body, ev.name);
        PutVarint(body, ZigZag(static_cast<int64_t>(ev.time_unix_nano - s.start_time_unix_nano)));
        e.Attributes(body, ev.attributes, nullptr);
      }
    }
    if (ids) ids->push_back(span_ids);
  }
  PutVarint(out, e.first_new);
  PutVarint(out, e.n_new);
  out += e.defs;
  out += body;
}

Status DecodeSpanBlock(std::string_view body, uint64_t base_ns, SpanDictionary* define, const StringDictionary& dict,
                       std::vector<SpanRecord>* out, std::vector<SpanIds>* ids,
                       const std::function<bool(size_t index, const SpanRecord& span)>& keep) {
  auto bad = [](const char* what) { return DataLoss(std::string("span block: ") + what); };
  Decoder d(body);
  uint64_t first_new, n_new;
  if (!d.Varint(&first_new) || !d.Varint(&n_new) || n_new > d.remaining()) return bad("truncated header");
  if (define) {
    if (first_new != define->strings.size()) return bad("dictionary ids out of order");
  } else if (first_new + n_new > dict.size()) {
    return bad("dictionary id beyond the dictionary");
  }
  for (uint64_t i = 0; i < n_new; ++i) {
    std::string_view s;
    if (!d.LengthPrefixed(&s)) return bad("truncated string");
    if (define) {
      if (s.size() > StringDictionary::kMaxStringBytes || define->strings.Find(s)) return bad("bad string definition");
      define->strings.Add(s);
    }
  }
  uint64_t n;
  if (!d.Varint(&n) || n > kMaxSpansPerBlock || n > d.remaining()) return bad("bad span count");
  Reader r{d, dict, static_cast<uint32_t>(first_new + n_new)};
  std::vector<std::array<uint8_t, 16>> traces;
  uint64_t prev = base_ns;
  SpanRecord s;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t ref, delta, dur;
    std::string_view bytes;
    uint8_t flags;
    if (!r.d.Varint(&ref) || ref > traces.size()) return bad("bad trace reference");
    if (ref == 0) {
      if (!r.d.Bytes(16, &bytes)) return bad("truncated trace id");
      std::memcpy(s.trace_id.data(), bytes.data(), 16);
      traces.push_back(s.trace_id);
    } else {
      s.trace_id = traces[ref - 1];
    }
    if (!r.d.Bytes(8, &bytes) || !r.d.Byte(&flags)) return bad("truncated span id");
    std::memcpy(s.span_id.data(), bytes.data(), 8);
    s.kind = flags & 7;
    s.status_code = (flags >> 3) & 3;
    if (s.kind > 5 || s.status_code > 2) return bad("bad kind or status");
    s.parent_span_id = {};
    if (flags & 32) {
      if (!r.d.Bytes(8, &bytes)) return bad("truncated parent id");
      std::memcpy(s.parent_span_id.data(), bytes.data(), 8);
    }
    SpanIds span_ids;
    if (!r.Str(&s.service, &span_ids.service) || !r.Str(&s.name, &span_ids.name)) return bad("bad service or name");
    s.status_message.clear();
    if ((flags & 64) && !r.Str(&s.status_message)) return bad("bad status message");
    if (!r.d.Varint(&delta) || !r.d.Varint(&dur)) return bad("truncated times");
    s.start_time_unix_nano = prev + static_cast<uint64_t>(UnZigZag(delta));
    if (s.start_time_unix_nano + dur < s.start_time_unix_nano) return bad("end time beyond 2^64 ns");
    prev = s.start_time_unix_nano;
    s.end_time_unix_nano = s.start_time_unix_nano + dur;
    if (!r.Attributes(&s.attributes, &span_ids)) return bad("bad attributes");
    s.events.clear();
    if (flags & 128) {
      uint64_t ne;
      if (!r.d.Varint(&ne) || ne > r.d.remaining()) return bad("bad event count");
      s.events.resize(static_cast<size_t>(ne));
      for (SpanEventRecord& ev : s.events) {
        uint64_t t;
        if (!r.Str(&ev.name) || !r.d.Varint(&t) || !r.Attributes(&ev.attributes, nullptr)) return bad("bad event");
        ev.time_unix_nano = s.start_time_unix_nano + static_cast<uint64_t>(UnZigZag(t));
      }
    }
    if (out && (!keep || keep(static_cast<size_t>(i), s))) out->push_back(s);
    if (ids) ids->push_back(span_ids);
  }
  if (!r.d.done()) return bad("trailing bytes");
  return Status::Ok();
}

}  // namespace perfwatch::events
