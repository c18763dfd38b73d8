#pragma once
// Copying a data directory's files into a snapshot (POST /api/v1/admin/snapshot;
// docs/operations.md "Snapshots"). Three kinds of file:
//  - immutable ones (TSDB blocks, WAL segments after a cut, checkpoints) are hard-linked;
//  - append-only logs are pinned under their store's append lock (a dup of the
//    descriptor and the size at that moment: whole batches only) and their prefix copied
//    afterwards, outside the lock, while appends go on;
//  - small state files replaced by rename (alert state, rule state, checks) are copied
//    whole: a reader sees the old or the new file, never half of one.
// Thread safety: stateless functions; a PinnedFile is owned by one thread.
#include <cstdint>
#include <filesystem>
#include <vector>

#include "common/status.h"

namespace perfwatch {

// A file's first `size` bytes as of the moment it was pinned, to be written to `dest`.
class PinnedFile {
 public:
  // Opens `fd`'s file again for reading (/proc/self/fd; a dup without it): the copy works
  // even if the file is deleted, renamed or appended to meanwhile.
  static Result<PinnedFile> Pin(int fd, uint64_t size, std::filesystem::path dest);
  PinnedFile(PinnedFile&& other) noexcept;
  PinnedFile& operator=(PinnedFile&& other) noexcept;
  PinnedFile(const PinnedFile&) = delete;
  PinnedFile& operator=(const PinnedFile&) = delete;
  ~PinnedFile();

  uint64_t size() const { return size_; }
  // Writes the pinned prefix to dest (creating its folders) and fsyncs it.
  Status CopyOut() const;

 private:
  PinnedFile(int fd, uint64_t size, std::filesystem::path dest) : fd_(fd), size_(size), dest_(std::move(dest)) {}
  int fd_ = -1;
  uint64_t size_ = 0;
  std::filesystem::path dest_;
};

// CopyOut of every pinned file; returns the bytes copied.
Result<uint64_t> CopyPinnedFiles(const std::vector<PinnedFile>& files);

// Hard-links `src` to `dest` (creating dest's folders); copies when the two are on
// different file systems (EXDEV) or links are not supported.
Status LinkOrCopyFile(const std::filesystem::path& src, const std::filesystem::path& dest);

// Copies every regular file under `src` into `dest` (same relative paths), whole, skipping
// `*.tmp` files (a writer's unfinished replacement). A missing `src` copies nothing.
// Returns the bytes copied.
Result<uint64_t> CopyStateTree(const std::filesystem::path& src, const std::filesystem::path& dest);

// The regular files and their bytes under `dir`, for reports and backups.
struct TreeSize {
  uint64_t files = 0;
  uint64_t bytes = 0;
};
TreeSize MeasureTree(const std::filesystem::path& dir);

}  // namespace perfwatch
