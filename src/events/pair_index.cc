#include "events/pair_index.h"

#include <sys/mman.h>

#include <cstdlib>

namespace perfwatch::events {
namespace {

uint64_t* AllocSlots(size_t n) {
  void* p = ::mmap(nullptr, n * sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) std::abort();  // out of memory: nothing sensible to return
  return static_cast<uint64_t*>(p);   // zero-filled
}

void FreeSlots(uint64_t* p, size_t n) {
  if (p) ::munmap(p, n * sizeof(uint64_t));
}

inline uint64_t Pack(uint32_t hash, uint32_t row) { return (static_cast<uint64_t>(hash) << 32) | (row + 1u); }

}  // namespace

PairIndex::~PairIndex() { FreeSlots(slots_, capacity_); }

void PairIndex::Prefetch(uint32_t hash) const {
  if (capacity_) __builtin_prefetch(&slots_[Home(hash)]);
}

std::optional<uint32_t> PairIndex::Find(uint32_t hash, const std::function<bool(uint32_t)>& confirm) const {
  if (capacity_ == 0) return std::nullopt;
  for (size_t i = Home(hash);; i = (i + 1 == capacity_ ? 0 : i + 1)) {
    uint64_t s = slots_[i];
    if (s == 0) return std::nullopt;
    if ((s >> 32) == hash) {
      uint32_t row = static_cast<uint32_t>(s) - 1;
      if (confirm(row)) return row;
    }
  }
}

size_t PairIndex::FindSlot(uint32_t hash, uint32_t row) const {
  if (capacity_ == 0) return capacity_;
  uint64_t want = Pack(hash, row);
  for (size_t i = Home(hash);; i = (i + 1 == capacity_ ? 0 : i + 1)) {
    if (slots_[i] == want) return i;
    if (slots_[i] == 0) return capacity_;
  }
}

void PairIndex::Insert(uint32_t hash, uint32_t row) {
  if ((size_ + 1) * 5 > capacity_ * 4) Grow();
  size_t i = Home(hash);
  while (slots_[i] != 0) i = (i + 1 == capacity_ ? 0 : i + 1);
  slots_[i] = Pack(hash, row);
  ++size_;
}

bool PairIndex::Replace(uint32_t hash, uint32_t old_row, uint32_t new_row) {
  size_t i = FindSlot(hash, old_row);
  if (i == capacity_) return false;
  slots_[i] = Pack(hash, new_row);
  return true;
}

bool PairIndex::Erase(uint32_t hash, uint32_t row) {
  size_t i = FindSlot(hash, row);
  if (i == capacity_) return false;
  // Backward-shift deletion: pull later entries of the cluster into the hole when their
  // home is not between the hole and their slot.
  size_t hole = i;
  size_t j = i;
  for (;;) {
    j = (j + 1 == capacity_) ? 0 : j + 1;
    uint64_t s = slots_[j];
    if (s == 0) break;
    size_t home = Home(static_cast<uint32_t>(s >> 32));
    size_t dist_home = (j + capacity_ - home) % capacity_;  // how far s sits from home
    size_t dist_hole = (j + capacity_ - hole) % capacity_;  // how far the hole is behind
    if (dist_home >= dist_hole) {
      slots_[hole] = s;
      hole = j;
    }
  }
  slots_[hole] = 0;
  --size_;
  return true;
}

void PairIndex::Grow() {
  size_t new_cap = capacity_ < 1024 ? 1024 : capacity_ + capacity_ / 2;
  uint64_t* fresh = AllocSlots(new_cap);
  uint64_t* old = slots_;
  size_t old_cap = capacity_;
  slots_ = fresh;
  capacity_ = new_cap;
  for (size_t k = 0; k < old_cap; ++k) {
    uint64_t s = old[k];
    if (s == 0) continue;
    size_t i = Home(static_cast<uint32_t>(s >> 32));
    while (slots_[i] != 0) i = (i + 1 == capacity_ ? 0 : i + 1);
    slots_[i] = s;
  }
  FreeSlots(old, old_cap);
  memory_bytes_.store(capacity_ * sizeof(uint64_t), std::memory_order_relaxed);
}

}  // namespace perfwatch::events
