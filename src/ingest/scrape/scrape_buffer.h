#pragma once
// ScrapeBuffer: the ExpositionSink of one scrape. It collects every sample with its final
// labels (scraped labels + __name__ + target labels, conflicts resolved per honor_labels)
// and every family's metadata, and appends nothing itself: the scrape loop appends the
// whole buffer only when the body parsed completely (a scrape is all-or-nothing).
//
// Label rules (Prometheus' honor_labels):
//  - honor_labels false: a scraped label that a target label also names is renamed
//    exported_<name> (exported_exported_<name> if that is taken too) and the target's
//    value is used;
//  - honor_labels true: the scraped value wins; target labels fill in the rest.
// Labels with empty values are dropped. Timestamps: the sample's own (when the target
// writes one and honor_timestamps is on) or the scrape's start time.
//
// Strings are copied into an arena of fixed-size blocks that never move, so the label
// views stay valid until Reset(); a buffer reused across scrapes stops allocating once
// its blocks and vectors have grown.
// Thread safety: not thread-safe; one per scrape loop.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ingest/scrape/exposition_parser.h"
#include "ingest/metadata_store.h"
#include "ingest/scrape/scrape_target.h"
#include "tsdb/head.h"
#include "tsdb/packed_labels.h"

namespace perfwatch::ingest {

// Append-only string storage whose views stay valid until Clear().
class StringArena {
 public:
  std::string_view Copy(std::string_view s);
  // Keeps the first block for reuse.
  void Clear();

 private:
  static constexpr size_t kBlockSize = 64 << 10;
  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t used_in_last_ = kBlockSize;  // bytes used in blocks_.back()
};

// What a scrape loop remembers about a series its target wrote before, keyed by the
// series text exactly as written (ExpositionSample::series). A cached series is appended
// by ref: no label copying, sorting, hashing or head lookup (Prometheus' scrape cache).
struct CachedSeries {
  tsdb::PackedLabels labels;  // the final labels (target labels and honor_labels applied)
  tsdb::SeriesRef ref = 0;    // in the TSDB's current head; 0: not known there (use labels)
  uint64_t seen = 0;          // the last scrape generation that had it
  bool tracked = true;        // false: written with its own timestamp (no staleness markers)
};
struct TransparentStringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using SeriesCache = std::unordered_map<std::string, CachedSeries, TransparentStringHash, std::equal_to<>>;

class ScrapeBuffer final : public ExpositionSink {
 public:
  ScrapeBuffer() = default;
  ScrapeBuffer(const ScrapeBuffer&) = delete;
  ScrapeBuffer& operator=(const ScrapeBuffer&) = delete;

  // Starts a scrape of `target` (which must outlive the buffer's use) at `scrape_time_ms`.
  // Samples of series found in `cache` (may be null) are collected as hits, without labels.
  void Reset(const ScrapeTarget* target, int64_t scrape_time_ms, SeriesCache* cache = nullptr);

  // A sample of a cached series.
  struct Hit {
    CachedSeries* series;
    tsdb::Sample sample;
    bool own_timestamp;
  };
  std::span<const Hit> hits() const { return hits_; }

  Status OnSample(const ExpositionSample& sample) override;
  Status OnMetadata(const ExpositionMetadata& metadata) override;

  // Every sample: the cache hits and the others.
  size_t size() const { return samples_.size() + hits_.size(); }
  // The batch to append for the samples that were not cache hits: one SeriesSamples per
  // sample, views into this buffer. Valid until the next Reset.
  std::span<const tsdb::SeriesSamples> Batch();
  // The series text of Batch() entry i, as written (for the cache).
  std::string_view SeriesText(size_t i) const { return series_text_[i]; }
  // Whether sample i carried its own timestamp (such series are not tracked for staleness).
  bool HasExplicitTimestamp(size_t i) const { return explicit_ts_[i]; }
  // Metadata of the families in the body (type or help present).
  std::vector<FamilyMetadata>& metadata() { return metadata_; }

 private:
  std::string_view ExportedName(std::string_view name);

  const ScrapeTarget* target_ = nullptr;
  std::vector<tsdb::LabelView> target_views_;  // target_->labels as views
  int64_t scrape_time_ms_ = 0;
  StringArena arena_;
  std::vector<tsdb::LabelView> scratch_;       // labels of the sample being added
  std::vector<tsdb::LabelView> labels_;        // every sample's labels, back to back
  std::vector<uint32_t> label_ends_;           // end of sample i's labels in labels_
  std::vector<tsdb::Sample> samples_;
  std::vector<bool> explicit_ts_;
  std::vector<std::string_view> series_text_;  // in arena_
  SeriesCache* cache_ = nullptr;
  std::vector<Hit> hits_;
  std::vector<tsdb::SeriesSamples> batch_;
  std::vector<FamilyMetadata> metadata_;
};

// Prometheus' name of a metric type in the metadata API (0.0.4 "untyped" is "unknown").
std::string_view MetadataTypeName(MetricType type);

}  // namespace perfwatch::ingest
