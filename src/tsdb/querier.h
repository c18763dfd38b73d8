#pragma once
// The storage read interface the query engine uses: select series by matchers over a
// time range, iterate each series' samples in time order, list label names and values.
// Today the head implements it (Head::NewQuerier); persisted blocks will implement it too
// and a merging querier will combine them.
//
// A Querier answers for the inclusive range [mint, maxt]. A Series owns copies of its
// labels and of the chunk bytes overlapping the range (copied under the series' shard
// lock when the SeriesSet reaches it), so iterating needs no lock and stays valid after
// the Querier is gone.
//
// Thread safety: a Querier may be used from several threads; a SeriesSet, Series and
// SeriesIterator belong to one thread.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "tsdb/chunk.h"
#include "tsdb/labels.h"
#include "tsdb/matcher.h"

namespace perfwatch::tsdb {

// Iterates the samples of copied chunks in time order, restricted to [mint, maxt], merged
// with `extra` (sorted samples kept outside chunks: the head's out-of-order buffer).
class SeriesIterator {
 public:
  SeriesIterator() = default;
  SeriesIterator(std::span<const uint8_t> data, std::span<const uint32_t> chunk_ends, int64_t mint, int64_t maxt,
                 std::span<const Sample> extra = {});
  // Advances; false at the end or on corrupt chunk bytes (then status() is not OK).
  bool Next();
  int64_t t() const { return t_; }
  double v() const { return v_; }
  const Status& status() const { return status_; }

 private:
  bool OpenChunk();
  bool NextFromChunks();  // into chunk_t_/chunk_v_

  std::span<const Sample> extra_;
  size_t next_extra_ = 0;
  bool primed_ = false;
  bool chunk_valid_ = false;
  int64_t chunk_t_ = 0;
  double chunk_v_ = 0;

  std::span<const uint8_t> data_;
  std::span<const uint32_t> chunk_ends_;
  size_t next_chunk_ = 0;
  int64_t mint_ = 0;
  int64_t maxt_ = 0;
  std::unique_ptr<ChunkIterator> it_;
  int64_t t_ = 0;
  double v_ = 0;
  Status status_;
};

// Reads `it` to its end and returns its last sample; nullopt when it has none or stopped
// on corrupt bytes (then it.status() says so). For restoring counters from their series.
std::optional<Sample> LastSample(SeriesIterator& it);

// One selected series: labels and the chunk bytes in range.
class Series {
 public:
  Series() = default;
  Series(Labels labels, std::vector<uint8_t> data, std::vector<uint32_t> chunk_ends, int64_t mint, int64_t maxt,
         std::vector<Sample> extra = {})
      : labels_(std::move(labels)),
        data_(std::move(data)),
        chunk_ends_(std::move(chunk_ends)),
        mint_(mint),
        maxt_(maxt),
        extra_(std::move(extra)) {}
  const Labels& labels() const { return labels_; }
  SeriesIterator Iterator() const { return SeriesIterator(data_, chunk_ends_, mint_, maxt_, extra_); }
  // Appends the samples the iterator would yield to `out`, decoding whole chunks at once
  // (DecodeChunk): the fast path for readers that want every sample. On corrupt chunk
  // bytes returns the iterator's error; `out` then holds what was decoded before it.
  Status AppendSamples(std::vector<Sample>* out) const;
  size_t num_chunks() const { return chunk_ends_.size(); }

 private:
  Labels labels_;
  std::vector<uint8_t> data_;         // chunks back to back, oldest first
  std::vector<uint32_t> chunk_ends_;  // end offset of each chunk in data_
  int64_t mint_ = 0;
  int64_t maxt_ = 0;
  std::vector<Sample> extra_;  // sorted, in range; merged by the iterator
};

// Series in label order.
class SeriesSet {
 public:
  virtual ~SeriesSet() = default;
  virtual bool Next() = 0;
  virtual const Series& At() const = 0;
  // Moves the current series out (no copy of its labels and chunk bytes); At() is then
  // unspecified until the next Next(). The default copies.
  virtual Series Take() { return At(); }
  virtual Status status() const = 0;
};

class Querier {
 public:
  virtual ~Querier() = default;
  int64_t mint() const { return mint_; }
  int64_t maxt() const { return maxt_; }

  // Series matching every matcher with at least one sample in range, sorted by labels.
  // Callers validate selectors (ValidateSelector) where Prometheus requires it.
  virtual std::unique_ptr<SeriesSet> Select(std::span<const Matcher> matchers) const = 0;
  // Sorted label names / values of `name` over the series that match (all for none).
  virtual Result<std::vector<std::string>> LabelNames(std::span<const Matcher> matchers) const = 0;
  virtual Result<std::vector<std::string>> LabelValues(std::string_view name,
                                                       std::span<const Matcher> matchers) const = 0;

 protected:
  Querier(int64_t mint, int64_t maxt) : mint_(mint), maxt_(maxt) {}

 private:
  const int64_t mint_;
  const int64_t maxt_;
};

}  // namespace perfwatch::tsdb
