// SMTP client: a non-blocking socket driven with poll up to one deadline (the pattern of
// http_post.cc), OpenSSL on the same socket after STARTTLS or from the start on port 465.
#include "alert/smtp_client.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <memory>

#include "alert/client_conn.h"
#include "common/base64.h"
#include "http/tls_context.h"

namespace perfwatch::alert {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr size_t kMaxReply = 64 * 1024;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

struct Reply {
  int code = 0;
  std::vector<std::string> lines;  // the text after "NNN-" / "NNN "
  std::string Text() const {
    std::string t;
    for (size_t i = 0; i < lines.size(); ++i) t += (i ? " " : "") + lines[i];
    return t;
  }
};

// One SMTP session's connection and the failure it ended with.
class Session {
 public:
  Session(const SmtpOptions& o, SteadyClock::time_point deadline) : o_(o), conn_(deadline, o.cancel) {}

  SmtpResult result;
  bool tls() const { return conn_.tls(); }

  // Failures: set `result` and return false.
  bool Fail(std::string error, bool retryable, int code = 0) {
    result.sent = false;
    result.retryable = retryable;
    result.code = code;
    result.error = std::move(error);
    return false;
  }

  bool Connect() {
    std::string why = conn_.Connect(o_.host, o_.port);
    if (why.empty()) return true;
    if (why.rfind("resolve ", 0) == 0) return Fail(why, true);
    return Fail("establish connection to server " + HostPort() + ": " + why, true);
  }

  bool StartTls() {
    http::ClientTlsOptions to;
    to.ca_file = o_.tls_ca_file;
    to.insecure_skip_verify = o_.tls_insecure_skip_verify;
    to.where = "email_configs tls_config";
    auto ctx = http::MakeClientTlsContext(to);
    if (!ctx.ok()) return Fail("parse TLS configuration: " + ctx.status().message(), false);
    ctx_ = *ctx;
    const std::string name = o_.tls_server_name.empty() ? o_.host : o_.tls_server_name;
    std::string why = conn_.Handshake(*ctx_, name);
    if (why.empty()) return true;
    return Fail("TLS handshake with " + HostPort() + ": " + why, true);
  }

  bool Write(std::string_view data) {
    std::string why = conn_.WriteAll(data);
    if (why.empty()) return true;
    return Fail(why == "timeout writing" ? "timeout writing to the server" : why, true);
  }

  // Reads one (multi-line) reply.
  bool Read(Reply* r, const char* what) {
    r->code = 0;
    r->lines.clear();
    for (;;) {
      size_t eol;
      while ((eol = buf_.find('\n')) != std::string::npos) {
        std::string line = buf_.substr(0, eol);
        buf_.erase(0, eol + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.size() < 3 || !std::isdigit(static_cast<unsigned char>(line[0])) ||
            !std::isdigit(static_cast<unsigned char>(line[1])) ||
            !std::isdigit(static_cast<unsigned char>(line[2])) ||
            (line.size() > 3 && line[3] != ' ' && line[3] != '-')) {
          return Fail(std::string(what) + ": malformed reply " + line.substr(0, 80), true);
        }
        const int code = std::stoi(line.substr(0, 3));
        if (r->code != 0 && code != r->code) {
          return Fail(std::string(what) + ": inconsistent multi-line reply", true);
        }
        r->code = code;
        r->lines.push_back(line.size() > 4 ? line.substr(4) : "");
        if (line.size() == 3 || line[3] == ' ') return true;
      }
      if (buf_.size() > kMaxReply) return Fail(std::string(what) + ": reply too long", true);
      char tmp[4096];
      std::string why;
      const ssize_t n = conn_.ReadSome(tmp, sizeof tmp, &why);
      if (n > 0) {
        buf_.append(tmp, static_cast<size_t>(n));
        continue;
      }
      if (n == 0) return Fail(std::string(what) + ": connection closed by the server", true);
      return Fail(std::string(what) + ": " + (why == "timeout reading" ? "timeout waiting for the server" : why), true);
    }
  }

  // Sends `line` (without CRLF; `shown` replaces it in errors when secret) and expects a
  // reply with code `want` (or 2xx/3xx class when want < 10: 2 or 3).
  bool Cmd(const std::string& line, int want, const char* what, Reply* r) {
    if (!Write(line + "\r\n")) return false;
    return Expect(want, what, r);
  }
  bool Expect(int want, const char* what, Reply* r) {
    if (!Read(r, what)) return false;
    const bool ok = want < 10 ? r->code / 100 == want : r->code == want;
    if (ok) return true;
    // 4xx: transient; 5xx: permanent; anything else unexpected: transient.
    return Fail(std::string(what) + ": " + std::to_string(r->code) + " " + r->Text(),
                r->code / 100 != 5, r->code);
  }

