// Parses an Alertmanager 0.25 configuration (config/config.go, config/notifiers.go, the
// HTTP client configuration of prometheus/common v0.38) into AlertmanagerConfig. Decoding
// is strict like Alertmanager's yaml.UnmarshalStrict: unknown and repeated keys are
// errors. The order of checks follows Alertmanager: each value is decoded and checked in
// document order, then the whole-file checks (receivers unique, root route, receivers
// used by routes) run. Everything here is internal to this file except the entry points.
#include "alert/am_config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "alert/am_format.h"
#include "alert/rule_file.h"
#include "common/label_validation.h"

namespace perfwatch::alert {
namespace {

// Bounds against hostile input (YAML aliases can repeat a subtree exponentially).
constexpr int kMaxRouteDepth = 100;
constexpr size_t kMaxRoutes = 10'000;
constexpr size_t kMaxFileBytes = 1 << 20;

// Alertmanager's route defaults (dispatch.DefaultRouteOpts).
constexpr int64_t kDefaultGroupWaitMs = 30'000;
constexpr int64_t kDefaultGroupIntervalMs = 300'000;
constexpr int64_t kDefaultRepeatIntervalMs = 4 * 3600'000;

// ------------------------------------------------------------------ YAML value helpers

std::string LinePrefix(const YAML::Node& n) {
  const YAML::Mark mark = n.Mark();
  if (mark.line < 0) return "";
  return "line " + std::to_string(mark.line + 1) + ": ";
}

Status ErrAt(const YAML::Node& n, std::string_view msg) {
  return InvalidArgument(LinePrefix(n) + std::string(msg));
}

// For errors found after decoding: the raw structs keep marks, never nodes (assigning to
// a yaml-cpp node that is bound rewrites the document).
Status ErrAt(const YAML::Mark& mark, std::string_view msg) {
  std::string prefix = mark.line < 0 ? "" : "line " + std::to_string(mark.line + 1) + ": ";
  return InvalidArgument(prefix + std::string(msg));
}

bool PlainBool(std::string_view s, bool* v) {
  static constexpr std::string_view kTrue[] = {"y",  "Y",  "yes",  "Yes",  "YES", "on",
                                               "On", "ON", "true", "True", "TRUE"};
  static constexpr std::string_view kFalse[] = {"n",   "N",   "no",    "No",    "NO",   "off",
                                                "Off", "OFF", "false", "False", "FALSE"};
  for (auto t : kTrue) {
    if (s == t) return *v = true, true;
  }
  for (auto f : kFalse) {
    if (s == f) return *v = false, true;
  }
  return false;
}

// An integer as yaml.v2 resolves one (Go's ParseInt with base 0 after removing '_').
// Returns false when `s` is not an integer; *negative tells the sign.
bool PlainUint(std::string_view text, uint64_t* v, bool* negative) {
  std::string s;
  for (char c : text) {
    if (c != '_') s += c;
  }
  *negative = false;
  std::string_view d = s;
  if (!d.empty() && (d[0] == '+' || d[0] == '-')) {
    *negative = d[0] == '-';
    d.remove_prefix(1);
  }
  if (d.empty()) return false;
  int base = 10;
  if (d.size() > 1 && d[0] == '0') {
    if (d[1] == 'x' || d[1] == 'X') {
      base = 16, d.remove_prefix(2);
    } else if (d[1] == 'b' || d[1] == 'B') {
      base = 2, d.remove_prefix(2);
    } else if (d[1] == 'o' || d[1] == 'O') {
      base = 8, d.remove_prefix(2);
    } else {
      base = 8, d.remove_prefix(1);
    }
    if (d.empty()) return false;
  }
  unsigned __int128 acc = 0;
  for (char c : d) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else {
      return false;
    }
    if (digit >= base) return false;
    acc = acc * base + digit;
    if (acc > UINT64_MAX) return false;
  }
  *v = static_cast<uint64_t>(acc);
  return true;
}

// yaml.v2's short tag of a node, for "cannot unmarshal !!seq into string".
std::string ShortTag(const YAML::Node& n) {
  if (n.IsSequence()) return "!!seq";
  if (n.IsMap()) return "!!map";
  if (n.IsNull()) return "!!null";
  const std::string& tag = n.Tag();
  constexpr std::string_view kPrefix = "tag:yaml.org,2002:";
  if (std::string_view(tag).starts_with(kPrefix)) return "!!" + tag.substr(kPrefix.size());
  if (tag != "?") return "!!str";  // quoted or locally tagged
  const std::string& s = n.Scalar();
  bool b;
  uint64_t u;
  bool neg;
  if (PlainBool(s, &b)) return "!!bool";
  if (PlainUint(s, &u, &neg)) return "!!int";
  return "!!str";
}

Status TypeErr(const YAML::Node& n, std::string_view into) {
  std::string what = ShortTag(n);
  if (n.IsScalar()) what += " `" + n.Scalar() + "`";
  return ErrAt(n, "cannot unmarshal " + what + " into " + std::string(into));
}

// A string field: any scalar's text (yaml.v2 decodes 1, true, 1.5 into strings); null is "".
Status ReadString(const YAML::Node& n, std::string* out) {
  if (n.IsNull()) {
    out->clear();
    return Status::Ok();
  }
  if (!n.IsScalar()) return TypeErr(n, "string");
  *out = n.Scalar();
  return Status::Ok();
}

Status ReadBool(const YAML::Node& n, bool* out) {
  if (n.IsNull()) {
    *out = false;  // yaml.v2 sets the zero value
    return Status::Ok();
  }
  if (n.IsScalar() && (n.Tag() == "?" || n.Tag() == "tag:yaml.org,2002:bool") &&
      PlainBool(n.Scalar(), out)) {
    return Status::Ok();
  }
  return TypeErr(n, "bool");
}

Status ReadUint64(const YAML::Node& n, uint64_t* out) {
  if (n.IsNull()) {
    *out = 0;
    return Status::Ok();
  }
  bool negative = false;
  uint64_t v = 0;
  if (n.IsScalar() && n.Tag() == "?" && PlainUint(n.Scalar(), &v, &negative) &&
      (!negative || v == 0)) {
    *out = v;
    return Status::Ok();
  }
  return TypeErr(n, "uint64");
}

// A list of strings; null is empty.
Status ReadStringList(const YAML::Node& n, std::string_view type_name,
                      std::vector<std::string>* out) {
  out->clear();
  if (n.IsNull()) return Status::Ok();
  if (!n.IsSequence()) return TypeErr(n, type_name);
  for (const auto& item : n) {
    std::string s;
    PW_RETURN_IF_ERROR(ReadString(item, &s));
    out->push_back(std::move(s));
  }
  return Status::Ok();
}

// Calls `fn(key_node, key, value)` for each entry of a mapping decoded strictly into
// `type_name`: unknown keys ("field x not found in type config.plain") and repeated keys
// are errors. A null node has no entries.
Status ForEachField(
    const YAML::Node& n, std::string_view type_name, std::initializer_list<std::string_view> known,
    const std::function<Status(const YAML::Node&, const std::string&, const YAML::Node&)>& fn) {
  if (n.IsNull()) return Status::Ok();
  if (!n.IsMap()) return TypeErr(n, type_name);
  std::set<std::string> seen;
  for (const auto& kv : n) {
    std::string key;
    PW_RETURN_IF_ERROR(ReadString(kv.first, &key));
    if (!seen.insert(key).second) {
      return ErrAt(kv.first, "key " + GoQuote(key) + " already set in map");
    }
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return ErrAt(kv.first, "field " + key + " not found in type " + std::string(type_name));
    }
    PW_RETURN_IF_ERROR(fn(kv.first, key, kv.second));
  }
  return Status::Ok();
}

