#pragma once
// The HTTP side of a scrape: one GET of a target's /metrics over Boost.Asio/Beast, with
// Prometheus' request headers (Accept preferring OpenMetrics, Accept-Encoding: gzip,
// X-Prometheus-Scrape-Timeout-Seconds, User-Agent perfwatch/<version>), one deadline for
// the whole exchange (resolve, connect, write, read), a body size limit checked both on
// the wire (before reading past it) and after gunzip. Non-2xx answers fail the scrape.
// One connection per scrape (no keep-alive), as a scrape every few seconds does not need one.
// HTTPS (FetchRequest::https): the TLS handshake is part of the same deadline; a failed
// handshake fails the fetch (FetchFailure::kTls) with the reason, e.g. "TLS handshake with
// 10.0.0.5:9100: certificate verify failed: unable to get local issuer certificate".
//
// Thread safety: AsyncFetch may be called from any thread; each fetch runs on its own
// strand of the given io_context and calls `done` exactly once on it, unless the
// io_context is stopped first (then `done` is destroyed without being called).
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace boost::asio::ssl {
class context;
}

namespace perfwatch::ingest {

inline constexpr std::string_view kScrapeAcceptHeader =
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

struct FetchRequest {
  std::string address;      // host:port ("[::1]:9100" for IPv6)
  std::string target;       // path and query, e.g. "/metrics?x=1"
  int64_t timeout_ms = 10'000;
  size_t max_body_bytes = 16 << 20;
  std::string user_agent = "perfwatch";
  // HTTPS: TLS through `tls_context` (http::MakeClientTlsContext), the certificate checked
  // for `server_name` (the address' host when empty; also sent as SNI). A non-empty
  // `tls_setup_error` (the context could not be built) fails the fetch with that message.
  bool https = false;
  std::shared_ptr<boost::asio::ssl::context> tls_context;
  std::string server_name;
  std::string tls_setup_error;
  std::string authorization;  // Authorization header value ("" = none)
};

// Why a fetch failed, for perfwatch_scrape_failures_total{reason}.
enum class FetchFailure : uint8_t { kNone, kConnect, kTimeout, kHttpStatus, kBodyLimit, kDecompress, kIo, kTls };
std::string_view FetchFailureName(FetchFailure f);

struct FetchResult {
  Status status;                        // not OK: the scrape failed (message says why)
  FetchFailure failure = FetchFailure::kNone;
  int http_status = 0;
  std::string content_type;
  std::string body;                     // decompressed
  size_t wire_bytes = 0;                // body bytes as received
};

using FetchCallback = std::function<void(FetchResult)>;

// Starts one fetch on `io`; see the thread-safety note above.
void AsyncFetch(boost::asio::io_context& io, FetchRequest request, FetchCallback done);

// Runs one fetch to completion on a private io_context (tests, tools).
FetchResult FetchBlocking(const FetchRequest& request);

// Splits "host:port" / "[v6]:port"; false when malformed.
bool SplitHostPort(std::string_view address, std::string* host, std::string* port);

}  // namespace perfwatch::ingest