  std::string HostPort() const {
    return (o_.host.find(':') != std::string::npos ? "[" + o_.host + "]" : o_.host) + ":" +
           o_.port;
  }

 private:
  const SmtpOptions& o_;
  ClientConn conn_;
  std::shared_ptr<http::TlsContext> ctx_;
  std::string buf_;
};

// EHLO's extensions: upper-case keyword -> parameters.
std::vector<std::pair<std::string, std::string>> Extensions(const Reply& r) {
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 1; i < r.lines.size(); ++i) {
    const std::string& l = r.lines[i];
    const size_t sp = l.find(' ');
    out.emplace_back(Upper(l.substr(0, sp)), sp == std::string::npos ? "" : l.substr(sp + 1));
  }
  return out;
}

const std::string* FindExt(const std::vector<std::pair<std::string, std::string>>& exts,
                           std::string_view name) {
  for (const auto& [k, v] : exts) {
    if (k == name) return &v;
  }
  return nullptr;
}

bool IsLoopbackName(const std::string& host) {
  return host == "localhost" || host == "127.0.0.1" || host == "::1";
}

std::string HexHmacMd5(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_md5(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    hex += kHex[out[i] >> 4];
    hex += kHex[out[i] & 15];
  }
  return hex;
}

bool Authenticate(Session& s, const SmtpOptions& o, const std::string& mechs) {
  std::vector<std::string> errors;
  Reply r;
  size_t pos = 0;
  const std::string list = Upper(mechs);
  while (pos <= list.size()) {
    size_t end = list.find(' ', pos);
    if (end == std::string::npos) end = list.size();
    const std::string mech = list.substr(pos, end - pos);
    pos = end + 1;
    if (mech == "CRAM-MD5") {
      if (o.auth_secret.empty()) {
        errors.push_back("missing secret for CRAM-MD5 auth mechanism");
        continue;
      }
      if (!s.Cmd("AUTH CRAM-MD5", 334, "AUTH CRAM-MD5", &r)) return false;
      const std::string challenge = Base64Decode(r.Text()).value_or("");
      return s.Cmd(Base64Encode(o.auth_username + " " + HexHmacMd5(o.auth_secret, challenge)), 235,
                   "AUTH CRAM-MD5", &r);
    }
    if (mech == "PLAIN" || mech == "LOGIN") {
      if (o.auth_password.empty()) {
        errors.push_back("missing password for " + mech + " auth mechanism");
        continue;
      }
      if (!s.tls() && !IsLoopbackName(o.host)) {
        return s.Fail("AUTH " + mech + ": refusing to send the password over an unencrypted "
                      "connection (set require_tls or use port 465)",
                      false);
      }
      if (mech == "PLAIN") {
        return s.Cmd("AUTH PLAIN " +
                         Base64Encode(o.auth_identity + '\0' + o.auth_username + '\0' + o.auth_password),
                     235, "AUTH PLAIN", &r);
      }
      if (!s.Cmd("AUTH LOGIN", 334, "AUTH LOGIN", &r)) return false;
      for (int step = 0; step < 2; ++step) {
        const std::string challenge = Lower(Base64Decode(r.Text()).value_or(""));
        std::string answer;
        if (challenge == "username:") {
          answer = o.auth_username;
        } else if (challenge == "password:") {
          answer = o.auth_password;
        } else {
          s.Cmd("*", 5, "AUTH LOGIN", &r);  // cancel the exchange
          return s.Fail("AUTH LOGIN: unexpected server challenge", false);
        }
        if (!s.Cmd(Base64Encode(answer), step == 0 ? 334 : 235, "AUTH LOGIN", &r)) return false;
      }
      return true;
    }
  }
  std::string msg = "find auth mechanism: ";
  if (errors.empty()) {
    msg += "unknown auth mechanism: " + mechs;
  } else {
    for (size_t i = 0; i < errors.size(); ++i) msg += (i ? "; " : "") + errors[i];
  }
  return s.Fail(msg, false);
}

}  // namespace

