#pragma once
// A span as the span store keeps it (events/span_store.h): the plain input and output
// record of the store. Independent of any wire format: src/ingest/otlp/span_store_sink.h
// converts decoded OTLP spans into it.
//
// Attribute values are typed scalars; OTLP arrays, key-value lists and bytes arrive here
// as their JSON / base64 text (kString).
//
// Thread safety: plain values.
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace perfwatch::events {

struct SpanAttribute {
  enum class Type : uint8_t { kString, kInt, kDouble, kBool };
  std::string key;
  Type type = Type::kString;
  std::string string_value;
  int64_t int_value = 0;
  double double_value = 0;
  bool bool_value = false;
  bool operator==(const SpanAttribute&) const = default;

  static SpanAttribute String(std::string k, std::string v) {
    SpanAttribute a;
    a.key = std::move(k);
    a.string_value = std::move(v);
    return a;
  }
  static SpanAttribute Int(std::string k, int64_t v) {
    SpanAttribute a;
    a.key = std::move(k);
    a.type = Type::kInt;
    a.int_value = v;
    return a;
  }
};

struct SpanEventRecord {
  std::string name;
  uint64_t time_unix_nano = 0;
  std::vector<SpanAttribute> attributes;
  bool operator==(const SpanEventRecord&) const = default;
};

// OTLP's enum numbers (trace.proto): kind 0..5, status 0 unset, 1 ok, 2 error.
inline constexpr uint8_t kSpanKindServer = 2;
inline constexpr uint8_t kSpanStatusError = 2;

struct SpanRecord {
  std::array<uint8_t, 16> trace_id{};
  std::array<uint8_t, 8> span_id{};
  std::array<uint8_t, 8> parent_span_id{};  // all zeros: a root span
  std::string service;
  std::string name;
  uint8_t kind = 0;         // 0..5 (other numbers are stored as 0)
  uint8_t status_code = 0;  // 0..2 (other numbers are stored as 0)
  std::string status_message;
  uint64_t start_time_unix_nano = 0;
  uint64_t end_time_unix_nano = 0;  // >= start (the store clamps it)
  std::vector<SpanAttribute> attributes;
  std::vector<SpanEventRecord> events;
  bool operator==(const SpanRecord&) const = default;

  bool is_root() const;
  // Entry spans (the list queries' candidates): SERVER spans and roots.
  bool is_entry() const { return kind == kSpanKindServer || is_root(); }
  // The first attribute named `key`, or nullptr.
  const SpanAttribute* Find(std::string_view key) const;
};

// "SPAN_KIND_SERVER", ... ("SPAN_KIND_UNSPECIFIED" for 0 and unknown numbers).
std::string_view SpanKindText(uint8_t kind);
// "STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR".
std::string_view SpanStatusText(uint8_t code);

// The JSON the traces API shows (and the ClickHouse spans table keeps): attributes as one
// object {"key": value} with typed values; events as an array of {"name", "timeUnixNano"
// (a decimal string), "attributes"}; ids as lower-case hex (without quotes).
void AppendSpanAttributesJson(std::string& out, const std::vector<SpanAttribute>& attrs);
void AppendSpanEventsJson(std::string& out, const std::vector<SpanEventRecord>& events);
void AppendHexId(std::string& out, std::span<const uint8_t> id);
// The same, but an all-zero id (none: a root's parent, an error without a trace) appends
// nothing.
void AppendHexIdOrEmpty(std::string& out, std::span<const uint8_t> id);
// Reads exactly 2 * out.size() hex digits (either case) into `out`; false otherwise.
bool ParseHexId(std::string_view text, std::span<uint8_t> out);

}  // namespace perfwatch::events
