#pragma once
// The client-side HTTP settings perfwatch shares between outgoing connections configured in
// Prometheus' syntax (`remote_write[]`, `query.backend`): `basic_auth: {username, password |
// password_file}`, `authorization: {type, credentials | credentials_file}`, `headers:` and,
// where the caller allows it, `tls_config: {ca_file, cert_file, key_file, server_name,
// insecure_skip_verify}`. One parser so the rules (one of password / password_file, no
// "basic" authorization type, reserved header names refused, ...) and their error texts
// ("remote_write[0].basic_auth (line 4): at most one of password and password_file must
// be configured") are the same everywhere. Also: the `query.backend` section itself.
// Thread safety: pure functions; the structs are plain values.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace perfwatch {

struct HttpClientAuthConfig {
  bool has_basic_auth = false;
  std::string basic_auth_username;
  std::string basic_auth_password;
  std::string basic_auth_password_file;
  bool has_authorization = false;
  std::string authorization_type = "Bearer";
  std::string authorization_credentials;
  std::string authorization_credentials_file;
  std::vector<std::pair<std::string, std::string>> headers;  // in file order
  bool has_tls_config = false;
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_server_name;
  bool tls_insecure_skip_verify = false;
  friend bool operator==(const HttpClientAuthConfig&, const HttpClientAuthConfig&) = default;
};

// Reads `basic_auth`, `authorization`, `headers` and (with `allow_tls`) `tls_config` from
// the mapping `node` (the caller checks the mapping's other keys). `where` names `node` in
// errors. Relative file paths are resolved against `base_dir` when it is not empty.
Status ParseHttpClientAuth(const YAML::Node& node, const std::string& where,
                           const std::filesystem::path& base_dir, bool allow_tls,
                           HttpClientAuthConfig* out);

// Makes the auth's relative file paths absolute against `dir`.
void ResolveHttpClientAuthPaths(const std::filesystem::path& dir, HttpClientAuthConfig* auth);

// The headers to send: Authorization (password / credentials files read now, trimmed) then
// `headers`. Errors name the file's key ("basic_auth.password_file: open ...").
Result<std::vector<std::pair<std::string, std::string>>> HttpClientAuthHeaders(
    const HttpClientAuthConfig& auth);

// `query.backend` (docs/scale-out.md "Queries from an external store"): a
// Prometheus-compatible query endpoint the PromQL API, the rules and the analysis read from instead
// of the local TSDB. Empty url: none (the local TSDB answers).
struct QueryBackendConfig {
  std::string url;                            // base URL: "<url>/api/v1/query" is asked
  int64_t timeout_ms = 30'000;                // per request to the backend
  uint64_t max_response_bytes = 64ull << 20;  // a larger answer is an error (503 / rule error)
  HttpClientAuthConfig auth;
  bool enabled() const { return !url.empty(); }
  friend bool operator==(const QueryBackendConfig&, const QueryBackendConfig&) = default;
};

// Reads `query.backend` (`node` is that mapping): url (http:// or https://, required),
// timeout, max_response_bytes, basic_auth, authorization, headers, tls_config.
Status ParseQueryBackendConfig(const YAML::Node& node, QueryBackendConfig* out);

}  // namespace perfwatch
