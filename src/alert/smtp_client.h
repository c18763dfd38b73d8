#pragma once
// A small blocking SMTP client for email notifications (Alertmanager 0.25's
// notify/email/email.go with Go's net/smtp): one message per connection. Connects to
// host:port (every resolved address in turn; port 465 means implicit TLS), reads
// multi-line replies, EHLO (`hello`, default "localhost"), STARTTLS whenever the server
// offers it (with require_tls, a server that does not offer it fails, retryably; without,
// a failed STARTTLS is followed by a second session in plain text), AUTH when auth_username is set and the server advertises AUTH (the first of the
// server's mechanisms among CRAM-MD5, PLAIN, LOGIN that the config can serve), MAIL FROM,
// RCPT TO for each recipient, DATA (CRLF line endings, dot-stuffed), QUIT.
// PLAIN and LOGIN are refused over a connection that is not TLS unless the server is on
// loopback (Go's smtp.PlainAuth rule; perfwatch applies it to LOGIN too).
// One deadline bounds the whole exchange; a cancel flag is polled every 50 ms.
// Outcome: 2xx/3xx as expected -> sent; a 4xx reply, a connection / TLS / timeout error
// -> retryable; a 5xx reply or a local refusal (auth over plaintext, no usable mechanism)
// -> permanent. Errors never contain the password.
// Thread safety: SmtpSend is reentrant; each call uses its own socket.
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace perfwatch::alert {

struct SmtpOptions {
  std::string host;  // without brackets for IPv6
  std::string port = "25";
  bool implicit_tls = false;  // TLS from the first byte (SendEmail: port 465)
  std::string hello;  // EHLO name; "" = "localhost"
  bool require_tls = true;
  // TLS (STARTTLS or implicit on port 465): verification against ca_file (the system's
  // store when empty) and server_name (default: host), unless insecure_skip_verify.
  std::string tls_ca_file, tls_server_name;
  bool tls_insecure_skip_verify = false;
  std::string auth_username, auth_password, auth_identity, auth_secret;
  int64_t timeout_ms = 30'000;
  const std::atomic<bool>* cancel = nullptr;
};

struct SmtpResult {
  bool sent = false;
  bool retryable = false;  // when !sent
  int code = 0;            // the last SMTP reply code that failed, 0 when none
  std::string error;       // "" when sent
};

// Sends `message` (header and body; LF or CRLF line ends) from `from` to `to`.
SmtpResult SmtpSend(const SmtpOptions& options, std::string_view from,
                    const std::vector<std::string>& to, std::string_view message);

// The DATA payload of `message`: every line end made CRLF, lines starting with "." get
// another ".", and the terminating "\r\n.\r\n".
std::string SmtpDataPayload(std::string_view message);

// Splits "host:port" / "[v6]:port".
Status SplitHostPort(std::string_view hostport, std::string* host, std::string* port);

// mail.ParseAddressList, simplified: comma-separated addresses, each "addr@host",
// "<addr@host>" or "Display Name <addr@host>" (quoted names may contain commas). Returns
// the bare addresses. Errors: an empty list, an element without '@'.
Result<std::vector<std::string>> ParseAddressList(std::string_view list);

// Quoted-printable (RFC 2045) of `s`, CRLF line ends, soft breaks at 76 columns.
std::string QuotedPrintable(std::string_view s);
// mime.QEncoding.Encode("utf-8", s): `s` itself when it is printable ASCII, else
// RFC 2047 encoded-words.
std::string MimeQEncodeHeader(std::string_view s);

}  // namespace perfwatch::alert
