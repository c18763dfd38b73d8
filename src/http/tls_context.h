#pragma once
// OpenSSL contexts for perfwatch's TLS: the server's (http.tls, docs/tls.md) and the
// client's used to scrape HTTPS targets (scrape_configs[].tls_config, docs/scraping.md).
//
// MakeServerTlsContext reads the certificate chain, the private key and the optional
// client CA (mTLS: verify_peer | verify_fail_if_no_peer_cert), checks that the key
// matches the certificate and sets the minimum protocol version. Every failure is one line
// naming the key and the file, e.g. "http.tls.key_file /etc/pw/key.pem does not match the
// certificate in http.tls.cert_file /etc/pw/cert.pem".
// MakeClientTlsContext verifies peers against ca_file (the system store when empty) unless
// insecure_skip_verify; ConfigureClientTls sets SNI and the host or IP the peer's
// certificate must name on one connection. DescribeTlsError turns a handshake failure into
// a readable reason, with the certificate verification result when there is one.
//
// Thread safety: the functions are thread-safe; a built context may be shared by
// connections on any thread (OpenSSL reference-counts it) but must not be modified.
#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>
#include <memory>
#include <string>

#include "common/config.h"
#include "common/status.h"

namespace perfwatch::http {

using TlsContext = boost::asio::ssl::context;

Result<std::shared_ptr<TlsContext>> MakeServerTlsContext(const TlsServerConfig& config);

// `subject="/CN=..." serial=... not_after="..."` of the context's own certificate, for logs.
std::string DescribeCertificate(TlsContext& context);

struct ClientTlsOptions {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool insecure_skip_verify = false;
  std::string where = "tls_config";  // prefixes error messages
};
Result<std::shared_ptr<TlsContext>> MakeClientTlsContext(const ClientTlsOptions& options);

// On one client connection: SNI (not for IP literals) and, when the context verifies
// peers, the DNS name or IP address the certificate must carry.
Status ConfigureClientTls(SSL* ssl, const std::string& host);

// "certificate verify failed: unable to get local issuer certificate" when the peer's
// certificate was refused, else OpenSSL's reason, e.g. "wrong version number (SSL routines)".
std::string DescribeTlsError(const boost::system::error_code& ec, SSL* ssl);

}  // namespace perfwatch::http