// A map[string]string, in document order.
Status ReadStringMap(const YAML::Node& n, std::string_view type_name,
                     std::vector<std::pair<std::string, std::string>>* out) {
  out->clear();
  if (n.IsNull()) return Status::Ok();
  if (!n.IsMap()) return TypeErr(n, type_name);
  std::set<std::string> seen;
  for (const auto& kv : n) {
    std::string key, value;
    PW_RETURN_IF_ERROR(ReadString(kv.first, &key));
    if (!seen.insert(key).second) {
      return ErrAt(kv.first, "key " + GoQuote(key) + " already set in map");
    }
    PW_RETURN_IF_ERROR(ReadString(kv.second, &value));
    out->emplace_back(std::move(key), std::move(value));
  }
  return Status::Ok();
}

// ------------------------------------------------------------------ values

Status ReadDuration(const YAML::Node& n, int64_t* ms) {
  std::string s;
  PW_RETURN_IF_ERROR(ReadString(n, &s));
  auto d = ParsePromDuration(s);  // model.ParseDuration, as Alertmanager
  if (!d.ok()) return ErrAt(n, d.status().message());
  *ms = *d;
  return Status::Ok();
}

struct ParsedUrl {
  std::string scheme;  // lower case
  std::string host;    // without port
};

// The checks of Go's url.Parse that matter here, then Alertmanager's parseURL: the scheme
// is http or https and the host is not empty.
Result<ParsedUrl> ParseHttpUrl(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return InvalidArgument("net/url: invalid control character in URL");
  }
  ParsedUrl u;
  std::string_view rest = s;
  // Scheme: [a-zA-Z][a-zA-Z0-9+.-]* followed by ':'.
  size_t i = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (alpha) continue;
    if (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')) continue;
    if (c == ':') {
      if (i == 0) return InvalidArgument("missing protocol scheme");
      u.scheme = std::string(s.substr(0, i));
      rest = s.substr(i + 1);
    }
    break;
  }
  for (char& c : u.scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (u.scheme != "http" && u.scheme != "https") {
    return InvalidArgument("unsupported scheme " + GoQuote(u.scheme) + " for URL");
  }
  if (!rest.starts_with("//")) return InvalidArgument("missing host for URL");
  rest.remove_prefix(2);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with('[')) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return InvalidArgument("missing ']' in host");
    host = authority.substr(0, close + 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return InvalidArgument("invalid port after host");
      port = after.substr(1);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  for (char c : port) {
    if (c < '0' || c > '9') return InvalidArgument("invalid port " + GoQuote(port) + " after host");
  }
  for (char c : host) {
    if (c == ' ' || c == '%' || c == '{' || c == '}' || c == '|' || c == '\\' || c == '^' ||
        c == '`' || c == '<' || c == '>' || c == '"') {
      return InvalidArgument("invalid character " + GoQuote(std::string(1, c)) + " in host name");
    }
  }
  if (host.empty()) return InvalidArgument("missing host for URL");
  u.host = std::string(host);
  return u;
}

// Go's net.SplitHostPort as HostPort.UnmarshalYAML uses it (empty is allowed).
Status CheckHostPort(std::string_view s) {
  if (s.empty()) return Status::Ok();
  std::string_view port;
  if (s.starts_with('[')) {
    const size_t close = s.find(']');
    if (close == std::string_view::npos) {
      return InvalidArgument("address " + std::string(s) + ": missing ']' in address");
    }
    if (close + 1 >= s.size() || s[close + 1] != ':') {
      return InvalidArgument("address " + std::string(s) + ": missing port in address");
    }
    port = s.substr(close + 2);
  } else {
    const size_t colon = s.rfind(':');
    if (colon == std::string_view::npos) {
      return InvalidArgument("address " + std::string(s) + ": missing port in address");
    }
    if (s.substr(0, colon).find(':') != std::string_view::npos) {
      return InvalidArgument("address " + std::string(s) + ": too many colons in address");
    }
    port = s.substr(colon + 1);
  }
  if (port.empty()) {
    return InvalidArgument("address " + GoQuote(s) + ": port cannot be empty");
  }
  return Status::Ok();
}

