#pragma once
// Small POSIX file helpers shared by the on-disk stores (event log, WAL, blocks).
// Thread safety: stateless functions.
#include <filesystem>
#include <string_view>

#include "common/status.h"

namespace perfwatch {

// write(2)s all of `data` to `fd`, retrying short writes and EINTR.
Status WriteAll(int fd, std::string_view data);

// fsyncs a directory, so entries created, renamed or removed in it are durable.
Status SyncDirectory(const std::filesystem::path& dir);

// Replaces `path` with `data` durably: writes `path`.tmp, fsyncs it, renames it over
// `path` and fsyncs the directory. A crash leaves either the old or the new file.
Status WriteFileAtomically(const std::filesystem::path& path, std::string_view data);

// Reads a whole file. NotFound when it does not exist.
Result<std::string> ReadFile(const std::filesystem::path& path);

}  // namespace perfwatch
