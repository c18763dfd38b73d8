#include "cli/security.h"

#include "common/log.h"
#include "http/client_ip.h"

namespace perfwatch::cli {

http::RateLimiterOptions RumRateLimitOptions(const RumConfig& rum) {
  http::RateLimiterOptions options;
  options.rate_per_second = rum.rate_limit_per_ip;
  options.burst = rum.rate_limit_burst > 0 ? rum.rate_limit_burst : 2 * rum.rate_limit_per_ip;
  return options;
}

Result<SecurityGuards> BuildSecurityGuards(const Config& config, MetricsRegistry* metrics) {
  SecurityGuards out;
  PW_ASSIGN_OR_RETURN(http::TrustedProxies trusted, http::TrustedProxies::Create(config.http.trusted_proxies));
  if (config.auth.disabled) {
    PW_LOG_WARN("authentication disabled", "detail={}",
                LogQuote("auth.disabled is true: every endpoint is open to whoever can reach " + config.http.listen));
  } else if (config.auth.tokens.empty()) {
    if (!http::IsLoopbackListenAddress(config.http.listen)) {
      return InvalidArgument("refusing to listen on " + config.http.listen +
                             " without authentication: configure auth.tokens, listen on 127.0.0.1, or set "
                             "auth.disabled: true (docs/security.md)");
    }
    if (!config.otlp.listen.empty() && !http::IsLoopbackListenAddress(config.otlp.listen)) {
      return InvalidArgument("refusing to listen on " + config.otlp.listen +
                             " (otlp.listen) without authentication: configure auth.tokens, listen on 127.0.0.1, "
                             "or set auth.disabled: true (docs/security.md)");
    }
  } else {
    const std::filesystem::path dir =
        config.source_path.empty() ? std::filesystem::path(".") : config.source_path.parent_path();
    PW_ASSIGN_OR_RETURN(std::vector<http::AuthToken> tokens, http::LoadAuthTokens(config.auth, dir));
    // The self-scrape reads /metrics like any client: it gets a token of its own, known
    // only to this process.
    std::string self_token = http::RandomToken();
    tokens.push_back({"perfwatch self-scrape", http::Sha256(self_token), http::ScopeBit(http::Scope::kRead)});
    out.self_scrape_token = tokens.back();
    out.self_scrape_authorization = "Bearer " + self_token;
    out.auth = std::make_shared<http::AuthGuard>(std::move(tokens), metrics);
  }
  // Built even when rum.rate_limit_per_ip is 0 (then off), so a reload can turn it on.
  out.rate_limit = std::make_shared<http::ClientRateLimitGuard>(
      RumRateLimitOptions(config.rum), std::move(trusted),
      std::vector<std::string>{"/api/rum", "/rum.js", "/rum-trace.js", "/rum.full.js"}, metrics);
  return out;
}

Result<std::vector<http::AuthToken>> ReloadAuthTokens(const Config& config,
                                                      const http::AuthToken& self_scrape) {
  if (config.auth.disabled || config.auth.tokens.empty()) {
    return InvalidArgument(
        "auth: a reload cannot turn authentication off (auth.tokens empty or auth.disabled); "
        "restart perfwatch");
  }
  const std::filesystem::path dir =
      config.source_path.empty() ? std::filesystem::path(".") : config.source_path.parent_path();
  PW_ASSIGN_OR_RETURN(std::vector<http::AuthToken> tokens, http::LoadAuthTokens(config.auth, dir));
  tokens.push_back(self_scrape);
  return tokens;
}

}  // namespace perfwatch::cli
