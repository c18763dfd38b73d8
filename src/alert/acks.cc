#include "alert/acks.h"

#include <system_error>

#include "alert/am_format.h"
#include "alert/state_file.h"
#include "common/coding.h"
#include "common/log.h"

namespace perfwatch::alert {
namespace {

constexpr std::string_view kMagic = "PWACK001";
constexpr uint8_t kRecordVersion = 1;

}  // namespace

bool AckInForce(const Acknowledgement& ack, const Alert& alert, int64_t now_ms) {
  if (alert.ResolvedAt(now_ms)) return false;
  if (alert.starts_at_ms != ack.alert_starts_at_ms) return false;
  return ack.until_ms == 0 || now_ms < ack.until_ms;
}

std::string AckJson(const Acknowledgement& ack) {
  std::string out = "{\"fingerprint\":\"" + FingerprintHex(ack.fingerprint) + "\"";
  out += ",\"acknowledgedBy\":";
  AppendGoJsonString(out, ack.acknowledged_by);
  out += ",\"acknowledgedAt\":\"" + FormatApiTime(ack.acknowledged_at_ms) + "\"";
  out += ",\"comment\":";
  AppendGoJsonString(out, ack.comment);
  out += ",\"until\":";
  out += ack.until_ms == 0 ? "null" : "\"" + FormatApiTime(ack.until_ms) + "\"";
  out += "}";
  return out;
}

std::string EncodeAck(const Acknowledgement& a) {
  std::string out;
  out.push_back(static_cast<char>(kRecordVersion));
  PutVarint(out, a.fingerprint);
  PutVarint(out, ZigZag(a.alert_starts_at_ms));
  PutString(out, a.acknowledged_by);
  PutVarint(out, ZigZag(a.acknowledged_at_ms));
  PutString(out, a.comment);
  PutVarint(out, ZigZag(a.until_ms));
  return out;
}

bool DecodeAck(std::string_view payload, Acknowledgement* a) {
  Decoder d(payload);
  uint8_t version;
  uint64_t fp, starts, at, until;
  std::string_view by, comment;
  if (!d.Byte(&version) || version != kRecordVersion || !d.Varint(&fp) || !d.Varint(&starts) ||
      !d.LengthPrefixed(&by) || !d.Varint(&at) || !d.LengthPrefixed(&comment) ||
      !d.Varint(&until) || !d.done()) {
    return false;
  }
  a->fingerprint = fp;
  a->alert_starts_at_ms = UnZigZag(starts);
  a->acknowledged_by = std::string(by);
  a->acknowledged_at_ms = UnZigZag(at);
  a->comment = std::string(comment);
  a->until_ms = UnZigZag(until);
  return true;
}

Result<std::unique_ptr<Acknowledgements>> Acknowledgements::Open(std::filesystem::path file) {
  std::unique_ptr<Acknowledgements> a(new Acknowledgements(std::move(file)));
  PW_RETURN_IF_ERROR(a->Load());
  return a;
}

Status Acknowledgements::Load() {
  if (file_.empty()) return Status::Ok();
  auto records = ReadSnapshot(file_, kMagic);
  if (!records.ok()) return records.status();
  std::lock_guard lock(mu_);
  acks_.clear();
  for (const std::string& r : *records) {
    Acknowledgement a;
    if (!DecodeAck(r, &a)) return DataLoss(file_.string() + ": undecodable acknowledgement");
    acks_[a.fingerprint] = std::move(a);
  }
  return Status::Ok();
}

Status Acknowledgements::Persist() {
  if (file_.empty()) return Status::Ok();
  std::vector<std::string> records;
  {
    std::lock_guard lock(mu_);
    records.reserve(acks_.size());
    for (const auto& [fp, a] : acks_) records.push_back(EncodeAck(a));
  }
  Status st = WriteSnapshot(file_, kMagic, records);
  dirty_ = !st.ok();
  if (!st.ok()) {
    PW_LOG_ERROR("alertmanager: writing acknowledgements failed", "err={}",
                 LogQuote(st.ToString()));
  }
  return st;
}

Status Acknowledgements::Set(Acknowledgement ack) {
  std::lock_guard write_lock(write_mu_);
  {
    std::lock_guard lock(mu_);
    acks_[ack.fingerprint] = std::move(ack);
  }
  return Persist();
}

Status Acknowledgements::Remove(uint64_t fingerprint) {
  std::lock_guard write_lock(write_mu_);
  {
    std::lock_guard lock(mu_);
    if (acks_.erase(fingerprint) == 0) return NotFound("alert not acknowledged");
  }
  return Persist();
}

Status Acknowledgements::RemoveAll(const std::vector<uint64_t>& fingerprints) {
  std::lock_guard write_lock(write_mu_);
  size_t n = 0;
  {
    std::lock_guard lock(mu_);
    for (uint64_t fp : fingerprints) n += acks_.erase(fp);
  }
  return n > 0 || dirty_ ? Persist() : Status::Ok();
}

std::optional<Acknowledgement> Acknowledgements::Get(uint64_t fingerprint) const {
  std::lock_guard lock(mu_);
  auto it = acks_.find(fingerprint);
  if (it == acks_.end()) return std::nullopt;
  return it->second;
}

std::optional<Acknowledgement> Acknowledgements::InForce(const Alert& alert, int64_t now_ms) const {
  std::lock_guard lock(mu_);
  if (acks_.empty()) return std::nullopt;
  auto it = acks_.find(Fingerprint(alert.labels));
  if (it == acks_.end() || !AckInForce(it->second, alert, now_ms)) return std::nullopt;
  return it->second;
}

std::vector<uint64_t> Acknowledgements::Stale(const std::function<const Alert*(uint64_t)>& lookup,
                                              int64_t now_ms) const {
  std::vector<uint64_t> out;
  std::lock_guard lock(mu_);
  for (const auto& [fp, a] : acks_) {
    const Alert* alert = lookup(fp);
    if (alert == nullptr || !AckInForce(a, *alert, now_ms)) out.push_back(fp);
  }
  return out;
}

size_t Acknowledgements::size() const {
  std::lock_guard lock(mu_);
  return acks_.size();
}

Status Acknowledgements::Flush() {
  std::lock_guard write_lock(write_mu_);
  if (!dirty_) return Status::Ok();
  return Persist();
}

}  // namespace perfwatch::alert
