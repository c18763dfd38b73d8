#include "cli/snapshot.h"


#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <set>

#include "cli/build_info.h"
#include "common/file_util.h"
#include "common/json_writer.h"
#include "common/log.h"
#include "common/snapshot_manifest.h"
#include "common/time.h"
#include "analysis/get_api.h"

namespace perfwatch::cli {

namespace fs = std::filesystem;

std::string NewSnapshotName(int64_t now_ms) {
  const std::time_t secs = static_cast<std::time_t>(now_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  static thread_local std::mt19937_64 rng(std::random_device{}());
  char name[64];
  std::snprintf(name, sizeof name, "%s-%016llx", stamp, static_cast<unsigned long long>(rng()));
  return name;
}

SnapshotService::SnapshotService(fs::path data_dir, std::vector<SnapshotPart> parts)
    : data_dir_(std::move(data_dir)), parts_(std::move(parts)) {}

Status SnapshotService::Build(const fs::path& out, bool skip_head) {
  std::set<std::string> handled = {kSnapshotsDir};
  for (const auto& part : parts_) handled.insert(part.dir);
  // 1. The TSDB's cut: the snapshot's moment.
  for (const auto& part : parts_) {
    if (part.copy && part.before_pins) PW_RETURN_IF_ERROR(part.copy(out / part.dir, skip_head).status());
  }
  // 2. The append-only logs, pinned one right after the other, copied afterwards.
  std::vector<PinnedFile> pins;
  for (const auto& part : parts_) {
    if (!part.pin) continue;
    PW_ASSIGN_OR_RETURN(auto p, part.pin(out / part.dir));
    for (auto& f : p) pins.push_back(std::move(f));
  }
  PW_RETURN_IF_ERROR(CopyPinnedFiles(pins).status());
  pins.clear();
  // 3. State written out by its owner, then everything else as it is.
  for (const auto& part : parts_) {
    if (part.copy && !part.before_pins) PW_RETURN_IF_ERROR(part.copy(out / part.dir, skip_head).status());
  }
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(data_dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (handled.contains(name) || entry.path().extension() == ".tmp") continue;
    if (entry.is_directory(ec)) {
      PW_RETURN_IF_ERROR(CopyStateTree(entry.path(), out / name).status());
    } else if (entry.is_regular_file(ec)) {
      auto data = ReadFile(entry.path());
      if (!data.ok()) {
        if (data.status().code() == StatusCode::kNotFound) continue;
        return data.status();
      }
      PW_RETURN_IF_ERROR(WriteFileAtomically(out / name, *data));
    }
  }
  if (ec) return IoError("list " + data_dir_.string(), ec.value());
  return Status::Ok();
}

namespace {

// The manifest: name, time, the build that made it and every file with its size.
std::string ManifestJson(const SnapshotInfo& info, const fs::path& dir) {
  SnapshotManifest m{.name = info.name, .time_ms = info.time_ms, .perfwatch_version = CurrentBuild().version,
                     .skip_head = info.skip_head, .seconds = info.seconds};
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::string rel = fs::relative(it->path(), dir).generic_string();
    if (rel == kSnapshotManifestName) continue;
    m.files.push_back({std::move(rel), it->file_size(ec)});
  }
  std::sort(m.files.begin(), m.files.end(), [](const auto& x, const auto& y) { return x.path < y.path; });
  return FormatSnapshotManifest(m);
}

void AppendInfoJson(std::string& out, const SnapshotInfo& info) {
  out += "{\"name\":";
  AppendJsonString(out, info.name);
  out += ",\"time\":";
  AppendJsonString(out, FormatRfc3339Ms(info.time_ms));
  out += ",\"skip_head\":";
  out += info.skip_head ? "true" : "false";
  out += ",\"files\":";
  AppendJsonInt(out, static_cast<long long>(info.files));
  out += ",\"bytes\":";
  AppendJsonInt(out, static_cast<long long>(info.bytes));
  out += ",\"seconds\":";
  AppendJsonNumber(out, info.seconds);
  out += '}';
}

// A snapshot's manifest as read back: its text and its parsed form.
struct StoredManifest {
  std::string text;
  SnapshotManifest manifest;
};

Result<StoredManifest> ReadManifest(const fs::path& dir) {
  const fs::path path = dir / kSnapshotManifestName;
  PW_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  PW_ASSIGN_OR_RETURN(SnapshotManifest m, ParseSnapshotManifest(text, path.string()));
  return StoredManifest{.text = std::move(text), .manifest = std::move(m)};
}

// The info of a manifest (files and bytes summed).
SnapshotInfo InfoOf(const SnapshotManifest& m) {
  return SnapshotInfo{.name = m.name, .time_ms = m.time_ms, .skip_head = m.skip_head, .files = m.files.size(),
                      .bytes = m.bytes(), .seconds = m.seconds};
}

void WriteError(http::Response& res, const Status& s) {
  const int code = s.code() == StatusCode::kNotFound ? 404 : s.code() == StatusCode::kInvalidArgument ? 400 : 500;
  http::WriteApiError(res, code, code == 404 ? "not_found" : code == 400 ? "bad_data" : "internal", s.message());
}

}  // namespace

Result<SnapshotInfo> SnapshotService::Take(bool skip_head) {
  std::lock_guard lock(mu_);
  const auto t0 = std::chrono::steady_clock::now();
  SnapshotInfo info;
  info.time_ms = NowMs();
  info.name = NewSnapshotName(info.time_ms);
  info.skip_head = skip_head;
  const fs::path final_dir = dir() / info.name;
  const fs::path tmp = final_dir.string() + ".tmp";
  std::error_code ec;
  // Leftovers of snapshots that failed or were cut short by a crash.
  for (const auto& entry : fs::directory_iterator(dir(), ec)) {
    if (entry.path().extension() == ".tmp") fs::remove_all(entry.path(), ec);
  }
  ec.clear();
  fs::create_directories(tmp, ec);
  if (ec) return IoError("create " + tmp.string(), ec.value());
  Status s = Build(tmp, skip_head);
  if (s.ok()) {
    info.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const TreeSize size = MeasureTree(tmp);
    info.files = size.files;
    info.bytes = size.bytes;
    s = WriteFileAtomically(tmp / kSnapshotManifestName, ManifestJson(info, tmp));
  }
  if (s.ok()) {
    fs::rename(tmp, final_dir, ec);
    if (ec) s = IoError("rename " + tmp.string(), ec.value());
  }
  if (s.ok()) s = SyncDirectory(dir());
  if (!s.ok()) {
    fs::remove_all(tmp, ec);
    return s.WithContext("snapshot");
  }
  PW_LOG_INFO("snapshot taken", "name={} files={} bytes={} seconds={:.3f}", info.name, info.files, info.bytes,
              info.seconds);
  return info;
}

void SnapshotService::RegisterRoutes(http::Router& router) {
  auto take = [this](const http::Request& req, http::Response& res) {
    auto skip = analysis::ParseBoolParam(req, "skip_head");
    if (!skip.ok()) return WriteError(res, skip.status());
    auto info = Take(skip->value_or(false));
    if (!info.ok()) {
      PW_LOG_WARN("snapshot failed", "err={}", LogQuote(info.status().message()));
      return WriteError(res, info.status());
    }
    res.body = "{\"status\":\"success\",\"data\":";
    AppendInfoJson(res.body, *info);
    res.body += '}';
  };
  for (const char* method : {"POST", "PUT"}) {
    router.Handle(method, "/api/v1/admin/snapshot", take);
    router.Handle(method, "/api/v1/admin/tsdb/snapshot", take);
  }
  router.Handle("GET", "/api/v1/admin/snapshots", [this](const http::Request&, http::Response& res) {
    std::vector<SnapshotInfo> infos;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir(), ec)) {
      if (!entry.is_directory(ec) || entry.path().extension() == ".tmp") continue;
      auto stored = ReadManifest(entry.path());
      if (stored.ok()) infos.push_back(InfoOf(stored->manifest));
    }
    std::sort(infos.begin(), infos.end(), [](const SnapshotInfo& a, const SnapshotInfo& b) {
      return a.time_ms != b.time_ms ? a.time_ms > b.time_ms : a.name > b.name;
    });
    res.body = "{\"status\":\"success\",\"data\":[";
    for (size_t i = 0; i < infos.size(); ++i) {
      if (i) res.body += ',';
      AppendInfoJson(res.body, infos[i]);
    }
    res.body += "]}";
  });
  constexpr std::string_view kPrefix = "/api/v1/admin/snapshots/";
  router.HandlePrefix("GET", std::string(kPrefix), [this, kPrefix](const http::Request& req, http::Response& res) {
    std::string_view rest = req.path.substr(kPrefix.size());
    const size_t slash = rest.find('/');
    const std::string_view name = rest.substr(0, slash);
    if (!ValidSnapshotName(name)) return WriteError(res, InvalidArgument("invalid snapshot name"));
    const fs::path snap = dir() / std::string(name);
    auto stored = ReadManifest(snap);
    if (!stored.ok()) {
      return WriteError(res, stored.status().code() == StatusCode::kNotFound
                                 ? NotFound("snapshot " + std::string(name) + " not found")
                                 : stored.status());
    }
    if (slash == std::string_view::npos) {
      res.body = "{\"status\":\"success\",\"data\":" + stored->text + "}";
      return;
    }
    constexpr std::string_view kFiles = "/files/";
    if (rest.substr(slash, kFiles.size()) != kFiles) return WriteError(res, NotFound("no such snapshot resource"));
    const std::string file(rest.substr(slash + kFiles.size()));
    // Only files the manifest lists (no "..", no links out of the snapshot).
    const auto& files = stored->manifest.files;
    const bool listed =
        std::any_of(files.begin(), files.end(), [&](const SnapshotManifest::File& f) { return f.path == file; });
    if (!listed) return WriteError(res, NotFound("snapshot " + std::string(name) + " has no file " + file));
    std::shared_ptr<FILE> in(std::fopen((snap / file).c_str(), "rb"), [](FILE* f) {
      if (f) std::fclose(f);
    });
    if (!in) return WriteError(res, IoError("open " + file, errno));
    res.content_type = "application/octet-stream";
    res.stream = [in](std::string& chunk) {
      char buf[1 << 16];
      const size_t n = std::fread(buf, 1, sizeof buf, in.get());
      chunk.append(buf, n);
      return n == sizeof buf;
    };
  });
  router.HandlePrefix("DELETE", std::string(kPrefix), [this, kPrefix](const http::Request& req, http::Response& res) {
    const std::string name(req.path.substr(kPrefix.size()));
    if (!ValidSnapshotName(name)) return WriteError(res, InvalidArgument("invalid snapshot name"));
    std::lock_guard lock(mu_);
    std::error_code ec;
    if (!fs::exists(dir() / name / kSnapshotManifestName, ec)) return WriteError(res, NotFound("snapshot " + name + " not found"));
    fs::remove_all(dir() / name, ec);
    if (ec) return WriteError(res, IoError("delete snapshot " + name, ec.value()));
    res.body = "{\"status\":\"success\",\"data\":null}";
  });
}

}  // namespace perfwatch::cli