Status SplitHostPort(std::string_view hp, std::string* host, std::string* port) {
  if (hp.starts_with('[')) {
    const size_t close = hp.find(']');
    if (close == std::string_view::npos || close + 1 >= hp.size() || hp[close + 1] != ':') {
      return InvalidArgument("address " + std::string(hp) + ": missing port in address");
    }
    *host = std::string(hp.substr(1, close - 1));
    *port = std::string(hp.substr(close + 2));
    return Status::Ok();
  }
  const size_t colon = hp.rfind(':');
  if (colon == std::string_view::npos) {
    return InvalidArgument("address " + std::string(hp) + ": missing port in address");
  }
  *host = std::string(hp.substr(0, colon));
  *port = std::string(hp.substr(colon + 1));
  return Status::Ok();
}


std::string SmtpDataPayload(std::string_view m) {
  std::string out;
  out.reserve(m.size() + m.size() / 32 + 8);
  bool line_start = true;
  for (size_t i = 0; i < m.size(); ++i) {
    const char c = m[i];
    if (line_start && c == '.') out.push_back('.');
    line_start = false;
    if (c == '\r' && i + 1 < m.size() && m[i + 1] == '\n') continue;  // the LF adds CRLF
    if (c == '\n' || c == '\r') {
      out += "\r\n";
      line_start = true;
      continue;
    }
    out.push_back(c);
  }
  if (!line_start) out += "\r\n";
  out += ".\r\n";
  return out;
}

Result<std::vector<std::string>> ParseAddressList(std::string_view list) {
  std::vector<std::string> out;
  std::vector<std::string> parts;
  std::string cur;
  bool quoted = false;
  int angle = 0;
  for (size_t i = 0; i < list.size(); ++i) {
    const char c = list[i];
    if (c == '\\' && quoted && i + 1 < list.size()) {
      cur += c;
      cur += list[++i];
      continue;
    }
    if (c == '"') quoted = !quoted;
    if (!quoted && c == '<') ++angle;
    if (!quoted && c == '>') --angle;
    if (c == ',' && !quoted && angle == 0) {
      parts.push_back(cur);
      cur.clear();
      continue;
    }
    cur += c;
  }
  parts.push_back(cur);
  auto trim = [](std::string s) {
    const size_t b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return std::string();
    return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
  };
  for (std::string p : parts) {
    p = trim(p);
    if (p.empty()) return InvalidArgument("mail: no address");
    std::string addr = p;
    if (p.back() == '>') {
      const size_t lt = p.rfind('<');
      if (lt == std::string::npos) return InvalidArgument("mail: missing '<' in " + p);
      addr = trim(p.substr(lt + 1, p.size() - lt - 2));
    }
    const size_t at = addr.rfind('@');
    if (at == std::string::npos || at == 0 || at + 1 == addr.size() ||
        addr.find_first_of(" \t<>\r\n,") != std::string::npos) {
      return InvalidArgument("mail: invalid address " + addr);
    }
    out.push_back(addr);
  }
  return out;
}

std::string QuotedPrintable(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  size_t col = 0;
  auto emit = [&](const std::string& tok) {
    if (col + tok.size() > 75) {
      out += "=\r\n";
      col = 0;
    }
    out += tok;
    col += tok.size();
  };
  // Whitespace ending a line must be encoded.
  auto encode_trailing_ws = [&] {
    if (col > 0 && (out.back() == ' ' || out.back() == '\t')) {
      const char ws = out.back();
      out.pop_back();
      --col;
      emit(std::string("=") + kHex[uint8_t(ws) >> 4] + kHex[uint8_t(ws) & 15]);
    }
  };
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n') continue;
    if (c == '\n' || c == '\r') {
      encode_trailing_ws();
      out += "\r\n";
      col = 0;
      continue;
    }
    if ((c >= 33 && c <= 126 && c != '=') || c == ' ' || c == '\t') {
      // A "." at the start of a line is left to SMTP's dot-stuffing.
      emit(std::string(1, static_cast<char>(c)));
    } else {
      emit(std::string("=") + kHex[c >> 4] + kHex[c & 15]);
    }
  }
  encode_trailing_ws();
  return out;
}

