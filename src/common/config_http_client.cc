#include "common/config_http_client.h"

#include <algorithm>
#include <cctype>
#include <string_view>

#include "common/base64.h"
#include "common/file_util.h"
#include "common/time.h"
#include "common/yaml_where.h"

namespace perfwatch {
namespace {

using yaml_where::Bad;
using yaml_where::Keys;
using yaml_where::Str;

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Headers perfwatch sets itself (Prometheus refuses the same ones in `headers`).
bool ReservedHeader(std::string_view name) {
  static const char* kReserved[] = {"Authorization",
                                    "Host",
                                    "Content-Encoding",
                                    "Content-Length",
                                    "Content-Type",
                                    "User-Agent",
                                    "Connection",
                                    "Keep-Alive",
                                    "Proxy-Authenticate",
                                    "Proxy-Authorization",
                                    "Www-Authenticate",
                                    "Te",
                                    "Trailer",
                                    "Transfer-Encoding",
                                    "Upgrade",
                                    "X-Prometheus-Remote-Write-Version"};
  for (const char* r : kReserved) {
    if (IEquals(name, r)) return true;
  }
  return false;
}

std::string Trim(std::string s) {
  auto space = [](unsigned char c) { return std::isspace(c) != 0; };
  while (!s.empty() && space(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && space(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

void Resolve(const std::filesystem::path& dir, std::string* p) {
  if (!p->empty() && !dir.empty() && std::filesystem::path(*p).is_relative())
    *p = (dir / *p).string();
}

}  // namespace

Status ParseHttpClientAuth(const YAML::Node& node, const std::string& where,
                           const std::filesystem::path& base_dir, bool allow_tls,
                           HttpClientAuthConfig* c) {
  if (const YAML::Node ba = node["basic_auth"]) {
    const std::string w = where + ".basic_auth";
    PW_RETURN_IF_ERROR(Keys(ba, w, {"username", "password", "password_file"}));
    c->has_basic_auth = true;
    PW_RETURN_IF_ERROR(Str(ba, "username", w, &c->basic_auth_username));
    PW_RETURN_IF_ERROR(Str(ba, "password", w, &c->basic_auth_password));
    PW_RETURN_IF_ERROR(Str(ba, "password_file", w, &c->basic_auth_password_file));
    if (!c->basic_auth_password.empty() && !c->basic_auth_password_file.empty()) {
      return Bad(ba, w, "at most one of password and password_file must be configured");
    }
  }
  if (const YAML::Node au = node["authorization"]) {
    const std::string w = where + ".authorization";
    PW_RETURN_IF_ERROR(Keys(au, w, {"type", "credentials", "credentials_file"}));
    c->has_authorization = true;
    PW_RETURN_IF_ERROR(Str(au, "type", w, &c->authorization_type));
    if (c->authorization_type.empty()) c->authorization_type = "Bearer";
    if (IEquals(c->authorization_type, "basic")) {
      return Bad(au["type"], w + ".type",
                 "authorization type cannot be set to \"basic\", use \"basic_auth\" instead");
    }
    PW_RETURN_IF_ERROR(Str(au, "credentials", w, &c->authorization_credentials));
    PW_RETURN_IF_ERROR(Str(au, "credentials_file", w, &c->authorization_credentials_file));
    if (!c->authorization_credentials.empty() && !c->authorization_credentials_file.empty()) {
      return Bad(au, w, "at most one of credentials and credentials_file must be configured");
    }
  }
  if (c->has_basic_auth && c->has_authorization) {
    return Bad(node, where, "at most one of basic_auth and authorization must be configured");
  }
  if (const YAML::Node h = node["headers"]) {
    if (!h.IsMap())
      return Bad(h, where + ".headers", "expected a mapping of header names to values");
    for (const auto& kv : h) {
      const std::string name = kv.first.as<std::string>();
      if (!kv.second.IsScalar())
        return Bad(kv.second, where + ".headers." + name, "expected a string");
      if (name.empty() || name.find_first_of(" \t\r\n:") != std::string::npos) {
        return Bad(kv.first, where + ".headers", "invalid header name \"" + name + "\"");
      }
      if (ReservedHeader(name))
        return Bad(kv.first, where + ".headers." + name, "is a reserved header; it cannot be set");
      const std::string value = kv.second.as<std::string>();
      if (value.find_first_of("\r\n") != std::string::npos) {
        return Bad(kv.second, where + ".headers." + name, "value contains a line break");
      }
      c->headers.emplace_back(name, value);
    }
  }
  if (const YAML::Node t = node["tls_config"]) {
    const std::string w = where + ".tls_config";
    if (!allow_tls) return Bad(t, w, "unknown key");
    PW_RETURN_IF_ERROR(
        Keys(t, w, {"ca_file", "cert_file", "key_file", "server_name", "insecure_skip_verify"}));
    c->has_tls_config = true;
    PW_RETURN_IF_ERROR(Str(t, "ca_file", w, &c->tls_ca_file));
    PW_RETURN_IF_ERROR(Str(t, "cert_file", w, &c->tls_cert_file));
    PW_RETURN_IF_ERROR(Str(t, "key_file", w, &c->tls_key_file));
    PW_RETURN_IF_ERROR(Str(t, "server_name", w, &c->tls_server_name));
    if (const YAML::Node v = t["insecure_skip_verify"]) {
      bool b = false;
      if (!v.IsScalar() || !YAML::convert<bool>::decode(v, b)) {
        return Bad(v, w + ".insecure_skip_verify", "expected true or false");
      }
      c->tls_insecure_skip_verify = b;
    }
    if (c->tls_cert_file.empty() != c->tls_key_file.empty()) {
      return Bad(t, w, "cert_file and key_file must be configured together");
    }
  }
  ResolveHttpClientAuthPaths(base_dir, c);
  return Status::Ok();
}

void ResolveHttpClientAuthPaths(const std::filesystem::path& dir, HttpClientAuthConfig* a) {
  Resolve(dir, &a->basic_auth_password_file);
  Resolve(dir, &a->authorization_credentials_file);
  Resolve(dir, &a->tls_ca_file);
  Resolve(dir, &a->tls_cert_file);
  Resolve(dir, &a->tls_key_file);
}

Result<std::vector<std::pair<std::string, std::string>>> HttpClientAuthHeaders(
    const HttpClientAuthConfig& a) {
  std::vector<std::pair<std::string, std::string>> out;
  if (a.has_basic_auth) {
    std::string password = a.basic_auth_password;
    if (!a.basic_auth_password_file.empty()) {
      auto text = ReadFile(a.basic_auth_password_file);
      if (!text.ok()) return text.status().WithContext("basic_auth.password_file");
      password = Trim(*text);
    }
    out.emplace_back("Authorization",
                     "Basic " + Base64Encode(a.basic_auth_username + ":" + password));
  } else if (a.has_authorization) {
    std::string credentials = a.authorization_credentials;
    if (!a.authorization_credentials_file.empty()) {
      auto text = ReadFile(a.authorization_credentials_file);
      if (!text.ok()) return text.status().WithContext("authorization.credentials_file");
      credentials = Trim(*text);
    }
    out.emplace_back("Authorization", a.authorization_type + " " + credentials);
  }
  for (const auto& h : a.headers) out.push_back(h);
  return out;
}

Status ParseQueryBackendConfig(const YAML::Node& node, QueryBackendConfig* out) {
  const std::string where = "query.backend";
  if (!node || node.IsNull()) return Status::Ok();
  PW_RETURN_IF_ERROR(Keys(node, where,
                          {"url", "timeout", "max_response_bytes", "basic_auth", "authorization",
                           "headers", "tls_config"}));
  QueryBackendConfig c;
  PW_RETURN_IF_ERROR(Str(node, "url", where, &c.url));
  if (c.url.empty()) return Bad(node, where, "url is required");
  {
    std::string lower = c.url.substr(0, 8);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    const bool http = lower.rfind("http://", 0) == 0, https = lower.rfind("https://", 0) == 0;
    if (!http && !https)
      return Bad(node["url"], where + ".url",
                 "unsupported URL: only http:// and https:// are supported");
    const std::string_view rest = std::string_view(c.url).substr(http ? 7 : 8);
    const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    if (authority.empty()) return Bad(node["url"], where + ".url", "URL without a host");
    if (authority.find('@') != std::string_view::npos) {
      return Bad(node["url"], where + ".url",
                 "URL with user info (user:password@) is not supported; use basic_auth");
    }
    if (c.url.find_first_of("?#") != std::string::npos) {
      return Bad(node["url"], where + ".url",
                 "must not have a query or fragment (it is the API's base URL)");
    }
  }
  while (!c.url.empty() && c.url.back() == '/') c.url.pop_back();
  if (const YAML::Node t = node["timeout"]) {
    if (!t.IsScalar()) return Bad(t, where + ".timeout", "expected a duration such as 30s");
    auto ms = ParseDurationMs(t.as<std::string>());
    if (!ms.ok()) return Bad(t, where + ".timeout", ms.status().message());
    if (*ms <= 0) return Bad(t, where + ".timeout", "must be positive");
    c.timeout_ms = *ms;
  }
  if (const YAML::Node m = node["max_response_bytes"]) {
    uint64_t v = 0;
    if (!m.IsScalar() || !YAML::convert<uint64_t>::decode(m, v) || v < 1024) {
      return Bad(m, where + ".max_response_bytes", "expected a byte count of at least 1024");
    }
    c.max_response_bytes = v;
  }
  PW_RETURN_IF_ERROR(ParseHttpClientAuth(node, where, {}, /*allow_tls=*/true, &c.auth));
  *out = std::move(c);
  return Status::Ok();
}

}  // namespace perfwatch
