#include "common/snapshot_manifest.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>

#include "common/json_writer.h"
#include "common/time.h"

namespace perfwatch {

uint64_t SnapshotManifest::bytes() const {
  uint64_t sum = 0;
  for (const File& f : files) sum += f.bytes;
  return sum;
}

bool ValidSnapshotName(std::string_view name) {
  if (name.empty() || name.size() > 128 || name.front() == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
  });
}

namespace {

// Relative, '/'-separated, no empty, "." or ".." parts: the path stays inside the snapshot.
bool SafeRelativePath(std::string_view p) {
  if (p.empty() || p.size() > 4096) return false;
  for (size_t start = 0; start <= p.size();) {
    size_t end = p.find('/', start);
    if (end == std::string_view::npos) end = p.size();
    const std::string_view part = p.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (part.find('\0') != std::string_view::npos) return false;
    start = end + 1;
  }
  return true;
}

}  // namespace

std::string FormatSnapshotManifest(const SnapshotManifest& m) {
  std::string out = "{\"name\":";
  AppendJsonString(out, m.name);
  out += ",\"time\":";
  AppendJsonString(out, FormatRfc3339Ms(m.time_ms));
  out += ",\"perfwatch_version\":";
  AppendJsonString(out, m.perfwatch_version);
  out += ",\"skip_head\":";
  out += m.skip_head ? "true" : "false";
  out += ",\"files\":[";
  for (size_t i = 0; i < m.files.size(); ++i) {
    if (i) out += ',';
    out += "{\"path\":";
    AppendJsonString(out, m.files[i].path);
    out += ",\"bytes\":";
    out += std::to_string(m.files[i].bytes);
    out += '}';
  }
  out += "],\"bytes\":";
  out += std::to_string(m.bytes());
  out += ",\"seconds\":";
  AppendJsonNumber(out, m.seconds);
  out += '}';
  return out;
}

Result<SnapshotManifest> ParseSnapshotManifest(std::string_view text, std::string_view where) {
  const std::string at(where);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(text.data(), text.size()).get(root) != simdjson::SUCCESS || !root.is_object()) {
    return DataLoss(at + ": the snapshot manifest is not a JSON object");
  }
  SnapshotManifest m;
  std::string_view name, time, version;
  simdjson::dom::array files;
  uint64_t bytes = 0;
  if (root["name"].get(name) || root["time"].get(time) || root["files"].get(files) || root["bytes"].get(bytes)) {
    return DataLoss(at + ": the snapshot manifest lacks name, time, files or bytes");
  }
  if (!ValidSnapshotName(name)) return DataLoss(at + ": the manifest's name is not a snapshot name");
  m.name = std::string(name);
  auto t = ParseTimeMs(time);
  if (!t.ok()) return DataLoss(at + ": the manifest's time is not a time");
  // 1970 to 9999: the manifest is written in RFC 3339 with a four-digit year, and a time
  // outside (seconds since 1970 big enough to reach the year 33943, found by the fuzzer)
  // would be written in a form that does not read back.
  constexpr int64_t kYear10000Ms = 253'402'300'800'000;
  if (*t < 0 || *t >= kYear10000Ms) {
    return DataLoss(at + ": the manifest's time is not between 1970 and 9999");
  }
  m.time_ms = *t;
  if (root["perfwatch_version"].get(version) == simdjson::SUCCESS) m.perfwatch_version = std::string(version);
  if (root["skip_head"].get(m.skip_head) != simdjson::SUCCESS) m.skip_head = false;
  if (root["seconds"].get(m.seconds) != simdjson::SUCCESS || !std::isfinite(m.seconds)) m.seconds = 0;
  for (simdjson::dom::element f : files) {
    std::string_view path;
    uint64_t size = 0;
    if (f["path"].get(path) || f["bytes"].get(size)) return DataLoss(at + ": a manifest entry lacks path or bytes");
    if (!SafeRelativePath(path)) return DataLoss(at + ": the manifest names a path outside the snapshot");
    if (path == kSnapshotManifestName) return DataLoss(at + ": the manifest lists itself");
    m.files.push_back({std::string(path), size});
  }
  if (m.bytes() != bytes) return DataLoss(at + ": the manifest's bytes are not the sum of its files'");
  return m;
}

}  // namespace perfwatch
