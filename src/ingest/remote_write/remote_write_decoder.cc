#include "ingest/remote_write/remote_write_decoder.h"

#include <snappy.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "common/label_validation.h"
#include "common/protobuf_wire.h"

namespace perfwatch::ingest {
namespace {

using protobuf::kEndGroup;
using protobuf::kFixed32;
using protobuf::kFixed64;
using protobuf::kLengthDelimited;
using protobuf::kStartGroup;
using protobuf::kVarint;
using protobuf::WireTypeName;

// Groups are a proto2 relic no remote-write sender emits; nesting is capped so that a
// hostile body cannot recurse deeply.
constexpr int kMaxGroupDepth = 32;


// a < b in byte order; most adjacent label names differ in their first byte. Both are
// valid label names here, so neither is empty.
inline bool NameLess(std::string_view a, std::string_view b) {
  if (a[0] != b[0]) return static_cast<uint8_t>(a[0]) < static_cast<uint8_t>(b[0]);
  return a < b;
}

inline bool IsMetricNameLabel(std::string_view name) {
  return name.size() == 8 && std::memcmp(name.data(), "__name__", 8) == 0;
}

}  // namespace

// The protobuf walk. Every Read*/Parse* returns false after recording the first error in
// status_; callers return false straight away. Positions are pointers into the message;
// error messages turn them into byte offsets from its start.
class RemoteWriteDecoder::Parser {
 public:
  Parser(RemoteWriteDecoder& decoder, const char* base) : d_(decoder), base_(base) {}

  bool ParseWriteRequest(const char* p, const char* end) {
    while (p < end) {
      uint32_t field, wire_type;
      const char* field_start = p;
      if (!ReadTag(p, end, field, wire_type)) return false;
      if (field == 1 || field == 3) {
        const char* sub_end = nullptr;
        if (!ReadSubmessage(p, end, field_start, field, wire_type,
                            field == 1 ? "timeseries" : "metadata", sub_end)) {
          return false;
        }
        if (field == 1) {
          if (!ParseTimeSeries(p, sub_end)) return false;
        } else {
          if (!ParseMetadata(p, sub_end)) return false;
        }
        p = sub_end;
      } else {
        if (!SkipField(p, end, field_start, field, wire_type, 0)) return false;
      }
    }
    return true;
  }

  Status TakeStatus() { return std::move(status_); }

 private:
  // ---------------------------------------------------------------- messages
  bool ParseTimeSeries(const char* p, const char* end) {
    series_index_ = static_cast<int64_t>(d_.series_.size());
    SeriesRange range{};
    range.label_begin = static_cast<uint32_t>(d_.labels_.size());
    range.sample_begin = static_cast<uint32_t>(d_.samples_.size());
    const char* series_start = p;
    label_index_ = 0;
    while (p < end) {
      // Fast path: what Prometheus sends, a Label or Sample whose length fits in one byte
      // and whose fields come in canonical form. Anything else takes the general path.
      const auto tag = static_cast<uint8_t>(*p);
      if ((tag == 0x0a || tag == 0x12) && end - p >= 2 && static_cast<uint8_t>(p[1]) < 0x80 &&
          static_cast<uint8_t>(p[1]) <= end - p - 2) {
        const char* sub = p + 2;
        const size_t len = static_cast<uint8_t>(p[1]);
        int done = tag == 0x0a ? FastLabel(sub, len, p) : FastSample(sub, len);
        if (done > 0) [[likely]] {
          label_index_ += tag == 0x0a;
          p = sub + len;
          continue;
        }
        if (done == 0) return false;
      }
      uint32_t field, wire_type;
      const char* field_start = p;
      if (!ReadTag(p, end, field, wire_type)) return false;
      if (field >= 1 && field <= 4) {
        static constexpr const char* kNames[] = {"", "labels", "samples", "exemplars",
                                                 "histograms"};
        const char* sub_end = nullptr;
        if (!ReadSubmessage(p, end, field_start, field, wire_type, kNames[field], sub_end)) {
          return false;
        }
        switch (field) {
          case 1:
            if (!ParseLabel(p, sub_end, field_start)) return false;
            ++label_index_;
            break;
          case 2:
            if (!ParseSample(p, sub_end)) return false;
            break;
          case 3:
            ++range.num_exemplars;
            break;
          case 4:
            ++range.num_histograms;
            break;
        }
        p = sub_end;
      } else {
        if (!SkipField(p, end, field_start, field, wire_type, 0)) return false;
      }
    }
    range.label_end = static_cast<uint32_t>(d_.labels_.size());
    range.sample_end = static_cast<uint32_t>(d_.samples_.size());
    if (!FinishLabels(range, series_start)) return false;
    d_.num_histograms_ += range.num_histograms;
    d_.num_exemplars_ += range.num_exemplars;
    *d_.series_.Append() = range;
    series_index_ = -1;
    return true;
  }

