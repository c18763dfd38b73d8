#pragma once
// Retention of time-partitioned stores (the event store and the span store): drops every
// partition that ended at or before `cutoff` from the map under the exclusive state lock,
// then, outside it, lets the store account for each (`on_drop` returns the partition's
// directory), removes the directories (readers holding a partition keep their open file
// descriptors) and syncs the parent directory. The caller holds its append lock.
// Returns the first removal or sync error; every expired partition is dropped regardless.
// Thread safety: as the caller's locks make it.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <system_error>
#include <vector>

#include "common/file_util.h"
#include "common/status.h"

namespace perfwatch::events {

template <typename Partition, typename OnDrop>
Status DropPartitionsBefore(std::map<int64_t, std::shared_ptr<Partition>>& partitions, std::shared_mutex& state_mu,
                            int64_t cutoff, const std::filesystem::path& store_dir, OnDrop&& on_drop) {
  std::vector<std::shared_ptr<Partition>> dropped;
  {
    std::unique_lock lock(state_mu);
    for (auto it = partitions.begin(); it != partitions.end() && it->second->end_ms() <= cutoff;) {
      dropped.push_back(std::move(it->second));
      it = partitions.erase(it);
    }
  }
  Status first;
  for (auto& p : dropped) {
    const std::filesystem::path dir = on_drop(*p);
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    if (ec && first.ok()) first = IoError("remove " + dir.string(), ec.value());
  }
  if (!dropped.empty()) {
    Status s = SyncDirectory(store_dir);
    if (first.ok()) first = s;
  }
  return first;
}

}  // namespace perfwatch::events
