#include "synthetic/http_probe.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <openssl/asn1.h>
#include <openssl/x509.h>

#include "common/base64.h"
#include "common/status.h"
#include "common/time.h"
#include "http/tls_context.h"
#include "http/url.h"
#include "synthetic/assertions.h"

namespace perfwatch::synthetic {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kUserAgent = "perfwatch-synthetic";

// An http(s) URL split for a request.
struct ProbeUrl {
  bool https = false;
  std::string host;       // without brackets
  std::string port;       // always set
  std::string authority;  // Host header: host[:port] (port only when not the default)
  std::string target;     // path and query, "/" at least
  std::string userinfo;   // "user:password" (percent-decoded) or ""

  std::string Origin() const { return std::string(https ? "https://" : "http://") + authority; }
  std::string HostPort() const {
    return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port;
  }
};

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && http::EqualsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

Result<ProbeUrl> ParseProbeUrl(std::string_view url) {
  ProbeUrl u;
  std::string_view rest;
  if (StartsWithIgnoreCase(url, "http://")) {
    rest = url.substr(7);
  } else if (StartsWithIgnoreCase(url, "https://")) {
    u.https = true;
    rest = url.substr(8);
  } else {
    return InvalidArgument("URL \"" + std::string(url.substr(0, 200)) + "\" is not http:// or https://");
  }
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view tail = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  if (size_t hash = tail.find('#'); hash != std::string_view::npos) tail = tail.substr(0, hash);
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    http::PercentDecode(authority.substr(0, at), u.userinfo);
    authority = authority.substr(at + 1);
  }
  std::string_view host = authority, port;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return InvalidArgument("URL \"" + std::string(url) + "\": unclosed [");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return InvalidArgument("URL \"" + std::string(url) + "\": bad port");
      port = after.substr(1);
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return InvalidArgument("URL \"" + std::string(url) + "\" has no host");
  u.host = std::string(host);
  if (!port.empty()) {
    int p = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || p > 65535) return InvalidArgument("URL \"" + std::string(url) + "\": bad port");
      p = p * 10 + (c - '0');
    }
    if (p < 1 || p > 65535) return InvalidArgument("URL \"" + std::string(url) + "\": bad port");
    u.port = std::to_string(p);
  }
  const std::string default_port = u.https ? "443" : "80";
  if (u.port.empty()) u.port = default_port;
  u.authority = (u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host);
  if (u.port != default_port) u.authority += ":" + u.port;
  u.target = std::string(tail);
  if (u.target.empty() || u.target[0] == '?') u.target = "/" + u.target;
  return u;
}

// RFC 3986 5.2.4.
std::string RemoveDotSegments(std::string_view path) {
  std::string out;
  while (!path.empty()) {
    if (path.substr(0, 3) == "../") {
      path.remove_prefix(3);
    } else if (path.substr(0, 2) == "./") {
      path.remove_prefix(2);
    } else if (path.substr(0, 3) == "/./") {
      path.remove_prefix(2);
    } else if (path == "/.") {
      path = "/";
    } else if (path.substr(0, 4) == "/../" || path == "/..") {
      path = path.size() == 3 ? std::string_view("/") : path.substr(3);
      size_t slash = out.rfind('/');
      out.erase(slash == std::string::npos ? 0 : slash);
    } else if (path == "." || path == "..") {
      path = {};
    } else {
      size_t next = path.find('/', 1);
      out += path.substr(0, next);
      path = next == std::string_view::npos ? std::string_view() : path.substr(next);
    }
  }
  return out;
}

// The absolute URL a Location header points to from `base`.
std::string ResolveLocation(const ProbeUrl& base, std::string_view loc) {
  size_t i = 0;
  while (i < loc.size() && (std::isalnum(static_cast<unsigned char>(loc[i])) || loc[i] == '+' || loc[i] == '-' ||
                            loc[i] == '.')) {
    ++i;
  }
  if (i > 0 && i < loc.size() && loc[i] == ':' && std::isalpha(static_cast<unsigned char>(loc[0]))) {
    return std::string(loc);  // absolute
  }
  const std::string scheme = base.https ? "https:" : "http:";
  if (loc.substr(0, 2) == "//") return scheme + std::string(loc);
  std::string_view base_path = base.target;
  base_path = base_path.substr(0, base_path.find('?'));
  if (loc.empty()) return base.Origin() + base.target;
  if (loc[0] == '?') return base.Origin() + std::string(base_path) + std::string(loc);
  if (loc[0] == '#') return base.Origin() + base.target;
  std::string_view loc_path = loc.substr(0, loc.find_first_of("?#"));
  std::string_view loc_rest = loc.substr(loc_path.size());
  std::string merged;
  if (loc[0] == '/') {
    merged = std::string(loc_path);
  } else {
    merged = std::string(base_path.substr(0, base_path.rfind('/') + 1)) + std::string(loc_path);
  }
  return base.Origin() + RemoveDotSegments(merged) + std::string(loc_rest);
}