  // The canonical Label `0a LEN name 12 LEN value` with one-byte lengths: 1 when added,
  // 0 on error (status set), -1 when the bytes are in another form.
  [[gnu::always_inline]] int FastLabel(const char* p, size_t len, const char* label_start) {
    if (len < 4 || p[0] != 0x0a) return -1;
    const auto name_len = static_cast<uint8_t>(p[1]);
    if (name_len >= 0x80 || name_len + size_t{4} > len || p[2 + name_len] != 0x12) return -1;
    const auto value_len = static_cast<uint8_t>(p[3 + name_len]);
    if (size_t{4} + name_len + value_len != len) return -1;  // also rejects value_len >= 0x80
    return AddLabel(std::string_view(p + 2, name_len),
                    std::string_view(p + 4 + name_len, value_len), label_start)
               ? 1
               : 0;
  }

  // The canonical Sample `09 <8 bytes> 10 <varint>`: as FastLabel.
  [[gnu::always_inline]] int FastSample(const char* p, size_t len) {
    if (len < 11 || p[0] != 0x09 || p[9] != 0x10) return -1;
    const char* end = p + len;
    const char* q = p + 10;
    uint64_t t = 0;
    int shift = 0;
    for (;;) {
      const auto b = static_cast<uint8_t>(*q++);
      t |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (b < 0x80) break;
      shift += 7;
      if (q == end || shift > 56) return -1;  // truncated or 10-byte varint: general path
    }
    if (q != end) return -1;
    RemoteWriteSample* sample = d_.samples_.Append();
    std::memcpy(&sample->value, p + 1, 8);
    sample->timestamp_ms = static_cast<int64_t>(t);
    return 1;
  }

  [[gnu::always_inline]] bool AddLabel(std::string_view name, std::string_view value,
                                       const char* label_start) {
    if (!IsValidLabelName(name)) [[unlikely]]
      return FailLabel(label_start, name, true);
    if (!IsValidUtf8(value)) [[unlikely]]
      return FailLabel(label_start, name, false);
    if (value.empty()) return true;  // an empty value means the label is absent
    RemoteWriteLabel* label = d_.labels_.Append();
    label->name = name;
    label->value = value;
    return true;
  }

  bool ParseLabel(const char* p, const char* end, const char* label_start) {
    std::string_view name, value;
    while (p < end) {
      uint32_t field, wire_type;
      const char* field_start = p;
      if (!ReadTag(p, end, field, wire_type)) return false;
      if (field == 1 || field == 2) {  // string name = 1; string value = 2; last one wins
        const char* s_end = nullptr;
        if (!ReadSubmessage(p, end, field_start, field, wire_type, field == 1 ? "name" : "value",
                            s_end)) {
          return false;
        }
        (field == 1 ? name : value) = std::string_view(p, static_cast<size_t>(s_end - p));
        p = s_end;
      } else {
        if (!SkipField(p, end, field_start, field, wire_type, 0)) return false;
      }
    }
    return AddLabel(name, value, label_start);
  }

  bool ParseSample(const char* p, const char* end) {
    RemoteWriteSample sample{0, 0.0};
    while (p < end) {
      uint32_t field, wire_type;
      const char* field_start = p;
      if (!ReadTag(p, end, field, wire_type)) return false;
      if (field == 1) {  // double value = 1
        if (wire_type != kFixed64) [[unlikely]] {
          return WrongWireType(field_start, "sample value", wire_type, kFixed64);
        }
        if (end - p < 8) [[unlikely]]
          return Fail(p, "truncated sample value (fixed64)");
        std::memcpy(&sample.value, p, 8);  // little-endian on every supported target
        p += 8;
      } else if (field == 2) {  // int64 timestamp = 2
        if (wire_type != kVarint) [[unlikely]] {
          return WrongWireType(field_start, "sample timestamp", wire_type, kVarint);
        }
        uint64_t v;
        if (!ReadVarint(p, end, v)) return false;
        sample.timestamp_ms = static_cast<int64_t>(v);
      } else {
        if (!SkipField(p, end, field_start, field, wire_type, 0)) return false;
      }
    }
    *d_.samples_.Append() = sample;
    return true;
  }