std::string_view TrimAsciiSpace(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Reads a small regular file named by the configuration, trimmed of surrounding spaces
// (as Prometheus' HTTP client and Alertmanager's url_file do). FIFOs and devices are
// refused so that a configuration cannot block or exhaust the server.
Result<std::string> ReadConfigFile(std::string_view what, const std::string& path,
                                   std::string_view base_dir) {
  std::filesystem::path p(path);
  if (p.is_relative() && !base_dir.empty()) p = std::filesystem::path(base_dir) / p;
  const std::string shown = p.string();
  const auto fail = [&](std::string reason) {
    return InvalidArgument("unable to read " + std::string(what) + " " + shown + ": " + reason);
  };
  const int fd = ::open(shown.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return fail(std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail("not a regular file");
  }
  std::string data;
  char buf[8192];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return fail(std::strerror(err));
    }
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
    if (data.size() > kMaxFileBytes) {
      ::close(fd);
      return fail("larger than 1 MiB");
    }
  }
  ::close(fd);
  return std::string(TrimAsciiSpace(data));
}

// ------------------------------------------------------------------ HTTP client config

Status ParseTlsConfig(const YAML::Node& n) {
  return ForEachField(
      n, "config.plain",
      {"ca_file", "cert_file", "key_file", "server_name", "insecure_skip_verify", "min_version",
       "max_version"},
      [](const YAML::Node& k, const std::string& key, const YAML::Node& v) -> Status {
        if (key == "insecure_skip_verify") {
          bool b;
          return ReadBool(v, &b);
        }
        std::string s;
        PW_RETURN_IF_ERROR(ReadString(v, &s));
        if (key == "min_version" || key == "max_version") {
          if (!v.IsNull() && s != "TLS10" && s != "TLS11" && s != "TLS12" && s != "TLS13") {
            return ErrAt(v, "unknown TLS version: " + s);
          }
        } else if (key != "server_name" && !s.empty()) {
          return ErrAt(k, "http_config: tls_config." + key +
                              " is not supported yet (webhooks are delivered over http:// only)");
        }
        return Status::Ok();
      });
}

// prometheus/common's HTTPClientConfig: decoded, validated as its Validate() does, and
// with the credential files read.
Status ParseHttpConfig(const YAML::Node& n, std::string_view base_dir, HttpClientConfig* out) {
  *out = HttpClientConfig{};
  bool has_basic_auth = false, has_authorization = false;
  std::string bearer_token, bearer_token_file;
  std::string auth_type, auth_credentials, auth_credentials_file;
  std::string basic_password_file;
  PW_RETURN_IF_ERROR(ForEachField(
      n, "config.plain",
      {"basic_auth", "authorization", "oauth2", "bearer_token", "bearer_token_file", "proxy_url",
       "tls_config", "follow_redirects", "enable_http2"},
      [&](const YAML::Node& k, const std::string& key, const YAML::Node& v) -> Status {
        if (key == "basic_auth") {
          if (v.IsNull()) return Status::Ok();
          has_basic_auth = true;
          return ForEachField(
              v, "config.plain", {"username", "password", "password_file"},
              [&](const YAML::Node&, const std::string& bk, const YAML::Node& bv) -> Status {
                if (bk == "username") return ReadString(bv, &out->basic_auth_username);
                if (bk == "password") return ReadString(bv, &out->basic_auth_password);
                return ReadString(bv, &basic_password_file);
              });
        }
        if (key == "authorization") {
          if (v.IsNull()) return Status::Ok();
          has_authorization = true;
          return ForEachField(
              v, "config.Authorization", {"type", "credentials", "credentials_file"},
              [&](const YAML::Node&, const std::string& ak, const YAML::Node& av) -> Status {
                if (ak == "type") return ReadString(av, &auth_type);
                if (ak == "credentials") return ReadString(av, &auth_credentials);
                return ReadString(av, &auth_credentials_file);
              });
        }
        if (key == "oauth2") {
          if (v.IsNull()) return Status::Ok();
          return ErrAt(k, "http_config: oauth2 is not supported yet");
        }
        if (key == "bearer_token") return ReadString(v, &bearer_token);
        if (key == "bearer_token_file") return ReadString(v, &bearer_token_file);
        if (key == "proxy_url") {
          PW_RETURN_IF_ERROR(ReadString(v, &out->proxy_url));
          if (!out->proxy_url.empty()) {
            return ErrAt(k, "http_config: proxy_url is not supported yet");
          }
          return Status::Ok();
        }
        if (key == "tls_config") return ParseTlsConfig(v);
        if (key == "follow_redirects") return ReadBool(v, &out->follow_redirects);
        bool enable_http2;
        return ReadBool(v, &enable_http2);
      }));

  // HTTPClientConfig.Validate(), in its order and with its messages.
  const auto err = [&](std::string_view msg) { return ErrAt(n, msg); };
  if (!bearer_token.empty() && !bearer_token_file.empty()) {
    return err("at most one of bearer_token & bearer_token_file must be configured");
  }
  if (has_basic_auth && (!bearer_token.empty() || !bearer_token_file.empty())) {
    return err(
        "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured");
  }
  if (has_basic_auth && !out->basic_auth_password.empty() && !basic_password_file.empty()) {
    return err("at most one of basic_auth password & password_file must be configured");
  }
  std::string credentials_file;
  if (has_authorization) {
    if (!bearer_token.empty() || !bearer_token_file.empty()) {
      return err("authorization is not compatible with bearer_token & bearer_token_file");
    }
    if (!auth_credentials.empty() && !auth_credentials_file.empty()) {
      return err("at most one of authorization credentials & credentials_file must be configured");
    }
    std::string type(TrimAsciiSpace(auth_type));
    if (type.empty()) type = "Bearer";
    std::string lower = type;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "basic") {
      return err("authorization type cannot be set to \"basic\", use \"basic_auth\" instead");
    }
    if (has_basic_auth) {
      return err("at most one of basic_auth, oauth2 & authorization must be configured");
    }
    out->authorization_type = type;
    out->bearer_token = auth_credentials;
    credentials_file = auth_credentials_file;
  } else {
    out->authorization_type = "Bearer";
    out->bearer_token = bearer_token;
    credentials_file = bearer_token_file;
  }
  out->has_basic_auth = has_basic_auth;

  if (!credentials_file.empty()) {
    auto token = ReadConfigFile("authorization credentials file", credentials_file, base_dir);
    if (!token.ok()) return ErrAt(n, token.status().message());
    out->bearer_token = std::move(token).value();
  }
  if (!basic_password_file.empty()) {
    auto pw = ReadConfigFile("basic auth password file", basic_password_file, base_dir);
    if (!pw.ok()) return ErrAt(n, pw.status().message());
    out->basic_auth_password = std::move(pw).value();
  }
  return Status::Ok();
}

