#pragma once
// Synthetic checks (docs/synthetic.md): what a check is (CheckSpec, as written under
// `synthetic.checks` in the YAML or POSTed to /api/v1/checks) and what one run of it
// yields (CheckResult). HTTP checks are run by http_probe.h, browser checks by
// browser/browser_check.h; scheduler.h runs them on their intervals and stores results.
// Thread safety: plain values.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace perfwatch::synthetic {

// One assertion of `assert:`. HTTP checks use every kind; browser checks only
// kMaxDuration (the whole run); their page text is asserted by `assert_text` steps.
struct Assertion {
  enum class Kind {
    kStatus,        // {status: 200}
    kMaxDuration,   // {max_duration: 2s}
    kBodyContains,  // {body_contains: "..."}
    kBodyRegex,     // {body_regex: "..."} (RE2, partial match)
    kJsonPath,      // {json_path: "$.status", equals: "ok"} (without equals: the path exists)
    kHeader,        // {header: NAME, matches: REGEX} (RE2, full match of the value; any of repeats)
    kCertDaysLeft,  // {cert_days_left: 14}: the earliest certificate expiry at least this far
  };
  Kind kind = Kind::kStatus;
  int status = 0;
  int64_t max_duration_ms = 0;
  std::string text;        // body_contains / body_regex / json_path / header name
  std::string matches;     // header: the value's regex
  std::optional<std::string> equals;  // json_path: expected value (strings as is, numbers and
                                      // booleans in their JSON spelling: "200", "true")
  int cert_days_left = 0;
  std::string Describe() const;  // "status == 200", "json_path $.status == \"ok\"", ...
};

struct HttpSpec {
  std::string url;                                            // http:// or https://
  std::string method = "GET";
  std::vector<std::pair<std::string, std::string>> headers;   // sent as given
  std::string body;
  int64_t timeout_ms = 10'000;
  bool follow_redirects = true;                               // up to 10 redirects
  bool tls_verify = true;
};

// One scripted step of a browser check.
struct BrowserStep {
  enum class Kind {
    kGoto,     // {goto: URL}
    kClick,    // {click: SELECTOR}
    kFill,     // {fill: SELECTOR, value: TEXT}
    kWaitFor,  // {wait_for: SELECTOR} or {wait_for_text: TEXT}
    kAssert,   // {assert_text: TEXT} (the page's visible text contains it)
    kMeasure,  // {measure: NAME, from: STEP, to: STEP}: time from `from`'s start to `to`'s end
  };
  Kind kind = Kind::kGoto;
  std::string name;      // `name:` (default "<kind> <target>", e.g. "click #buy")
  std::string target;    // URL, selector or text
  std::string value;     // fill: the text typed
  bool by_text = false;  // wait_for: target is text rather than a selector
  std::string from, to;  // measure: step names
  int64_t timeout_ms = 10'000;  // click/fill/wait_for/assert: how long the target may take to appear
};

struct BrowserSpec {
  std::string url;                   // loaded first (before any step)
  std::string device = "desktop";    // desktop | mobile (Lighthouse's emulated Moto G Power)
  std::string throttling = "none";   // none | 4g | fast3g | slow3g (Lighthouse/DevTools presets)
  std::vector<BrowserStep> steps;
  int64_t timeout_ms = 60'000;       // the whole run; the browser is killed beyond it
  std::string app = "synthetic";     // journey series app label for the steps (rum_journey_*)
};

struct CheckSpec {
  std::string name;                  // [A-Za-z0-9_.-]+, unique
  int64_t interval_ms = 60'000;      // >= 10 s
  enum class Kind { kHttp, kBrowser } kind = Kind::kHttp;
  HttpSpec http;
  BrowserSpec browser;
  std::vector<Assertion> asserts;
  std::map<std::string, std::string> labels;  // extra series labels (not check/instance)
  bool from_api = false;             // created by POST /api/v1/checks (persisted) vs the YAML
};

// Seconds spent in each phase of an HTTP probe, blackbox exporter's names. Phases not
// reached (or not applicable: tls on http://) are 0, as the exporter reports them.
struct HttpPhases {
  double resolve = 0, connect = 0, tls = 0, processing = 0, transfer = 0;
};

// The response of a failed HTTP run, kept for the dashboard.
struct ResponseSnapshot {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body_prefix;  // first 4 KiB of the body
};

struct StepResult {
  std::string name;
  bool ok = true;
  double duration_s = 0;
  std::string error;
};

struct CheckResult {
  int64_t time_ms = 0;         // when the run started (unix ms)
  bool success = false;
  std::string error;           // the first failure: "status 500 (expected 200)", "timeout after 10s", ...
  int failed_assertion = -1;   // index into asserts, -1 none
  bool retried = false;        // failed once, was run again at once (double check)
  double duration_s = 0;       // whole run (HTTP: all redirects; browser: load + steps)
  // HTTP
  HttpPhases phases;           // summed over redirects, as the blackbox exporter does
  int status_code = 0;         // of the last response; 0 when none arrived
  int redirects = 0;
  int http_version = 0;        // 10, 11
  double earliest_cert_expiry = 0;  // unix seconds of the chain's earliest notAfter; 0: no TLS
  std::optional<ResponseSnapshot> response;  // set when the run failed and a response arrived
  // Browser
  std::map<std::string, double> vitals;  // "lcp", "fcp", "ttfb" in ms, "cls" unitless, as measured by rum.js
  std::vector<StepResult> steps;
  std::vector<std::string> console_errors;
  std::string resources_json;  // the waterfall: rum.js's resource beacon payload (JSON array) or ""
  std::string screenshot_png;  // bytes, on failure
};

}  // namespace perfwatch::synthetic
