#pragma once
// The head: the in-memory part of the time-series store. Series live in a sharded map
// (kHeadShards shards, each with its own mutex and open-addressing table, chosen by the
// label-set hash); each series keeps its labels as symbol ids (head_symbols.h), one open
// chunk (head_chunk.h) and, once it has them, its sealed chunks (chunk.h): a series with a
// few samples costs about 160 bytes (bench/head_memory_benchmark.cc). An inverted index
// (postings.h, whose keys are interned) answers matchers. Appends are logged to the WAL
// (wal.h) with one write(2) per AppendBatch before the call returns. Rules and limits: docs/tsdb.md.
//
// Chunks are cut at `chunk_max_samples` samples (kRecommendedChunkSamples = 240) or when a
// sample crosses the next multiple of `chunk_range_ms` (2 h), so chunks never straddle a
// future block boundary and series scraped together are cut at the same timestamps.
//
// Sample rules, per series, in arrival order:
//   t >  last timestamp                       -> appended
//   t == last timestamp, same value bits      -> dropped silently (duplicate, counted)
//   t == last timestamp, other value          -> rejected "duplicate_timestamp" (400)
//   t <  last timestamp, the identical sample
//        is in the open chunk (a resent batch) -> dropped silently (duplicate, counted)
//   t <  last timestamp, within the out-of-order window (HeadOptions), not stored yet
//                                             -> appended (out-of-order buffer)
//   t <  last timestamp otherwise             -> rejected "out_of_order" (400)
//                        (or "duplicate_timestamp" when t is stored with another value)
// Series rules: label names non-empty and unique (sorted input is expected; unsorted input
// is sorted), pairs with an empty value are dropped; limits (HeadLimits) reject the
// series' samples with the reasons below. Rejections are counted in
// perfwatch_tsdb_samples_rejected_total{reason}.
//
// Thread safety: thread-safe. AppendBatch may run on many threads; it takes each shard
// lock once per batch. Readers lock a series' shard only to copy its chunks. Series are
// never deleted while the Head lives (retention will add safe deletion).
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/metrics.h"
#include "common/status.h"
#include "tsdb/chunk.h"
#include "tsdb/labels.h"
#include "tsdb/postings.h"
#include "tsdb/querier.h"

namespace perfwatch::tsdb {

class WalWriter;
class HeadSymbols;
class ChunkSegments;

inline constexpr int kHeadShardBits = 6;
inline constexpr size_t kHeadShards = size_t{1} << kHeadShardBits;

struct HeadLimits {
  uint64_t max_series = 0;                 // live series in the head; 0 = unlimited
  uint32_t max_labels_per_series = 64;     // 0 = unlimited
  uint32_t max_label_name_length = 256;    // bytes; 0 = unlimited
  uint32_t max_label_value_length = 4096;  // bytes; 0 = unlimited
  uint32_t max_series_per_second = 0;      // new series per second (burst = 1 s); 0 = unlimited
};

struct HeadOptions {
  HeadLimits limits;
  // The first series ref this head hands out. A head that replaces a flushed one starts
  // after the old head's refs, so WAL segments of both never reuse a ref.
  uint64_t first_series_ref = 1;
  uint32_t chunk_max_samples = kRecommendedChunkSamples;  // 240
  int64_t chunk_range_ms = 2 * 3600 * 1000;
  // Samples up to this much older than a series' last sample are accepted (0: none). They
  // wait in a per-series sorted buffer (merged by readers) until chunk_max_samples of
  // them are there, then the series' chunks are rebuilt with them.
  int64_t out_of_order_window_ms = 0;
};

enum class RejectReason : uint8_t {
  kOutOfOrder = 0,      // older than the series' last sample                 -> 400
  kDuplicateTimestamp,  // same timestamp as the last sample, different value -> 400
  kInvalidLabels,       // empty or repeated label name, no labels            -> 400
  kLabelLimit,          // too many labels, name or value too long            -> 400
  kSeriesLimit,         // max_series reached: a new series is refused        -> 400
  kSeriesRateLimit,     // max_series_per_second exceeded; retry later        -> 429
};
inline constexpr size_t kNumRejectReasons = 6;
std::string_view RejectReasonName(RejectReason r);

// One series' samples in an append batch. Views are borrowed for the call only.
struct SeriesSamples {
  std::span<const LabelView> labels;  // sorted by name (unsorted is tolerated, slower)
  std::span<const Sample> samples;    // in time order
};

// One sample of a series known by its ref (Head::AppendRefs).
struct RefSample {
  SeriesRef ref;
  Sample sample;
};

struct AppendResult {
  uint64_t appended = 0;
  uint64_t duplicates = 0;  // identical (t, value) already present: dropped silently
  uint64_t rejected = 0;
  std::array<uint64_t, kNumRejectReasons> rejected_by_reason{};
  uint64_t series_created = 0;
};

struct HeadStats {
  uint64_t series = 0;
  uint64_t chunks = 0;
  uint64_t samples = 0;
  uint64_t chunk_bytes = 0;
  int64_t min_time = 0;  // INT64_MAX / INT64_MIN when empty
  int64_t max_time = 0;
};

class Head {
 public:
  // `metrics` may be null (a private registry is used).
  Head(HeadOptions opts, MetricsRegistry* metrics);
  ~Head();
  Head(const Head&) = delete;
  Head& operator=(const Head&) = delete;