// ------------------------------------------------------------------ global

struct GlobalConfig {
  int64_t resolve_timeout_ms = 5 * 60'000;
  HttpClientConfig http_config;
};

Status ParseGlobal(const YAML::Node& n, std::string_view base_dir, GlobalConfig* out) {
  *out = GlobalConfig{};
  std::string slack_api_url, slack_api_url_file, opsgenie_api_key, opsgenie_api_key_file,
      victorops_api_key, victorops_api_key_file, smtp_auth_password, smtp_auth_password_file;
  PW_RETURN_IF_ERROR(
      ForEachField(n, "config.plain",
                   {"resolve_timeout",
                    "http_config",
                    "smtp_from",
                    "smtp_hello",
                    "smtp_smarthost",
                    "smtp_auth_username",
                    "smtp_auth_password",
                    "smtp_auth_password_file",
                    "smtp_auth_secret",
                    "smtp_auth_identity",
                    "smtp_require_tls",
                    "slack_api_url",
                    "slack_api_url_file",
                    "pagerduty_url",
                    "opsgenie_api_url",
                    "opsgenie_api_key",
                    "opsgenie_api_key_file",
                    "wechat_api_url",
                    "wechat_api_secret",
                    "wechat_api_corp_id",
                    "victorops_api_url",
                    "victorops_api_key",
                    "victorops_api_key_file",
                    "telegram_api_url",
                    "webex_api_url"},
                   [&](const YAML::Node&, const std::string& key, const YAML::Node& v) -> Status {
                     if (key == "resolve_timeout") {
                       if (v.IsNull()) {
                         out->resolve_timeout_ms = 0;  // yaml.v2 sets the zero value
                         return Status::Ok();
                       }
                       return ReadDuration(v, &out->resolve_timeout_ms);
                     }
                     if (key == "http_config") {
                       if (v.IsNull()) return Status::Ok();
                       return ParseHttpConfig(v, base_dir, &out->http_config);
                     }
                     if (key == "smtp_require_tls") {
                       bool b;
                       return ReadBool(v, &b);
                     }
                     std::string s;
                     PW_RETURN_IF_ERROR(ReadString(v, &s));
                     if (key == "smtp_smarthost") {
                       Status st = CheckHostPort(s);
                       if (!st.ok()) return ErrAt(v, st.message());
                     } else if (key.ends_with("_url") && !v.IsNull()) {
                       // URL fields: parsed and checked; slack_api_url is a secret URL that may be
                       // "<secret>" (a configuration read back from the API).
                       if (!(key == "slack_api_url" && s == "<secret>")) {
                         auto u = ParseHttpUrl(s);
                         if (!u.ok()) return ErrAt(v, u.status().message());
                       }
                     }
                     if (key == "slack_api_url") slack_api_url = s;
                     if (key == "slack_api_url_file") slack_api_url_file = s;
                     if (key == "opsgenie_api_key") opsgenie_api_key = s;
                     if (key == "opsgenie_api_key_file") opsgenie_api_key_file = s;
                     if (key == "victorops_api_key") victorops_api_key = s;
                     if (key == "victorops_api_key_file") victorops_api_key_file = s;
                     if (key == "smtp_auth_password") smtp_auth_password = s;
                     if (key == "smtp_auth_password_file") smtp_auth_password_file = s;
                     return Status::Ok();
                   }));
  // Config.UnmarshalYAML's checks of the global block.
  if (!slack_api_url.empty() && !slack_api_url_file.empty()) {
    return ErrAt(n, "at most one of slack_api_url & slack_api_url_file must be configured");
  }
  if (!opsgenie_api_key.empty() && !opsgenie_api_key_file.empty()) {
    return ErrAt(n, "at most one of opsgenie_api_key & opsgenie_api_key_file must be configured");
  }
  if (!victorops_api_key.empty() && !victorops_api_key_file.empty()) {
    return ErrAt(n, "at most one of victorops_api_key & victorops_api_key_file must be configured");
  }
  if (!smtp_auth_password.empty() && !smtp_auth_password_file.empty()) {
    return ErrAt(n,
                 "at most one of smtp_auth_password & smtp_auth_password_file must be configured");
  }
  return Status::Ok();
}

// ------------------------------------------------------------------ matchers in the config

