#include "http/client_ip.h"

#include <arpa/inet.h>

#include <cstring>

#include "http/url.h"

namespace perfwatch::http {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

constexpr uint8_t kV4MappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

}  // namespace

bool IpAddress::is_v4() const { return std::memcmp(bytes.data(), kV4MappedPrefix, 12) == 0; }

bool IpAddress::IsLoopback() const {
  if (is_v4()) return bytes[12] == 127;
  for (int i = 0; i < 15; ++i) {
    if (bytes[i] != 0) return false;
  }
  return bytes[15] == 1;
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (is_v4()) {
    inet_ntop(AF_INET, bytes.data() + 12, buf, sizeof buf);
  } else {
    inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  }
  return buf;
}

std::optional<IpAddress> ParseIpAddress(std::string_view s) {
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  if (s.empty() || s.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buf[INET6_ADDRSTRLEN];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  IpAddress a;
  if (s.find(':') == std::string_view::npos) {
    if (inet_pton(AF_INET, buf, a.bytes.data() + 12) != 1) return std::nullopt;
    std::memcpy(a.bytes.data(), kV4MappedPrefix, 12);
    return a;
  }
  if (inet_pton(AF_INET6, buf, a.bytes.data()) != 1) return std::nullopt;
  return a;
}

std::optional<IpAddress> ParseForwardedEntry(std::string_view s) {
  s = Trim(s);
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    std::string_view rest = s.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return std::nullopt;
    return ParseIpAddress(s.substr(1, close - 1));
  }
  size_t colon = s.find(':');
  if (colon != std::string_view::npos && s.find(':', colon + 1) == std::string_view::npos) {
    s = s.substr(0, colon);  // IPv4 with a port
  }
  return ParseIpAddress(s);
}

bool IpNetwork::Contains(const IpAddress& a) const {
  int full = prefix_len / 8, rest = prefix_len % 8;
  if (std::memcmp(a.bytes.data(), base.bytes.data(), full) != 0) return false;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a.bytes[full] & mask) == base.bytes[full];
}

std::optional<IpNetwork> ParseIpNetwork(std::string_view s) {
  s = Trim(s);
  size_t slash = s.find('/');
  auto addr = ParseIpAddress(s.substr(0, slash));
  if (!addr) return std::nullopt;
  IpNetwork n;
  const int max_len = addr->is_v4() ? 32 : 128;
  int len = max_len;
  if (slash != std::string_view::npos) {
    std::string_view digits = s.substr(slash + 1);
    if (digits.empty() || digits.size() > 3) return std::nullopt;
    len = 0;
    for (char ch : digits) {
      if (ch < '0' || ch > '9') return std::nullopt;
      len = len * 10 + (ch - '0');
    }
    if (len > max_len) return std::nullopt;
  }
  n.prefix_len = addr->is_v4() ? 96 + len : len;
  n.base = *addr;
  for (int bit = n.prefix_len; bit < 128; ++bit) n.base.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
  return n;
}

Result<TrustedProxies> TrustedProxies::Create(const std::vector<std::string>& entries) {
  TrustedProxies t;
  for (const std::string& e : entries) {
    auto n = ParseIpNetwork(e);
    if (!n) return InvalidArgument("http.trusted_proxies: \"" + e + "\" is not an IP address or CIDR");
    t.networks_.push_back(*n);
  }
  return t;
}

bool TrustedProxies::Contains(const IpAddress& a) const {
  for (const IpNetwork& n : networks_) {
    if (n.Contains(a)) return true;
  }
  return false;
}

std::optional<IpAddress> ResolveClientAddress(std::string_view peer, const std::vector<std::string_view>& forwarded_for,
                                              const TrustedProxies& trusted) {
  std::optional<IpAddress> client = ParseIpAddress(peer);
  if (!client || trusted.empty() || !trusted.Contains(*client)) return client;
  for (size_t h = forwarded_for.size(); h-- > 0;) {
    std::string_view value = forwarded_for[h];
    while (true) {
      size_t comma = value.rfind(',');
      std::string_view entry = comma == std::string_view::npos ? value : value.substr(comma + 1);
      if (!Trim(entry).empty()) {  // "a,,b": empty entries are skipped
        auto addr = ParseForwardedEntry(entry);
        if (!addr) return client;
        client = addr;
        if (!trusted.Contains(*addr)) return client;
      }
      if (comma == std::string_view::npos) break;
      value = value.substr(0, comma);
    }
  }
  return client;
}

std::optional<IpAddress> ClientAddress(const Request& req, const TrustedProxies& trusted) {
  std::optional<IpAddress> peer = ParseIpAddress(req.remote_address);
  if (!peer || trusted.empty() || !trusted.Contains(*peer)) return peer;
  std::vector<std::string_view> values;
  for (const auto& [name, value] : req.headers) {
    if (EqualsIgnoreCase(name, "X-Forwarded-For")) values.push_back(value);
  }
  return ResolveClientAddress(req.remote_address, values, trusted);
}

bool IsLoopbackListenAddress(std::string_view listen) {
  size_t colon = listen.rfind(':');
  std::string_view host = colon == std::string_view::npos ? listen : listen.substr(0, colon);
  if (EqualsIgnoreCase(host, "localhost")) return true;
  auto addr = ParseIpAddress(host);
  return addr && addr->IsLoopback();
}

}  // namespace perfwatch::http
