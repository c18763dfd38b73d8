#pragma once
// Evaluates the `assert:` list of an HTTP check against the response it got
// (docs/synthetic.md "HTTP checks"). Assertions run in order; the first failing one sets
// result->success = false, result->error (e.g. `status 500, expected 200`,
// `body does not contain "ok"`, `$.status is "degraded", expected "ok"`,
// `certificate expires in 3 days, less than 14`) and result->failed_assertion (its
// index). Without any `status` assertion a response must have a 2xx status, as the
// blackbox exporter's default valid_status_codes want (`status 500, expected 2xx`,
// failed_assertion -1). Regexes are RE2 (body_regex: partial match; header: full match of
// a value, any of a repeated header); a pattern that does not compile fails its assertion
// with RE2's message and never crashes. kText (browser) assertions are not evaluated here.
// Thread safety: pure functions.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "synthetic/check.h"

namespace perfwatch::synthetic {

// What an HTTP run got back, beside what CheckResult already holds.
struct HttpResponseView {
  int status = 0;
  const std::vector<std::pair<std::string, std::string>>* headers = nullptr;  // may be null
  std::string_view body;
  double duration_s = 0;               // the whole run
  double earliest_cert_expiry = 0;     // unix seconds; 0: no TLS
};

// Sets result->success (true when every assertion holds), error and failed_assertion.
// `now_unix_s` is the time cert_days_left is measured from.
void EvaluateAssertions(const std::vector<Assertion>& asserts, const HttpResponseView& response, double now_unix_s,
                        CheckResult* result);

}  // namespace perfwatch::synthetic
