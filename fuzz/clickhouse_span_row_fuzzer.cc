// libFuzzer target for rows of ClickHouse's `spans` table read back (clickhouse::ParseSpanRow,
// docs/format/clickhouse.md "Queries"): the bytes come from another server. The input is a
// TabSeparated answer of the span columns; any bytes give spans or InvalidArgument, never
// a crash; a span read back, written out again as the encoder writes it (hex ids, the
// traces API's JSON) and read once more, shows the same JSON.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "clickhouse/span_row.h"
#include "clickhouse/tsv.h"
#include "events/span_record.h"

namespace {

std::vector<std::string> Fields(const perfwatch::events::SpanRecord& s) {
  auto hex = [](auto id) {
    std::string out;
    for (uint8_t b : id) {
      if (b) {
        perfwatch::events::AppendHexId(out, id);
        break;
      }
    }
    return out;
  };
  std::string attrs, events;
  perfwatch::events::AppendSpanAttributesJson(attrs, s.attributes);
  perfwatch::events::AppendSpanEventsJson(events, s.events);
  return {hex(s.trace_id), hex(s.span_id), hex(s.parent_span_id), s.service, s.name,
          std::to_string(s.kind), std::to_string(s.status_code), s.status_message,
          std::to_string(s.start_time_unix_nano), std::to_string(s.end_time_unix_nano), attrs, events};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto rows = perfwatch::clickhouse::ParseTsv(text, perfwatch::clickhouse::kSpanReadColumnCount);
  if (!rows.ok()) return 0;
  for (const auto& row : *rows) {
    perfwatch::events::SpanRecord s;
    perfwatch::Status st = perfwatch::clickhouse::ParseSpanRow(row, &s);
    if (!st.ok()) {
      if (st.code() != perfwatch::StatusCode::kInvalidArgument) std::abort();
      continue;
    }
    const std::vector<std::string> again = Fields(s);
    perfwatch::events::SpanRecord t;
    if (!perfwatch::clickhouse::ParseSpanRow(again, &t).ok()) std::abort();
    if (Fields(t) != again) std::abort();
  }
  return 0;
}