// config.Matchers: a list of strings in matcher syntax, each possibly several matchers.
Status ReadMatcherList(const YAML::Node& n, Matchers* out) {
  std::vector<std::string> lines;
  PW_RETURN_IF_ERROR(ReadStringList(n, "[]string", &lines));
  size_t i = 0;
  for (const auto& item : n) {
    auto parsed = ParseMatchers(lines[i++]);
    if (!parsed.ok()) return ErrAt(item, parsed.status().message());
    for (auto& m : *parsed) out->push_back(std::move(m));
  }
  SortMatchers(*out);
  return Status::Ok();
}

// The legacy `match:` map: equality matchers, label names checked (no colons).
Status ReadMatchMap(const YAML::Node& n, Matchers* out) {
  std::vector<std::pair<std::string, std::string>> pairs;
  PW_RETURN_IF_ERROR(ReadStringMap(n, "map[string]string", &pairs));
  for (auto& [name, value] : pairs) {
    if (!IsValidLabelName(name)) return ErrAt(n, "invalid label name " + GoQuote(name));
    PW_ASSIGN_OR_RETURN(auto m, Matcher::Make(name, Matcher::Type::kEqual, value));
    out->push_back(std::move(m));
  }
  return Status::Ok();
}

// The legacy `match_re:` map. Alertmanager compiles "^(?:re)$" and later builds the route's
// matcher from that anchored text, so the matcher's value (and the route key) shows
// `^(?:re)$` and the regex is anchored twice (same language).
Status ReadMatchReMap(const YAML::Node& n, Matchers* out) {
  if (n.IsNull()) return Status::Ok();
  if (!n.IsMap()) return TypeErr(n, "config.plain");
  std::set<std::string> seen;
  for (const auto& kv : n) {
    std::string name, value;
    PW_RETURN_IF_ERROR(ReadString(kv.first, &name));
    if (!seen.insert(name).second) {
      return ErrAt(kv.first, "key " + GoQuote(name) + " already set in map");
    }
    if (!kv.second.IsNull()) {
      PW_RETURN_IF_ERROR(ReadString(kv.second, &value));
      RE2::Options opts;
      opts.set_log_errors(false);
      RE2 check("^(?:" + value + ")$", opts);
      if (!check.ok()) return ErrAt(kv.second, "error parsing regexp: " + check.error());
    }
    if (!IsValidLabelName(name)) return ErrAt(kv.first, "invalid label name " + GoQuote(name));
    if (kv.second.IsNull()) return ErrAt(kv.first, "invalid regexp value for " + GoQuote(name));
    auto m = Matcher::Make(name, Matcher::Type::kRegexp, "^(?:" + value + ")$");
    if (!m.ok()) return ErrAt(kv.second, m.status().message());
    out->push_back(std::move(m).value());
  }
  return Status::Ok();
}

void SortByName(Matchers& ms) {
  std::stable_sort(ms.begin(), ms.end(),
                   [](const Matcher& a, const Matcher& b) { return a.name < b.name; });
}

// ------------------------------------------------------------------ routes

// A route as written, before inheritance.
struct RawRoute {
  YAML::Mark mark;
  std::string receiver;
  bool group_by_set = false;  // group_by names other than '...' (AM: GroupBy != nil)
  std::vector<std::string> group_by;
  bool group_by_all = false;
  Matchers matchers;  // match, match_re and matchers merged and sorted
  bool continue_matching = false;
  std::optional<int64_t> group_wait_ms, group_interval_ms, repeat_interval_ms;
  bool has_mute_time_intervals = false;
  bool has_active_time_intervals = false;
  std::vector<RawRoute> routes;
};

struct ParseContext {
  std::string base_dir;
  size_t routes = 0;
};

