#pragma once
// Writing the label sets an in-memory aggregate changed (RumAggregator, SpanMetrics): the
// dirty groups are written `max_series` series at a time (a group, its buckets plus
// `extra_series` such as _sum and _count, is never split), so writing every label set does
// not build one multi-megabyte batch. Written groups are marked clean; on the first failed
// batch the written ones leave `dirty` and the rest stay in it, so the next write carries
// their cumulative values.
//
// Group needs `cumulative` (a container with size()), `bool dirty` and `int64_t
// pending_received_ms`. WriteRange is Status(std::span<Group* const>, size_t nseries).
// Thread safety: none; callers hold the aggregate's mutex.
#include <cstdint>
#include <span>
#include <vector>

#include "common/status.h"

namespace perfwatch::ingest {

template <typename Group, typename WriteRange>
Status WriteDirtyGroups(std::vector<Group*>& dirty, size_t extra_series, size_t max_series, WriteRange&& write) {
  size_t done = 0;
  while (done < dirty.size()) {
    size_t end = done, nseries = 0;
    while (end < dirty.size() && (end == done || nseries + dirty[end]->cumulative.size() + extra_series <= max_series)) {
      nseries += dirty[end]->cumulative.size() + extra_series;
      ++end;
    }
    Status st = write(std::span<Group* const>(dirty.data() + done, end - done), nseries);
    if (!st.ok()) {
      dirty.erase(dirty.begin(), dirty.begin() + static_cast<ptrdiff_t>(done));
      return st;
    }
    for (size_t i = done; i < end; ++i) {
      dirty[i]->dirty = false;
      dirty[i]->pending_received_ms = INT64_MIN;
    }
    done = end;
  }
  dirty.clear();
  return Status::Ok();
}

}  // namespace perfwatch::ingest
