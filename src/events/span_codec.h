#pragma once
// The body of one span-store block (docs/otlp.md "Span store", byte layout below): up to
// kMaxSpansPerBlock spans of one partition, their strings as ids into the partition's
// dictionary. A block defines the strings it introduces (so the log rebuilds the
// dictionary on replay), then the spans:
//
//   varint first_new_id, varint n_new, n_new x (varint len, bytes)
//   varint n_spans, then per span (a "str" is varint id << 1, or varint len << 1 | 1 and
//   the bytes inline):
//     varint trace_ref (0: 16 id bytes follow; k: the k-th distinct trace id of the block)
//     8 bytes span id; u8 flags = kind | status << 3 | has_parent << 5 | has_message << 6
//       | has_events << 7; [8 bytes parent id]
//     str service, str name, [str status message]
//     varint zigzag(start - previous start) (the first from the partition start, in ns)
//     varint duration ns
//     attributes: varint n, n x (str key, u8 type, value)
//       type 0 string (str), 1 int (zigzag varint), 2 double (fixed64), 3 false, 4 true
//     [events: varint n, n x (str name, varint zigzag(time - start), attributes)]
// Service, span name, attribute keys and http.route are interned up to
// StringDictionary::kMaxStringBytes; other strings up to kMaxInternedBytes and
// kMaxInternedValuesPerKey distinct values per key and partition.
//
// The store compresses each body with zstd before it goes into a log record.
//
// Thread safety: the functions are pure apart from the dictionary they are given, which
// the caller guards.
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "events/dictionary.h"
#include "events/span_record.h"

namespace perfwatch::events {

inline constexpr size_t kMaxSpansPerBlock = 1024;
// Strings longer than this are stored inline, never in the dictionary.
inline constexpr size_t kMaxInternedBytes = 128;
// Per partition and attribute key: values beyond this many distinct ones are stored inline
// (keeps ids and urls with ids out of the in-memory dictionary).
inline constexpr uint32_t kMaxInternedValuesPerKey = 4096;
inline constexpr uint32_t kNoId = UINT32_MAX;

// Dictionary ids the list index keeps for a span.
struct SpanIds {
  uint32_t service = kNoId;
  uint32_t name = kNoId;
  uint32_t route = kNoId;  // the http.route attribute (always interned), kNoId when absent
};

// A partition's dictionary with its interning policy.
struct SpanDictionary {
  StringDictionary strings;
  std::vector<uint32_t> values_per_key;  // key id -> distinct values interned under it
};

// Appends the body of a block of `spans` (at most kMaxSpansPerBlock) to `out`, adding the
// strings it introduces to `dict`. `base_ns` is the partition start. ids[i] receives
// spans[i]'s ids.
void EncodeSpanBlock(std::span<const SpanRecord* const> spans, uint64_t base_ns, SpanDictionary& dict,
                     std::string& out, std::vector<SpanIds>* ids);

// Decodes a block body. With `define` (replay) the block's new strings are added to it
// and must start at its size; otherwise they must already be in `dict`. Spans are
// appended to `out`, their ids to `ids` (both optional). DataLoss on malformed input.
// `keep` (optional) selects the spans appended to `out` by their index in the block (the
// others are parsed, not copied).
Status DecodeSpanBlock(std::string_view body, uint64_t base_ns, SpanDictionary* define, const StringDictionary& dict,
                       std::vector<SpanRecord>* out, std::vector<SpanIds>* ids,
                       const std::function<bool(size_t index, const SpanRecord& span)>& keep = {});

}  // namespace perfwatch::events