std::string TimeoutText(int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", static_cast<double>(ms) / 1000.0);
  return buf;
}

double Since(Clock::time_point from, Clock::time_point to) { return std::chrono::duration<double>(to - from).count(); }

// The earliest notAfter (unix seconds) of the chain the peer sent; 0 when none.
double EarliestCertExpiry(SSL* ssl) {
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl);
  double earliest = 0;
  auto consider = [&](X509* cert) {
    const ASN1_TIME* t = X509_get0_notAfter(cert);
    struct tm tm {};
    if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return;
    double s = static_cast<double>(timegm(&tm));
    if (earliest == 0 || s < earliest) earliest = s;
  };
  if (chain != nullptr) {
    for (int i = 0; i < sk_X509_num(chain); ++i) consider(sk_X509_value(chain, i));
  } else if (X509* peer = SSL_get1_peer_certificate(ssl)) {
    consider(peer);
    X509_free(peer);
  }
  return earliest;
}

// The shared client contexts: verifying against the system store, and not verifying.
Result<std::shared_ptr<http::TlsContext>> ClientContext(bool verify) {
  static const Result<std::shared_ptr<http::TlsContext>> kVerify = [] {
    http::ClientTlsOptions o;
    o.where = "synthetic TLS";
    return http::MakeClientTlsContext(o);
  }();
  static const Result<std::shared_ptr<http::TlsContext>> kNoVerify = [] {
    http::ClientTlsOptions o;
    o.insecure_skip_verify = true;
    o.where = "synthetic TLS";
    return http::MakeClientTlsContext(o);
  }();
  return verify ? kVerify : kNoVerify;
}

bool IsRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

class ProbeOp : public std::enable_shared_from_this<ProbeOp> {
 public:
  ProbeOp(net::io_context& io, const HttpSpec& spec, const std::vector<Assertion>& asserts,
          std::function<void(CheckResult)> done)
      : strand_(net::make_strand(io)),
        resolver_(strand_),
        deadline_(strand_),
        spec_(spec),
        asserts_(asserts),
        done_(std::move(done)) {}

  void Start() {
    net::dispatch(strand_, [self = shared_from_this()] { self->Begin(); });
  }

 private:
  using TlsStream = net::ssl::stream<tcp::socket&>;

