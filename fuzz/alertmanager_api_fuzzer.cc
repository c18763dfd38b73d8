// libFuzzer target for the POST /api/v2/alerts body parser (alert::ParsePostableAlerts)
// and what follows it on the request path: the API defaults, validation, and the
// Go-compatible text the alerts end up in (group key, webhook payload, fingerprints).
// Any input must give either alerts or an error answer with a status of 400 or 422 and a
// JSON body; accepted alerts have sorted, unique label names; valid ones survive the
// payload builder, whose output must be valid UTF-8 JSON text ending in a newline.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "alert/am_api.h"
#include "alert/am_format.h"
#include "alert/webhook.h"

using namespace perfwatch::alert;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

bool SortedUnique(const LabelSet& ls) {
  for (size_t i = 1; i < ls.size(); ++i) {
    if (!(ls[i - 1].first < ls[i].first)) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  PostableAlertsParse parsed = ParsePostableAlerts(body);
  if (parsed.error_status != 0) {
    Check(parsed.error_status == 400 || parsed.error_status == 422);
    Check(parsed.alerts.empty());
    simdjson::dom::parser p;
    Check(!p.parse(parsed.error_body).error());
    return 0;
  }
  constexpr int64_t kNow = 1'700'000'000'000;
  std::vector<Alert> valid;
  for (Alert& a : parsed.alerts) {
    Check(SortedUnique(a.labels) && SortedUnique(a.annotations));
    ApplyPostDefaults(a, kNow, 300'000);
    Check(a.starts_at_ms != 0 && a.ends_at_ms != 0 && a.updated_at_ms == kNow);
    if (ValidateAlert(a).empty()) {
      Check(!a.labels.empty());
      valid.push_back(a);
    }
  }
  if (valid.empty()) return 0;
  NotificationContext ctx{"fuzz", "{}:" + GoLabelSetString(valid[0].labels), valid[0].labels,
                          "http://x", kNow};
  std::string payload = BuildWebhookPayload(ctx, valid, 0);
  Check(!payload.empty() && payload.back() == '\n');
  simdjson::dom::parser p;
  Check(!p.parse(payload).error());
  return 0;
}
