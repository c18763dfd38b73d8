#pragma once
// The persisted part of the time-series store: the blocks under `<data>/blocks/`, opened
// read-only (block_reader.h), written from a Querier (the head's), compacted (compactor.h)
// and deleted by retention. Layout and policies: docs/format/blocks.md.
//
// Open loads every `blocks/<name>/`; a block that fails validation is reported in
// problems() and skipped (left on disk, never crashes the store); `<name>.tmp/` leftovers
// of interrupted writes are removed, and so are blocks whose sources are all contained in
// another block (a compaction that was interrupted before deleting its inputs).
//
// Thread safety: thread-safe. The block list is guarded by `mu_` and replaced
// copy-on-write; queriers hold shared_ptr<const Block> snapshots, so blocks can be swapped
// out and their directories deleted while queries still read them (the mappings stay
// valid until the last reader drops its reference). WriteBlock, Compact and
// EnforceRetention are serialised by `write_mu_`; queries never wait for them except for
// the moment the list is swapped.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "tsdb/block_reader.h"
#include "tsdb/block_writer.h"
#include "tsdb/compactor.h"
#include "tsdb/querier.h"

namespace perfwatch::tsdb {

struct BlockStoreOptions {
  BlockWriterOptions writer;              // for blocks written from the head
  BlockWriterOptions compaction_writer;   // for compacted blocks
  std::vector<int64_t> compaction_ranges = kDefaultCompactionRanges;
};

struct BlockStoreStats {
  uint64_t blocks = 0;
  uint64_t bytes = 0;  // on disk
  uint64_t series = 0;  // sum over blocks (a series in two blocks counts twice)
  uint64_t samples = 0;
  int64_t min_time = INT64_MAX;  // INT64_MAX / INT64_MIN without blocks
  int64_t max_time = INT64_MIN;
  uint64_t compactions = 0;      // since Open
  uint64_t blocks_deleted = 0;   // by retention, since Open
};

class BlockStore {
 public:
  // `dir` is the blocks directory (created if missing).
  static Result<std::unique_ptr<BlockStore>> Open(std::filesystem::path dir, BlockStoreOptions opts = {});
  BlockStore(const BlockStore&) = delete;
  BlockStore& operator=(const BlockStore&) = delete;

  // What Open skipped or cleaned up, one line each ("block X: index: checksum mismatch").
  const std::vector<std::string>& problems() const { return problems_; }

  // Persists every series of `source` in [mint, maxt] as a new level-1 block and adds it
  // to the store. NotFound (and no block) when the range holds no sample.
  Result<BlockMeta> WriteBlock(const Querier& source, int64_t mint, int64_t maxt);

  // The current blocks, sorted by (mint, name): a snapshot that stays readable.
  std::vector<std::shared_ptr<const Block>> Blocks() const;
  // One querier per block overlapping [mint, maxt], oldest first (merge order: later wins).
  std::vector<std::unique_ptr<Querier>> BlockQueriers(int64_t mint, int64_t maxt) const;
  // A merge querier over BlockQueriers(mint, maxt).
  std::unique_ptr<Querier> NewQuerier(int64_t mint, int64_t maxt) const;

  // Runs PlanCompaction until nothing is left to merge. Each merge writes the new block,
  // swaps it in for its sources, then deletes the sources' directories.
  Status Compact();

  // Deletes blocks whose maxt < now_ms - retention_ms (retention_ms > 0), then the oldest
  // blocks while the total size exceeds max_bytes (> 0). Returns how many were deleted.
  Result<size_t> EnforceRetention(int64_t now_ms, int64_t retention_ms, uint64_t max_bytes);

  BlockStoreStats Stats() const;
  const std::filesystem::path& dir() const { return dir_; }

 private:
  BlockStore(std::filesystem::path dir, BlockStoreOptions opts) : dir_(std::move(dir)), opts_(std::move(opts)) {}
  Status Load();
  // Replaces `remove` (by name) with `add` in the list; then deletes their directories.
  Status Swap(const std::vector<std::string>& remove, std::shared_ptr<const Block> add);

  const std::filesystem::path dir_;
  const BlockStoreOptions opts_;
  std::vector<std::string> problems_;  // written by Open only

  std::mutex write_mu_;  // serialises WriteBlock, Compact, EnforceRetention

  mutable std::mutex mu_;
  std::vector<std::shared_ptr<const Block>> blocks_;  // guarded by mu_; sorted by (mint, name)
  uint64_t compactions_ = 0;                          // guarded by mu_
  uint64_t deleted_ = 0;                              // guarded by mu_
};

}  // namespace perfwatch::tsdb
