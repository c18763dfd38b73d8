#include "alert/nflog.h"

#include <algorithm>

#include "alert/state_file.h"

namespace perfwatch::alert {
namespace {

constexpr std::string_view kMagic = "PWAMNF1\n";

bool IsSubset(const std::set<uint64_t>& superset, const std::set<uint64_t>& subset) {
  return std::includes(superset.begin(), superset.end(), subset.begin(), subset.end());
}

void PutFingerprints(std::string& out, const std::set<uint64_t>& fps) {
  PutVarint(out, fps.size());
  for (uint64_t fp : fps) PutFixed64(out, fp);
}

bool GetFingerprints(Decoder& d, std::set<uint64_t>* fps) {
  uint64_t n;
  if (!d.Varint(&n) || n > d.remaining() / 8) return false;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t fp;
    if (!d.Fixed64(&fp)) return false;
    fps->insert(fp);
  }
  return true;
}

}  // namespace

std::string NflogKey(std::string_view group_key, std::string_view receiver,
                     std::string_view integration, uint32_t index) {
  std::string key(group_key);
  key += ':';
  key += receiver;
  key += '/';
  key += integration;
  key += '/';
  key += std::to_string(index);
  return key;
}

bool NeedsUpdate(const NflogEntry* entry, const std::set<uint64_t>& firing,
                 const std::set<uint64_t>& resolved, bool send_resolved, int64_t repeat_ms,
                 int64_t now_ms) {
  if (entry == nullptr) return !firing.empty();
  if (!IsSubset(entry->firing, firing)) return true;
  if (firing.empty()) return !entry->firing.empty();
  if (send_resolved && !IsSubset(entry->resolved, resolved)) return true;
  return entry->timestamp_ms < now_ms - repeat_ms;
}

const NflogEntry* NotificationLog::Query(const std::string& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

void NotificationLog::Log(const std::string& key, std::set<uint64_t> firing,
                          std::set<uint64_t> resolved, int64_t now_ms, int64_t expiry_ms) {
  auto it = entries_.find(key);
  if (it != entries_.end() && it->second.timestamp_ms > now_ms) return;  // keep the newer
  int64_t expires = now_ms + kDefaultRetentionMs;
  if (expiry_ms > 0 && expiry_ms < kDefaultRetentionMs) expires = now_ms + expiry_ms;
  entries_[key] = NflogEntry{std::move(firing), std::move(resolved), now_ms, expires};
}

void NotificationLog::Extend(const std::string& key, int64_t expires_at_ms) {
  auto it = entries_.find(key);
  if (it != entries_.end() && it->second.expires_at_ms < expires_at_ms)
    it->second.expires_at_ms = expires_at_ms;
}

size_t NotificationLog::GarbageCollect(int64_t now_ms) {
  size_t n = 0;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.expires_at_ms < now_ms) {
      it = entries_.erase(it);
      ++n;
    } else {
      ++it;
    }
  }
  return n;
}

std::vector<std::string> NotificationLog::EncodeSnapshot() const {
  std::vector<std::string> payloads;
  payloads.reserve(entries_.size());
  for (const auto& [key, e] : entries_) {
    std::string p;
    PutString(p, key);
    PutVarint(p, ZigZag(e.timestamp_ms));
    PutVarint(p, ZigZag(e.expires_at_ms));
    PutFingerprints(p, e.firing);
    PutFingerprints(p, e.resolved);
    payloads.push_back(std::move(p));
  }
  return payloads;
}

Status NotificationLog::WriteSnapshotFile(const std::filesystem::path& path,
                                          const std::vector<std::string>& records) {
  return WriteSnapshot(path, kMagic, records).WithContext("notification log");
}

Status NotificationLog::Load(const std::filesystem::path& path) {
  auto records = ReadSnapshot(path, kMagic);
  if (!records.ok()) return records.status().WithContext("notification log");
  std::map<std::string, NflogEntry> loaded;
  for (const auto& r : *records) {
    Decoder d(r);
    std::string_view key;
    uint64_t ts, exp;
    NflogEntry e;
    if (!d.LengthPrefixed(&key) || !d.Varint(&ts) || !d.Varint(&exp) ||
        !GetFingerprints(d, &e.firing) || !GetFingerprints(d, &e.resolved)) {
      return DataLoss("notification log: malformed entry");
    }
    e.timestamp_ms = UnZigZag(ts);
    e.expires_at_ms = UnZigZag(exp);
    loaded[std::string(key)] = std::move(e);
  }
  entries_ = std::move(loaded);
  return Status::Ok();
}

}  // namespace perfwatch::alert
