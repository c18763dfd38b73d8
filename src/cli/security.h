#pragma once
// The server's request guards for authentication and per-client rate limits, built from
// the configuration (docs/security.md), and the secure-default check: with no auth.tokens
// the server may listen only on loopback, unless auth.disabled is set (then it warns).
// Also mints the random token the self-scrape presents when authentication is on.
// Thread safety: BuildSecurityGuards runs once at start-up, ReloadAuthTokens is pure; the
// guards are thread-safe.
#include <memory>
#include <string>

#include "common/config.h"
#include "common/metrics.h"
#include "common/status.h"
#include "http/auth.h"
#include "http/rate_limit.h"

namespace perfwatch::cli {

struct SecurityGuards {
  std::shared_ptr<http::AuthGuard> auth;                // null: authentication off
  // Always set; off while rum.rate_limit_per_ip is 0 (SetOptions on reload).
  std::shared_ptr<http::ClientRateLimitGuard> rate_limit;
  // "Bearer <random token with the read scope>" for the self-scrape; "" when auth is off.
  std::string self_scrape_authorization;
  http::AuthToken self_scrape_token;  // its digest, kept across reloads (ReloadAuthTokens)
};

// Fails (one line, naming the fix) when the server would be open on a non-loopback
// address, when a token_file cannot be read, or when http.trusted_proxies is malformed.
// Token files are resolved against the folder of config.source_path.
// The limiter options of rum.rate_limit_per_ip / rate_limit_burst (burst 0: twice the
// rate; rate 0: the guard is off).
http::RateLimiterOptions RumRateLimitOptions(const RumConfig& rum);

Result<SecurityGuards> BuildSecurityGuards(const Config& config, MetricsRegistry* metrics);

// A reload's token list for AuthGuard::SetTokens: `config.auth.tokens` with their
// token_files read again, plus the self-scrape's token. Fails (naming the token) when a
// file cannot be read, and when the list is empty: turning authentication off (or on) is
// not something a reload does (docs/operations.md "Reloading").
Result<std::vector<http::AuthToken>> ReloadAuthTokens(const Config& config,
                                                      const http::AuthToken& self_scrape);

}  // namespace perfwatch::cli
