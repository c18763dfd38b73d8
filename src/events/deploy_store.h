#pragma once
// Deploy markers (tracker issue 15 item 1; docs/analysis.md "Deploys and release impact"):
// which version of an app (browser) or service (backend) was released to which environment
// and when. Durable and reloaded on start.
//
// Layout under `dir` (data_dir/deploys): deploys.log, one record per deploy in the event
// store's log format (events/log_file.h: checksummed records; a torn tail is truncated at
// the last good record on open, a corrupt record in the middle is an error).
//
// Durability: Add returns after write(2) and fdatasync of the record (acknowledged data
// survives kill -9 and power loss). On error nothing is kept (the log is truncated back).
// Memory: every deploy is held in memory (a few hundred bytes each; deploys are rare).
//
// Thread safety: all public methods are thread-safe; Add serialises, reads take a shared
// lock and may run concurrently with each other.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/snapshot_files.h"
#include "common/status.h"

namespace perfwatch::events {

class LogWriter;

struct Deploy {
  std::string id{};           // 16 lower-case hex digits, assigned by Add
  std::string app{};          // browser app; exactly one of app and service is set
  std::string service{};      // backend service
  std::string version{};      // required
  std::string commit{};       // optional
  std::string environment{};  // optional
  int64_t time_ms = 0;      // when the deploy happened (unix ms)
  int64_t received_ms = 0;  // when the server stored it (unix ms)
  bool operator==(const Deploy&) const = default;
};

struct DeployFilter {
  std::string app{};             // empty: any
  std::string service{};         // empty: any
  std::string environment{};     // empty: any
  int64_t start_ms = INT64_MIN;  // time_ms >= start_ms
  int64_t end_ms = INT64_MAX;    // time_ms <= end_ms
  size_t limit = 0;              // 0: no limit
};

class DeployStore {
 public:
  // Limits on the stored strings (longer values are rejected by Add).
  static constexpr size_t kMaxFieldBytes = 256;

  // Opens (creating when missing) the store under `dir` and loads every deploy.
  static Result<std::unique_ptr<DeployStore>> Open(const std::filesystem::path& dir);
  ~DeployStore();
  DeployStore(const DeployStore&) = delete;
  DeployStore& operator=(const DeployStore&) = delete;

  // Validates `d` (version set; exactly one of app and service; fields within limits),
  // assigns d.id (16 hex digits, unique), writes and fsyncs it. Returns the stored deploy.
  // received_ms is set to now when 0.
  Result<Deploy> Add(Deploy d);
  // The log as of now, pinned for a snapshot into `dest` (events/log_file.h PinLog).
  Result<std::vector<PinnedFile>> PinForSnapshot(const std::filesystem::path& dest) const;

  // Deploys matching `filter`, newest first (by time_ms, then received order).
  std::vector<Deploy> List(const DeployFilter& filter) const;
  // The deploy with this id, if any.
  std::optional<Deploy> Get(std::string_view id) const;
  // The latest deploy of `app` (or `service`) at or before time_ms, if any. When both are
  // empty, no deploy matches.
  std::optional<Deploy> ClosestBefore(std::string_view app, std::string_view service, int64_t time_ms) const;

  size_t size() const;

 private:
  DeployStore(std::filesystem::path dir, std::unique_ptr<LogWriter> writer, std::vector<Deploy> deploys);

  const std::filesystem::path dir_;
  mutable std::shared_mutex mu_;
  std::unique_ptr<LogWriter> writer_;  // guarded by mu_ (exclusive)
  std::vector<Deploy> deploys_;        // sorted by time_ms (stable: received order); guarded by mu_
};

}  // namespace perfwatch::events