  // Logs appends to `wal` from now on (null: in-memory only). Not thread-safe with appends.
  void SetWal(WalWriter* wal) { wal_ = wal; }

  // Appends what the rules allow and logs it to the WAL with one write(2). Returns:
  //   OK                  everything appended (or dropped as a duplicate);
  //   InvalidArgument     some samples were rejected for bad data or the series limit
  //                       (the rest is appended and durable; the message names the first
  //                       reason and the counts) -> HTTP 400, not retried;
  //   ResourceExhausted   some series hit the creation-rate limit -> HTTP 429, retry helps
  //                       (appended samples come back as silent duplicates);
  //   kIo                 the WAL write failed: nothing is acknowledged -> HTTP 5xx.
  // `refs`, when not empty, has one slot per batch entry and receives the entry's series
  // ref (0 when the entry was rejected as a whole), for callers that append by ref next.
  Status AppendBatch(std::span<const SeriesSamples> batch, AppendResult* result = nullptr,
                     std::span<SeriesRef> refs = {});
  // The same rules, limits on existing series and WAL logging for samples of series given
  // by ref (the refs AppendBatch reported): no label hashing or lookup. A ref this head does
  // not have (one from the head a flush replaced) is skipped and its index added to
  // `unknown`, for the caller to send again with labels.
  Status AppendRefs(std::span<const RefSample> batch, AppendResult* result, std::vector<uint32_t>* unknown);

  // A reader over [mint, maxt] (inclusive, ms).
  std::unique_ptr<Querier> NewQuerier(int64_t mint, int64_t maxt) const;
  // The labels of series `ref` as views into the head (valid while the head lives),
  // decoded into `scratch`; empty when this head has no such series.
  std::span<const LabelView> SeriesLabels(SeriesRef ref, std::vector<LabelView>* scratch) const;

  HeadStats Stats() const;
  // Cardinality of the head's label index (GET /api/v1/status/tsdb), top `limit` of each list.
  PostingsStats PostingsCardinality(size_t limit) const { return postings_.Stats("__name__", limit); }
  uint64_t num_series() const { return num_series_.load(std::memory_order_relaxed); }
  // The ref the next new series will get.
  uint64_t next_series_ref() const { return next_ref_.load(std::memory_order_relaxed); }
  // The options the head was made with (limits: as at construction; see limits()).
  const HeadOptions& options() const { return opts_; }
  // The limits appends check from now on (a reload: tsdb.max_series and the label limits).
  // Each append reads them once (relaxed atomics); series already in the head stay when
  // max_series is lowered below their number (new ones are refused). Any thread.
  void SetLimits(const HeadLimits& limits);
  HeadLimits limits() const;

  // ---- used by the WAL replay and checkpoint code (head_wal.cc) ----
  // Replay: creates the series with this ref (ignored if it exists), no limits applied.
  Status ReplaySeries(SeriesRef ref, std::span<const LabelView> labels);
  // Replay: applies samples to an existing series. Samples older than the series' last
  // sample are kept aside and merged by FinishReplay (concurrent appenders may log in a
  // different order than they applied); samples of a ref not seen yet wait for its series
  // record.
  void ReplaySamples(SeriesRef ref, std::span<const Sample> samples);
  // Replay of a checkpoint's sealed chunk (appended before the series' open chunk).
  Status ReplayChunk(SeriesRef ref, int64_t mint, int64_t maxt, std::string_view bytes);
  // Merges late samples; returns how many samples referenced unknown series (dropped).
  uint64_t FinishReplay();
  // Writes series records, chunk records (sealed chunks) and samples records (open
  // chunks) for every series through `emit` (called with framed bytes, ~1 MiB at a time).
  Status WriteSnapshot(const std::function<Status(std::string_view framed)>& emit) const;

