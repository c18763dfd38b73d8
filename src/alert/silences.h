#pragma once
// Silences, as Alertmanager 0.25's silence package: a silence mutes every alert whose
// labels match all its matchers (a missing label matches as "") while it is active. Its
// state follows from the clock alone, so pending silences become active and active ones
// expire on time without any call: pending while now < startsAt, active while
// startsAt <= now < endsAt, expired from endsAt on (the v2 API's CalcSilenceState; one
// rule for both the API and muting).
//
// Set follows silence.Silences.Set: an unknown id is NotFound; a silence is updated in
// place when canUpdate allows it (same matchers in the same order; if active: same start
// second and an end not in the past; if pending: a start not in the past; never when
// expired), otherwise the previous one is expired (unless already expired) and a new
// silence with a fresh UUID v4 is created whose start is moved up to now when it lies in
// the past. Unlike Alertmanager, a silence is validated before anything changes, so an
// invalid update leaves the previous silence untouched. Expire ends an active silence
// now, moves a pending one's start and end to now, and leaves an expired one alone.
// Expired silences are kept for `retention` after their end (Alertmanager's
// --data.retention, 120h) and then dropped by GarbageCollect.
//
// Persistence: every change is written to `file` (a snapshot replaced atomically and
// fsynced, docs/format/alertmanager-state.md) before Set or Expire returns, so a silence
// the API acknowledged survives kill -9. When that write fails the change stays in
// memory, the call returns the IO error, and the next successful write (any change or
// GarbageCollect) persists it.
//
// Thread safety: thread-safe. Reads (Get, List, MutedBy, Counts) never wait for the disk;
// writers are serialised and write the file outside the lock readers take.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "alert/alert.h"
#include "alert/am_config.h"
#include "common/status.h"

namespace perfwatch::alert {

struct Silence {
  std::string id;  // UUID v4, assigned by Set
  Matchers matchers;
  int64_t starts_at_ms = 0;
  int64_t ends_at_ms = 0;
  int64_t updated_at_ms = 0;
  std::string created_by;
  std::string comment;
};

enum class SilenceState { kActive, kPending, kExpired };
SilenceState SilenceStateAt(const Silence& s, int64_t now_ms);
const char* SilenceStateName(SilenceState st);  // "active", "pending", "expired"

// silence.validateSilence's checks of the matchers, worded as Alertmanager words them
// ("at least one matcher required", "invalid label matcher 0: invalid label name \"a-b\"",
// "invalid label matcher 1: invalid regular expression \"(\": error parsing regexp: ...",
// "at least one matcher must not match the empty string"), then "end time must not be
// before start time". "" when valid. Regexes are checked unanchored, as Go's
// regexp.Compile; matching uses the anchored form (Matcher::Make).
std::string ValidateSilence(const Silence& s);

// A random UUID v4 in its canonical lower-case text form.
std::string NewUuidV4();
// strfmt's UUID format check (8-4-4-4-12 hex digits, hyphens optional, any case).
bool LooksLikeUuid(std::string_view s);

struct SilencesOptions {
  std::filesystem::path file;               // the snapshot; empty: in memory only
  int64_t retention_ms = 120LL * 3600'000;  // kept this long after ending
  const Clock* clock = nullptr;             // null: SystemClock
};

class Silences {
 public:
  // Loads `file` (empty when missing; DataLoss when damaged).
  static Result<std::unique_ptr<Silences>> Open(SilencesOptions options);

  // Creates or updates a silence (see above) and persists it; returns its id.
  // Errors: NotFound ("silence not found") for an unknown id, InvalidArgument
  // ("silence invalid: <ValidateSilence message>"), or the write's error.
  Result<std::string> Set(Silence s);
  // Expires `id` now (see above). NotFound ("silence not found") when unknown.
  Status Expire(const std::string& id);

  std::optional<Silence> Get(const std::string& id) const;
  std::vector<Silence> List() const;
  // The ids of the silences active at `now_ms` that match `labels`, sorted.
  std::vector<std::string> MutedBy(const LabelSet& labels, int64_t now_ms) const;

  struct Counts {
    int64_t active = 0, pending = 0, expired = 0;
    int64_t next_change_ms = INT64_MAX;  // the next start or end after now
  };
  Counts CountAt(int64_t now_ms) const;

  // Drops silences that ended `retention` ago or more and persists; returns how many.
  size_t GarbageCollect(int64_t now_ms);
  // Writes the snapshot again if an earlier write failed.
  Status Flush();
  // Bumped by every change (set, expire, GC).
  uint64_t version() const;

 private:
  explicit Silences(SilencesOptions options);
  Status Load();
  Status Persist();  // holds write_mu_; encodes under mu_, writes outside it
  Status ExpireLocked(const std::string& id, int64_t now_ms);  // holds mu_

  const SilencesOptions opts_;
  const Clock* const clock_;
  std::mutex write_mu_;  // serialises changes and their writes; taken before mu_
  mutable std::mutex mu_;
  std::unordered_map<std::string, Silence> silences_;  // by id; guarded by mu_
  uint64_t version_ = 0;                               // guarded by mu_
  bool dirty_ = false;                                 // guarded by write_mu_
};

// The POST /api/v2/silences body (a postableSilence), parsed and checked as go-swagger
// does for Alertmanager 0.25 (am_silence_api.cc): keys match case-insensitively, the last
// of repeated keys wins, unknown keys are ignored; "isEqual" defaults to true. Answers:
//   - empty body: 422 {"code":602,"message":"silence in body is required"};
//   - not JSON, or a value of the wrong type: 400 {"code":400,"message":"parsing silence
//     body from \"\" failed, because ..."};
//   - a required field missing or null, checked in the order comment, createdBy, endsAt,
//     matchers (then per matcher isRegex, name, value), startsAt: 422 {"code":602,
//     "message":"<path> in body is required"} (path e.g. "matchers.0.isRegex"); no
//     matchers: 422 {"code":612,"message":"matchers in body should have at least 1 items"}.
// Matchers are built with Matcher::Make when their regex compiles; those that do not are
// kept with `re` null for ValidateSilence to word the error.
struct PostableSilenceParse {
  Silence silence;  // id as given ("" when absent)
  int error_status = 0;  // non-zero: answer with this status and error_body
  std::string error_body;
};
PostableSilenceParse ParsePostableSilence(std::string_view body);

// Encoding of one silence in the snapshot (exposed for tests and tools).
std::string EncodeSilence(const Silence& s);
bool DecodeSilence(std::string_view payload, Silence* s);

}  // namespace perfwatch::alert
