#pragma once
// Per-client cap on open connections (http.max_connections_per_ip, docs/limits.md): one
// client cannot take all of http.max_connections with slow or idle connections.
//
// A client is its TCP peer address (IPv6 peers by their /64, like the RUM rate limit).
// Loopback peers and peers in http.trusted_proxies are not limited: a reverse proxy
// carries many clients, and which one a connection belongs to is only known from each
// request's X-Forwarded-For. Acquire counts a connection at accept and returns a slot
// that gives it back when destroyed; a limit of 0 disables the cap.
// SetLimits changes the limit and the trusted proxies for later Acquire calls; connections
// counted already stay counted (a lowered limit refuses new ones until enough close).
// Thread safety: Acquire, SetLimits and slot destruction are thread-safe (one mutex;
// called once per connection at accept and at close).
#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "http/client_ip.h"

namespace perfwatch::http {

class ClientConnections {
 public:
  // Holds one counted connection; movable, releases on destruction. Empty when the
  // client is not limited.
  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& o) noexcept : owner_(o.owner_), key_(o.key_) { o.owner_ = nullptr; }
    Slot& operator=(Slot&& o) noexcept;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() { Release(); }
    void Release();

   private:
    friend class ClientConnections;
    ClientConnections* owner_ = nullptr;
    std::array<uint8_t, 16> key_{};
  };

  ClientConnections(int limit, TrustedProxies trusted) : limit_(limit), trusted_(std::move(trusted)) {}
  ClientConnections(const ClientConnections&) = delete;
  ClientConnections& operator=(const ClientConnections&) = delete;

  // From the next Acquire on (a reload of http.max_connections_per_ip / trusted_proxies).
  void SetLimits(int limit, TrustedProxies trusted);
  // A slot for one more connection of `peer`, or nullopt when the client already holds
  // `limit` connections.
  std::optional<Slot> Acquire(const IpAddress& peer);
  // Connections counted for `peer`'s key now (tests).
  int Count(const IpAddress& peer) const;
  size_t clients() const;

 private:
  struct KeyHash {
    size_t operator()(const std::array<uint8_t, 16>& k) const;
  };
  static std::array<uint8_t, 16> Key(const IpAddress& a);
  void Give(const std::array<uint8_t, 16>& key);

  mutable std::mutex mu_;
  int limit_;                // guarded by mu_
  TrustedProxies trusted_;   // guarded by mu_
  std::unordered_map<std::array<uint8_t, 16>, int, KeyHash> open_;  // guarded by mu_; no zero entries
};

}  // namespace perfwatch::http
