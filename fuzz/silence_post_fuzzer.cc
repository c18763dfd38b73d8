// libFuzzer target for the POST /api/v2/silences body parser (alert::ParsePostableSilence)
// and what follows it on the request path: validation (ValidateSilence), the store's Set
// and Expire rules, matching, the snapshot encoding, and the JSON the GET handlers print.
// Any input must give either a silence or an error answer with a status of 400 or 422 and
// a JSON body; a silence that validates must be stored, round-trip through its encoding
// and be listed with its id.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "alert/am_api.h"
#include "alert/silences.h"

using namespace perfwatch::alert;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  PostableSilenceParse parsed = ParsePostableSilence(body);
  if (parsed.error_status != 0) {
    Check(parsed.error_status == 400 || parsed.error_status == 422);
    simdjson::dom::parser p;
    Check(!p.parse(parsed.error_body).error());
    return 0;
  }
  Check(!parsed.silence.matchers.empty());
  static FakeClock clock(1'700'000'000'000);
  SilencesOptions o;  // in memory
  o.clock = &clock;
  auto store = Silences::Open(o);
  Check(store.ok());
  Silence s = parsed.silence;
  s.id.clear();
  auto id = (*store)->Set(s);
  if (!id.ok()) {
    Check(id.status().message().rfind("silence invalid: ", 0) == 0);
    return 0;
  }
  auto got = (*store)->Get(*id);
  Check(got.has_value() && LooksLikeUuid(*id));
  Silence decoded;
  Check(DecodeSilence(EncodeSilence(*got), &decoded));
  Check(decoded.id == got->id && decoded.matchers.size() == got->matchers.size() &&
        decoded.ends_at_ms == got->ends_at_ms && decoded.comment == got->comment);
  LabelSet labels;
  for (const Matcher& m : got->matchers) labels.emplace_back(m.name, m.value);
  NormalizeLabelSet(labels);
  (void)(*store)->MutedBy(labels, clock.NowMs());
  Check((*store)->Expire(*id).ok());
  Check(SilenceStateAt(*(*store)->Get(*id), clock.NowMs()) == SilenceState::kExpired);
  return 0;
}
