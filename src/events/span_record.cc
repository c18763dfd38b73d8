#include "events/span_record.h"

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

}  // namespace perfwatch::events
