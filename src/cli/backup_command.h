#pragma once
// `perfwatch backup` and `perfwatch restore` (tracker issue 21 item 2; docs/operations.md
// "Backup and restore"):
//   perfwatch backup --server URL DEST [--snapshot NAME] [--skip-head] [--keep-snapshot]
//     asks the server for a snapshot (POST /api/v1/admin/snapshot, admin scope) or takes
//     an existing one (--snapshot), downloads every file its manifest lists into
//     DEST/<name>/ (sizes checked; the manifest written last, so a backup with a manifest
//     is whole), then deletes the snapshot on the server unless --keep-snapshot or
//     --snapshot. Progress on stderr.
//   perfwatch restore SNAPSHOT --data-dir DIR
//     checks SNAPSHOT (a snapshot or backup directory: every file of its manifest present
//     with its size) and copies it into DIR, which must be empty or missing; then
//     `perfwatch serve --data-dir DIR` opens it.
// Exit status: 0 done, 1 failed (the reason on stderr), 2 usage error.
// Thread safety: called once from main.
#include <CLI/CLI.hpp>

#include <optional>
#include <string>

namespace perfwatch::cli {

struct BackupFlags {
  std::string server = "http://127.0.0.1:9797";
  std::string dest;
  std::optional<std::string> snapshot;
  std::optional<std::string> token;
  bool skip_head = false;
  bool keep_snapshot = false;
};

struct RestoreFlags {
  std::string snapshot;
  std::string data_dir;
};

CLI::App* AddBackupCommand(CLI::App& app, BackupFlags& flags);
CLI::App* AddRestoreCommand(CLI::App& app, RestoreFlags& flags);
int RunBackup(const BackupFlags& flags);
int RunRestore(const RestoreFlags& flags);

}  // namespace perfwatch::cli
