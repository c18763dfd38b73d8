#include "analysis/record_cache.h"

namespace perfwatch::analysis {

uint32_t StringTable::Intern(std::string_view s) {
  auto it = ids_.find(s);
  if (it != ids_.end()) return it->second;
  const uint32_t id = static_cast<uint32_t>(strings_.size());
  const std::string& stored = strings_.emplace_back(s);
  tags_.push_back(kNoTag);
  ids_.emplace(stored, id);
  // The string (heap beyond the small-string buffer), its deque slot and a map node.
  bytes_ += sizeof(std::string) + (stored.size() > 15 ? stored.capacity() + 1 : 0) + 48;
  return id;
}

}  // namespace perfwatch::analysis
