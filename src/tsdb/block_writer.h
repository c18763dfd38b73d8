#pragma once
// Writes one immutable block directory (chunks, index, meta.json; docs/format/blocks.md)
// from series given in label order. The block is built in `<parent>/<name>.tmp/`, every
// file and the directory are fsynced, and Finish renames it to `<parent>/<name>` (then
// fsyncs `parent`), so a block directory without the `.tmp` suffix is always complete.
//
// Chunks are cut every `chunk_samples` samples (counted from each series' first sample in
// the block, so series scraped together share cut points and byte-identical timestamp
// columns), sealed (SealSamples) and appended to a group; a group is zstd-compressed and
// written once it holds `group_bytes` raw bytes. Memory: one group plus the index (labels
// and chunk refs of every series).
//
// Thread safety: not thread-safe; one writer per block, used by one thread.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "tsdb/block_format.h"
#include "tsdb/chunk.h"
#include "tsdb/labels.h"
#include "tsdb/querier.h"

namespace perfwatch::tsdb {

struct BlockWriterOptions {
  uint32_t chunk_samples = kRecommendedChunkSamples;  // 1 .. kMaxChunkSamples
  size_t group_bytes = 256 << 10;                     // raw bytes per zstd group (at least)
  int zstd_level = 3;
};

// A new, time-sortable block name: 12 hex digits of wall-clock ms, '-', 8 random hex
// digits ("018f2a3b4c5d-9e8f7a6b").
std::string NewBlockName();

class BlockWriter {
 public:
  // Creates `<parent>/<name>.tmp/` (removing a stale one) and its chunks file. `parent`
  // is created if missing.
  static Result<std::unique_ptr<BlockWriter>> Create(std::filesystem::path parent, std::string name,
                                                     BlockWriterOptions opts = {});
  ~BlockWriter();  // removes the temporary directory unless Finish succeeded
  BlockWriter(const BlockWriter&) = delete;
  BlockWriter& operator=(const BlockWriter&) = delete;

  // Adds one series. Label sets must be valid and strictly increasing (CompareLabels);
  // samples strictly increasing in time. A series without samples is skipped.
  Status AddSeries(std::span<const LabelView> labels, std::span<const Sample> samples);

  // Writes the index and meta.json, syncs and publishes the block. `sources` empty means
  // {name} (a level-1 block). NotFound when no sample was added (nothing is published).
  Result<BlockMeta> Finish(uint32_t level = 1, std::vector<std::string> sources = {});

  uint64_t num_series() const { return series_.size(); }
  uint64_t num_samples() const { return num_samples_; }

 private:
  struct ChunkRef {
    int64_t mint, maxt;
    uint64_t raw_offset;
    uint32_t length;
  };
  struct SeriesEntry {
    Labels labels;
    std::vector<ChunkRef> chunks;
  };
  struct Group {
    uint32_t compressed, raw, crc;
  };

  BlockWriter(std::filesystem::path parent, std::string name, BlockWriterOptions opts);
  Status FlushGroup();
  Status WriteOut(const void* data, size_t n);
  std::string BuildIndex() const;

  const std::filesystem::path parent_;
  const std::string name_;
  const std::filesystem::path tmp_;
  const BlockWriterOptions opts_;
  int chunks_fd_ = -1;
  bool finished_ = false;

  std::vector<SeriesEntry> series_;
  std::vector<Group> groups_;
  std::vector<uint8_t> group_;  // raw bytes of the open group
  uint64_t raw_offset_ = 0;     // raw bytes of all chunks so far
  uint64_t file_offset_ = 0;
  uint64_t num_samples_ = 0;
  uint64_t num_chunks_ = 0;
  int64_t mint_ = INT64_MAX;
  int64_t maxt_ = INT64_MIN;
};

// Writes every series of `source` (Select with no matchers, which selects all series in
// the head's and the block queriers) restricted to [mint, maxt] as one block
// `<parent>/<name>`. NotFound when the range holds no sample (nothing written); DataLoss
// when the source reports corrupt data (nothing published).
Result<BlockMeta> WriteBlockFromQuerier(const Querier& source, int64_t mint, int64_t maxt,
                                        const std::filesystem::path& parent, const std::string& name,
                                        uint32_t level = 1, std::vector<std::string> sources = {},
                                        const BlockWriterOptions& opts = {});

Status WriteFileSynced(const std::filesystem::path& path, std::string_view data);

}  // namespace perfwatch::tsdb
