#pragma once
// Token authentication and scopes (auth.tokens, docs/security.md).
//
// A request names its token as `Authorization: Bearer T` or as HTTP basic auth with any
// user name and T as the password. The AuthGuard hashes the presented token with SHA-256
// and compares the digest with every configured digest in constant time (CRYPTO_memcmp,
// no early exit), so neither the token nor which entry matched leaks through timing.
// Scopes: `admin` implies every scope; `alert` implies `read`; `ingest` and `read` are
// independent. kPublic routes need no token. Refusals:
//   no or malformed credentials, unknown token -> 401, errorType "unauthorized", with
//       WWW-Authenticate: Basic realm="perfwatch" (browsers then prompt);
//   a known token without the route's scope    -> 403, errorType "forbidden".
// Both are counted in perfwatch_http_auth_failures_total{reason="missing|invalid|forbidden"}.
// An admitted request to a non-public route gets the token's name in Request::principal.
// Tokens are never logged and never kept in clear text after start-up.
// Thread safety: Admit and Check run concurrently; SetTokens (a configuration reload)
// swaps the token list atomically: a request checks against the old or the new list, and
// every request that starts after SetTokens returns sees the new one.
#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.h"
#include "common/metrics.h"
#include "common/status.h"
#include "http/router.h"

namespace perfwatch::http {

// A set of scopes, one bit per Scope value.
using ScopeSet = uint8_t;
constexpr ScopeSet ScopeBit(Scope s) { return static_cast<ScopeSet>(1u << static_cast<unsigned>(s)); }
std::optional<Scope> ParseScope(std::string_view name);  // "ingest", "read", "alert", "admin"
std::string_view ScopeName(Scope s);
// Adds what granted scopes imply: admin -> everything, alert -> read.
ScopeSet ExpandScopes(ScopeSet granted);

// The token carried by an Authorization header value: "Bearer T" or "Basic b64(user:T)"
// (scheme names case-insensitive). nullopt: another scheme, malformed, or an empty token.
std::optional<std::string> TokenFromAuthorization(std::string_view header);

using Sha256Digest = std::array<uint8_t, 32>;
Sha256Digest Sha256(std::string_view data);
// 64 lower-case hex digits -> digest; nullopt when malformed.
std::optional<Sha256Digest> ParseHexDigest(std::string_view hex);
// A fresh random token (64 hex digits from the OpenSSL CSPRNG), e.g. for the self-scrape.
std::string RandomToken();

struct AuthToken {
  std::string name;
  Sha256Digest digest{};
  ScopeSet scopes = 0;  // as configured (not expanded)
};

// The configured tokens as digests: token_sha256 as given, token_file read (relative to
// `config_dir`; trailing CR/LF stripped; must not be empty). Errors name the token.
Result<std::vector<AuthToken>> LoadAuthTokens(const AuthConfig& config, const std::filesystem::path& config_dir);

class AuthGuard : public RequestGuard {
 public:
  enum class Outcome : uint8_t { kAllowed, kMissing, kInvalid, kForbidden };

  // `tokens` must not be empty (with no tokens, add no guard). `metrics` may be null.
  AuthGuard(std::vector<AuthToken> tokens, MetricsRegistry* metrics);

  // The decision for an Authorization header value ("" when absent) on a route needing
  // `needed`. `matched_name`, when given and a token matched, receives its name.
  Outcome Check(std::string_view authorization, Scope needed, std::string* matched_name = nullptr) const;

  bool Admit(const Request& req, const RouteOptions& options, Response& res) override;

  // Replaces the tokens (must not be empty); a removed token is refused from now on.
  void SetTokens(std::vector<AuthToken> tokens);

 private:
  std::shared_ptr<const std::vector<AuthToken>> Tokens() const;

  mutable std::mutex tokens_mu_;  // guards the pointer; the list itself is immutable
  std::shared_ptr<const std::vector<AuthToken>> tokens_;
  Counter* failures_[3] = {};  // missing, invalid, forbidden
};

// Fills `res` with the 401 answer (Prometheus' error shape and the challenge header).
void WriteUnauthorized(Response& res, std::string_view message);

}  // namespace perfwatch::http
