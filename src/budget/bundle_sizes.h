#pragma once
// Sizes of a build's files as they travel: raw, gzip and brotli (issue 17: bundle budgets
// and `perfwatch bundle report`). gzip is zlib at level 9 (default memory level) with a
// gzip header and no name or time: what web servers, Node's zlib.gzipSync({level: 9}) and
// Python's gzip.compress(data, 9) send, to the byte (GNU `gzip -9` has its own deflate and
// is usually ~0.2 % smaller; docs/bundles.md). brotli is
// quality 11 with the smallest window that holds the input (10-24 bits) and its size as a
// hint (what `brotli -q 11 FILE` writes, to the byte).
//
// Thread safety: pure functions; safe from any thread.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace perfwatch::budget {

struct FileSize {
  std::string path;  // relative to the measured root, '/'-separated
  std::uint64_t raw = 0;
  std::uint64_t gzip = 0;
  std::uint64_t brotli = 0;
};

// Compressed sizes of one buffer.
std::uint64_t GzipSize(std::string_view data);
std::uint64_t BrotliSize(std::string_view data);

// Every regular file under `root` (recursively, symlinks not followed), sorted by path.
// Throws std::runtime_error with a one-line reason when `root` is not a readable
// directory or a file cannot be read.
std::vector<FileSize> MeasureFiles(const std::filesystem::path& root);

}  // namespace perfwatch::budget
