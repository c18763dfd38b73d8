// libFuzzer target for the data directory's format record (data_dir/FORMATS,
// common/data_formats.h, docs/format/versions.md): any bytes give a record or one line of
// InvalidArgument, never a crash; a record that reads keeps its limits (at most 256
// formats, versions 1..1000000, a written-by) and its written form reads back equal.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/data_formats.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto record = perfwatch::ParseFormatsRecord(text);
  if (!record.ok()) {
    if (record.status().code() != perfwatch::StatusCode::kInvalidArgument) std::abort();
    if (record.status().message().find('\n') != std::string::npos) std::abort();
    return 0;
  }
  if (record->written_by.empty() || record->versions.size() > perfwatch::kFormatsMaxEntries) std::abort();
  for (const auto& entry : record->versions) {
    if (entry.second < 1 || entry.second > perfwatch::kFormatsMaxVersion) std::abort();
    if (record->Get(entry.first) != entry.second) std::abort();  // names are unique
  }
  auto again = perfwatch::ParseFormatsRecord(perfwatch::FormatFormatsRecord(*record));
  if (!again.ok() || !(*again == *record)) std::abort();
  return 0;
}
