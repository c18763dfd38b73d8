#pragma once
// A persisted block opened for reading (layout: docs/format/blocks.md). The index and
// chunks files are mmap'ed read-only; Open checks magic, version, sizes and the index
// checksum and parses only the symbol table and the postings directory. Chunk groups are
// checked (CRC-32C) and decompressed when a query reaches them, one group at a time.
//
// Lifetime: queriers and series sets keep a shared_ptr to the Block, so its mappings
// outlive the block's removal from a BlockStore; deleting the directory while mapped is
// safe (the kernel keeps unlinked mapped files until munmap).
//
// Thread safety: immutable after Open; any number of threads may query it.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "tsdb/block_format.h"
#include "tsdb/postings.h"
#include "tsdb/querier.h"

namespace perfwatch::tsdb {

class Block : public std::enable_shared_from_this<Block> {
 public:
  // DataLoss for a missing, truncated or corrupt file (the message names which).
  static Result<std::shared_ptr<Block>> Open(const std::filesystem::path& dir);
  ~Block();
  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;

  const BlockMeta& meta() const { return meta_; }
  const std::filesystem::path& dir() const { return dir_; }
  // Bytes on disk: chunks + index + meta.json.
  uint64_t size_bytes() const { return size_bytes_; }

  // A reader over [mint, maxt] that keeps this block alive.
  std::unique_ptr<Querier> NewQuerier(int64_t mint, int64_t maxt) const;

  // ---- used by the block querier (block_reader.cc) ----
  struct ChunkMeta {
    int64_t mint, maxt;
    uint64_t raw_offset;
    uint32_t length;
  };
  struct Group {
    uint64_t file_offset;
    uint64_t raw_start;
    uint32_t compressed, raw, crc;
  };
  uint64_t num_series() const { return num_series_; }
  // Series ids (label order) matching every matcher; all for none.
  Result<Postings> Select(std::span<const Matcher> matchers) const;
  // Decodes series `id`'s entry; labels as views into the mapped index.
  Status ReadSeries(uint64_t id, std::vector<LabelView>* labels, std::vector<ChunkMeta>* chunks) const;
  // Index of the group holding raw offset `raw`, or groups().size().
  size_t FindGroup(uint64_t raw) const;
  const std::vector<Group>& groups() const { return groups_; }
  // Checks and decompresses group `g`.
  Result<std::vector<uint8_t>> ReadGroup(size_t g) const;
  std::vector<std::string> AllLabelNames() const;
  std::vector<std::string> AllLabelValues(std::string_view name) const;

 private:
  struct Mapping {
    const uint8_t* data = nullptr;
    size_t size = 0;
  };
  struct ValueEntry {
    std::string_view value;
    uint32_t count;
    const uint8_t* postings;  // count uvarint deltas
  };
  struct NameEntry {
    std::string_view name;
    std::vector<ValueEntry> values;  // sorted by value
  };

  explicit Block(std::filesystem::path dir) : dir_(std::move(dir)) {}
  Status Load();
  Status ParseIndex();
  const NameEntry* FindName(std::string_view name) const;
  Postings Decode(const ValueEntry& v) const;
  Postings MatchOne(const Matcher& m) const;

  const std::filesystem::path dir_;
  BlockMeta meta_;
  uint64_t size_bytes_ = 0;
  Mapping index_;
  Mapping chunks_;
  std::vector<std::string_view> symbols_;
  std::vector<NameEntry> names_;  // sorted by name
  std::vector<Group> groups_;
  const uint8_t* series_ = nullptr;  // series section
  const uint8_t* series_end_ = nullptr;
  const uint8_t* table_ = nullptr;   // num_series_ u32 offsets
  uint64_t num_series_ = 0;
  int64_t chunk_base_ = 0;
};

}  // namespace perfwatch::tsdb
