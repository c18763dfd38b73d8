#include "synthetic/assertions.h"

#include <re2/re2.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>

#include "common/label_validation.h"
#include "common/time.h"
#include "http/url.h"
#include "synthetic/json_path.h"

namespace perfwatch::synthetic {
namespace {

std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3fs", s);
  return buf;
}

RE2::Options QuietOptions() {
  RE2::Options o;
  o.set_log_errors(false);
  o.set_encoding(RE2::Options::EncodingLatin1);  // bodies need not be UTF-8
  return o;
}

// A full-number parse of `s` (JSON number spelling), for equals: "200" vs 200.0.
std::optional<double> ParseNumber(std::string_view s) {
  if (s.empty()) return std::nullopt;
  double d = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), d);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return d;
}

bool LooksLikeJsonScalar(std::string_view s) {
  return s == "true" || s == "false" || s == "null" || ParseNumber(s).has_value();
}

// An empty string when `a` holds, else why it does not.
std::string Check(const Assertion& a, const HttpResponseView& r, double now_unix_s) {
  using K = Assertion::Kind;
  switch (a.kind) {
    case K::kStatus:
      if (r.status == a.status) return "";
      return "status " + std::to_string(r.status) + ", expected " + std::to_string(a.status);
    case K::kMaxDuration:
      if (r.duration_s * 1000.0 <= static_cast<double>(a.max_duration_ms)) return "";
      return "took " + Seconds(r.duration_s) + ", more than " + FormatPromDuration(a.max_duration_ms);
    case K::kBodyContains:
      if (r.body.find(a.text) != std::string_view::npos) return "";
      return "body does not contain " + QuoteForError(a.text);
    case K::kBodyRegex: {
      RE2 re(a.text, QuietOptions());
      if (!re.ok()) return "body_regex " + QuoteForError(a.text) + " is not a valid regex: " + re.error();
      if (RE2::PartialMatch(re2::StringPiece(r.body.data(), r.body.size()), re)) return "";
      return "body does not match " + QuoteForError(a.text);
    }
    case K::kJsonPath: {
      auto path = ParseJsonPath(a.text);
      if (!path.ok()) return path.status().message();
      auto value = EvalJsonPath(*path, r.body);
      if (!value.ok()) return a.text + ": " + value.status().message();
      if (!value->has_value()) return a.text + " not found in the body";
      if (!a.equals) return "";
      const JsonValue& v = **value;
      if (v.text == *a.equals) return "";
      if (v.kind == JsonValue::Kind::kNumber) {
        auto want = ParseNumber(*a.equals), got = ParseNumber(v.text);
        if (want && got && *want == *got) return "";
      }
      const bool is_string = v.kind == JsonValue::Kind::kString;
      std::string expected = is_string || !LooksLikeJsonScalar(*a.equals) ? QuoteForError(*a.equals) : *a.equals;
      return a.text + " is " + (is_string ? QuoteForError(v.text) : v.text.substr(0, 100)) + ", expected " + expected;
    }
    case K::kHeader: {
      RE2 re(a.matches, QuietOptions());
      if (!re.ok()) return "header regex " + QuoteForError(a.matches) + " is not valid: " + re.error();
      const std::string* first = nullptr;
      if (r.headers != nullptr) {
        for (const auto& h : *r.headers) {
          if (!http::EqualsIgnoreCase(h.first, a.text)) continue;
          if (RE2::FullMatch(h.second, re)) return "";
          if (first == nullptr) first = &h.second;
        }
      }
      if (first == nullptr) return "header " + a.text + " missing";
      return "header " + a.text + " is " + QuoteForError(*first) + ", does not match " + QuoteForError(a.matches);
    }
    case K::kCertDaysLeft: {
      if (r.earliest_cert_expiry <= 0) return "cert_days_left: no TLS certificate (not an https:// response)";
      const double left_s = r.earliest_cert_expiry - now_unix_s;
      if (left_s >= static_cast<double>(a.cert_days_left) * 86400.0) return "";
      if (left_s < 0) {
        return "certificate expired " + std::to_string(static_cast<int64_t>(-left_s / 86400)) + " days ago";
      }
      return "certificate expires in " + std::to_string(static_cast<int64_t>(left_s / 86400)) + " days, less than " +
             std::to_string(a.cert_days_left);
    }
  }
  return "";  // kinds this evaluator does not know (browser-only) hold here
}

}  // namespace

void EvaluateAssertions(const std::vector<Assertion>& asserts, const HttpResponseView& response, double now_unix_s,
                        CheckResult* result) {
  result->success = true;
  result->error.clear();
  result->failed_assertion = -1;
  bool has_status = false;
  for (const Assertion& a : asserts) has_status |= a.kind == Assertion::Kind::kStatus;
  if (!has_status && (response.status < 200 || response.status > 299)) {
    result->success = false;
    result->error = "status " + std::to_string(response.status) + ", expected 2xx";
    return;
  }
  for (size_t i = 0; i < asserts.size(); ++i) {
    std::string why = Check(asserts[i], response, now_unix_s);
    if (why.empty()) continue;
    result->success = false;
    result->error = std::move(why);
    result->failed_assertion = static_cast<int>(i);
    return;
  }
}

std::string Assertion::Describe() const {
  switch (kind) {
    case Kind::kStatus: return "status == " + std::to_string(status);
    case Kind::kMaxDuration: return "duration <= " + FormatPromDuration(max_duration_ms);
    case Kind::kBodyContains: return "body contains " + QuoteForError(text);
    case Kind::kBodyRegex: return "body matches " + QuoteForError(text);
    case Kind::kJsonPath:
      return "json_path " + text + (equals ? " == " + QuoteForError(*equals) : std::string(" exists"));
    case Kind::kHeader: return "header " + text + " matches " + QuoteForError(matches);
    case Kind::kCertDaysLeft: return "cert_days_left >= " + std::to_string(cert_days_left);
  }
  return "assertion";
}

}  // namespace perfwatch::synthetic
