#include "cli/backup_command.h"

#include <simdjson.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "cli/data_formats.h"
#include "cli/server_address.h"
#include "cli/snapshot.h"
#include "common/file_util.h"
#include "common/snapshot_files.h"
#include "common/snapshot_manifest.h"
#include "http/blocking_client.h"

namespace perfwatch::cli {

namespace fs = std::filesystem;

namespace {

std::string Human(uint64_t bytes) {
  char buf[32];
  if (bytes >= (1ull << 30)) std::snprintf(buf, sizeof buf, "%.2f GiB", bytes / double(1ull << 30));
  else if (bytes >= (1ull << 20)) std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / double(1ull << 20));
  else std::snprintf(buf, sizeof buf, "%.1f KiB", bytes / 1024.0);
  return buf;
}

// Progress on stderr: a line per 10 % (or a rewritten line on a terminal).
class Progress {
 public:
  Progress(const char* verb, uint64_t total) : verb_(verb), total_(total), tty_(::isatty(2)) {}
  void Add(uint64_t bytes) {
    done_ += bytes;
    const int pct = total_ == 0 ? 100 : static_cast<int>(done_ * 100 / total_);
    if (tty_) {
      std::fprintf(stderr, "\r%s: %3d%% (%s of %s)", verb_, pct, Human(done_).c_str(), Human(total_).c_str());
    } else if (pct / 10 > last_decile_) {
      last_decile_ = pct / 10;
      std::fprintf(stderr, "%s: %d%% (%s of %s)\n", verb_, pct, Human(done_).c_str(), Human(total_).c_str());
    }
  }
  void Done() {
    if (tty_) std::fputc('\n', stderr);
  }

 private:
  const char* verb_;
  uint64_t total_;
  uint64_t done_ = 0;
  bool tty_;
  int last_decile_ = -1;
};

std::string ApiError(const http::ClientResponse& res) {
  return res.status == 0 ? "cannot reach the server" : ServerAnswerError(res.status, res.body);
}

int Fail(const char* cmd, const std::string& msg) {
  std::fprintf(stderr, "perfwatch %s: %s\n", cmd, msg.c_str());
  return 1;
}

}  // namespace

CLI::App* AddBackupCommand(CLI::App& app, BackupFlags& flags) {
  CLI::App* cmd = app.add_subcommand(
      "backup",
      "copy a consistent snapshot of a running server's data into DEST/<snapshot name> (docs/operations.md)");
  cmd->add_option("DEST", flags.dest, "folder to write the backup into (created if missing)")->required();
  cmd->add_option("--server", flags.server, "perfwatch server URL")->capture_default_str();
  cmd->add_option("--snapshot", flags.snapshot, "back up this existing snapshot instead of taking a new one");
  cmd->add_flag("--skip-head", flags.skip_head, "leave out the TSDB head (samples not yet in a block), as Prometheus' skip_head");
  cmd->add_flag("--keep-snapshot", flags.keep_snapshot, "keep the snapshot the backup took on the server (default: delete it)");
  cmd->add_option("--token", flags.token, "API token with the admin scope (default: $PERFWATCH_TOKEN)");
  cmd->footer(
      "Exit status: 0 done, 1 failed, 2 usage error. The server needs the admin scope when auth is on.\n"
      "Restore with: perfwatch restore DEST/<name> --data-dir DIR");
  return cmd;
}

CLI::App* AddRestoreCommand(CLI::App& app, RestoreFlags& flags) {
  CLI::App* cmd = app.add_subcommand(
      "restore", "copy a snapshot or backup into an empty data directory for `perfwatch serve --data-dir` (docs/operations.md)");
  cmd->add_option("SNAPSHOT", flags.snapshot, "snapshot folder (data_dir/snapshots/<name> or a backup's DEST/<name>)")
      ->required();
  cmd->add_option("--data-dir", flags.data_dir, "data directory to create; must be empty or missing")->required();
  cmd->footer("Exit status: 0 done, 1 failed (missing or short files, a non-empty data directory), 2 usage error.");
  return cmd;
}