  bool ParseMetadata(const char* p, const char* end) {
    metadata_index_ = static_cast<int64_t>(d_.metadata_.size());
    RemoteWriteMetadata md;
    while (p < end) {
      uint32_t field, wire_type;
      const char* field_start = p;
      if (!ReadTag(p, end, field, wire_type)) return false;
      if (field == 1) {  // MetricType type = 1
        if (wire_type != kVarint) [[unlikely]] {
          return WrongWireType(field_start, "metadata type", wire_type, kVarint);
        }
        uint64_t v;
        if (!ReadVarint(p, end, v)) return false;
        md.type = v <= 7 ? static_cast<RemoteWriteMetricType>(v) : RemoteWriteMetricType::kUnknown;
      } else if (field == 2 || field == 4 || field == 5) {  // family name, help, unit
        const char* name = field == 2 ? "metric_family_name" : field == 4 ? "help" : "unit";
        const char* s_end = nullptr;
        if (!ReadSubmessage(p, end, field_start, field, wire_type, name, s_end)) return false;
        std::string_view s(p, static_cast<size_t>(s_end - p));
        if (!IsValidUtf8(s)) [[unlikely]] {
          return Fail(field_start, std::string("metadata ") + name + " is not valid UTF-8");
        }
        (field == 2 ? md.metric_family_name : field == 4 ? md.help : md.unit) = s;
        p = s_end;
      } else {
        if (!SkipField(p, end, field_start, field, wire_type, 0)) return false;
      }
    }
    d_.metadata_.push_back(md);
    metadata_index_ = -1;
    return true;
  }

  // Sorts a series' labels by name and checks the set: not empty, names unique,
  // `__name__` (when present) a valid metric name.
  bool FinishLabels(const SeriesRange& range, const char* series_start) {
    RemoteWriteLabel* first = d_.labels_.data() + range.label_begin;
    RemoteWriteLabel* last = d_.labels_.data() + range.label_end;
    if (first == last) [[unlikely]] {
      return Fail(series_start, "series has no labels (or only labels with empty values)");
    }
    bool sorted = true;
    for (RemoteWriteLabel* l = first + 1; l < last; ++l) {
      if (!NameLess(l[-1].name, l->name)) {
        sorted = false;
        break;
      }
    }
    if (!sorted) {
      std::sort(first, last, [](const RemoteWriteLabel& a, const RemoteWriteLabel& b) {
        return a.name < b.name;
      });
      for (RemoteWriteLabel* l = first + 1; l < last; ++l) {
        if (l[-1].name == l->name) [[unlikely]]
          return FailDuplicate(series_start, l->name);
      }
    }
    // Sorted, so `__name__` (when present) comes before the first name above it.
    for (RemoteWriteLabel* l = first; l < last && l->name[0] <= '_'; ++l) {
      if (IsMetricNameLabel(l->name)) {
        if (!IsValidMetricName(l->value)) [[unlikely]]
          return FailMetricName(series_start, l->value);
        break;
      }
    }
    return true;
  }

  // ---------------------------------------------------------------- wire primitives
  [[gnu::always_inline]] bool ReadVarint(const char*& p, const char* end, uint64_t& out) {
    if (p < end && static_cast<uint8_t>(*p) < 0x80) [[likely]] {
      out = static_cast<uint8_t>(*p++);
      return true;
    }
    if (end - p >= 2 && static_cast<uint8_t>(p[1]) < 0x80) [[likely]] {
      out = (static_cast<uint8_t>(p[0]) & 0x7f) | (static_cast<uint64_t>(p[1]) << 7);
      p += 2;
      return true;
    }
    return ReadVarintSlow(p, end, out);
  }

  [[gnu::noinline]] bool ReadVarintSlow(const char*& p, const char* end, uint64_t& out) {
    const char* start = p;
    uint64_t v = 0;
    for (int i = 0; i < 10; ++i) {
      if (p >= end) [[unlikely]]
        return Fail(start, "truncated varint");
      uint8_t b = static_cast<uint8_t>(*p++);
      if (i == 9 && b > 1) [[unlikely]]
        return Fail(start, "varint overflows 64 bits");
      v |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
      if (b < 0x80) {
        out = v;
        return true;
      }
    }
    return Fail(start, "varint longer than 10 bytes");
  }

  [[gnu::always_inline]] bool ReadTag(const char*& p, const char* end, uint32_t& field,
                                      uint32_t& wire_type) {
    const char* start = p;
    uint64_t tag = 0;
    if (!ReadVarint(p, end, tag)) return false;
    field = static_cast<uint32_t>(tag >> 3);
    wire_type = static_cast<uint32_t>(tag & 7);
    if ((tag >> 3) == 0 || (tag >> 3) > 0x1fffffff) [[unlikely]]
      return FailFieldNumber(start, tag >> 3);
    return true;
  }

