#pragma once
// A partition's string dictionary: repeated strings (pages, URLs, user agents, session
// ids, ...) are stored once and referenced by a dense id (0, 1, 2, ... in log order).
// The dictionary is rebuilt from the log on replay (each record defines the strings it
// introduces; docs/format/events.md), so it is never persisted separately.
//
// Memory: the strings live in 64 KiB arena blocks (no per-string allocation), plus 8
// bytes per entry and a 4-byte open-addressing slot per entry (load <= 0.7).
//
// Thread safety: not thread-safe. The store mutates it under its exclusive state lock and
// reads it under the shared one; string_views returned by Get stay valid until
// Truncate() or destruction (blocks never move).
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace perfwatch::events {

class StringDictionary {
 public:
  // Longest string the dictionary can hold (dimension values are clipped below this).
  static constexpr size_t kMaxStringBytes = 60000;

  StringDictionary() = default;
  StringDictionary(const StringDictionary&) = delete;
  StringDictionary& operator=(const StringDictionary&) = delete;

  std::optional<uint32_t> Find(std::string_view s) const;
  // Adds `s` (which must not be present and must be at most kMaxStringBytes bytes) and returns
  // its id, size() before the call.
  uint32_t Add(std::string_view s);
  std::string_view Get(uint32_t id) const;
  uint32_t size() const { return static_cast<uint32_t>(entries_.size()); }

  // Forgets every id >= n (rolls back a failed append).
  void Truncate(uint32_t n);

  // Heap bytes held (arena blocks, entries, hash slots).
  size_t MemoryBytes() const;

 private:
  static constexpr size_t kBlockBytes = 64 << 10;

  void Rehash(size_t slots);
  void InsertSlot(uint32_t id, uint64_t hash);

  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t block_used_ = 0;                // bytes used in blocks_.back()
  std::vector<uint64_t> entries_;        // block << 32 | offset << 16 | length
  std::vector<uint32_t> slots_;          // id + 1, 0 = empty; size is a power of two
};

}  // namespace perfwatch::events