Status ParseRoute(const YAML::Node& n, int depth, ParseContext& ctx, RawRoute* out) {
  if (depth > kMaxRouteDepth) {
    return ErrAt(n, "routes are nested more than " + std::to_string(kMaxRouteDepth) + " deep");
  }
  if (++ctx.routes > kMaxRoutes) {
    return ErrAt(n, "more than " + std::to_string(kMaxRoutes) + " routes");
  }
  out->mark = n.Mark();
  Matchers legacy_eq, legacy_re, matchers;
  std::optional<YAML::Node> match_node;
  std::vector<std::string> group_by_str;
  YAML::Node group_by_node, group_interval_node, repeat_interval_node;
  PW_RETURN_IF_ERROR(ForEachField(
      n, "config.plain",
      {"receiver", "group_by", "match", "match_re", "matchers", "mute_time_intervals",
       "active_time_intervals", "continue", "routes", "group_wait", "group_interval",
       "repeat_interval"},
      [&](const YAML::Node& k, const std::string& key, const YAML::Node& v) -> Status {
        if (key == "receiver") return ReadString(v, &out->receiver);
        if (key == "group_by") {
          group_by_node = k;
          return ReadStringList(v, "[]string", &group_by_str);
        }
        if (key == "match") {
          // Names are checked after the whole route is decoded, as Alertmanager does.
          std::vector<std::pair<std::string, std::string>> pairs;
          PW_RETURN_IF_ERROR(ReadStringMap(v, "map[string]string", &pairs));
          match_node = v;
          return Status::Ok();
        }
        if (key == "match_re") return ReadMatchReMap(v, &legacy_re);
        if (key == "matchers") return ReadMatcherList(v, &matchers);
        if (key == "mute_time_intervals" || key == "active_time_intervals") {
          std::vector<std::string> names;
          PW_RETURN_IF_ERROR(ReadStringList(v, "[]string", &names));
          if (names.empty()) return Status::Ok();
          if (depth > 0) return ErrAt(k, "route: " + key + " are not supported yet");
          // On the root route Alertmanager's own error is reported later.
          (key == "mute_time_intervals" ? out->has_mute_time_intervals
                                        : out->has_active_time_intervals) = true;
          return Status::Ok();
        }
        if (key == "continue") return ReadBool(v, &out->continue_matching);
        if (key == "routes") {
          if (v.IsNull()) return Status::Ok();
          if (!v.IsSequence()) return TypeErr(v, "[]*config.Route");
          for (const auto& child : v) {
            RawRoute r;
            PW_RETURN_IF_ERROR(ParseRoute(child, depth + 1, ctx, &r));
            out->routes.push_back(std::move(r));
          }
          return Status::Ok();
        }
        std::optional<int64_t>* target = key == "group_wait"       ? &out->group_wait_ms
                                         : key == "group_interval" ? &out->group_interval_ms
                                                                   : &out->repeat_interval_ms;
        if (key == "group_interval") group_interval_node = k;
        if (key == "repeat_interval") repeat_interval_node = k;
        if (v.IsNull()) {
          target->reset();  // a null pointer: inherited
          return Status::Ok();
        }
        int64_t ms;
        PW_RETURN_IF_ERROR(ReadDuration(v, &ms));
        *target = ms;
        return Status::Ok();
      }));

  // Route.UnmarshalYAML's checks, in its order.
  if (match_node) PW_RETURN_IF_ERROR(ReadMatchMap(*match_node, &legacy_eq));
  for (const auto& name : group_by_str) {
    if (name == "...") {
      out->group_by_all = true;
    } else {
      if (!IsValidLabelName(name)) {
        return ErrAt(group_by_node, "invalid label name " + GoQuote(name) + " in group_by list");
      }
      out->group_by_set = true;
      out->group_by.push_back(name);
    }
  }
  if (out->group_by_set && out->group_by_all) {
    return ErrAt(group_by_node,
                 "cannot have wildcard group_by (`...`) and other other labels at the same time");
  }
  {
    std::set<std::string> seen;
    for (const auto& name : out->group_by) {
      if (!seen.insert(name).second) {
        return ErrAt(group_by_node, "duplicated label " + GoQuote(name) + " in group_by");
      }
    }
  }
  if (out->group_interval_ms && *out->group_interval_ms == 0) {
    return ErrAt(group_interval_node, "group_interval cannot be zero");
  }
  if (out->repeat_interval_ms && *out->repeat_interval_ms == 0) {
    return ErrAt(repeat_interval_node, "repeat_interval cannot be zero");
  }
  // dispatch.NewRoute: match, then match_re, then matchers, all sorted together.
  for (auto& m : legacy_eq) out->matchers.push_back(std::move(m));
  for (auto& m : legacy_re) out->matchers.push_back(std::move(m));
  for (auto& m : matchers) out->matchers.push_back(std::move(m));
  SortMatchers(out->matchers);
  return Status::Ok();
}

// dispatch.NewRoute: options inherited from the parent, or Alertmanager's defaults.
Route BuildRoute(RawRoute& raw, const Route* parent, int index) {
  Route r;
  if (parent != nullptr) {
    r.receiver = parent->receiver;
    r.group_by = parent->group_by;
    r.group_by_all = parent->group_by_all;
    r.group_wait_ms = parent->group_wait_ms;
    r.group_interval_ms = parent->group_interval_ms;
    r.repeat_interval_ms = parent->repeat_interval_ms;
  } else {
    r.group_wait_ms = kDefaultGroupWaitMs;
    r.group_interval_ms = kDefaultGroupIntervalMs;
    r.repeat_interval_ms = kDefaultRepeatIntervalMs;
  }
  if (!raw.receiver.empty()) r.receiver = raw.receiver;
  if (raw.group_by_set) {
    r.group_by = raw.group_by;
    std::sort(r.group_by.begin(), r.group_by.end());
    r.group_by_all = false;
  } else if (raw.group_by_all) {
    // Alertmanager keeps the parent's names beside GroupByAll, which then wins; the
    // names are dropped here so that group_by is empty whenever group_by_all is set.
    r.group_by_all = true;
    r.group_by.clear();
  }
  if (raw.group_wait_ms) r.group_wait_ms = *raw.group_wait_ms;
  if (raw.group_interval_ms) r.group_interval_ms = *raw.group_interval_ms;
  if (raw.repeat_interval_ms) r.repeat_interval_ms = *raw.repeat_interval_ms;
  r.matchers = std::move(raw.matchers);
  r.continue_matching = raw.continue_matching;
  r.index = index;
  r.key = parent != nullptr ? parent->key + "/" + MatchersToString(r.matchers)
                            : MatchersToString(r.matchers);
  r.routes.reserve(raw.routes.size());
  for (size_t i = 0; i < raw.routes.size(); ++i) {
    r.routes.push_back(BuildRoute(raw.routes[i], &r, static_cast<int>(i)));
  }
  return r;
}

// config.checkReceiver: children first, then the node itself.
Status CheckReceivers(const RawRoute& r, const std::set<std::string>& names) {
  for (const auto& child : r.routes) PW_RETURN_IF_ERROR(CheckReceivers(child, names));
  if (r.receiver.empty()) return Status::Ok();
  if (!names.count(r.receiver)) {
    return ErrAt(r.mark, "undefined receiver " + GoQuote(r.receiver) + " used in route");
  }
  return Status::Ok();
}

// ------------------------------------------------------------------ receivers

struct RawReceiver {
  YAML::Mark mark;
  Receiver receiver;
  std::vector<bool> webhook_has_http_config;
};

// Integrations Alertmanager 0.25 knows and perfwatch does not deliver to yet.
constexpr std::string_view kUnsupportedIntegrations[] = {
    "discord_configs",  "email_configs",    "pagerduty_configs", "slack_configs",
    "opsgenie_configs", "wechat_configs",   "pushover_configs",  "victorops_configs",
    "sns_configs",      "telegram_configs", "webex_configs"};

