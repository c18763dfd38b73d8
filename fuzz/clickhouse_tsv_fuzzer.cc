// libFuzzer target for ClickHouse's TabSeparated answers (clickhouse::ParseTsv,
// docs/format/clickhouse.md "Encoding"): the bytes come from another server. Any bytes
// give rows or InvalidArgument, never a crash; every row has the first row's field count;
// re-encoding the fields with AppendTsvField and parsing again gives the same rows.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "clickhouse/tsv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto rows = perfwatch::clickhouse::ParseTsv(text);
  if (!rows.ok()) {
    if (rows.status().code() != perfwatch::StatusCode::kInvalidArgument) std::abort();
    return 0;
  }
  std::string again;
  for (const auto& row : *rows) {
    if (row.size() != rows->front().size()) std::abort();
    for (size_t i = 0; i < row.size(); ++i) {
      if (i) again += '\t';
      perfwatch::clickhouse::AppendTsvField(again, row[i]);
    }
    again += '\n';
  }
  auto back = perfwatch::clickhouse::ParseTsv(again);
  if (!back.ok() || *back != *rows) std::abort();
  for (const auto& row : *rows) {
    for (const auto& f : row) (void)perfwatch::clickhouse::ParseUint(f);
  }
  return 0;
}
