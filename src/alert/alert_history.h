#pragma once
// The history of alert episodes, kept for the reports' alert statistics (count by
// severity, time to acknowledge, time to resolve; docs/reports.md "Alert statistics").
// The alert store forgets resolved alerts after gc_interval and acknowledgements go with
// them, so neither can answer "how long did last week's alerts take to resolve".
//
// An episode is one firing of one alert: (fingerprint, startsAt). It records the alert's
// alertname, severity and app labels, when it started, the first acknowledgement given
// for it and when it resolved (its endsAt once the alert is resolved; an alert still
// firing has none).
//
// Persistence: an append-only text log (`file`, one record a line: "F" fired, "A"
// acknowledged, "R" resolved; tab-separated, docs/format/alertmanager-state.md), written
// with write(2) when an episode starts, is acknowledged or resolves (not on every
// re-evaluation). Not fsynced: a power loss may cost the last records (the statistics
// are a report, not an acknowledgement). A torn last line is ignored on load. On open the
// log is rewritten without episodes that started more than `retention_ms` ago; at most
// kMaxEpisodes are held (the oldest dropped first).
//
// Thread safety: thread-safe (one mutex; the Alertmanager calls it under its own lock).
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "alert/alert.h"
#include "common/status.h"

namespace perfwatch::alert {

struct AlertEpisode {
  uint64_t fingerprint = 0;
  std::string alertname, severity, app;
  int64_t starts_at_ms = 0;
  int64_t acknowledged_at_ms = 0;  // 0: never acknowledged
  int64_t resolved_at_ms = 0;      // 0: not resolved (yet)
};

class AlertHistory {
 public:
  static constexpr size_t kMaxEpisodes = 100'000;
  static constexpr int64_t kDefaultRetentionMs = 400LL * 86'400'000;

  // Opens (creating) the log at `file`; an empty path keeps the history in memory only.
  static Result<std::unique_ptr<AlertHistory>> Open(std::filesystem::path file, int64_t now_ms,
                                                    int64_t retention_ms = kDefaultRetentionMs);
  ~AlertHistory();
  AlertHistory(const AlertHistory&) = delete;
  AlertHistory& operator=(const AlertHistory&) = delete;

  // The stored state of an alert after a Put: starts an episode when (fingerprint,
  // startsAt) is new, and resolves it when the alert is resolved at `now_ms`. Cheap when
  // nothing changed (no write).
  void Observe(const Alert& alert, int64_t now_ms);
  // The first acknowledgement of the episode (fingerprint, starts_at_ms) at `at_ms`.
  void Acknowledged(uint64_t fingerprint, int64_t starts_at_ms, int64_t at_ms);

  // Episodes that started in [from_ms, to_ms], oldest first. An episode not recorded as
  // resolved is returned unresolved (resolved_at_ms 0).
  std::vector<AlertEpisode> Episodes(int64_t from_ms, int64_t to_ms) const;

 private:
  AlertHistory(std::filesystem::path file, int fd) : file_(std::move(file)), fd_(fd) {}
  void AppendLine(const std::string& line);  // holds mu_
  void Trim();                               // holds mu_

  const std::filesystem::path file_;
  mutable std::mutex mu_;
  int fd_ = -1;                                                    // guarded by mu_
  std::map<std::pair<uint64_t, int64_t>, AlertEpisode> episodes_;  // guarded by mu_
};

// Record codec (exposed for tests): one line without its line feed.
std::string EncodeHistoryRecord(char kind, const AlertEpisode& e);
// Applies one line to `episodes`; false when the line is malformed (ignored on load).
bool ApplyHistoryRecord(std::string_view line, std::map<std::pair<uint64_t, int64_t>, AlertEpisode>* episodes);

}  // namespace perfwatch::alert
