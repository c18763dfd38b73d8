#include "alert/alert_store.h"

#include "alert/state_file.h"

namespace perfwatch::alert {
namespace {
constexpr std::string_view kMagic = "PWAMAL1\n";
}  // namespace

Alert MergeAlerts(const Alert& a, const Alert& o, int64_t now_ms) {
  // `o` is the younger update.
  if (o.updated_at_ms < a.updated_at_ms) return MergeAlerts(o, a, now_ms);
  Alert res = o;
  if (a.starts_at_ms < o.starts_at_ms) res.starts_at_ms = a.starts_at_ms;
  if (o.ResolvedAt(now_ms)) {
    // The latest explicit end wins when both are resolved.
    if (a.ResolvedAt(now_ms) && a.ends_at_ms > o.ends_at_ms) res.ends_at_ms = a.ends_at_ms;
  } else if (a.ends_at_ms > o.ends_at_ms && !a.timeout) {
    // A later end that did not come from resolve_timeout rules.
    res.ends_at_ms = a.ends_at_ms;
  }
  return res;
}

const Alert& AlertStore::Put(Alert alert, int64_t now_ms) {
  NormalizeLabelSet(alert.labels);
  NormalizeLabelSet(alert.annotations);
  const uint64_t fp = Fingerprint(alert.labels);
  auto it = alerts_.find(fp);
  if (it != alerts_.end()) {
    const Alert& old = it->second;
    // Merge when the activity ranges overlap (times as Go compares them; 0 is the zero
    // time, before every other).
    if ((alert.ends_at_ms > old.starts_at_ms && alert.ends_at_ms < old.ends_at_ms) ||
        (alert.starts_at_ms > old.starts_at_ms && alert.starts_at_ms < old.ends_at_ms)) {
      alert = MergeAlerts(old, alert, now_ms);
    }
    it->second = std::move(alert);
    return it->second;
  }
  return alerts_.emplace(fp, std::move(alert)).first->second;
}

const Alert* AlertStore::Get(uint64_t fingerprint) const {
  auto it = alerts_.find(fingerprint);
  return it == alerts_.end() ? nullptr : &it->second;
}

std::vector<uint64_t> AlertStore::GarbageCollect(int64_t now_ms) {
  std::vector<uint64_t> removed;
  for (auto it = alerts_.begin(); it != alerts_.end();) {
    if (it->second.ResolvedAt(now_ms)) {
      removed.push_back(it->first);
      it = alerts_.erase(it);
    } else {
      ++it;
    }
  }
  return removed;
}

std::vector<std::string> AlertStore::EncodeSnapshot() const {
  std::vector<std::string> payloads;
  payloads.reserve(alerts_.size());
  for (const auto& [fp, a] : alerts_) {
    std::string p;
    PutAlert(p, a);
    payloads.push_back(std::move(p));
  }
  return payloads;
}

Status AlertStore::WriteSnapshotFile(const std::filesystem::path& path,
                                     const std::vector<std::string>& records) {
  return WriteSnapshot(path, kMagic, records).WithContext("alert store");
}

Status AlertStore::Load(const std::filesystem::path& path) {
  auto records = ReadSnapshot(path, kMagic);
  if (!records.ok()) return records.status().WithContext("alert store");
  std::map<uint64_t, Alert> loaded;
  for (const auto& r : *records) {
    Decoder d(r);
    Alert a;
    if (!GetAlert(d, &a)) return DataLoss("alert store: malformed alert record");
    NormalizeLabelSet(a.labels);
    loaded[Fingerprint(a.labels)] = std::move(a);
  }
  alerts_ = std::move(loaded);
  return Status::Ok();
}

}  // namespace perfwatch::alert
