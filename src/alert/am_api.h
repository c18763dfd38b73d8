#pragma once
// Alertmanager's API v2 for alerts, served by the in-process Alertmanager, and the parts
// of POST /api/v2/alerts that are pure functions (exposed for tests and the fuzzer).
// Answers follow Alertmanager 0.25 (go-swagger):
//   - a body that is not valid JSON of the postableAlerts shape: 400
//     {"code":400,"message":"parsing alerts body from \"\" failed, because ..."};
//   - an empty body: 422 {"code":602,"message":"alerts in body is required"}; an alert
//     without labels: 422 {"code":602,"message":"<i>.labels in body is required"};
//   - alerts failing validation: the valid ones are still stored and the answer is 400
//     with a JSON string body joining the errors with "; " ("start time must be before
//     end time"); otherwise 200 with an empty body.
// Thread safety: pure functions.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "alert/alert.h"

namespace perfwatch::alert {

struct PostableAlertsParse {
  std::vector<Alert> alerts;  // times as given (0 when absent); labels/annotations normalised
  int error_status = 0;       // non-zero: answer with this status and error_body
  std::string error_body;
};

// Parses a POST /api/v2/alerts body (a JSON array of postableAlert). Object keys match
// case-insensitively and the last of repeated keys wins, as with Go's encoding/json.
PostableAlertsParse ParsePostableAlerts(std::string_view body);

// The API's defaults: updated_at = now; an unset starts_at becomes ends_at, or now when
// that is unset too; an unset ends_at becomes now + resolve_timeout with timeout = true.
// Also drops labels with empty values.
void ApplyPostDefaults(Alert& alert, int64_t now_ms, int64_t resolve_timeout_ms);

// Alertmanager's (model.Alert) validation; "" when valid, else the message.
std::string ValidateAlert(const Alert& alert);

// go-openapi's error answer: {"code":<code>,"message":"..."}.
std::string OpenApiErrorJson(int code, std::string_view message);

}  // namespace perfwatch::alert
