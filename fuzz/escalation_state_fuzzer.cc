// libFuzzer target for the escalation state's records (escalations.snap, escalation.h):
// DecodeEscalationEntry on arbitrary bytes, and EscalationTracker::Load on the input split
// into records. A decoded entry's encoding must decode to an entry with that encoding; a loaded tracker must
// encode records that load again into the same encoding; the API view must be valid JSON.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "alert/escalation.h"

using namespace perfwatch::alert;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  EscalationEntry e;
  if (DecodeEscalationEntry(in, &e)) {
    // The input may spell a number with redundant varint bytes: what must hold is that the
    // entry's own encoding reads back to the same entry (the same bytes once more).
    const std::string enc = EncodeEscalationEntry(e);
    EscalationEntry back;
    Check(DecodeEscalationEntry(enc, &back));
    Check(EncodeEscalationEntry(back) == enc);
  }

  // Records separated by 0xff bytes.
  std::vector<std::string> records;
  size_t start = 0;
  for (size_t i = 0; i <= in.size(); ++i) {
    if (i == in.size() || static_cast<uint8_t>(in[i]) == 0xff) {
      records.emplace_back(in.substr(start, i - start));
      start = i + 1;
    }
  }
  EscalationTracker t;
  if (!t.Load(records).ok()) return 0;
  const std::vector<std::string> encoded = t.EncodeSnapshot();
  EscalationTracker again;
  Check(again.Load(encoded).ok());
  Check(again.EncodeSnapshot() == encoded);

  AlertmanagerConfig config;
  EscalationPolicy p;
  p.steps = {{60'000, {"a"}}, {120'000, {"b"}}};
  p.repeat = 3;
  for (const std::string& r : encoded) {
    EscalationEntry x;
    Check(DecodeEscalationEntry(r, &x));
    p.name = x.policy;
    config.escalations = {p};
    auto view = t.ViewOf(x.fingerprint, config);
    if (!view) continue;
    simdjson::dom::parser parser;
    Check(!parser.parse(EscalationViewJson(*view)).error());
  }
  return 0;
}
