#pragma once
// The `auth:` section of the YAML configuration: `tokens` (name, token_sha256 or
// token_file, scopes) and `disabled`. Internal to config.cc; keys and rules are documented
// in docs/security.md and docs/configuration.md. Token files are read later, when the
// server starts (http/auth.h, LoadAuthTokens), relative to the config file's folder.
// Thread safety: pure functions.
#include <yaml-cpp/yaml.h>

#include <string_view>

#include "common/config.h"
#include "common/status.h"

namespace perfwatch::config_internal {

// Reads `auth:` from the root mapping into c->auth and checks it strictly: known keys
// and scopes, exactly one of token_sha256 / token_file, 64 hex digits, unique non-empty
// names, at least one scope. Errors name the token.
Status ParseAuthSection(const YAML::Node& root, Config* c);

// The scopes a token may be granted, in the order documented.
inline constexpr std::string_view kAuthScopes[] = {"ingest", "read", "alert", "admin"};

}  // namespace perfwatch::config_internal
