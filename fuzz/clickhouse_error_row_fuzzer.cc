// libFuzzer target for rows of ClickHouse's `error_groups` and `errors` tables read back
// (clickhouse::ParseErrorGroupRow, ParseErrorOccurrenceRow; docs/format/clickhouse.md
// "Queries"): the bytes come from another server. The input is a TabSeparated answer of
// ten columns, read as group rows and as occurrence rows; any bytes give rows or
// InvalidArgument, never a crash; a group read back, written out again as the encoder and
// the query write it (hex fingerprint, source name, frames JSON) and read once more, is
// the same group.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "clickhouse/error_row.h"
#include "clickhouse/tsv.h"
#include "common/hex.h"

namespace {

using perfwatch::events::ErrorGroup;

std::vector<std::string> Fields(const ErrorGroup& g) {
  std::string frames;
  perfwatch::events::AppendErrorFramesJson(frames, g.info.frames);
  return {perfwatch::Hex64(g.info.fingerprint),
          std::string(perfwatch::events::ErrorSourceName(g.info.source)),
          g.info.scope, g.info.type, g.info.message, g.info.sample_message, g.info.sample_stack, frames,
          std::to_string(g.first_seen_ms), std::to_string(g.last_seen_ms)};
}

std::string LowerCase(std::string s) {
  for (char& c : s) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto rows = perfwatch::clickhouse::ParseTsv(text, perfwatch::clickhouse::kErrorGroupReadColumnCount);
  if (!rows.ok()) return 0;
  for (const auto& row : *rows) {
    ErrorGroup g;
    perfwatch::Status st = perfwatch::clickhouse::ParseErrorGroupRow(row, &g);
    if (st.ok()) {
      const std::vector<std::string> again = Fields(g);
      ErrorGroup h;
      if (!perfwatch::clickhouse::ParseErrorGroupRow(again, &h).ok()) std::abort();
      if (Fields(h) != again || h.info.frames != g.info.frames) std::abort();
    } else if (st.code() != perfwatch::StatusCode::kInvalidArgument) {
      std::abort();
    }
    uint64_t fp = 0;
    perfwatch::events::ErrorOccurrenceView o;
    st = perfwatch::clickhouse::ParseErrorOccurrenceRow(row, &fp, &o);
    if (!st.ok() && st.code() != perfwatch::StatusCode::kInvalidArgument) std::abort();
    // An occurrence read back names the group its first field spells, in lower case.
    if (st.ok() && (perfwatch::Hex64(fp).size() != 16 || perfwatch::Hex64(fp) != LowerCase(row[0]))) std::abort();
  }
  return 0;
}
