// libFuzzer target for a snapshot's manifest (snapshot.json, common/snapshot_manifest.h),
// which `perfwatch restore` and `backup` read from disk and from a server: any bytes give a
// manifest or DataLoss, never a crash; a manifest that reads has a valid name and only
// paths inside the snapshot, and its written form reads back equal.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/snapshot_manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto m = perfwatch::ParseSnapshotManifest(text, "fuzz");
  if (!m.ok()) {
    if (m.status().code() != perfwatch::StatusCode::kDataLoss) std::abort();
    return 0;
  }
  if (!perfwatch::ValidSnapshotName(m->name)) std::abort();
  for (const auto& f : m->files) {
    // Relative, and no part empty, "." or "..": the path stays inside the snapshot.
    if (f.path.empty() || f.path.front() == '/') std::abort();
    for (size_t start = 0; start <= f.path.size();) {
      size_t end = f.path.find('/', start);
      if (end == std::string::npos) end = f.path.size();
      const std::string_view part = std::string_view(f.path).substr(start, end - start);
      if (part.empty() || part == "." || part == "..") std::abort();
      start = end + 1;
    }
  }
  auto again = perfwatch::ParseSnapshotManifest(perfwatch::FormatSnapshotManifest(*m), "fuzz");
  if (!again.ok()) std::abort();
  // Times keep millisecond precision; seconds go through the shortest round-trip form.
  if (again->name != m->name || again->files != m->files || again->time_ms != m->time_ms ||
      again->skip_head != m->skip_head) {
    std::abort();
  }
  return 0;
}