Status ParseWebhook(const YAML::Node& n, std::string_view receiver_name, const ParseContext& ctx,
                    WebhookConfig* out, bool* has_http_config) {
  *out = WebhookConfig{};
  *has_http_config = false;
  std::string url, url_file;
  bool has_url = false;
  YAML::Node url_node;
  PW_RETURN_IF_ERROR(ForEachField(
      n, "config.plain", {"send_resolved", "http_config", "url", "url_file", "max_alerts"},
      [&](const YAML::Node&, const std::string& key, const YAML::Node& v) -> Status {
        if (key == "send_resolved") return ReadBool(v, &out->send_resolved);
        if (key == "max_alerts") return ReadUint64(v, &out->max_alerts);
        if (key == "url_file") return ReadString(v, &url_file);
        if (key == "url") {
          if (v.IsNull()) return Status::Ok();
          PW_RETURN_IF_ERROR(ReadString(v, &url));
          auto parsed = ParseHttpUrl(url);
          if (!parsed.ok()) return ErrAt(v, parsed.status().message());
          has_url = true;
          url_node = v;
          return Status::Ok();
        }
        if (v.IsNull()) return Status::Ok();
        *has_http_config = true;
        return ParseHttpConfig(v, ctx.base_dir, &out->http_config);
      }));
  const std::string where = "receiver " + GoQuote(receiver_name) + ": webhook_configs: ";
  if (!has_url && url_file.empty()) return ErrAt(n, "missing URL in webhook config");
  if (has_url && !url_file.empty()) {
    return ErrAt(n, "at most one of url & url_file must be configured");
  }
  if (!has_url) {
    auto content = ReadConfigFile("webhook url_file", url_file, ctx.base_dir);
    if (!content.ok()) return ErrAt(n, where + content.status().message());
    url = std::move(content).value();
    auto parsed = ParseHttpUrl(url);
    if (!parsed.ok()) {
      return ErrAt(n, where + "url_file " + url_file + ": " + parsed.status().message());
    }
    url_node = n;
  }
  auto parsed = ParseHttpUrl(url);
  if (parsed.ok() && parsed->scheme == "https") {
    return ErrAt(url_node, where +
                               "https URLs are not supported yet (webhooks are delivered over "
                               "http:// only)");
  }
  out->url = std::move(url);
  return Status::Ok();
}

Status ParseReceiver(const YAML::Node& n, const ParseContext& ctx, RawReceiver* out) {
  out->mark = n.Mark();
  std::optional<YAML::Node> webhooks;
  PW_RETURN_IF_ERROR(ForEachField(
      n, "config.plain",
      {"name", "discord_configs", "email_configs", "pagerduty_configs", "slack_configs",
       "webhook_configs", "opsgenie_configs", "wechat_configs", "pushover_configs",
       "victorops_configs", "sns_configs", "telegram_configs", "webex_configs"},
      [&](const YAML::Node& k, const std::string& key, const YAML::Node& v) -> Status {
        if (key == "name") return ReadString(v, &out->receiver.name);
        if (v.IsNull()) return Status::Ok();
        if (!v.IsSequence()) return TypeErr(v, "[]*config.plain");
        if (key == "webhook_configs") {
          webhooks = v;
          return Status::Ok();
        }
        if (v.size() == 0) return Status::Ok();
        return ErrAt(
            k, "receiver " + GoQuote(out->receiver.name) + ": " + key + " are not supported yet");
      }));
  // Webhooks are decoded once the name is known (for error messages).
  if (webhooks) {
    for (const auto& w : *webhooks) {
      WebhookConfig wh;
      bool has_http_config;
      PW_RETURN_IF_ERROR(ParseWebhook(w, out->receiver.name, ctx, &wh, &has_http_config));
      out->receiver.webhook_configs.push_back(std::move(wh));
      out->webhook_has_http_config.push_back(has_http_config);
    }
  }
  if (out->receiver.name.empty()) return ErrAt(n, "missing name in receiver");
  return Status::Ok();
}

// ------------------------------------------------------------------ inhibit rules

Status ParseInhibitRule(const YAML::Node& n, InhibitRule* out) {
  Matchers source_eq, source_re, target_eq, target_re;
  std::optional<YAML::Node> source_match, target_match;
  PW_RETURN_IF_ERROR(
      ForEachField(n, "config.plain",
                   {"source_match", "source_match_re", "source_matchers", "target_match",
                    "target_match_re", "target_matchers", "equal"},
                   [&](const YAML::Node&, const std::string& key, const YAML::Node& v) -> Status {
                     if (key == "source_match" || key == "target_match") {
                       std::vector<std::pair<std::string, std::string>> pairs;
                       PW_RETURN_IF_ERROR(ReadStringMap(v, "map[string]string", &pairs));
                       (key == "source_match" ? source_match : target_match) = v;
                       return Status::Ok();
                     }
                     if (key == "source_match_re") return ReadMatchReMap(v, &source_re);
                     if (key == "target_match_re") return ReadMatchReMap(v, &target_re);
                     if (key == "source_matchers") return ReadMatcherList(v, &out->source_matchers);
                     if (key == "target_matchers") return ReadMatcherList(v, &out->target_matchers);
                     std::vector<std::string> names;
                     PW_RETURN_IF_ERROR(ReadStringList(v, "model.LabelNames", &names));
                     size_t i = 0;
                     for (const auto& item : v) {
                       if (!IsValidLabelName(names[i])) {
                         return ErrAt(item, GoQuote(names[i]) + " is not a valid label name");
                       }
                       ++i;
                     }
                     out->equal = std::move(names);
                     return Status::Ok();
                   }));
  if (source_match) PW_RETURN_IF_ERROR(ReadMatchMap(*source_match, &source_eq));
  if (target_match) PW_RETURN_IF_ERROR(ReadMatchMap(*target_match, &target_eq));
  // inhibit.NewInhibitRule: legacy equality, legacy regex, then the matchers lists.
  const auto merge = [](Matchers eq, Matchers re, Matchers& list) {
    SortByName(eq);
    SortByName(re);
    Matchers all;
    for (auto& m : eq) all.push_back(std::move(m));
    for (auto& m : re) all.push_back(std::move(m));
    for (auto& m : list) all.push_back(std::move(m));
    list = std::move(all);
  };
  merge(std::move(source_eq), std::move(source_re), out->source_matchers);
  merge(std::move(target_eq), std::move(target_re), out->target_matchers);
  return Status::Ok();
}