  // Reads the length of a length-delimited field that must be one; on return `p` is the
  // payload start and `sub_end` its end.
  [[gnu::always_inline]] bool ReadSubmessage(const char*& p, const char* end,
                                             const char* field_start, uint32_t field,
                                             uint32_t wire_type, const char* what,
                                             const char*& sub_end) {
    if (wire_type != kLengthDelimited) [[unlikely]] {
      return WrongWireType(field_start, what, wire_type, kLengthDelimited);
    }
    uint64_t len;
    if (!ReadVarint(p, end, len)) return false;
    if (len > static_cast<uint64_t>(end - p)) [[unlikely]] {
      return FailLength(field_start, what, field, len, static_cast<uint64_t>(end - p));
    }
    sub_end = p + len;
    return true;
  }

  bool SkipField(const char*& p, const char* end, const char* field_start, uint32_t field,
                 uint32_t wire_type, int depth) {
    switch (wire_type) {
      case kVarint: {
        uint64_t ignored;
        return ReadVarint(p, end, ignored);
      }
      case kFixed64:
        if (end - p < 8) [[unlikely]]
          return Fail(field_start, "truncated fixed64 field");
        p += 8;
        return true;
      case kFixed32:
        if (end - p < 4) [[unlikely]]
          return Fail(field_start, "truncated fixed32 field");
        p += 4;
        return true;
      case kLengthDelimited: {
        const char* sub_end = nullptr;
        if (!ReadSubmessage(p, end, field_start, field, wire_type, "unknown field", sub_end)) {
          return false;
        }
        p = sub_end;
        return true;
      }
      case kStartGroup: {
        if (depth >= kMaxGroupDepth) [[unlikely]]
          return Fail(field_start, "groups nested too deeply");
        for (;;) {
          if (p >= end) [[unlikely]]
            return Fail(field_start, "unterminated group");
          uint32_t f, wt;
          const char* inner_start = p;
          if (!ReadTag(p, end, f, wt)) return false;
          if (wt == kEndGroup) {
            if (f != field) [[unlikely]]
              return Fail(inner_start, "mismatched end-group");
            return true;
          }
          if (!SkipField(p, end, inner_start, f, wt, depth + 1)) return false;
        }
      }
      case kEndGroup:
        return Fail(field_start, "end-group without a start-group");
      default:
        return Fail(field_start, "invalid wire type " + std::to_string(wire_type) + " (field " +
                                     std::to_string(field) + ")");
    }
  }

  // ---------------------------------------------------------------- errors
  [[gnu::noinline, gnu::cold]] bool WrongWireType(const char* at, const char* what, uint32_t got,
                                                  uint32_t want) {
    return Fail(at, std::string(what) + " has wire type " + std::to_string(got) + " (" +
                        WireTypeName(got) + "), want " + std::to_string(want) + " (" +
                        WireTypeName(want) + ")");
  }

  [[gnu::noinline, gnu::cold]] bool FailLength(const char* at, const char* what, uint32_t field,
                                               uint64_t len, uint64_t left) {
    return Fail(at, "length " + std::to_string(len) + " of " + what + " (field " +
                        std::to_string(field) + ") runs past the end of its message (" +
                        std::to_string(left) + " bytes left)");
  }

  [[gnu::noinline, gnu::cold]] bool FailDuplicate(const char* at, std::string_view name) {
    return Fail(at, "duplicate label name " + QuoteForError(name));
  }

  [[gnu::noinline, gnu::cold]] bool FailMetricName(const char* at, std::string_view value) {
    return Fail(
        at, "invalid metric name " + QuoteForError(value) + " (needs [a-zA-Z_:][a-zA-Z0-9_:]*)");
  }

  [[gnu::noinline, gnu::cold]] bool FailFieldNumber(const char* at, uint64_t field) {
    return Fail(at, "invalid field number " + std::to_string(field));
  }

  [[gnu::noinline, gnu::cold]] bool FailLabel(const char* at, std::string_view name,
                                              bool bad_name) {
    if (bad_name) {
      return Fail(at, "label " + std::to_string(label_index_) + ": invalid label name " +
                          QuoteForError(name) + " (remote write 1.0 needs [a-zA-Z_][a-zA-Z0-9_]*)");
    }
    return Fail(at, "label " + std::to_string(label_index_) + " (" + QuoteForError(name) +
                        "): value is not valid UTF-8");
  }