  // Internal types (head_internal.h), named here for the head's own .cc files.
  struct MemSeries;
  struct Shard;
  class SeriesTable;
  std::mutex& shard_mutex(uint32_t shard) const;
  const ChunkSegments& shard_segments(uint32_t shard) const;  // guarded by shard_mutex(shard)
  // A series' labels as views into the symbol table (valid while the head lives); no lock
  // needed (labels never change).
  std::span<const LabelView> DecodeLabels(const MemSeries& s, std::vector<LabelView>* scratch) const;
  size_t AppendLabels(const MemSeries& s, std::vector<LabelView>* out) const;

 private:
  friend class HeadQuerier;

  MemSeries* GetByRef(SeriesRef ref) const;
  // Requires the shard lock. Returns the series with these labels, or null.
  MemSeries* Find(Shard& shard, uint64_t hash, std::span<const LabelView> labels) const;
  // Requires the shard lock. Creates and registers a series (not yet in postings).
  MemSeries* Create(Shard& shard, uint32_t shard_index, uint64_t hash, SeriesRef ref,
                    std::span<const LabelView> labels);
  // Counts an append's outcome in the metrics and builds its Status (AppendBatch's rules).
  Status FinishAppend(const AppendResult& res, const std::string& first_error, AppendResult* result);
  // Requires the series' shard lock. Applies one sample; returns the outcome.
  enum class AppendOutcome { kAppended, kDuplicate, kOutOfOrder, kDuplicateTimestamp };
  AppendOutcome AppendSample(MemSeries& s, int64_t t, double v);
  // Requires the shard lock. Seals the open chunk (if any) into the series' cold part.
  void CutChunk(MemSeries& s);
  // The first timestamp after the chunk range holding `t` (chunks never straddle one).
  int64_t ChunkRangeEnd(int64_t t) const;
  // Requires the shard lock. Re-encodes all of the series' samples plus `extra` in time
  // order (equal timestamps: the stored sample wins); clears the out-of-order buffer.
  void RebuildSeries(MemSeries& s, std::span<const Sample> extra);
  // Requires the shard lock. Looks `t` up among stored samples: 0 absent, 1 same bits, 2 other.
  int FindStored(const MemSeries& s, int64_t t, uint64_t bits) const;
  bool TakeSeriesToken(uint32_t rate);  // series-per-second limiter (`rate` > 0)

  const HeadOptions opts_;
  std::unique_ptr<MetricsRegistry> own_metrics_;
  MetricsRegistry* const metrics_;
  WalWriter* wal_ = nullptr;

  std::unique_ptr<HeadSymbols> symbols_;  // label names and values of every series
  std::unique_ptr<Shard[]> shards_;
  std::unique_ptr<SeriesTable> by_ref_;
  MemPostings postings_;
  std::atomic<SeriesRef> next_ref_{1};
  std::atomic<uint64_t> num_series_{0};

  // Replay state (single-threaded during Open).
  std::unordered_map<SeriesRef, std::vector<Sample>> orphans_;
  std::vector<MemSeries*> late_series_;

  // HeadLimits' fields, changed by SetLimits.
  std::atomic<uint64_t> max_series_{0};
  std::atomic<uint32_t> max_labels_per_series_{0};
  std::atomic<uint32_t> max_label_name_length_{0};
  std::atomic<uint32_t> max_label_value_length_{0};
  std::atomic<uint32_t> max_series_per_second_{0};

  std::mutex rate_mu_;
  double rate_tokens_ = 0;   // guarded by rate_mu_
  int64_t rate_last_ns_ = 0;  // guarded by rate_mu_

  Counter* samples_appended_;
  Counter* samples_duplicate_;
  std::array<Counter*, kNumRejectReasons> samples_rejected_;
  Counter* series_created_;
};

}  // namespace perfwatch::tsdb
