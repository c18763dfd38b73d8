#include "events/dictionary.h"

#include <cassert>
#include <cstring>

#include "common/hash.h"

namespace perfwatch::events {

std::string_view StringDictionary::Get(uint32_t id) const {
  uint64_t e = entries_[id];
  const char* block = blocks_[e >> 32].get();
  return std::string_view(block + ((e >> 16) & 0xffff), e & 0xffff);
}

std::optional<uint32_t> StringDictionary::Find(std::string_view s) const {
  if (slots_.empty() || s.size() > kMaxStringBytes) return std::nullopt;
  size_t mask = slots_.size() - 1;
  for (size_t i = HashBytes(s) & mask;; i = (i + 1) & mask) {
    uint32_t v = slots_[i];
    if (v == 0) return std::nullopt;
    if (Get(v - 1) == s) return v - 1;
  }
}

void StringDictionary::InsertSlot(uint32_t id, uint64_t hash) {
  size_t mask = slots_.size() - 1;
  size_t i = hash & mask;
  while (slots_[i] != 0) i = (i + 1) & mask;
  slots_[i] = id + 1;
}

void StringDictionary::Rehash(size_t slots) {
  slots_.assign(slots, 0);
  slots_.shrink_to_fit();
  for (uint32_t id = 0; id < entries_.size(); ++id) InsertSlot(id, HashBytes(Get(id)));
}

uint32_t StringDictionary::Add(std::string_view s) {
  assert(s.size() <= kMaxStringBytes);
  if (blocks_.empty() || block_used_ + s.size() >= kBlockBytes) {
    blocks_.push_back(std::make_unique<char[]>(kBlockBytes));
    block_used_ = 0;
  }
  std::memcpy(blocks_.back().get() + block_used_, s.data(), s.size());
  uint32_t id = size();
  entries_.push_back((static_cast<uint64_t>(blocks_.size() - 1) << 32) | (block_used_ << 16) | s.size());
  block_used_ += s.size();
  if ((entries_.size()) * 10 > slots_.size() * 7) {
    Rehash(slots_.empty() ? 64 : slots_.size() * 2);
  } else {
    InsertSlot(id, HashBytes(s));
  }
  return id;
}

void StringDictionary::Truncate(uint32_t n) {
  if (n >= entries_.size()) return;
  uint64_t first = entries_[n];
  blocks_.resize((first >> 32) + 1);
  block_used_ = (first >> 16) & 0xffff;
  entries_.resize(n);
  Rehash(slots_.size());
}

size_t StringDictionary::MemoryBytes() const {
  return blocks_.size() * kBlockBytes + entries_.capacity() * sizeof(uint64_t) +
         slots_.capacity() * sizeof(uint32_t);
}

}  // namespace perfwatch::events
