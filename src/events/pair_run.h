#pragma once
// A spilled run of the PairIndex: an immutable file of (hash, row) entries sorted by
// (hash, row), and what stays in memory to search it without reading the file: a blocked
// Bloom filter of the hashes (one 64-byte block per lookup, 12 bits per entry) and, per
// 4 KiB page of the file, its first hash and its CRC-32C (8 bytes per 512 entries).
//
// File (pairs-<n>.run in the partition directory; little-endian): `count` 8-byte entries
// (hash << 32 | row), 512 per 4 KiB page, then a 32-byte trailer {magic "PWPAIRS1",
// u32 version = 1, u32 entries per page = 512, u64 count, u32 CRC-32C of the entries,
// u32 CRC-32C of the trailer's first 28 bytes}. Run files are derived data: never
// fsynced, deleted and rebuilt by replay. Every page read is checked against the CRC
// kept in memory, so the bytes on disk are never trusted (nothing parses the trailer).
//
// Thread safety: a PairRun is immutable once built; ReadPage and Reader use their own fd
// and the caller's buffer, so concurrent reads are safe.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "common/status.h"

namespace perfwatch::events {

inline uint64_t PackPair(uint32_t hash, uint32_t row) { return (static_cast<uint64_t>(hash) << 32) | row; }
inline uint32_t PairEntryHash(uint64_t e) { return static_cast<uint32_t>(e >> 32); }
inline uint32_t PairEntryRow(uint64_t e) { return static_cast<uint32_t>(e); }

// Blocked Bloom filter over 32-bit hashes: 512-bit blocks, 7 bits per key in one block.
// The block array is mmap'ed (returned to the OS when the filter goes).
class PairBloom {
 public:
  static constexpr size_t kBitsPerKey = 12;
  PairBloom() = default;
  explicit PairBloom(size_t keys);
  ~PairBloom();
  PairBloom(PairBloom&& o) noexcept { *this = std::move(o); }
  PairBloom& operator=(PairBloom&& o) noexcept;

  void Add(uint32_t hash);
  bool MayContain(uint32_t hash) const;
  void Prefetch(uint32_t hash) const;
  size_t MemoryBytes() const { return map_bytes_; }

 private:
  size_t Block(uint64_t z) const { return static_cast<size_t>(((z >> 32) * blocks_) >> 32); }
  uint64_t* words_ = nullptr;  // blocks_ * 8 words
  size_t blocks_ = 0;
  size_t map_bytes_ = 0;
};

class PairRun {
 public:
  static constexpr uint32_t kPageEntries = 512;
  static constexpr size_t kPageBytes = kPageEntries * sizeof(uint64_t);
  static constexpr size_t kTrailerBytes = 32;
  static constexpr char kMagic[8] = {'P', 'W', 'P', 'A', 'I', 'R', 'S', '1'};

  // Writes `sorted` (ascending entries) to `path` (created or truncated).
  static Result<std::unique_ptr<PairRun>> Write(const std::filesystem::path& path, std::span<const uint64_t> sorted);
  // Writes the union of `inputs` (entries in ascending order) to `path`. The inputs are
  // left alone; on error `path` is removed.
  static Result<std::unique_ptr<PairRun>> Merge(const std::filesystem::path& path,
                                                std::span<const PairRun* const> inputs);

  const std::filesystem::path& path() const { return path_; }
  uint64_t count() const { return count_; }
  size_t pages() const { return first_.size(); }
  bool MayContain(uint32_t hash) const { return bloom_.MayContain(hash); }
  void Prefetch(uint32_t hash) const { bloom_.Prefetch(hash); }
  // Pages [first, second) that may hold entries with `hash` (empty when none can).
  std::pair<size_t, size_t> PagesFor(uint32_t hash) const;
  // Reads page `page` into `out` (kPageEntries capacity); *n = its entry count. DataLoss
  // when the bytes do not match the page's CRC.
  Status ReadPage(size_t page, uint64_t* out, uint32_t* n) const;
  // In-memory bytes: Bloom filter and page table.
  size_t MemoryBytes() const;

  // Sequential reader (merges): reads 16 pages per pread, each checked against its CRC.
  class Reader {
   public:
    explicit Reader(const PairRun& run) : run_(run) {}
    ~Reader();
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;
    // *has = false at the end.
    Status Next(uint64_t* entry, bool* has);

   private:
    Status Fill();
    const PairRun& run_;
    int fd_ = -1;
    std::vector<uint64_t> buf_;
    size_t pos_ = 0;
    uint64_t consumed_ = 0;  // entries read from the file so far
  };

 private:
  friend class PairRunWriter;
  PairRun(std::filesystem::path path, size_t expected) : path_(std::move(path)), bloom_(expected) {}

  std::filesystem::path path_;
  uint64_t count_ = 0;
  PairBloom bloom_;
  std::vector<uint32_t> first_;  // first hash of each page
  std::vector<uint32_t> crc_;    // CRC-32C of each page's bytes
};

}  // namespace perfwatch::events