  [[gnu::noinline, gnu::cold]] bool Fail(const char* at, const char* what) {
    return Fail(at, std::string(what));
  }

  [[gnu::noinline, gnu::cold]] bool Fail(const char* at, std::string what) {
    if (!status_.ok()) return false;
    std::string msg = "remote write: ";
    if (series_index_ >= 0) {
      msg += "timeseries " + std::to_string(series_index_) + ": ";
    } else if (metadata_index_ >= 0) {
      msg += "metadata " + std::to_string(metadata_index_) + ": ";
    }
    msg += what;
    msg += " at byte " + std::to_string(at - base_);
    status_ = InvalidArgument(std::move(msg));
    return false;
  }

  RemoteWriteDecoder& d_;
  const char* const base_;
  int64_t series_index_ = -1;
  int64_t metadata_index_ = -1;
  int64_t label_index_ = 0;
  Status status_;
};

RemoteWriteDecoder::RemoteWriteDecoder(RemoteWriteDecoderOptions options) : options_(options) {}
RemoteWriteDecoder::~RemoteWriteDecoder() = default;

void RemoteWriteDecoder::Reset() {
  labels_.clear();
  samples_.clear();
  series_.clear();
  metadata_.clear();
  num_histograms_ = 0;
  num_exemplars_ = 0;
  decompressed_bytes_ = 0;
}

namespace {
template <typename T>
void ShrinkIfAbove(std::vector<T>& v, size_t bytes) {
  if (v.capacity() * sizeof(T) > bytes) std::vector<T>().swap(v);
}
template <typename Buffer>
void ReleaseIfAbove(Buffer& b, size_t bytes) {
  if (b.capacity_bytes() > bytes) b.Release();
}
}  // namespace

void RemoteWriteDecoder::Clear() {
  Reset();
  if (buffer_capacity_ > options_.retain_bytes) {
    buffer_.reset();
    buffer_capacity_ = 0;
  }
  ReleaseIfAbove(labels_, options_.retain_bytes);
  ReleaseIfAbove(samples_, options_.retain_bytes);
  ReleaseIfAbove(series_, options_.retain_bytes);
  ShrinkIfAbove(metadata_, options_.retain_bytes);
}

Status RemoteWriteDecoder::Decode(std::string_view body) {
  Reset();
  if (body.empty()) {
    return InvalidArgument("remote write: empty body (want a snappy-compressed WriteRequest)");
  }
  static constexpr std::string_view kFramingMagic("\xff\x06\x00\x00sNaPpY", 10);
  if (body.starts_with(kFramingMagic)) {
    return InvalidArgument(
        "remote write: body uses the snappy framing format; remote write 1.0 sends the block "
        "format");
  }
  size_t length = 0;
  if (!snappy::GetUncompressedLength(body.data(), body.size(), &length)) {
    return InvalidArgument(
        "remote write: body is not snappy block data (bad length header at byte 0)");
  }
  if (length > options_.max_decompressed_bytes) {
    return ResourceExhausted("remote write: body decompresses to " + std::to_string(length) +
                             " bytes, over the limit of " +
                             std::to_string(options_.max_decompressed_bytes));
  }
  if (length > buffer_capacity_) {
    size_t capacity = std::max(length, buffer_capacity_ + buffer_capacity_ / 2);
    capacity = std::min(capacity, options_.max_decompressed_bytes);
    buffer_ = std::make_unique_for_overwrite<char[]>(capacity);
    buffer_capacity_ = capacity;
  }
  char empty_output;
  char* output = length > 0 ? buffer_.get() : &empty_output;
  if (!snappy::RawUncompress(body.data(), body.size(), output)) {
    return InvalidArgument("remote write: corrupt snappy data (declared " + std::to_string(length) +
                           " bytes uncompressed, " + std::to_string(body.size()) + " compressed)");
  }
  return DecodeUncompressed(std::string_view(output, length));
}

Status RemoteWriteDecoder::DecodeUncompressed(std::string_view protobuf) {
  Reset();
  if (protobuf.size() > std::numeric_limits<uint32_t>::max()) {  // indexes are 32-bit
    return ResourceExhausted("remote write: message of " + std::to_string(protobuf.size()) +
                             " bytes is over the 4 GiB the decoder supports");
  }
  Parser parser(*this, protobuf.data());
  if (!parser.ParseWriteRequest(protobuf.data(), protobuf.data() + protobuf.size())) {
    Reset();
    return parser.TakeStatus();
  }
  decompressed_bytes_ = protobuf.size();
  return Status::Ok();
}

}  // namespace perfwatch::ingest
