#include "common/base64.h"
#include "http/auth.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/config.h"
#include "http/blocking_client.h"
#include "server_fixture.h"
#include "support/temp_dir.h"

namespace perfwatch::http {
namespace {

using Outcome = AuthGuard::Outcome;


std::string Hex(const Sha256Digest& d) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : d) out += {kHex[b >> 4], kHex[b & 15]};
  return out;
}

AuthToken Token(std::string name, std::string_view secret, std::initializer_list<Scope> scopes) {
  AuthToken t{std::move(name), Sha256(secret), 0};
  for (Scope s : scopes) t.scopes |= ScopeBit(s);
  return t;
}

std::vector<AuthToken> StandardTokens() {
  return {Token("writer", "w-secret", {Scope::kIngest}), Token("reader", "r-secret", {Scope::kRead}),
          Token("pager", "a-secret", {Scope::kAlert}), Token("root", "x-secret", {Scope::kAdmin})};
}

TEST(AuthTest, Sha256MatchesTheKnownDigest) {
  // printf %s abc | sha256sum
  EXPECT_EQ(Hex(Sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto parsed = ParseHexDigest("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, Sha256("abc"));
  EXPECT_FALSE(ParseHexDigest("ba78"));
  EXPECT_FALSE(ParseHexDigest(std::string(63, 'a') + "g"));
}


TEST(AuthTest, ReadsBearerAndBasicCredentials) {
  EXPECT_EQ(TokenFromAuthorization("Bearer abc123"), "abc123");
  EXPECT_EQ(TokenFromAuthorization("bearer   abc123  "), "abc123");
  EXPECT_EQ(TokenFromAuthorization("Basic " + Base64Encode("prometheus:s3cret")), "s3cret");
  EXPECT_EQ(TokenFromAuthorization("BASIC " + Base64Encode("any:pa:ss")), "pa:ss");  // the first colon splits
  EXPECT_EQ(TokenFromAuthorization("Basic " + Base64Encode(":only-password")), "only-password");
  EXPECT_FALSE(TokenFromAuthorization(""));
  EXPECT_FALSE(TokenFromAuthorization("Bearer"));
  EXPECT_FALSE(TokenFromAuthorization("Bearer "));
  EXPECT_FALSE(TokenFromAuthorization("Bearer a b"));
  EXPECT_FALSE(TokenFromAuthorization("Bearerabc"));
  EXPECT_FALSE(TokenFromAuthorization("Basic not*base64"));
  EXPECT_FALSE(TokenFromAuthorization("Basic " + Base64Encode("no-colon")));
  EXPECT_FALSE(TokenFromAuthorization("Basic " + Base64Encode("user:")));  // empty password
  EXPECT_FALSE(TokenFromAuthorization("Digest username=x"));
}

TEST(AuthTest, ScopesImplyAsDocumented) {
  EXPECT_EQ(ExpandScopes(ScopeBit(Scope::kAdmin)),
            ScopeBit(Scope::kAdmin) | ScopeBit(Scope::kAlert) | ScopeBit(Scope::kRead) | ScopeBit(Scope::kIngest));
  EXPECT_EQ(ExpandScopes(ScopeBit(Scope::kAlert)), ScopeBit(Scope::kAlert) | ScopeBit(Scope::kRead));
  EXPECT_EQ(ExpandScopes(ScopeBit(Scope::kRead)), ScopeBit(Scope::kRead));
  EXPECT_EQ(ExpandScopes(ScopeBit(Scope::kIngest)), ScopeBit(Scope::kIngest));
  EXPECT_EQ(ParseScope("alert"), Scope::kAlert);
  EXPECT_FALSE(ParseScope("public"));  // not grantable
  EXPECT_FALSE(ParseScope("Admin"));
}

TEST(AuthTest, ChecksEveryScopeAgainstEveryToken) {
  AuthGuard guard(StandardTokens(), nullptr);
  const std::string w = "Bearer w-secret", r = "Bearer r-secret", a = "Bearer a-secret", x = "Bearer x-secret";
  EXPECT_EQ(guard.Check("", Scope::kRead), Outcome::kMissing);
  EXPECT_EQ(guard.Check("", Scope::kPublic), Outcome::kAllowed);
  EXPECT_EQ(guard.Check("Bearer nope", Scope::kPublic), Outcome::kAllowed);
  EXPECT_EQ(guard.Check("Bearer nope", Scope::kRead), Outcome::kInvalid);
  EXPECT_EQ(guard.Check("Basic !!", Scope::kRead), Outcome::kInvalid);
  EXPECT_EQ(guard.Check("Bearer W-SECRET", Scope::kIngest), Outcome::kInvalid);  // tokens are case-sensitive

  EXPECT_EQ(guard.Check(w, Scope::kIngest), Outcome::kAllowed);
  EXPECT_EQ(guard.Check(w, Scope::kRead), Outcome::kForbidden);
  EXPECT_EQ(guard.Check(w, Scope::kAdmin), Outcome::kForbidden);
  EXPECT_EQ(guard.Check(r, Scope::kRead), Outcome::kAllowed);
  EXPECT_EQ(guard.Check(r, Scope::kIngest), Outcome::kForbidden);
  EXPECT_EQ(guard.Check(r, Scope::kAlert), Outcome::kForbidden);
  EXPECT_EQ(guard.Check(a, Scope::kAlert), Outcome::kAllowed);
  EXPECT_EQ(guard.Check(a, Scope::kRead), Outcome::kAllowed);
  EXPECT_EQ(guard.Check(a, Scope::kIngest), Outcome::kForbidden);
  EXPECT_EQ(guard.Check(a, Scope::kAdmin), Outcome::kForbidden);
  for (Scope s : {Scope::kIngest, Scope::kRead, Scope::kAlert, Scope::kAdmin}) {
    EXPECT_EQ(guard.Check(x, s), Outcome::kAllowed);
  }
  std::string name;
  EXPECT_EQ(guard.Check("Basic " + Base64Encode("grafana:r-secret"), Scope::kRead, &name), Outcome::kAllowed);
  EXPECT_EQ(name, "reader");
}

TEST(AuthTest, ComparesAgainstAllTokensWithoutStoppingAtTheFirstMatch) {
  // Two entries with the same secret: a compare loop that stopped at the first match
  // would grant only the first entry's scopes; this one looks at every entry.
  AuthGuard guard({Token("a", "same", {Scope::kIngest}), Token("b", "same", {Scope::kRead})}, nullptr);
  EXPECT_EQ(guard.Check("Bearer same", Scope::kIngest), Outcome::kAllowed);
  EXPECT_EQ(guard.Check("Bearer same", Scope::kRead), Outcome::kAllowed);
  EXPECT_EQ(guard.Check("Bearer same", Scope::kAdmin), Outcome::kForbidden);
}

TEST(AuthTest, AdmitWritesPrometheusErrorsAndCountsThem) {
  MetricsRegistry metrics;
  AuthGuard guard(StandardTokens(), &metrics);
  RouteOptions write{.metric_label = "/api/v1/write", .scope = Scope::kIngest};
  Request req;
  Response res;
  EXPECT_FALSE(guard.Admit(req, write, res));
  EXPECT_EQ(res.status, 401);
  EXPECT_NE(res.body.find("\"status\":\"error\""), std::string::npos) << res.body;
  EXPECT_NE(res.body.find("\"errorType\":\"unauthorized\""), std::string::npos) << res.body;
  ASSERT_EQ(res.headers.size(), 1u);
  EXPECT_EQ(res.headers[0].first, "WWW-Authenticate");
  EXPECT_EQ(res.headers[0].second, "Basic realm=\"perfwatch\"");

  req.headers = {{"authorization", "Bearer r-secret"}};
  res = Response{};
  EXPECT_FALSE(guard.Admit(req, write, res));
  EXPECT_EQ(res.status, 403);
  EXPECT_NE(res.body.find("\"errorType\":\"forbidden\""), std::string::npos) << res.body;
  EXPECT_NE(res.body.find("\\\"ingest\\\""), std::string::npos) << res.body;
  EXPECT_EQ(res.body.find("r-secret"), std::string::npos) << "the token must never be echoed";

  req.headers = {{"Authorization", "Bearer wrong"}};
  res = Response{};
  EXPECT_FALSE(guard.Admit(req, write, res));
  EXPECT_EQ(res.status, 401);
  EXPECT_EQ(res.body.find("wrong"), std::string::npos);

  req.headers = {{"Authorization", "Bearer w-secret"}};
  res = Response{};
  EXPECT_TRUE(guard.Admit(req, write, res));
  EXPECT_TRUE(guard.Admit(Request{}, RouteOptions{.scope = Scope::kPublic}, res));

  std::string text = metrics.Render();
  EXPECT_NE(text.find("perfwatch_http_auth_failures_total{reason=\"missing\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("perfwatch_http_auth_failures_total{reason=\"invalid\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("perfwatch_http_auth_failures_total{reason=\"forbidden\"} 1"), std::string::npos) << text;
}

TEST(AuthTest, LoadsDigestsAndTokenFiles) {
  perfwatch::testing::TempDir dir;
  {
    std::ofstream(dir.path() / "ci.token") << "file-secret\n";
    std::ofstream(dir.path() / "empty.token") << "\n";
  }
  AuthConfig config;
  config.tokens.push_back({"ci", "", "ci.token", {"ingest", "read"}});
  config.tokens.push_back({"hex", Hex(Sha256("hex-secret")), "", {"admin"}});
  auto tokens = LoadAuthTokens(config, dir.path());
  ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
  ASSERT_EQ(tokens->size(), 2u);
  EXPECT_EQ((*tokens)[0].digest, Sha256("file-secret"));  // the newline is not part of the token
  EXPECT_EQ((*tokens)[0].scopes, ScopeBit(Scope::kIngest) | ScopeBit(Scope::kRead));
  EXPECT_EQ((*tokens)[1].digest, Sha256("hex-secret"));

  config.tokens[0].token_file = "missing.token";
  auto missing = LoadAuthTokens(config, dir.path());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("\"ci\""), std::string::npos) << missing.status().message();
  config.tokens[0].token_file = (dir.path() / "empty.token").string();  // absolute paths stay
  auto empty = LoadAuthTokens(config, "/nonexistent");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("empty"), std::string::npos) << empty.status().message();
}

TEST(AuthTest, ConfigRejectsMalformedTokens) {
  auto parse = [](const std::string& tokens) { return ParseConfig("auth:\n  tokens:\n" + tokens); };
  const std::string hex(64, 'a');
  auto ok = parse("  - {name: a, token_sha256: " + std::string(64, 'A') + ", scopes: [read, ingest]}\n"
                  "  - {name: b, token_file: b.token, scopes: [admin]}\n");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  ASSERT_EQ(ok->auth.tokens.size(), 2u);
  EXPECT_EQ(ok->auth.tokens[0].token_sha256, hex);  // lower-cased
  EXPECT_FALSE(ok->auth.disabled);

  struct Case {
    std::string yaml, expected;
  } cases[] = {
      {"  - {name: a, token_sha256: " + hex + ", scopes: [write]}\n", "unknown scope \"write\""},
      {"  - {name: a, scopes: [read]}\n", "exactly one of token_sha256 and token_file"},
      {"  - {name: a, token_sha256: " + hex + ", token_file: f, scopes: [read]}\n", "exactly one"},
      {"  - {name: a, token_sha256: abc, scopes: [read]}\n", "64 hex digits"},
      {"  - {name: a, token_sha256: " + std::string(64, 'g') + ", scopes: [read]}\n", "64 hex digits"},
      {"  - {name: a, token_sha256: " + hex + ", scopes: []}\n", "scopes must be a non-empty list"},
      {"  - {name: a, token_sha256: " + hex + ", scopes: [read], extra: 1}\n", "unknown key \"extra\""},
      {"  - {token_sha256: " + hex + ", scopes: [read]}\n", "non-empty name"},
      {"  - {name: a, token_sha256: " + hex + ", scopes: [read]}\n  - {name: a, token_file: f, scopes: [read]}\n",
       "duplicate name \"a\""},
  };
  for (const Case& c : cases) {
    auto r = parse(c.yaml);
    ASSERT_FALSE(r.ok()) << c.yaml;
    EXPECT_NE(r.status().message().find(c.expected), std::string::npos) << r.status().message();
  }
  auto bad_key = ParseConfig("auth:\n  token: []\n");
  EXPECT_FALSE(bad_key.ok());
  auto disabled = ParseConfig("auth:\n  disabled: true\n");
  ASSERT_TRUE(disabled.ok());
  EXPECT_TRUE(disabled->auth.disabled);
}

TEST(AuthTest, GuardRefusesBeforeTheHandlerOverHttp) {
  Router r;
  int calls = 0;
  r.Handle("POST", "/api/v1/write", [&](const Request&, Response& res) { ++calls, res.status = 204; },
           {.scope = Scope::kIngest});
  r.Handle("GET", "/healthz", [](const Request&, Response& res) { res.body = "ok"; }, {.scope = Scope::kPublic});
  r.AddGuard(std::make_shared<AuthGuard>(StandardTokens(), nullptr));
  testing::TestServer ts(std::move(r));
  BlockingClient c(ts.port());
  ClientResponse res = c.Post("/api/v1/write", "x", "application/x-protobuf");
  EXPECT_EQ(res.status, 401);
  EXPECT_EQ(res.Header("www-authenticate"), "Basic realm=\"perfwatch\"");
  EXPECT_EQ(c.Post("/api/v1/write", "x", "application/x-protobuf", {{"Authorization", "Bearer r-secret"}}).status, 403);
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(c.Post("/api/v1/write", "x", "application/x-protobuf", {{"Authorization", "Bearer w-secret"}}).status, 204);
  EXPECT_EQ(c.Post("/api/v1/write", "x", "application/x-protobuf",
                   {{"Authorization", "Basic " + Base64Encode("prometheus:w-secret")}})
                .status,
            204);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(c.Get("/healthz").status, 200);
}

}  // namespace
}  // namespace perfwatch::http