  void Begin() {
    run_start_ = Clock::now();
    result_.time_ms = NowMs();
    auto url = ParseProbeUrl(spec_.url);
    if (!url.ok()) return Finish(url.status().message());
    url_ = std::move(url).value();
    first_host_ = url_.host;
    method_ = spec_.method.empty() ? "GET" : spec_.method;
    body_ = spec_.body;
    headers_ = spec_.headers;
    deadline_.expires_at(run_start_ + std::chrono::milliseconds(std::max<int64_t>(spec_.timeout_ms, 1)));
    deadline_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->finished_) return;
      self->Finish("timeout after " + TimeoutText(self->spec_.timeout_ms) + "s (" + self->phase_ + ")");
    });
    StartHop();
  }

  void StartHop() {
    if (url_.https && !tls_context_) {  // before the hop's clock: loading the CA store is not DNS time
      auto ctx = ClientContext(spec_.tls_verify);
      if (!ctx.ok()) return Finish(ctx.status().message());
      tls_context_ = *ctx;
    }
    hop_ = Hop{};
    hop_.start = Clock::now();
    hop_.https = url_.https;
    parser_.emplace();
    parser_->body_limit(kMaxProbeBodyBytes);
    parser_->header_limit(64 << 10);
    const bool head = http::EqualsIgnoreCase(method_, "HEAD");
    parser_->skip(head);
    buffer_.clear();
    tls_.reset();
    socket_.reset();
    if (!BuildRequest()) return;
    phase_ = "while resolving " + url_.host;
    beast::error_code ec;
    const net::ip::address ip = net::ip::make_address(url_.host, ec);
    if (!ec) {
      // An IP literal: no lookup (and no trip through the resolver's thread), as Go's
      // dialer does; the resolve phase is then ~0 like the exporter's.
      const auto port = static_cast<unsigned short>(std::stoi(url_.port));
      return OnResolve({}, tcp::resolver::results_type::create(tcp::endpoint(ip, port), url_.host, url_.port));
    }
    resolver_.async_resolve(url_.host, url_.port,
                            [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type r) {
                              self->OnResolve(ec, std::move(r));
                            });
  }

  bool BuildRequest() {
    req_ = {};
    req_.version(11);
    bhttp::verb verb = bhttp::string_to_verb(method_);
    if (verb == bhttp::verb::unknown) {
      req_.method_string(method_);
    } else {
      req_.method(verb);
    }
    req_.target(url_.target);
    req_.set(bhttp::field::host, url_.authority);
    sni_host_ = url_.host;
    bool has_agent = false, has_auth = false;
    for (const auto& h : headers_) {
      if (http::EqualsIgnoreCase(h.first, "Host")) {
        if (url_.host != first_host_) continue;  // the configured Host belongs to the first host
        req_.set(bhttp::field::host, h.second);
        std::string_view name = h.second;
        if (!name.empty() && name[0] == '[') {
          name = name.substr(1, name.find(']') - 1);
        } else if (size_t colon = name.rfind(':'); colon != std::string_view::npos) {
          name = name.substr(0, colon);
        }
        if (!name.empty()) sni_host_ = std::string(name);
        continue;
      }
      has_agent |= http::EqualsIgnoreCase(h.first, "User-Agent");
      has_auth |= http::EqualsIgnoreCase(h.first, "Authorization");
      req_.insert(h.first, h.second);
    }
    if (!has_agent) req_.set(bhttp::field::user_agent, kUserAgent);
    if (!has_auth && !url_.userinfo.empty()) {
      req_.set(bhttp::field::authorization, "Basic " + Base64Encode(url_.userinfo));
    }
    req_.set(bhttp::field::connection, "close");
    req_.body() = body_;
    req_.prepare_payload();
    return true;
  }

  void OnResolve(beast::error_code ec, tcp::resolver::results_type results) {
    if (finished_) return;
    hop_.dns_done = Clock::now();
    if (ec) return Finish("resolve " + url_.host + ": " + ec.message());
    phase_ = "while connecting to " + url_.HostPort();
    socket_.emplace(strand_);
    net::async_connect(*socket_, results, [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
      self->OnConnect(ec);
    });
  }

  void OnConnect(beast::error_code ec) {
    if (finished_) return;
    hop_.connect_done = Clock::now();
    if (ec) return Finish("connect to " + url_.HostPort() + ": " + ec.message());
    if (!url_.https) {
      hop_.got_conn = hop_.connect_done;
      return Send();
    }
    phase_ = "during the TLS handshake";
    tls_ = std::make_unique<TlsStream>(*socket_, *tls_context_);
    Status st = http::ConfigureClientTls(tls_->native_handle(), sni_host_);
    if (!st.ok()) return Finish("TLS: " + st.message());
    hop_.tls_start = Clock::now();
    tls_->async_handshake(net::ssl::stream_base::client,
                          [self = shared_from_this()](beast::error_code ec) { self->OnHandshake(ec); });
  }

  void OnHandshake(beast::error_code ec) {
    if (finished_) return;
    hop_.tls_done = Clock::now();
    if (ec) return Finish("TLS handshake: " + http::DescribeTlsError(ec, tls_->native_handle()));
    hop_.got_conn = hop_.tls_done;
    hop_.cert_expiry = EarliestCertExpiry(tls_->native_handle());
    Send();
  }

  void Send() {
    phase_ = "while sending the request";
    auto on_write = [self = shared_from_this()](beast::error_code ec, size_t) { self->OnWrite(ec); };
    if (tls_) {
      bhttp::async_write(*tls_, req_, std::move(on_write));
    } else {
      bhttp::async_write(*socket_, req_, std::move(on_write));
    }
  }

  void OnWrite(beast::error_code ec) {
    if (finished_) return;
    if (ec) return Finish("send request: " + ec.message());
    phase_ = "while waiting for the response";
    ReadSome();
  }

  void ReadSome() {
    auto on_read = [self = shared_from_this()](beast::error_code ec, size_t n) { self->OnRead(ec, n); };
    auto buf = buffer_.prepare(64 << 10);
    if (tls_) {
      tls_->async_read_some(buf, std::move(on_read));
    } else {
      socket_->async_read_some(buf, std::move(on_read));
    }
  }

  void OnRead(beast::error_code ec, size_t n) {
    if (finished_) return;
    if (n > 0 && !hop_.first_byte) {
      hop_.first_byte = Clock::now();
      phase_ = "while reading the response headers";
    }
    buffer_.commit(n);
    if (!Parse()) return;  // finished or moved on to the next hop
    if (ec == net::error::eof || ec == net::ssl::error::stream_truncated) {
      beast::error_code pec;
      parser_->put_eof(pec);
      if (!pec && parser_->is_done()) return Complete();
      if (!parser_->is_header_done()) {
        return Finish(hop_.first_byte ? "connection closed in the middle of the response headers"
                                      : "server closed the connection without a response");
      }
      return Finish("connection closed before the end of the body");
    }
    if (ec) return Finish("read response: " + ec.message());
    ReadSome();
  }

  // Feeds the buffer to the parser; false when the run finished or a redirect started.
  bool Parse() {
    while (buffer_.size() > 0 && !parser_->is_done()) {
      beast::error_code pec;
      size_t used = parser_->put(buffer_.data(), pec);
      buffer_.consume(used);
      if (pec == bhttp::error::need_more) break;
      if (pec == bhttp::error::body_limit) {
        Finish("body larger than " + std::to_string(kMaxProbeBodyBytes >> 20) + " MiB (" +
               std::to_string(kMaxProbeBodyBytes) + " bytes)");
        return false;
      }
      if (pec) {
        Finish("invalid HTTP response: " + pec.message());
        return false;
      }
      if (parser_->is_header_done() && !header_seen_) {
        const int status = static_cast<int>(parser_->get().result_int());
        if (status >= 100 && status < 200 && status != 101) {
          // An interim response (100 Continue, 103 Early Hints): the real one follows.
          parser_.emplace();
          parser_->body_limit(kMaxProbeBodyBytes);
          parser_->header_limit(64 << 10);
          parser_->skip(http::EqualsIgnoreCase(method_, "HEAD"));
          continue;
        }
        header_seen_ = true;
        if (!OnHeader()) return false;
      }
      if (used == 0) break;
    }
    if (parser_->is_done()) {
      Complete();
      return false;
    }
    return true;
  }

  // After the final response's header: false when a redirect was started or the run ended.
  bool OnHeader() {
    auto& res = parser_->get();
    const int status = static_cast<int>(res.result_int());
    std::string_view location = res[bhttp::field::location];
    if (!IsRedirect(status) || location.empty() || !spec_.follow_redirects) {
      phase_ = "while reading the body";
      return true;
    }
    if (result_.redirects >= kMaxRedirects) {
      result_.redirects = kMaxRedirects + 1;
      hop_.end = Clock::now();
      Finish("stopped after " + std::to_string(kMaxRedirects) + " redirects");
      return false;
    }
    std::string next = ResolveLocation(url_, location);
    auto next_url = ParseProbeUrl(next);
    if (!next_url.ok()) {
      Finish("redirect " + std::to_string(status) + " to an unusable location: " + next_url.status().message());
      return false;
    }
    ++result_.redirects;
    AddHopPhases(/*final_hop=*/false);
    CloseConnection();
    if (status == 303 || ((status == 301 || status == 302) && !http::EqualsIgnoreCase(method_, "GET") &&
                          !http::EqualsIgnoreCase(method_, "HEAD"))) {
      if (!http::EqualsIgnoreCase(method_, "HEAD")) method_ = "GET";
      body_.clear();
      std::erase_if(headers_, [](const auto& h) {
        return http::EqualsIgnoreCase(h.first, "Content-Type") || http::EqualsIgnoreCase(h.first, "Content-Length");
      });
    }
    if (next_url->host != url_.host) {
      std::erase_if(headers_, [](const auto& h) {
        return http::EqualsIgnoreCase(h.first, "Authorization") || http::EqualsIgnoreCase(h.first, "Cookie") ||
               http::EqualsIgnoreCase(h.first, "WWW-Authenticate");
      });
    }
    url_ = std::move(next_url).value();
    header_seen_ = false;
    StartHop();
    return false;
  }

  void Complete() {
    hop_.end = Clock::now();
    Finish("");
  }

  // The exporter's sums (prober/http.go): a phase counts only once the event ending it
  // happened; connect and tls only when the connection was ready for the request.
  void AddHopPhases(bool final_hop) {
    HttpPhases& p = result_.phases;
    if (hop_.dns_done) p.resolve += Since(hop_.start, *hop_.dns_done);
    if (!hop_.got_conn || !hop_.dns_done) return;
    if (hop_.https) {
      p.connect += Since(*hop_.dns_done, *hop_.connect_done);
      p.tls += Since(*hop_.tls_start, *hop_.tls_done);
    } else {
      p.connect += Since(*hop_.dns_done, *hop_.got_conn);
    }
    if (!hop_.first_byte) return;
    p.processing += Since(*hop_.got_conn, *hop_.first_byte);
    if (final_hop && hop_.end) p.transfer += Since(*hop_.first_byte, *hop_.end);
  }

  void CloseConnection() {
    beast::error_code ignored;
    if (socket_) {
      socket_->shutdown(tcp::socket::shutdown_both, ignored);
      socket_->close(ignored);
    }
  }

  // Ends the run: `error` empty when a complete response arrived (then the assertions
  // decide), else the transport failure.
  void Finish(std::string error) {
    if (finished_) return;
    finished_ = true;
    const auto now = Clock::now();
    deadline_.cancel();
    resolver_.cancel();
    // A failure after the final response's header ends its transfer there, as the
    // exporter stamps `end` after a failed body read.
    if (!error.empty() && header_seen_ && !hop_.end) hop_.end = now;
    AddHopPhases(/*final_hop=*/true);
    CloseConnection();
    result_.duration_s = Since(run_start_, now);
    const bool have_response = parser_ && header_seen_;
    if (have_response) {
      auto& res = parser_->get();
      result_.status_code = static_cast<int>(res.result_int());
      result_.http_version = static_cast<int>(res.version());
    }
    if (hop_.https && hop_.got_conn) result_.earliest_cert_expiry = hop_.cert_expiry;
    if (!error.empty()) {
      result_.success = false;
      result_.error = std::move(error);
    } else {
      auto& res = parser_->get();
      std::vector<std::pair<std::string, std::string>> headers = Headers();
      HttpResponseView view;
      view.status = result_.status_code;
      view.headers = &headers;
      view.body = res.body();
      view.duration_s = result_.duration_s;
      view.earliest_cert_expiry = result_.earliest_cert_expiry;
      const double now_s = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
      EvaluateAssertions(asserts_, view, now_s, &result_);
    }
    if (!result_.success && have_response) {
      ResponseSnapshot snap;
      snap.status = result_.status_code;
      snap.headers = Headers();
      const std::string& body = parser_->get().body();
      snap.body_prefix = body.substr(0, kResponseSnapshotBytes);
      result_.response = std::move(snap);
    }
    auto done = std::move(done_);
    done(std::move(result_));
  }

  std::vector<std::pair<std::string, std::string>> Headers() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& f : parser_->get().base()) out.emplace_back(std::string(f.name_string()), std::string(f.value()));
    return out;
  }

  struct Hop {
    bool https = false;
    Clock::time_point start;
    std::optional<Clock::time_point> dns_done, connect_done, tls_start, tls_done, got_conn, first_byte, end;
    double cert_expiry = 0;
  };

  net::strand<net::io_context::executor_type> strand_;
  tcp::resolver resolver_;
  net::steady_timer deadline_;
  std::optional<tcp::socket> socket_;
  std::shared_ptr<http::TlsContext> tls_context_;
  std::unique_ptr<TlsStream> tls_;  // over *socket_, https hops only
  const HttpSpec spec_;
  const std::vector<Assertion> asserts_;
  std::function<void(CheckResult)> done_;

  ProbeUrl url_;
  std::string first_host_;
  std::string sni_host_;
  std::string method_, body_;
  std::vector<std::pair<std::string, std::string>> headers_;
  bhttp::request<bhttp::string_body> req_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::response_parser<bhttp::string_body>> parser_;
  bool header_seen_ = false;
  Hop hop_;
  Clock::time_point run_start_;
  std::string phase_ = "while starting";
  CheckResult result_;
  bool finished_ = false;
};

}  // namespace

void AsyncHttpProbe(net::io_context& io, const HttpSpec& spec, const std::vector<Assertion>& asserts,
                    std::function<void(CheckResult)> done) {
  std::make_shared<ProbeOp>(io, spec, asserts, std::move(done))->Start();
}

CheckResult RunHttpProbe(const HttpSpec& spec, const std::vector<Assertion>& asserts) {
  net::io_context io;
  CheckResult out;
  out.error = "probe did not complete";
  AsyncHttpProbe(io, spec, asserts, [&out](CheckResult r) { out = std::move(r); });
  io.run();
  return out;
}

}  // namespace perfwatch::synthetic
