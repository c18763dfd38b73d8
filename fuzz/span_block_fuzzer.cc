// libFuzzer target for the span store's block decoder (events/span_codec.h), the parser
// that replay runs over every record of a spans.log: arbitrary bytes never read out of
// bounds or abort; whatever decodes cleanly re-encodes (into a fresh dictionary) to a body
// that decodes to the same spans.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "events/span_codec.h"

using namespace perfwatch::events;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr uint64_t kBase = 1'733'277'600'000'000'000ull;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  SpanDictionary dict;
  std::vector<SpanRecord> spans;
  if (!DecodeSpanBlock(body, kBase, &dict, dict.strings, &spans, nullptr).ok()) return 0;
  if (spans.size() > kMaxSpansPerBlock) std::abort();
  std::vector<const SpanRecord*> ptrs;
  for (const auto& s : spans) ptrs.push_back(&s);
  SpanDictionary fresh;
  std::string again;
  EncodeSpanBlock(ptrs, kBase, fresh, again, nullptr);
  SpanDictionary replay;
  std::vector<SpanRecord> back;
  if (!DecodeSpanBlock(again, kBase, &replay, replay.strings, &back, nullptr).ok()) std::abort();
  if (back.size() != spans.size()) std::abort();
  for (size_t i = 0; i < back.size(); ++i) {
    // NaN doubles compare unequal: compare the rest field by field.
    const SpanRecord& a = spans[i];
    const SpanRecord& b = back[i];
    if (a.trace_id != b.trace_id || a.span_id != b.span_id || a.parent_span_id != b.parent_span_id ||
        a.service != b.service || a.name != b.name || a.kind != b.kind || a.status_code != b.status_code ||
        a.start_time_unix_nano != b.start_time_unix_nano || a.end_time_unix_nano != b.end_time_unix_nano ||
        a.attributes.size() != b.attributes.size() || a.events.size() != b.events.size()) {
      std::abort();
    }
  }
  return 0;
}
