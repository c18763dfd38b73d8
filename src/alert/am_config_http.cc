// The HTTP side of an Alertmanager configuration: prometheus/common's HTTPClientConfig
// (basic_auth, authorization, bearer tokens, tls_config) with its Validate() checks and
// credential files, the URL and host:port checks of Go's net/url and net, and the
// guarded read of files the configuration names.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "alert/am_config_internal.h"
#include "alert/am_format.h"
#include "alert/http_post.h"

namespace perfwatch::alert::amconfig {
namespace {

constexpr size_t kMaxFileBytes = 1 << 20;

std::string_view TrimAsciiSpace(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

Status ParseTlsConfig(const YAML::Node& n, std::string_view base_dir, HttpClientConfig* out) {
  if (n.IsNull()) return Status::Ok();
  out->has_tls_config = true;
  const auto path = [&](const std::string& s) {
    std::filesystem::path p(s);
    if (!s.empty() && p.is_relative() && !base_dir.empty()) p = std::filesystem::path(base_dir) / p;
    return s.empty() ? s : p.string();
  };
  return ForEachField(
      n, "config.plain",
      {"ca_file", "cert_file", "key_file", "server_name", "insecure_skip_verify", "min_version",
       "max_version"},
      [&](const YAML::Node& k, const std::string& key, const YAML::Node& v) -> Status {
        if (key == "insecure_skip_verify") return ReadBool(v, &out->tls_insecure_skip_verify);
        std::string s;
        PW_RETURN_IF_ERROR(ReadString(v, &s));
        if (key == "min_version" || key == "max_version") {
          if (!v.IsNull() && s != "TLS10" && s != "TLS11" && s != "TLS12" && s != "TLS13") {
            return ErrAt(v, "unknown TLS version: " + s);
          }
          return Status::Ok();  // accepted; perfwatch always negotiates TLS 1.2 or 1.3
        }
        if (key == "server_name") {
          out->tls_server_name = s;
        } else if (key == "ca_file") {
          out->tls_ca_file = path(s);
        } else if (key == "cert_file") {
          out->tls_cert_file = path(s);
        } else if (key == "key_file") {
          out->tls_key_file = path(s);
        }
        (void)k;
        return Status::Ok();
      });
}

}  // namespace

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
  // The port is not quoted (Go quotes it): in "https://user:password/hook", a URL missing
  // its "@host", the "port" is the password, and errors never show secrets.
  for (char c : port) {
    if (c < '0' || c > '9') return InvalidArgument("invalid port after host");
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
        if (key == "tls_config") return ParseTlsConfig(v, base_dir, out);
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
  if (!out->tls_cert_file.empty() && out->tls_key_file.empty()) {
    return err("client cert file \"" + out->tls_cert_file + "\" specified without client key file");
  }
  if (!out->tls_key_file.empty() && out->tls_cert_file.empty()) {
    return err("client key file \"" + out->tls_key_file + "\" specified without client cert file");
  }
  if (!out->tls_ca_file.empty() || !out->tls_cert_file.empty()) {
    // Load the files now, so a wrong path or a key that does not match fails the config.
    auto ctx = ClientTlsContextFor(*out);
    if (!ctx.ok()) return ErrAt(n, "http_config: " + ctx.status().message());
  }

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

}  // namespace perfwatch::alert::amconfig
