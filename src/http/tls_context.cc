#include "http/tls_context.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/address.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "common/log.h"

namespace perfwatch::http {
namespace {

namespace ssl = boost::asio::ssl;
using boost::system::error_code;

// "cannot read: No such file or directory" when `path` cannot be opened, else OK.
Status CheckReadable(const std::string& what, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument(what + " " + path + ": cannot read: " + std::strerror(errno));
  return Status::Ok();
}

// The message of an OpenSSL error code, on one line.
std::string OpenSslMessage(const error_code& ec) {
  std::string m = ec.message();
  for (char& c : m) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return m;
}

std::string LastOpenSslError() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

Status LoadCertAndKey(TlsContext& ctx, const std::string& where, const std::string& cert_file,
                      const std::string& key_file) {
  PW_RETURN_IF_ERROR(CheckReadable(where + ".cert_file", cert_file));
  PW_RETURN_IF_ERROR(CheckReadable(where + ".key_file", key_file));
  error_code ec;
  ctx.use_certificate_chain_file(cert_file, ec);
  if (ec) {
    return InvalidArgument(where + ".cert_file " + cert_file +
                           ": not a PEM certificate: " + OpenSslMessage(ec));
  }
  ctx.use_private_key_file(key_file, ssl::context::pem, ec);
  const auto code = static_cast<unsigned long>(ec.value());
  const bool mismatch = ec && ERR_GET_LIB(code) == ERR_LIB_X509 && ERR_GET_REASON(code) == X509_R_KEY_VALUES_MISMATCH;
  if (ec && !mismatch) {
    ERR_clear_error();
    return InvalidArgument(where + ".key_file " + key_file + ": not an unencrypted PEM private key: " +
                           OpenSslMessage(ec));
  }
  if (mismatch || SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
    ERR_clear_error();
    return InvalidArgument(where + ".key_file " + key_file + " does not match the certificate in " +
                           where + ".cert_file " + cert_file);
  }
  return Status::Ok();
}

}  // namespace

Result<std::shared_ptr<TlsContext>> MakeServerTlsContext(const TlsServerConfig& config) {
  const std::string where = "http.tls";
  if (config.cert_file.empty() || config.key_file.empty()) {
    return InvalidArgument("http.tls needs both cert_file and key_file");
  }
  int min_version = 0;
  if (config.min_version == "TLS12") {
    min_version = TLS1_2_VERSION;
  } else if (config.min_version == "TLS13") {
    min_version = TLS1_3_VERSION;
  } else {
    return InvalidArgument("http.tls.min_version must be TLS12 or TLS13, not \"" + config.min_version + "\"");
  }
  auto ctx = std::make_shared<TlsContext>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::single_dh_use);
  SSL_CTX* native = ctx->native_handle();
  if (SSL_CTX_set_min_proto_version(native, min_version) != 1) {
    return Internal("http.tls: cannot set the minimum TLS version: " + LastOpenSslError());
  }
  PW_RETURN_IF_ERROR(LoadCertAndKey(*ctx, where, config.cert_file, config.key_file));
  if (!config.client_ca_file.empty()) {
    const std::string& ca = config.client_ca_file;
    PW_RETURN_IF_ERROR(CheckReadable(where + ".client_ca_file", ca));
    error_code ec;
    ctx->load_verify_file(ca, ec);
    if (ec) {
      return InvalidArgument(where + ".client_ca_file " + ca + ": not a PEM certificate: " + OpenSslMessage(ec));
    }
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(ca.c_str());
    if (names == nullptr) {
      ERR_clear_error();
      return InvalidArgument(where + ".client_ca_file " + ca + ": no certificate in it");
    }
    SSL_CTX_set_client_CA_list(native, names);  // takes ownership
    ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }
  // Needed for session resumption when client certificates are verified; harmless otherwise.
  static const unsigned char kSessionContext[] = "perfwatch";
  SSL_CTX_set_session_id_context(native, kSessionContext, sizeof(kSessionContext) - 1);
  return ctx;
}

std::string DescribeCertificate(TlsContext& context) {
  X509* cert = SSL_CTX_get0_certificate(context.native_handle());
  if (cert == nullptr) return "no certificate";
  char name[512];
  X509_NAME_oneline(X509_get_subject_name(cert), name, sizeof(name));
  std::string out = "subject=" + LogQuote(name);
  if (BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get_serialNumber(cert), nullptr)) {
    if (char* hex = BN_bn2hex(bn)) {
      out += " serial=";
      out += hex;
      OPENSSL_free(hex);
    }
    BN_free(bn);
  }
  if (BIO* bio = BIO_new(BIO_s_mem())) {
    if (ASN1_TIME_print(bio, X509_get0_notAfter(cert)) == 1) {
      char* data = nullptr;
      long n = BIO_get_mem_data(bio, &data);
      out += " not_after=" + LogQuote(std::string_view(data, static_cast<size_t>(n)));
    }
    BIO_free(bio);
  }
  return out;
}

Result<std::shared_ptr<TlsContext>> MakeClientTlsContext(const ClientTlsOptions& options) {
  const std::string& where = options.where;
  auto ctx = std::make_shared<TlsContext>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  error_code ec;
  if (options.insecure_skip_verify) {
    ctx->set_verify_mode(ssl::verify_none);
  } else {
    ctx->set_verify_mode(ssl::verify_peer);
  }
  if (!options.ca_file.empty()) {
    PW_RETURN_IF_ERROR(CheckReadable(where + ".ca_file", options.ca_file));
    ctx->load_verify_file(options.ca_file, ec);
    if (ec) {
      return InvalidArgument(where + ".ca_file " + options.ca_file + ": not a PEM certificate: " + OpenSslMessage(ec));
    }
  } else if (!options.insecure_skip_verify) {
    ctx->set_default_verify_paths(ec);
    if (ec) return Internal(where + ": cannot load the system's CA certificates: " + OpenSslMessage(ec));
  }
  if (!options.cert_file.empty() || !options.key_file.empty()) {
    if (options.cert_file.empty() || options.key_file.empty()) {
      return InvalidArgument(where + ": cert_file and key_file go together");
    }
    PW_RETURN_IF_ERROR(LoadCertAndKey(*ctx, where, options.cert_file, options.key_file));
  }
  return ctx;
}

Status ConfigureClientTls(SSL* ssl, const std::string& host) {
  error_code ec;
  boost::asio::ip::address ip = boost::asio::ip::make_address(host, ec);
  const bool is_ip = !ec;
  // RFC 6066: SNI carries host names only.
  if (!is_ip && SSL_set_tlsext_host_name(ssl, host.c_str()) != 1) {
    return InvalidArgument("cannot use \"" + host + "\" as TLS server name: " + LastOpenSslError());
  }
  if (SSL_get_verify_mode(ssl) == SSL_VERIFY_NONE) return Status::Ok();
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, ip.to_string().c_str())
                 : X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
  if (ok != 1) return InvalidArgument("cannot verify TLS server name \"" + host + "\": " + LastOpenSslError());
  return Status::Ok();
}

std::string DescribeTlsError(const error_code& ec, SSL* ssl) {
  if (ssl != nullptr) {
    long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) return std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify);
  }
  return OpenSslMessage(ec);
}

}  // namespace perfwatch::http
