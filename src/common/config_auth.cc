#include "common/config_auth.h"

#include <algorithm>
#include <set>

namespace perfwatch::config_internal {
namespace {

bool IsHexDigest(std::string_view s) {
  if (s.size() != 64) return false;
  return std::all_of(s.begin(), s.end(), [](char ch) {
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
  });
}

bool IsKnownScope(std::string_view s) {
  return std::find(std::begin(kAuthScopes), std::end(kAuthScopes), s) != std::end(kAuthScopes);
}

Status ParseToken(const YAML::Node& node, size_t index, AuthTokenConfig* t) {
  std::string where = "auth.tokens[" + std::to_string(index) + "]";
  if (!node.IsMap()) return InvalidArgument(where + ": expected a mapping with name, token_sha256 or token_file, scopes");
  if (node["name"]) t->name = node["name"].as<std::string>();
  if (t->name.empty()) return InvalidArgument(where + ": needs a non-empty name");
  where = "auth.tokens \"" + t->name + "\"";
  for (const auto& kv : node) {
    auto key = kv.first.as<std::string>();
    if (key != "name" && key != "token_sha256" && key != "token_file" && key != "scopes") {
      return InvalidArgument(where + ": unknown key \"" + key + "\"");
    }
  }
  const bool has_sha = node["token_sha256"] && !node["token_sha256"].IsNull();
  const bool has_file = node["token_file"] && !node["token_file"].IsNull();
  if (has_sha == has_file) return InvalidArgument(where + ": set exactly one of token_sha256 and token_file");
  if (has_sha) {
    t->token_sha256 = node["token_sha256"].as<std::string>();
    if (!IsHexDigest(t->token_sha256)) {
      return InvalidArgument(where + ": token_sha256 must be 64 hex digits (printf %s \"$TOKEN\" | sha256sum)");
    }
    std::transform(t->token_sha256.begin(), t->token_sha256.end(), t->token_sha256.begin(),
                   [](char ch) { return static_cast<char>(ch >= 'A' && ch <= 'F' ? ch - 'A' + 'a' : ch); });
  } else {
    t->token_file = node["token_file"].as<std::string>();
    if (t->token_file.empty()) return InvalidArgument(where + ": token_file is empty");
  }
  auto scopes = node["scopes"];
  if (!scopes || !scopes.IsSequence() || scopes.size() == 0) {
    return InvalidArgument(where + ": scopes must be a non-empty list of ingest, read, alert, admin");
  }
  for (const auto& s : scopes) {
    auto scope = s.as<std::string>();
    if (!IsKnownScope(scope)) {
      return InvalidArgument(where + ": unknown scope \"" + scope + "\" (known: ingest, read, alert, admin)");
    }
    if (std::find(t->scopes.begin(), t->scopes.end(), scope) == t->scopes.end()) t->scopes.push_back(scope);
  }
  return Status::Ok();
}

}  // namespace

Status ParseAuthSection(const YAML::Node& root, Config* c) {
  auto a = root["auth"];
  if (!a || a.IsNull()) return Status::Ok();
  if (!a.IsMap()) return InvalidArgument("auth: expected a mapping with tokens and disabled");
  for (const auto& kv : a) {
    auto key = kv.first.as<std::string>();
    if (key != "tokens" && key != "disabled") return InvalidArgument("auth: unknown key \"" + key + "\"");
  }
  if (a["disabled"]) c->auth.disabled = a["disabled"].as<bool>();
  auto tokens = a["tokens"];
  if (!tokens || tokens.IsNull()) return Status::Ok();
  if (!tokens.IsSequence()) return InvalidArgument("auth.tokens: expected a list");
  std::set<std::string> names;
  for (size_t i = 0; i < tokens.size(); ++i) {
    AuthTokenConfig t;
    PW_RETURN_IF_ERROR(ParseToken(tokens[i], i, &t));
    if (!names.insert(t.name).second) return InvalidArgument("auth.tokens: duplicate name \"" + t.name + "\"");
    c->auth.tokens.push_back(std::move(t));
  }
  return Status::Ok();
}

}  // namespace perfwatch::config_internal
