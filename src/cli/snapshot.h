#pragma once
// Data snapshots (tracker issue 21 item 2; docs/operations.md "Backup and
// restore"): a consistent copy of everything perfwatch keeps, made under
// data_dir/snapshots/<name> while ingest goes on, and the admin API that takes, lists,
// serves and deletes them (what `perfwatch backup` calls):
//   POST|PUT /api/v1/admin/snapshot, /api/v1/admin/tsdb/snapshot (Prometheus' path)
//            ?skip_head=true: without the TSDB head (its WAL); answers
//            {"status":"success","data":{"name":"20261204T201500Z-0123456789abcdef",...}}
//   GET    /api/v1/admin/snapshots                        the snapshots, newest first
//   GET    /api/v1/admin/snapshots/{name}                 its manifest (files and sizes)
//   GET    /api/v1/admin/snapshots/{name}/files/{path}    one file's bytes
//   DELETE /api/v1/admin/snapshots/{name}
// All need the admin scope.
//
// How each part is copied (common/snapshot_files.h): the TSDB is hard-linked after a WAL
// cut (Tsdb::Snapshot); the append-only logs (events, spans, errors, deploys, budget runs)
// are pinned under their stores' append locks, one right after the other, then copied;
// alert and rule state are written out first and copied; every other file and folder of
// the data directory (checks, reports, remote-write progress, journeys, the format
// record) is copied whole. The copy is built in <name>.tmp and renamed when complete, so
// a snapshot directory that exists is whole; snapshot.json (the manifest,
// common/snapshot_manifest.h) is its last file.
//
// Thread safety: Take runs concurrently with ingest and queries; snapshots are taken one
// at a time (a mutex).
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "common/snapshot_files.h"
#include "common/snapshot_manifest.h"
#include "common/status.h"
#include "http/router.h"

namespace perfwatch::cli {

// One part of the data directory with its own way to be copied. Parts not listed are
// copied whole (CopyStateTree), except `snapshots`.
struct SnapshotPart {
  std::string dir;  // relative to the data directory: "events", "tsdb", ...
  // Append-only logs: pins them (into dest = snapshot/dir) under the store's lock.
  std::function<Result<std::vector<PinnedFile>>(const std::filesystem::path& dest)> pin;
  // Otherwise: copies the part into dest itself (after the pins), returns bytes written.
  std::function<Result<uint64_t>(const std::filesystem::path& dest, bool skip_head)> copy;
  bool before_pins = false;  // copy first (the TSDB: its WAL cut is the snapshot's moment)
};

struct SnapshotInfo {
  std::string name;
  int64_t time_ms = 0;
  bool skip_head = false;
  uint64_t files = 0;
  uint64_t bytes = 0;
  double seconds = 0;
};

class SnapshotService {
 public:
  SnapshotService(std::filesystem::path data_dir, std::vector<SnapshotPart> parts);

  Result<SnapshotInfo> Take(bool skip_head);
  void RegisterRoutes(http::Router& router);

  std::filesystem::path dir() const { return data_dir_ / kSnapshotsDir; }
  static constexpr const char* kSnapshotsDir = "snapshots";

 private:
  Status Build(const std::filesystem::path& out, bool skip_head);

  const std::filesystem::path data_dir_;
  const std::vector<SnapshotPart> parts_;
  std::mutex mu_;  // one snapshot at a time
};

// A snapshot name as Prometheus makes them: UTC time, '-', 16 random hex digits.
std::string NewSnapshotName(int64_t now_ms);

}  // namespace perfwatch::cli
