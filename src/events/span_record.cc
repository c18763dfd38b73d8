#include "events/span_record.h"

#include "common/json_writer.h"

namespace perfwatch::events {

bool SpanRecord::is_root() const {
  for (uint8_t b : parent_span_id)
    if (b) return false;
  return true;
}

const SpanAttribute* SpanRecord::Find(std::string_view key) const {
  for (const SpanAttribute& a : attributes)
    if (a.key == key) return &a;
  return nullptr;
}

std::string_view SpanKindText(uint8_t kind) {
  switch (kind) {
    case 1: return "SPAN_KIND_INTERNAL";
    case 2: return "SPAN_KIND_SERVER";
    case 3: return "SPAN_KIND_CLIENT";
    case 4: return "SPAN_KIND_PRODUCER";
    case 5: return "SPAN_KIND_CONSUMER";
    default: return "SPAN_KIND_UNSPECIFIED";
  }
}

std::string_view SpanStatusText(uint8_t code) {
  switch (code) {
    case 1: return "STATUS_CODE_OK";
    case 2: return "STATUS_CODE_ERROR";
    default: return "STATUS_CODE_UNSET";
  }
}

void AppendSpanAttributesJson(std::string& out, const std::vector<SpanAttribute>& attrs) {
  out.push_back('{');
  for (size_t i = 0; i < attrs.size(); ++i) {
    const SpanAttribute& a = attrs[i];
    if (i) out.push_back(',');
    AppendJsonString(out, a.key);
    out.push_back(':');
    switch (a.type) {
      case SpanAttribute::Type::kString: AppendJsonString(out, a.string_value); break;
      case SpanAttribute::Type::kInt: AppendJsonInt(out, a.int_value); break;
      case SpanAttribute::Type::kDouble: AppendJsonNumber(out, a.double_value); break;
      case SpanAttribute::Type::kBool: out += a.bool_value ? "true" : "false"; break;
    }
  }
  out.push_back('}');
}

void AppendSpanEventsJson(std::string& out, const std::vector<SpanEventRecord>& events) {
  out.push_back('[');
  for (size_t i = 0; i < events.size(); ++i) {
    if (i) out.push_back(',');
    out += R"({"name":)";
    AppendJsonString(out, events[i].name);
    out += R"(,"timeUnixNano":")";
    out += std::to_string(events[i].time_unix_nano);
    out += R"(","attributes":)";
    AppendSpanAttributesJson(out, events[i].attributes);
    out.push_back('}');
  }
  out.push_back(']');
}

bool ParseHexId(std::string_view text, std::span<uint8_t> out) {
  if (text.size() != 2 * out.size()) return false;
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = digit(text[2 * i]), lo = digit(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

void AppendHexId(std::string& out, std::span<const uint8_t> id) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (uint8_t b : id) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
}

void AppendHexIdOrEmpty(std::string& out, std::span<const uint8_t> id) {
  for (uint8_t b : id) {
    if (b) return AppendHexId(out, id);
  }
}

}  // namespace perfwatch::events
