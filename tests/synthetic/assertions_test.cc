// Assertions of HTTP checks: each kind holding and failing with its message, the first
// failure winning, the implicit 2xx rule, bad regexes failing without a crash, and
// Assertion::Describe.
#include "synthetic/assertions.h"

#include <gtest/gtest.h>

namespace perfwatch::synthetic {
namespace {

constexpr double kNow = 1'800'000'000;

Assertion Make(Assertion::Kind kind) {
  Assertion a;
  a.kind = kind;
  return a;
}
Assertion Status(int s) {
  Assertion a = Make(Assertion::Kind::kStatus);
  a.status = s;
  return a;
}
Assertion MaxDuration(int64_t ms) {
  Assertion a = Make(Assertion::Kind::kMaxDuration);
  a.max_duration_ms = ms;
  return a;
}
Assertion Contains(std::string t) {
  Assertion a = Make(Assertion::Kind::kBodyContains);
  a.text = std::move(t);
  return a;
}
Assertion Regex(std::string t) {
  Assertion a = Make(Assertion::Kind::kBodyRegex);
  a.text = std::move(t);
  return a;
}
Assertion Json(std::string path, std::optional<std::string> equals) {
  Assertion a = Make(Assertion::Kind::kJsonPath);
  a.text = std::move(path);
  a.equals = std::move(equals);
  return a;
}
Assertion Header(std::string name, std::string matches) {
  Assertion a = Make(Assertion::Kind::kHeader);
  a.text = std::move(name);
  a.matches = std::move(matches);
  return a;
}
Assertion CertDays(int days) {
  Assertion a = Make(Assertion::Kind::kCertDaysLeft);
  a.cert_days_left = days;
  return a;
}

class AssertionsTest : public ::testing::Test {
 protected:
  // The error of evaluating `asserts` ("" when they all hold); failed_ gets the index.
  std::string Eval(const std::vector<Assertion>& asserts) {
    HttpResponseView v;
    v.status = status_;
    v.headers = &headers_;
    v.body = body_;
    v.duration_s = duration_s_;
    v.earliest_cert_expiry = cert_expiry_;
    CheckResult r;
    r.success = false;
    r.error = "stale";
    r.failed_assertion = 7;
    EvaluateAssertions(asserts, v, kNow, &r);
    failed_ = r.failed_assertion;
    EXPECT_EQ(r.success, r.error.empty());
    if (r.success) {
      EXPECT_EQ(r.failed_assertion, -1);
    }
    return r.error;
  }

