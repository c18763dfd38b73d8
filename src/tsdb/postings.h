#pragma once
// The head's inverted label index: label name -> value -> sorted list of series refs
// ("postings"), plus the list of all refs. Answers the four matcher kinds with
// Prometheus' semantics (see matcher.h), and lists label names and values.
//
// Keys are interned in the index's own SymbolTable: each distinct name and value once.
// Refs are assigned in increasing order, so Add is an append in the common case. Lists
// hold refs as 32-bit offsets from the first ref added (4 bytes per label of a series
// instead of 8): an index covers refs within 2^31 of its first one (a head's refs are
// consecutive; Add throws std::length_error beyond). Lists over 256 entries grow by a
// quarter, not 2x (less slack in the large lists of a head with many series).
//
// Thread safety: thread-safe. Add takes the index's exclusive lock (series creation
// only); queries take it shared and return copies.
#include <cstdint>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tsdb/labels.h"
#include "tsdb/matcher.h"

namespace perfwatch::tsdb {

using SeriesRef = uint64_t;
using Postings = std::vector<SeriesRef>;  // sorted, unique

Postings IntersectPostings(const Postings& a, const Postings& b);
Postings MergePostings(std::vector<Postings> lists);
Postings SubtractPostings(const Postings& a, const Postings& b);  // a \ b

// Cardinality figures of an index (Prometheus' PostingsStats, GET /api/v1/status/tsdb).
struct PostingsStat {
  std::string name;
  uint64_t count = 0;
};
struct PostingsStats {
  std::vector<PostingsStat> series_by_metric;   // values of the metric label, by series count
  std::vector<PostingsStat> values_by_label;    // label names, by number of distinct values
  std::vector<PostingsStat> bytes_by_label;     // label names, by the summed length of their values
  std::vector<PostingsStat> series_by_pair;     // "name=value", by series count
  uint64_t num_label_pairs = 0;                 // distinct (name, value) pairs
};

class MemPostings {
 public:
  MemPostings() = default;
  MemPostings(const MemPostings&) = delete;
  MemPostings& operator=(const MemPostings&) = delete;

  // Indexes `ref` under each of its labels (copied/interned).
  void Add(SeriesRef ref, std::span<const LabelView> labels);

  // Refs of the series that match every matcher (all series for no matchers).
  Postings Select(std::span<const Matcher> matchers) const;
  Postings All() const;
  // Sorted distinct label names / values of `name` over the whole index.
  std::vector<std::string> LabelNames() const;
  std::vector<std::string> LabelValues(std::string_view name) const;
  size_t num_series() const;
  // The `limit` largest entries of each list, largest first, ties by name; `metric_label`
  // is the label whose values count as metric names ("__name__").
  PostingsStats Stats(std::string_view metric_label, size_t limit) const;

 private:
  using Offsets = std::vector<uint32_t>;  // sorted, unique: ref - base_ + 2^31
  using ValueMap = std::unordered_map<std::string_view, Offsets>;
  // Offsets whose value of `m.name()` matches (match=true) or does not match (false) m.
  Offsets Collect(const Matcher& m, bool match) const;
  uint32_t Offset(SeriesRef ref);  // requires mu_ (exclusive)
  Postings ToRefs(const Offsets& offsets) const;

  SymbolTable symbols_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string_view, ValueMap> index_;  // guarded by mu_
  Offsets all_;                                           // guarded by mu_
  SeriesRef base_ = 0;                                    // guarded by mu_; set by the first Add
  bool has_base_ = false;                                 // guarded by mu_
};

}  // namespace perfwatch::tsdb
