#include "http/client_connections.h"

#include <cstring>
#include <string_view>
#include <utility>

namespace perfwatch::http {

ClientConnections::Slot& ClientConnections::Slot::operator=(Slot&& o) noexcept {
  if (this != &o) {
    Release();
    owner_ = o.owner_;
    key_ = o.key_;
    o.owner_ = nullptr;
  }
  return *this;
}

void ClientConnections::Slot::Release() {
  if (owner_ != nullptr) owner_->Give(key_);
  owner_ = nullptr;
}

size_t ClientConnections::KeyHash::operator()(const std::array<uint8_t, 16>& k) const {
  return std::hash<std::string_view>{}(std::string_view(reinterpret_cast<const char*>(k.data()), k.size()));
}

std::array<uint8_t, 16> ClientConnections::Key(const IpAddress& a) {
  std::array<uint8_t, 16> key = a.bytes;
  if (!a.is_v4()) std::memset(key.data() + 8, 0, 8);  // IPv6: one client per /64
  return key;
}

void ClientConnections::SetLimits(int limit, TrustedProxies trusted) {
  std::lock_guard lock(mu_);
  limit_ = limit;
  trusted_ = std::move(trusted);
}

std::optional<ClientConnections::Slot> ClientConnections::Acquire(const IpAddress& peer) {
  if (peer.IsLoopback()) return Slot();
  Slot slot;
  slot.key_ = Key(peer);
  std::lock_guard lock(mu_);
  if (limit_ <= 0 || trusted_.Contains(peer)) return Slot();
  int& n = open_[slot.key_];
  if (n >= limit_) return std::nullopt;  // n > 0 here, so no zero entry is left behind
  ++n;
  slot.owner_ = this;
  return slot;
}

void ClientConnections::Give(const std::array<uint8_t, 16>& key) {
  std::lock_guard lock(mu_);
  auto it = open_.find(key);
  if (it != open_.end() && --it->second <= 0) open_.erase(it);
}

int ClientConnections::Count(const IpAddress& peer) const {
  std::lock_guard lock(mu_);
  auto it = open_.find(Key(peer));
  return it == open_.end() ? 0 : it->second;
}

size_t ClientConnections::clients() const {
  std::lock_guard lock(mu_);
  return open_.size();
}

}  // namespace perfwatch::http
