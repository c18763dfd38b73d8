#pragma once
// FlatIndex maps 64-bit keys to 32-bit values, insert-or-find only (no erase): one flat
// array of slots, linear probing, grown to twice its size before it would pass 50 % load. For the hot loops
// that number many distinct keys per request (the network analysis' session × template
// pairs): no allocation per key and one cache line per probe, where std::unordered_map
// allocates a node per key and frees each again. The key UINT64_MAX is reserved (empty).
//
// Thread safety: none (one owner).
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace perfwatch {

class FlatIndex {
 public:
  static constexpr uint64_t kEmpty = UINT64_MAX;

  explicit FlatIndex(size_t expected = 0) { Rehash(Capacity(expected)); }

  // The value stored under `key` and false, or a new value 0 under `key` and true. The
  // pointer stays valid until the next insertion. `key` must not be kEmpty.
  std::pair<uint32_t*, bool> TryEmplace(uint64_t key) {
    if (2 * (size_ + 1) > slots_.size()) Rehash(slots_.size() * 2);
    Slot& s = Probe(key);
    if (s.key == key) return {&s.value, false};
    s = {key, 0};
    ++size_;
    return {&s.value, true};
  }

  size_t size() const { return size_; }

 private:
  struct Slot {
    uint64_t key = kEmpty;
    uint32_t value = 0;
  };
  static size_t Capacity(size_t expected) {
    size_t c = 16;
    while (c < 2 * expected) c *= 2;
    return c;
  }
  // Fibonacci hashing: the multiply spreads keys that differ only in low or high bits.
  size_t Home(uint64_t key) const { return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> shift_); }
  void Rehash(size_t capacity) {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    shift_ = 64;
    for (size_t c = capacity; c > 1; c >>= 1) --shift_;
    for (const Slot& s : old) {
      if (s.key != kEmpty) Probe(s.key) = s;
    }
  }
  // The slot holding `key`, or the empty slot where it goes.
  Slot& Probe(uint64_t key) {
    size_t i = Home(key);
    while (slots_[i].key != key && slots_[i].key != kEmpty) i = (i + 1) & mask_;
    return slots_[i];
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  int shift_ = 64;
  size_t size_ = 0;
};

}  // namespace perfwatch
