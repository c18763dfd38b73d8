// PlanCompaction: overlapping blocks first, then complete R-aligned windows.
#include "tsdb/compactor.h"

#include <algorithm>
#include <map>
#include <numeric>

namespace perfwatch::tsdb {

std::vector<size_t> PlanCompaction(std::span<const BlockMeta> metas, std::span<const int64_t> ranges) {
  std::vector<size_t> order(metas.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (metas[a].mint != metas[b].mint) return metas[a].mint < metas[b].mint;
    return metas[a].name < metas[b].name;
  });

  // 1. The first cluster of overlapping blocks (transitively), in mint order.
  for (size_t i = 0; i < order.size();) {
    std::vector<size_t> cluster = {order[i]};
    int64_t end = metas[order[i]].maxt;
    size_t j = i + 1;
    for (; j < order.size() && metas[order[j]].mint <= end; ++j) {
      cluster.push_back(order[j]);
      end = std::max(end, metas[order[j]].maxt);
    }
    if (cluster.size() > 1) return cluster;
    i = j;
  }

  // 2. Complete windows with several blocks, smallest range and oldest window first.
  int64_t newest = INT64_MIN;
  for (const BlockMeta& m : metas) newest = std::max(newest, m.maxt);
  std::vector<int64_t> sorted(ranges.begin(), ranges.end());
  std::sort(sorted.begin(), sorted.end());
  for (int64_t r : sorted) {
    if (r <= 0) continue;
    std::map<int64_t, std::vector<size_t>> windows;
    for (size_t idx : order) {
      int64_t w = FloorDiv(metas[idx].mint, r);
      if (FloorDiv(metas[idx].maxt, r) == w) windows[w].push_back(idx);
    }
    for (auto& [w, group] : windows) {
      bool complete = w < INT64_MAX / r && (w + 1) * r <= newest;
      if (group.size() > 1 && complete) return group;
    }
  }
  return {};
}

}  // namespace perfwatch::tsdb