std::string MimeQEncodeHeader(std::string_view s) {
  bool plain = true;
  for (unsigned char c : s) {
    if (c < 32 || c > 126) plain = false;
  }
  if (plain && s.find("=?") == std::string_view::npos) return std::string(s);
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out, word;
  auto flush = [&] {
    if (!out.empty()) out += " ";
    out += "=?utf-8?q?" + word + "?=";
    word.clear();
  };
  for (size_t i = 0; i < s.size();) {
    // Keep UTF-8 sequences within one encoded word.
    const unsigned char lead = static_cast<unsigned char>(s[i]);
    size_t n = lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    n = std::min(n, s.size() - i);
    std::string enc;
    for (size_t j = 0; j < n; ++j) {
      const unsigned char c = static_cast<unsigned char>(s[i + j]);
      if (c == ' ') {
        enc += '_';
      } else if (c >= 33 && c <= 126 && c != '=' && c != '?' && c != '_') {
        enc += static_cast<char>(c);
      } else {
        enc += std::string("=") + kHex[c >> 4] + kHex[c & 15];
      }
    }
    if (word.size() + enc.size() > 75 - 12) flush();
    word += enc;
    i += n;
  }
  flush();
  return out;
}

namespace {

// One session. `opportunistic`: STARTTLS when offered although not required; a failure
// of that STARTTLS sets *starttls_failed (the caller then tries again in plain text).
SmtpResult SendOnce(const SmtpOptions& o, SteadyClock::time_point deadline,
                    std::string_view from, const std::vector<std::string>& to,
                    std::string_view message, bool opportunistic, bool* starttls_failed) {
  Session s(o, deadline);
  Reply r;
  if (!s.Connect()) return s.result;
  if (o.implicit_tls && !s.StartTls()) return s.result;
  if (!s.Expect(220, "greeting", &r)) return s.result;
  const std::string hello = o.hello.empty() ? "localhost" : o.hello;
  std::vector<std::pair<std::string, std::string>> exts;
  auto ehlo = [&]() -> bool {
    if (!s.Write("EHLO " + hello + "\r\n")) return false;
    if (!s.Read(&r, "EHLO")) return false;
    if (r.code == 250) {
      exts = Extensions(r);
      return true;
    }
    if (r.code / 100 != 5) {
      return s.Fail("EHLO: " + std::to_string(r.code) + " " + r.Text(), true, r.code);
    }
    exts.clear();  // no ESMTP: HELO, as Go's net/smtp does
    return s.Cmd("HELO " + hello, 250, "HELO", &r);
  };
  if (!ehlo()) return s.result;
  const bool offered = FindExt(exts, "STARTTLS") != nullptr;
  if (o.require_tls && !s.tls() && !offered) {
    s.Fail("'require_tls' is true (default) but \"" + s.HostPort() +
               "\" does not advertise the STARTTLS extension",
           true);
    return s.result;
  }
  if (!s.tls() && offered && (o.require_tls || opportunistic)) {
    if (!s.Cmd("STARTTLS", 220, "STARTTLS", &r) || !s.StartTls()) {
      if (!o.require_tls) *starttls_failed = true;
      return s.result;
    }
    if (!ehlo()) return s.result;
  }
  if (!o.auth_username.empty()) {
    if (const std::string* mechs = FindExt(exts, "AUTH"); mechs != nullptr) {
      if (!Authenticate(s, o, *mechs)) return s.result;
    }
  }
  if (!s.Cmd("MAIL FROM:<" + std::string(from) + ">", 250, "MAIL FROM", &r)) return s.result;
  for (const std::string& rcpt : to) {
    if (!s.Cmd("RCPT TO:<" + rcpt + ">", 2, "RCPT TO", &r)) return s.result;
  }
  if (!s.Cmd("DATA", 354, "DATA", &r)) return s.result;
  if (!s.Write(SmtpDataPayload(message))) return s.result;
  if (!s.Expect(250, "end of DATA", &r)) return s.result;
  // The message is accepted: QUIT's outcome does not matter.
  if (s.Write("QUIT\r\n")) s.Read(&r, "QUIT");
  SmtpResult ok;
  ok.sent = true;
  return ok;
}

}  // namespace

SmtpResult SmtpSend(const SmtpOptions& o, std::string_view from,
                    const std::vector<std::string>& to, std::string_view message) {
  const auto deadline =
      SteadyClock::now() + std::chrono::milliseconds(std::max<int64_t>(o.timeout_ms, 1));
  bool starttls_failed = false;
  SmtpResult r = SendOnce(o, deadline, from, to, message, true, &starttls_failed);
  if (!r.sent && starttls_failed) {
    // require_tls is false: plain text is acceptable, as Alertmanager would send.
    r = SendOnce(o, deadline, from, to, message, false, &starttls_failed);
  }
  return r;
}

}  // namespace perfwatch::alert
