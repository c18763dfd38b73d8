#pragma once
// Compaction planning: which persisted blocks to merge into one. Pure functions over block
// metadata; BlockStore::Compact executes the plans (merge querier -> block writer).
//
// Policy (docs/format/blocks.md, "Compaction"):
//   1. Blocks whose time ranges overlap (a head window flushed twice, or a compaction
//      interrupted before it deleted its sources) are merged first, whatever their size.
//   2. Then, for each range R in `ranges` (ascending, default 6 h then 24 h): blocks lying
//      entirely inside one R-aligned window [k*R, (k+1)*R) are merged when there are at
//      least two of them and the window is complete, i.e. some block has data after the
//      window's end (the head has moved on; nothing more will arrive for it).
// Level-1 blocks come from the head cut at 2 h boundaries, so 2 h -> 6 h -> 24 h.
//
// Thread safety: pure functions.
#include <cstdint>
#include <span>
#include <vector>

#include "common/time.h"
#include "tsdb/block_format.h"

namespace perfwatch::tsdb {

inline constexpr int64_t kHour = 3600 * 1000;
inline const std::vector<int64_t> kDefaultCompactionRanges = {6 * kHour, 24 * kHour};

// The next group of blocks to merge (indices into `metas`, ascending by mint then name),
// or empty when nothing needs compacting.
std::vector<size_t> PlanCompaction(std::span<const BlockMeta> metas, std::span<const int64_t> ranges);

}  // namespace perfwatch::tsdb
