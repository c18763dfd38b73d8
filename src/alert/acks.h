#pragma once
// Acknowledgements of firing alerts (perfwatch's own; Alertmanager has none, see
// alertmanager#1860). An acknowledgement names one alert by its Alertmanager fingerprint
// and the firing episode it was given for (the alert's startsAt at the time), who gave it,
// when, an optional comment and an optional `until`. It is in force for an alert at time T
// while:
//   - the alert is firing at T (not resolved),
//   - the alert's startsAt is still the acknowledged episode's (an alert that resolved and
//     fires again is a new episode: a stored alert is replaced, not merged, then), and
//   - `until` is unset (0) or later than T.
// Anything else makes it stale: Stale() lists those so the owner drops them (RemoveAll),
// and an alert that is garbage-collected takes its acknowledgement with it.
// The notification pipeline consults InForce() to skip repeat notifications
// (alertmanager_impl.h); escalation can ask the same question for any T.
//
// Persistence: every change is written to `file` (a snapshot replaced atomically and
// fsynced, magic "PWACK001", docs/format/alertmanager-state.md) before Set or Remove
// returns, so an acknowledgement the API answered survives kill -9. When the write fails
// the change stays in memory, the call returns the IO error, and Flush() or the next
// change retries.
//
// Thread safety: thread-safe. Reads never wait for the disk; writers are serialised and
// write the file outside the lock readers take.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "alert/alert.h"
#include "common/status.h"

namespace perfwatch::alert {

struct Acknowledgement {
  uint64_t fingerprint = 0;
  int64_t alert_starts_at_ms = 0;  // the firing episode acknowledged
  std::string acknowledged_by;     // the token's name, "anonymous" without auth
  int64_t acknowledged_at_ms = 0;
  std::string comment;
  int64_t until_ms = 0;  // 0: until the alert resolves or fires again
};

// Whether `ack` is in force for `alert` (same fingerprint) at `now_ms` (rules above).
bool AckInForce(const Acknowledgement& ack, const Alert& alert, int64_t now_ms);

// The JSON object shown by the APIs:
// {"fingerprint","acknowledgedBy","acknowledgedAt","comment","until"} ("until" null when
// unset; times RFC 3339 UTC).
std::string AckJson(const Acknowledgement& ack);

class Acknowledgements {
 public:
  // Loads `file` (empty when missing; DataLoss when damaged). An empty path: memory only.
  static Result<std::unique_ptr<Acknowledgements>> Open(std::filesystem::path file);

  // Adds or replaces the acknowledgement of ack.fingerprint and persists.
  Status Set(Acknowledgement ack);
  // Removes the acknowledgement of `fingerprint` and persists. NotFound when there is none.
  Status Remove(uint64_t fingerprint);
  // Removes these (absent ones are ignored); persists when anything was removed.
  Status RemoveAll(const std::vector<uint64_t>& fingerprints);

  std::optional<Acknowledgement> Get(uint64_t fingerprint) const;
  // The acknowledgement in force for `alert` at `now_ms`, if any.
  std::optional<Acknowledgement> InForce(const Alert& alert, int64_t now_ms) const;
  // The fingerprints whose acknowledgement is no longer in force at `now_ms`; `lookup`
  // returns the stored alert for a fingerprint, or null when it is gone.
  std::vector<uint64_t> Stale(const std::function<const Alert*(uint64_t)>& lookup,
                              int64_t now_ms) const;
  size_t size() const;
  // Writes the snapshot again if an earlier write failed.
  Status Flush();

 private:
  explicit Acknowledgements(std::filesystem::path file) : file_(std::move(file)) {}
  Status Load();
  Status Persist();  // holds write_mu_

  const std::filesystem::path file_;
  std::mutex write_mu_;  // serialises changes and their writes; taken before mu_
  mutable std::mutex mu_;
  std::map<uint64_t, Acknowledgement> acks_;  // guarded by mu_
  bool dirty_ = false;                        // guarded by write_mu_
};

// The optional body of POST /api/v1/alerts/{fingerprint}/ack (am_ack_api.cc): empty, or a
// JSON object with "comment" (string) and "until" (string: an RFC 3339 time, or a
// duration such as "2h" counted from `now_ms`; it must lie in the future). Other keys are
// ignored; null counts as absent. `error` is non-empty (and the answer a 400) when the
// body is not such an object.
struct AckBodyParse {
  std::string comment;
  int64_t until_ms = 0;
  std::string error;
};
AckBodyParse ParseAckBody(std::string_view body, int64_t now_ms);

// Encoding of one acknowledgement in the snapshot (exposed for tests).
std::string EncodeAck(const Acknowledgement& a);
bool DecodeAck(std::string_view payload, Acknowledgement* a);

}  // namespace perfwatch::alert
