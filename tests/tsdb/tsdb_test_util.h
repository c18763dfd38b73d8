#pragma once
// Helpers for the tsdb tests: owned series + samples that produce SeriesSamples views,
// a temp directory, and reading a querier back into plain values.
#include <unistd.h>

#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "support/temp_dir.h"
#include "tsdb/head.h"
#include "tsdb/querier.h"

namespace perfwatch::tsdb::testing {

struct OwnedSeries {
  Labels labels;
  std::vector<LabelView> views;
  std::vector<Sample> samples;
  OwnedSeries(Labels l, std::vector<Sample> s) : labels(std::move(l)), views(labels.Views()), samples(std::move(s)) {}
  OwnedSeries(const OwnedSeries& o) : labels(o.labels), views(labels.Views()), samples(o.samples) {}
  SeriesSamples View() const { return SeriesSamples{views, samples}; }
};

inline std::vector<SeriesSamples> Views(const std::vector<OwnedSeries>& batch) {
  std::vector<SeriesSamples> out;
  for (const auto& s : batch) out.push_back(s.View());
  return out;
}

// labels string -> samples, read through a querier.
using Dump = std::map<std::string, std::vector<std::pair<int64_t, uint64_t>>>;

inline Dump DumpQuerier(const Querier& q, std::span<const Matcher> matchers = {}) {
  Dump out;
  auto set = q.Select(matchers);
  while (set->Next()) {
    auto& v = out[set->At().labels().ToString()];
    auto it = set->At().Iterator();
    while (it.Next()) v.emplace_back(it.t(), std::bit_cast<uint64_t>(it.v()));
    EXPECT_TRUE(it.status().ok()) << it.status().ToString();
  }
  return out;
}

using perfwatch::testing::TempDir;

}  // namespace perfwatch::tsdb::testing
