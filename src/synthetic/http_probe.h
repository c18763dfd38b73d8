#pragma once
// One run of an HTTP check (docs/synthetic.md "HTTP checks"): the request of HttpSpec over
// Boost.Beast/Asio (HTTP/1.1, one connection per request, no keep-alive, as the blackbox
// exporter probes), redirects followed up to 10 (Go's client limit; 301/302/303 turn a
// non-HEAD request into a GET without body, 307/308 keep it; Authorization and Cookie are
// dropped when the host changes), then the assertions (assertions.h). No retry here: the
// scheduler retries.
//
// Phases, in seconds and summed over the redirects exactly as the blackbox exporter's
// prober/http.go sums its httptrace events: resolve (DNS), connect (TCP), tls (handshake),
// processing (connection ready, i.e. after TLS, to the first response byte: it includes
// writing the request), transfer (first byte to the end of the body; only the last
// response's body is read, redirect bodies are not, so redirects add no transfer).
// The whole run (all redirects) has one deadline, HttpSpec::timeout_ms; a timeout is
// reported with the phase it hit: "timeout after 2s (while reading the body)".
// Bodies above kMaxProbeBodyBytes fail the run. https: the peer is verified against the
// system CA store unless tls_verify is false; earliest_cert_expiry is the earliest notAfter
// of the chain the server sent on the last request (probe_ssl_earliest_cert_expiry).
// A failed run that got a response keeps its status, headers and first 4 KiB of body in
// CheckResult::response.
//
// Thread safety: AsyncHttpProbe may be called from any thread; each run works on its own
// strand of `io` and calls `done` exactly once on it, unless `io` is stopped first (then
// `done` is destroyed without being called). RunHttpProbe blocks on a private io_context.
#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <functional>
#include <vector>

#include "synthetic/check.h"

namespace perfwatch::synthetic {

inline constexpr size_t kMaxProbeBodyBytes = 10u << 20;      // 10 MiB
inline constexpr size_t kResponseSnapshotBytes = 4u << 10;   // CheckResult::response body prefix
inline constexpr int kMaxRedirects = 10;

void AsyncHttpProbe(boost::asio::io_context& io, const HttpSpec& spec, const std::vector<Assertion>& asserts,
                    std::function<void(CheckResult)> done);

CheckResult RunHttpProbe(const HttpSpec& spec, const std::vector<Assertion>& asserts);

}  // namespace perfwatch::synthetic