int RunBackup(const BackupFlags& flags) {
  auto server = ParseServer(flags.server);
  if (!server.ok()) {
    std::fprintf(stderr, "perfwatch backup: %s\n", server.status().message().c_str());
    return 2;
  }
  const auto t0 = std::chrono::steady_clock::now();
  http::BlockingClient client(server->port, server->host);
  const auto headers = BearerHeaders(flags.token);
  std::string name;
  if (flags.snapshot) {
    if (!ValidSnapshotName(*flags.snapshot)) {
      std::fprintf(stderr, "perfwatch backup: --snapshot: not a snapshot name\n");
      return 2;
    }
    name = *flags.snapshot;
  } else {
    auto res = client.Request("POST", std::string("/api/v1/admin/snapshot") + (flags.skip_head ? "?skip_head=true" : ""),
                              "", headers);
    if (res.status != 200) return Fail("backup", "taking the snapshot: " + ApiError(res));
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    std::string_view n;
    if (parser.parse(res.body).get(root) || root["data"]["name"].get(n)) {
      return Fail("backup", "unexpected answer to the snapshot request: " + res.body.substr(0, 200));
    }
    name = std::string(n);
    std::fprintf(stderr, "perfwatch backup: snapshot %s taken on the server\n", name.c_str());
  }
  auto res = client.Get("/api/v1/admin/snapshots/" + name, headers);
  if (res.status != 200) return Fail("backup", "reading the manifest of " + name + ": " + ApiError(res));
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::dom::element data;
  if (parser.parse(res.body).get(root) || root["data"].get(data)) return Fail("backup", "unexpected manifest answer");
  const std::string manifest_text = simdjson::minify(data);
  auto manifest = ParseSnapshotManifest(manifest_text, "snapshot " + name);
  if (!manifest.ok()) return Fail("backup", manifest.status().message());

  const fs::path out = fs::path(flags.dest) / name;
  std::error_code ec;
  if (fs::exists(out / kSnapshotManifestName, ec)) return Fail("backup", out.string() + " already holds a backup");
  fs::create_directories(out, ec);
  if (ec) return Fail("backup", "cannot create " + out.string() + ": " + ec.message());
  Progress progress("perfwatch backup", manifest->bytes());
  for (const SnapshotManifest::File& f : manifest->files) {
    auto file = client.Get("/api/v1/admin/snapshots/" + name + "/files/" + f.path, headers);
    if (file.status != 200) return Fail("backup", "downloading " + f.path + ": " + ApiError(file));
    if (file.body.size() != f.bytes) {
      return Fail("backup", f.path + ": got " + std::to_string(file.body.size()) + " bytes, the manifest says " +
                                std::to_string(f.bytes));
    }
    const fs::path dest = out / f.path;
    fs::create_directories(dest.parent_path(), ec);
    if (Status s = WriteFileAtomically(dest, file.body); !s.ok()) return Fail("backup", s.message());
    progress.Add(f.bytes);
  }
  progress.Done();
  if (Status s = WriteFileAtomically(out / kSnapshotManifestName, manifest_text); !s.ok()) {
    return Fail("backup", s.message());
  }
  if (!flags.snapshot && !flags.keep_snapshot) {
    auto del = client.Request("DELETE", "/api/v1/admin/snapshots/" + name, "", headers);
    if (del.status != 200) std::fprintf(stderr, "perfwatch backup: deleting the snapshot on the server: %s\n", ApiError(del).c_str());
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("backup %s: %zu files, %s in %.1f s -> %s\n", name.c_str(), manifest->files.size(),
              Human(manifest->bytes()).c_str(), secs, out.string().c_str());
  return 0;
}

int RunRestore(const RestoreFlags& flags) {
  const fs::path src(flags.snapshot);
  const fs::path dest(flags.data_dir);
  auto text = ReadFile(src / kSnapshotManifestName);
  if (!text.ok()) {
    return Fail("restore", src.string() + " is not a snapshot or backup (no " + kSnapshotManifestName +
                               "; an unfinished one has none)");
  }
  auto manifest = ParseSnapshotManifest(*text, (src / kSnapshotManifestName).string());
  if (!manifest.ok()) return Fail("restore", manifest.status().message());
  // A snapshot a newer perfwatch wrote is refused here, not at the first start.
  if (auto formats = ReadFile(src / kFormatsFileName); formats.ok()) {
    auto record = ParseFormatsRecord(*formats);
    if (!record.ok()) return Fail("restore", (src / kFormatsFileName).string() + ": " + record.status().message());
    for (const DataFormat& f : ProductDataFormats()) {
      const auto v = record->Get(f.name);
      if (v && *v > f.version) {
        return Fail("restore", src.string() + " was written by perfwatch " + record->written_by + " with " + f.name +
                                   " format version " + std::to_string(*v) + "; this perfwatch reads up to " +
                                   std::to_string(f.version) + ": restore it with a newer perfwatch");
      }
    }
  }
  // Check everything before writing anything.
  std::error_code ec;
  for (const SnapshotManifest::File& f : manifest->files) {
    const auto size = fs::file_size(src / f.path, ec);
    if (ec) return Fail("restore", (src / f.path).string() + " is missing");
    if (size != f.bytes) {
      return Fail("restore", (src / f.path).string() + " has " + std::to_string(size) + " bytes, the manifest says " +
                                 std::to_string(f.bytes));
    }
  }
  if (fs::exists(dest, ec) && !fs::is_empty(dest, ec)) {
    return Fail("restore", dest.string() + " is not empty; restore into an empty or new directory");
  }
  fs::create_directories(dest, ec);
  if (ec) return Fail("restore", "cannot create " + dest.string() + ": " + ec.message());
  const auto t0 = std::chrono::steady_clock::now();
  Progress progress("perfwatch restore", manifest->bytes());
  for (const SnapshotManifest::File& f : manifest->files) {
    // Copies, not links: the restored stores append to their logs.
    fs::create_directories((dest / f.path).parent_path(), ec);
    if (!fs::copy_file(src / f.path, dest / f.path, fs::copy_options::overwrite_existing, ec) || ec) {
      return Fail("restore", "copy " + f.path + ": " + ec.message());
    }
    progress.Add(f.bytes);
  }
  progress.Done();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("restored %s: %zu files, %s in %.1f s into %s; start it with: perfwatch serve --data-dir %s\n",
              manifest->name.c_str(), manifest->files.size(), Human(manifest->bytes()).c_str(), secs,
              dest.string().c_str(), dest.string().c_str());
  return 0;
}

}  // namespace perfwatch::cli