  int status_ = 200;
  std::vector<std::pair<std::string, std::string>> headers_ = {
      {"Content-Type", "application/json; charset=utf-8"}, {"Set-Cookie", "a=1"}, {"Set-Cookie", "session=xyz"}};
  std::string body_ = R"({"status":"degraded","code":200,"ok":true,"version":"1.2"})";
  double duration_s_ = 0.25;
  double cert_expiry_ = 0;
  int failed_ = -2;
};

TEST_F(AssertionsTest, NoAssertionsNeedA2xxStatus) {
  EXPECT_EQ(Eval({}), "");
  status_ = 204;
  EXPECT_EQ(Eval({}), "");
  status_ = 500;
  EXPECT_EQ(Eval({}), "status 500, expected 2xx");
  EXPECT_EQ(failed_, -1);
  status_ = 301;
  EXPECT_EQ(Eval({Contains("status")}), "status 301, expected 2xx");
  EXPECT_EQ(failed_, -1);
}

TEST_F(AssertionsTest, Status) {
  EXPECT_EQ(Eval({Status(200)}), "");
  status_ = 500;
  EXPECT_EQ(Eval({Status(500)}), "");  // an explicit status replaces the 2xx default
  EXPECT_EQ(Eval({Status(200)}), "status 500, expected 200");
  EXPECT_EQ(failed_, 0);
}

TEST_F(AssertionsTest, MaxDuration) {
  EXPECT_EQ(Eval({MaxDuration(250)}), "");
  EXPECT_EQ(Eval({MaxDuration(2000)}), "");
  duration_s_ = 2.3456;
  EXPECT_EQ(Eval({MaxDuration(2000)}), "took 2.346s, more than 2s");
  EXPECT_EQ(Eval({MaxDuration(1500)}), "took 2.346s, more than 1s500ms");
}

TEST_F(AssertionsTest, BodyContainsAndRegex) {
  EXPECT_EQ(Eval({Contains("\"code\":200")}), "");
  EXPECT_EQ(Eval({Contains("ok")}), "");
  EXPECT_EQ(Eval({Contains("healthy")}), "body does not contain \"healthy\"");
  EXPECT_EQ(Eval({Regex(R"("code":\d{3})")}), "");  // partial match
  EXPECT_EQ(Eval({Regex(R"(^\{"status")")}), "");
  EXPECT_EQ(Eval({Regex(R"("code":5\d\d)")}), R"(body does not match "\"code\":5\\d\\d")");
  // A regex that does not compile fails its assertion (never crashes).
  std::string err = Eval({Regex("(unclosed")});
  EXPECT_EQ(err.rfind("body_regex \"(unclosed\" is not a valid regex: ", 0), 0u) << err;
  // Binary bodies.
  body_ = std::string("\xff\x00\xfeok", 5);
  EXPECT_EQ(Eval({Regex("ok$")}), "");
  EXPECT_EQ(Eval({Contains(std::string("\x00\xfe", 2))}), "");
}

TEST_F(AssertionsTest, JsonPath) {
  EXPECT_EQ(Eval({Json("$.status", std::nullopt)}), "");  // exists
  EXPECT_EQ(Eval({Json("$.status", "degraded")}), "");
  EXPECT_EQ(Eval({Json("$.code", "200")}), "");
  EXPECT_EQ(Eval({Json("$.code", "200.0")}), "");  // numbers compare as numbers
  EXPECT_EQ(Eval({Json("$.code", "2e2")}), "");
  EXPECT_EQ(Eval({Json("$.ok", "true")}), "");
  EXPECT_EQ(Eval({Json("$.version", "1.2")}), "");
  EXPECT_EQ(Eval({Json("$.status", "ok")}), "$.status is \"degraded\", expected \"ok\"");
  EXPECT_EQ(Eval({Json("$.code", "201")}), "$.code is 200, expected 201");
  EXPECT_EQ(Eval({Json("$.code", "ok")}), "$.code is 200, expected \"ok\"");
  EXPECT_EQ(Eval({Json("$.ok", "false")}), "$.ok is true, expected false");
  EXPECT_EQ(Eval({Json("$.missing", std::nullopt)}), "$.missing not found in the body");
  EXPECT_EQ(Eval({Json("$.missing", "x")}), "$.missing not found in the body");
  EXPECT_EQ(Eval({Json("$[", "x")}), "json_path \"$[\": expected an index or a quoted key at offset 2");
  body_ = "<html>";
  std::string err = Eval({Json("$.status", "ok")});
  EXPECT_EQ(err.rfind("$.status: body is not JSON: ", 0), 0u) << err;
}

TEST_F(AssertionsTest, Header) {
  EXPECT_EQ(Eval({Header("content-type", "application/json.*")}), "");  // names ignore case
  EXPECT_EQ(Eval({Header("Set-Cookie", "session=.*")}), "");               // any of the repeats
  EXPECT_EQ(Eval({Header("Content-Type", "application/json")}),  // a full match of the value
            R"(header Content-Type is "application/json; charset=utf-8", does not match "application/json")");
  EXPECT_EQ(Eval({Header("X-Version", ".*")}), "header X-Version missing");
  std::string err = Eval({Header("Content-Type", "[")});
  EXPECT_EQ(err.rfind("header regex \"[\" is not valid: ", 0), 0u) << err;
}

TEST_F(AssertionsTest, CertDaysLeft) {
  EXPECT_EQ(Eval({CertDays(14)}), "cert_days_left: no TLS certificate (not an https:// response)");
  cert_expiry_ = kNow + 20 * 86400;
  EXPECT_EQ(Eval({CertDays(14)}), "");
  EXPECT_EQ(Eval({CertDays(20)}), "");
  EXPECT_EQ(Eval({CertDays(21)}), "certificate expires in 20 days, less than 21");
  cert_expiry_ = kNow + 3 * 86400 + 100;
  EXPECT_EQ(Eval({CertDays(14)}), "certificate expires in 3 days, less than 14");
  cert_expiry_ = kNow - 2 * 86400 - 5;
  EXPECT_EQ(Eval({CertDays(0)}), "certificate expired 2 days ago");
}

TEST_F(AssertionsTest, TheFirstFailureWins) {
  EXPECT_EQ(Eval({Status(200), Contains("status"), Json("$.status", "ok"), Contains("nope")}),
            "$.status is \"degraded\", expected \"ok\"");
  EXPECT_EQ(failed_, 2);
  EXPECT_EQ(Eval({Status(200), Contains("status"), Json("$.status", "degraded")}), "");
  EXPECT_EQ(failed_, -1);
}

TEST(AssertionDescribe, EveryKind) {
  EXPECT_EQ(Status(200).Describe(), "status == 200");
  EXPECT_EQ(MaxDuration(2000).Describe(), "duration <= 2s");
  EXPECT_EQ(Contains("ok").Describe(), "body contains \"ok\"");
  EXPECT_EQ(Regex("a+b").Describe(), "body matches \"a+b\"");
  EXPECT_EQ(Json("$.status", "ok").Describe(), "json_path $.status == \"ok\"");
  EXPECT_EQ(Json("$.status", std::nullopt).Describe(), "json_path $.status exists");
  EXPECT_EQ(Header("Content-Type", "text/.*").Describe(), "header Content-Type matches \"text/.*\"");
  EXPECT_EQ(CertDays(14).Describe(), "cert_days_left >= 14");
}

}  // namespace
}  // namespace perfwatch::synthetic
