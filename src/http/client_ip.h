#pragma once
// Client IP addresses: parsing, CIDR networks, the trusted-proxy list and the walk of
// X-Forwarded-For that finds the client behind trusted reverse proxies.
//
// The client of a request is its TCP peer, unless the peer is in http.trusted_proxies:
// then X-Forwarded-For (every such header, in order, comma-separated) is walked from the
// right, skipping trusted addresses, and the first untrusted one is the client (nginx's
// real_ip_recursive). When every entry is trusted the left-most is the client; an entry
// that is not an IP address ends the walk at the last address seen. Entries may carry a
// port ("1.2.3.4:5678", "[2001:db8::1]:443").
// IPv4 addresses are held in their IPv4-mapped IPv6 form (::ffff:a.b.c.d).
// Thread safety: values; TrustedProxies is immutable after Create.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "http/router.h"

namespace perfwatch::http {

struct IpAddress {
  std::array<uint8_t, 16> bytes{};
  bool is_v4() const;
  bool IsLoopback() const;  // 127.0.0.0/8 or ::1
  std::string ToString() const;
  bool operator==(const IpAddress&) const = default;
};

// "192.0.2.1", "2001:db8::1", "[2001:db8::1]"; IPv4-mapped IPv6 becomes IPv4.
std::optional<IpAddress> ParseIpAddress(std::string_view s);
// An X-Forwarded-For entry: an address, optionally with a port; surrounding spaces ignored.
std::optional<IpAddress> ParseForwardedEntry(std::string_view s);

struct IpNetwork {
  IpAddress base;      // host bits cleared
  int prefix_len = 128;  // in the IPv6 form: an IPv4 /24 is 120
  bool Contains(const IpAddress& a) const;
};
// "10.0.0.0/8", "2001:db8::/32", or a single address (/32, /128).
std::optional<IpNetwork> ParseIpNetwork(std::string_view s);

class TrustedProxies {
 public:
  TrustedProxies() = default;
  // Every entry must parse; the error names the first that does not.
  static Result<TrustedProxies> Create(const std::vector<std::string>& entries);
  bool empty() const { return networks_.empty(); }
  bool Contains(const IpAddress& a) const;

 private:
  std::vector<IpNetwork> networks_;
};

// The client address from the TCP peer's text and the X-Forwarded-For header values
// (in arrival order); nullopt when the peer is not an address.
std::optional<IpAddress> ResolveClientAddress(std::string_view peer, const std::vector<std::string_view>& forwarded_for,
                                              const TrustedProxies& trusted);
// The same for a request (Request::remote_address and its X-Forwarded-For headers).
std::optional<IpAddress> ClientAddress(const Request& req, const TrustedProxies& trusted);

// True when the HOST of a listen address "HOST:PORT" is loopback: 127.0.0.0/8, [::1],
// ::1 or localhost. An empty host or a wildcard (0.0.0.0, [::]) is not.
bool IsLoopbackListenAddress(std::string_view listen);

}  // namespace perfwatch::http
