#include "http/auth.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <stdexcept>

#include "common/file_util.h"
#include "common/base64.h"
#include "http/url.h"

namespace perfwatch::http {
namespace {

constexpr std::string_view kScopeNames[] = {"public", "ingest", "read", "alert", "admin"};

int HexValue(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

// `s` starts with `scheme` (case-insensitive) followed by at least one space: the rest,
// without surrounding spaces.
std::optional<std::string_view> AfterScheme(std::string_view s, std::string_view scheme) {
  if (s.size() <= scheme.size() || !EqualsIgnoreCase(s.substr(0, scheme.size()), scheme)) return std::nullopt;
  if (s[scheme.size()] != ' ') return std::nullopt;
  s.remove_prefix(scheme.size());
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

enum FailureReason { kMissing = 0, kInvalid = 1, kForbidden = 2 };

}  // namespace

std::optional<Scope> ParseScope(std::string_view name) {
  if (name == "ingest") return Scope::kIngest;
  if (name == "read") return Scope::kRead;
  if (name == "alert") return Scope::kAlert;
  if (name == "admin") return Scope::kAdmin;
  return std::nullopt;
}

std::string_view ScopeName(Scope s) { return kScopeNames[static_cast<unsigned>(s)]; }

ScopeSet ExpandScopes(ScopeSet granted) {
  if (granted & ScopeBit(Scope::kAdmin)) {
    granted |= ScopeBit(Scope::kIngest) | ScopeBit(Scope::kRead) | ScopeBit(Scope::kAlert);
  }
  if (granted & ScopeBit(Scope::kAlert)) granted |= ScopeBit(Scope::kRead);
  return granted;
}

std::optional<std::string> TokenFromAuthorization(std::string_view header) {
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  if (auto bearer = AfterScheme(header, "Bearer")) {
    if (bearer->empty() || bearer->find(' ') != std::string_view::npos) return std::nullopt;
    return std::string(*bearer);
  }
  if (auto basic = AfterScheme(header, "Basic")) {
    auto decoded = Base64Decode(*basic);
    if (!decoded) return std::nullopt;
    size_t colon = decoded->find(':');
    if (colon == std::string::npos || colon + 1 == decoded->size()) return std::nullopt;
    return decoded->substr(colon + 1);
  }
  return std::nullopt;
}

Sha256Digest Sha256(std::string_view data) {
  Sha256Digest d;
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), d.data());
  return d;
}

std::optional<Sha256Digest> ParseHexDigest(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  Sha256Digest d;
  for (size_t i = 0; i < d.size(); ++i) {
    int hi = HexValue(hex[2 * i]), lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    d[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return d;
}

std::string RandomToken() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    // The CSPRNG failed (never expected): the token must still be unguessable.
    throw std::runtime_error("RAND_bytes failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  OPENSSL_cleanse(bytes, sizeof bytes);
  return out;
}

Result<std::vector<AuthToken>> LoadAuthTokens(const AuthConfig& config, const std::filesystem::path& config_dir) {
  std::vector<AuthToken> out;
  for (const AuthTokenConfig& c : config.tokens) {
    AuthToken t;
    t.name = c.name;
    const std::string where = "auth.tokens \"" + c.name + "\"";
    for (const std::string& s : c.scopes) {
      auto scope = ParseScope(s);
      if (!scope) return InvalidArgument(where + ": unknown scope \"" + s + "\"");
      t.scopes |= ScopeBit(*scope);
    }
    if (t.scopes == 0) return InvalidArgument(where + ": no scopes");
    if (!c.token_sha256.empty()) {
      auto d = ParseHexDigest(c.token_sha256);
      if (!d) return InvalidArgument(where + ": token_sha256 must be 64 hex digits");
      t.digest = *d;
    } else {
      std::filesystem::path path = c.token_file;
      if (path.is_relative()) path = config_dir / path;
      auto text = ReadFile(path);
      if (!text.ok()) return InvalidArgument(where + ": cannot read token_file " + path.string() + ": " + text.status().message());
      std::string& token = *text;
      while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
      if (token.empty()) return InvalidArgument(where + ": token_file " + path.string() + " is empty");
      t.digest = Sha256(token);
      OPENSSL_cleanse(token.data(), token.size());
    }
    out.push_back(std::move(t));
  }
  return out;
}

void WriteUnauthorized(Response& res, std::string_view message) {
  WriteApiError(res, 401, "unauthorized", message);
  res.headers.emplace_back("WWW-Authenticate", "Basic realm=\"perfwatch\"");
}

AuthGuard::AuthGuard(std::vector<AuthToken> tokens, MetricsRegistry* metrics) {
  SetTokens(std::move(tokens));
  if (metrics == nullptr) return;
  static constexpr const char* kReasons[] = {"missing", "invalid", "forbidden"};
  for (int i = 0; i < 3; ++i) {
    failures_[i] = metrics->GetCounter("perfwatch_http_auth_failures_total",
                                       "Requests refused by authentication: missing or invalid credentials (401), "
                                       "a token without the route's scope (403).",
                                       {{"reason", kReasons[i]}});
  }
}

void AuthGuard::SetTokens(std::vector<AuthToken> tokens) {
  for (AuthToken& t : tokens) t.scopes = ExpandScopes(t.scopes);
  auto list = std::make_shared<const std::vector<AuthToken>>(std::move(tokens));
  std::lock_guard lock(tokens_mu_);
  tokens_ = std::move(list);
}

std::shared_ptr<const std::vector<AuthToken>> AuthGuard::Tokens() const {
  std::lock_guard lock(tokens_mu_);
  return tokens_;
}

AuthGuard::Outcome AuthGuard::Check(std::string_view authorization, Scope needed, std::string* matched_name) const {
  if (needed == Scope::kPublic) return Outcome::kAllowed;
  if (authorization.empty()) return Outcome::kMissing;
  std::optional<std::string> token = TokenFromAuthorization(authorization);
  if (!token) return Outcome::kInvalid;
  const Sha256Digest digest = Sha256(*token);
  OPENSSL_cleanse(token->data(), token->size());
  // Every configured digest is compared, whatever matched before: the time taken does
  // not depend on which entry (if any) matches.
  const std::shared_ptr<const std::vector<AuthToken>> list = Tokens();
  const std::vector<AuthToken>& tokens = *list;
  ScopeSet scopes = 0;
  size_t matched = tokens.size();
  for (size_t i = 0; i < tokens.size(); ++i) {
    const size_t equal = CRYPTO_memcmp(digest.data(), tokens[i].digest.data(), digest.size()) == 0;
    const size_t mask = size_t{0} - equal;  // all ones when equal
    scopes |= static_cast<ScopeSet>(tokens[i].scopes & mask);
    matched = (matched & ~mask) | (i & mask);
  }
  if (matched == tokens.size()) return Outcome::kInvalid;
  if (matched_name) *matched_name = tokens[matched].name;
  return (scopes & ScopeBit(needed)) ? Outcome::kAllowed : Outcome::kForbidden;
}

bool AuthGuard::Admit(const Request& req, const RouteOptions& options, Response& res) {
  req.principal.clear();
  if (options.scope == Scope::kPublic) return true;
  std::string name;
  switch (Check(req.Header("Authorization"), options.scope, &name)) {
    case Outcome::kAllowed:
      req.principal = std::move(name);
      return true;
    case Outcome::kMissing:
      if (failures_[kMissing]) failures_[kMissing]->Inc();
      WriteUnauthorized(res, "authentication required: send Authorization: Bearer <token>, or basic auth with the token as password");
      return false;
    case Outcome::kInvalid:
      if (failures_[kInvalid]) failures_[kInvalid]->Inc();
      WriteUnauthorized(res, "invalid credentials");
      return false;
    case Outcome::kForbidden:
      if (failures_[kForbidden]) failures_[kForbidden]->Inc();
      WriteApiError(res, 403, "forbidden",
                    "token \"" + name + "\" lacks the \"" + std::string(ScopeName(options.scope)) + "\" scope");
      return false;
  }
  return false;
}

}  // namespace perfwatch::http
