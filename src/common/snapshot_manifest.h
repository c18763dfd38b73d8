#pragma once
// A snapshot's manifest, `snapshot.json` (docs/operations.md "Backup and restore"): what the
// server writes last into a snapshot, serves at GET /api/v1/admin/snapshots/{name}, and
// `perfwatch backup` / `restore` read back to know every file and its size.
//   {"name":"20261204T201500Z-…","time":"2026-12-04T20:15:00.123Z","perfwatch_version":"0.1.0",
//    "skip_head":false,"files":[{"path":"events/part-…/events.log","bytes":123}],
//    "bytes":123,"seconds":0.41}
// Thread safety: stateless functions.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace perfwatch {

inline constexpr const char* kSnapshotManifestName = "snapshot.json";

struct SnapshotManifest {
  struct File {
    std::string path;  // relative, '/'-separated, inside the snapshot (no "..", ".", empty parts)
    uint64_t bytes = 0;
    bool operator==(const File&) const = default;
  };
  std::string name;
  int64_t time_ms = 0;
  std::string perfwatch_version;
  bool skip_head = false;
  std::vector<File> files;
  double seconds = 0;  // how long taking it took

  uint64_t bytes() const;  // sum of the files
  bool operator==(const SnapshotManifest&) const = default;
};

// Names the API accepts: 1-128 of letters, digits, '-', '_', '.', not starting with '.'.
bool ValidSnapshotName(std::string_view name);

// The JSON above (files in the given order).
std::string FormatSnapshotManifest(const SnapshotManifest& m);
// Parses it back. DataLoss naming `where` for anything that is not a manifest: not JSON, a
// missing or mistyped field, a name ValidSnapshotName refuses, a file path that leaves the
// snapshot, a `bytes` that is not the files' sum.
Result<SnapshotManifest> ParseSnapshotManifest(std::string_view text, std::string_view where);

}  // namespace perfwatch
