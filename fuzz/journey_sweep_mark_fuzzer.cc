// libFuzzer target for the journey sweep mark (data_dir/rum-journeys.json,
// ingest/rum/journey_state.h): any bytes give a mark or InvalidArgument, never a crash, and
// a mark that reads is what WriteJourneySweepMark's text of it reads back as.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ingest/rum/journey_state.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto mark = perfwatch::ingest::ParseJourneySweepMark(text);
  if (!mark.ok()) {
    if (mark.status().code() != perfwatch::StatusCode::kInvalidArgument) std::abort();
    return 0;
  }
  auto again = perfwatch::ingest::ParseJourneySweepMark("{\"swept_ms\":" + std::to_string(*mark) + "}\n");
  if (!again.ok() || *again != *mark) std::abort();
  return 0;
}