// ------------------------------------------------------------------ the whole file

Result<AlertmanagerConfig> ParseConfigNode(const YAML::Node& root, std::string_view base_dir) {
  if (!root || root.IsNull()) return InvalidArgument("no route provided in config");
  ParseContext ctx;
  ctx.base_dir = std::string(base_dir);
  GlobalConfig global;
  std::optional<RawRoute> route;
  std::vector<RawReceiver> receivers;
  AlertmanagerConfig config;
  PW_RETURN_IF_ERROR(
      ForEachField(root, "config.plain",
                   {"global", "route", "inhibit_rules", "receivers", "templates",
                    "mute_time_intervals", "time_intervals"},
                   [&](const YAML::Node& k, const std::string& key, const YAML::Node& v) -> Status {
                     if (key == "global") return ParseGlobal(v, ctx.base_dir, &global);
                     if (key == "route") {
                       if (v.IsNull()) return Status::Ok();
                       RawRoute r;
                       PW_RETURN_IF_ERROR(ParseRoute(v, 0, ctx, &r));
                       route = std::move(r);
                       return Status::Ok();
                     }
                     if (key == "receivers") {
                       if (v.IsNull()) return Status::Ok();
                       if (!v.IsSequence()) return TypeErr(v, "[]*config.Receiver");
                       for (const auto& item : v) {
                         RawReceiver r;
                         PW_RETURN_IF_ERROR(ParseReceiver(item, ctx, &r));
                         receivers.push_back(std::move(r));
                       }
                       return Status::Ok();
                     }
                     if (key == "inhibit_rules") {
                       if (v.IsNull()) return Status::Ok();
                       if (!v.IsSequence()) return TypeErr(v, "[]*config.InhibitRule");
                       for (const auto& item : v) {
                         InhibitRule rule;
                         PW_RETURN_IF_ERROR(ParseInhibitRule(item, &rule));
                         config.inhibit_rules.push_back(std::move(rule));
                       }
                       return Status::Ok();
                     }
                     if (key == "templates")
                       return ReadStringList(v, "[]string", &config.templates);
                     // time_intervals, mute_time_intervals.
                     if (v.IsNull() || (v.IsSequence() && v.size() == 0)) return Status::Ok();
                     if (!v.IsSequence()) return TypeErr(v, "[]config.TimeInterval");
                     return ErrAt(k, key + " are not supported yet");
                   }));

  // Config.UnmarshalYAML's whole-file checks, in its order.
  std::set<std::string> names;
  for (auto& r : receivers) {
    if (!names.insert(r.receiver.name).second) {
      return ErrAt(r.mark,
                   "notification config name " + GoQuote(r.receiver.name) + " is not unique");
    }
    for (size_t i = 0; i < r.receiver.webhook_configs.size(); ++i) {
      if (!r.webhook_has_http_config[i]) {
        r.receiver.webhook_configs[i].http_config = global.http_config;
      }
    }
  }
  if (!route) return InvalidArgument("no routes provided");
  if (route->receiver.empty()) {
    return ErrAt(route->mark, "root route must specify a default receiver");
  }
  if (!route->matchers.empty()) return ErrAt(route->mark, "root route must not have any matchers");
  if (route->has_mute_time_intervals) {
    return ErrAt(route->mark, "root route must not have any mute time intervals");
  }
  if (route->has_active_time_intervals) {
    return ErrAt(route->mark, "root route must not have any active time intervals");
  }
  PW_RETURN_IF_ERROR(CheckReceivers(*route, names));
  // config.Load.
  if (route->continue_matching) {
    return ErrAt(route->mark, "cannot have continue in root route");
  }

  config.resolve_timeout_ms = global.resolve_timeout_ms;
  config.global_http_config = global.http_config;
  config.route = BuildRoute(*route, nullptr, 0);
  config.receivers.reserve(receivers.size());
  for (auto& r : receivers) config.receivers.push_back(std::move(r.receiver));
  return config;
}

}  // namespace

Result<AlertmanagerConfig> ParseAlertmanagerConfig(const YAML::Node& node,
                                                   std::string_view base_dir) {
  try {
    return ParseConfigNode(node, base_dir);
  } catch (const YAML::Exception& e) {
    return InvalidArgument("invalid YAML: " + std::string(e.what()));
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("alerting configuration: ") + e.what());
  } catch (...) {
    return InvalidArgument("alerting configuration: unknown error");
  }
}

Result<AlertmanagerConfig> ParseAlertmanagerYaml(std::string_view yaml_text,
                                                 std::string_view base_dir) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    std::string msg = e.msg;
    if (e.mark.line >= 0) {
      return InvalidArgument("line " + std::to_string(e.mark.line + 1) + ": invalid YAML: " + msg);
    }
    return InvalidArgument("invalid YAML: " + msg);
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("invalid YAML: ") + e.what());
  } catch (...) {
    return InvalidArgument("invalid YAML");
  }
  return ParseAlertmanagerConfig(root, base_dir);
}

}  // namespace perfwatch::alert
