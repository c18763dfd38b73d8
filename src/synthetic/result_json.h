#pragma once
// CheckResult as JSON, for the checks API (docs/api.md "Synthetic checks") and the
// scheduler's state file. `full` adds what only failures keep (response, console errors,
// resources); the screenshot is never inlined. Times are unix seconds with milliseconds,
// durations seconds. ParseCheckResultJson reads what CheckResultJson wrote (unknown
// members ignored, wrong types an error).
// Thread safety: pure functions.
#include <simdjson.h>

#include <string>

#include "common/status.h"
#include "synthetic/check.h"

namespace perfwatch::synthetic {

void AppendCheckResultJson(std::string& out, const CheckResult& r, bool full);
Result<CheckResult> ParseCheckResultJson(simdjson::dom::element e);

}  // namespace perfwatch::synthetic
