#pragma once
// BlockDirectory<T>: index -> block pointer, readable without locks, for the head's tables
// of dense ids (series refs, symbol ids), each a directory of lazily allocated blocks. The
// directory starts with `initial` entries and doubles, up to `max`, when a block beyond it
// is set. A reader holding an older directory still sees every block that directory had
// (blocks are shared, never moved); replaced directories are freed with the object
// (together at most the size of the last one). A fixed directory of `max` entries would
// cost every head its whole size (512 KiB for the refs) in address space, and under ASan an
// mmap, a shadow poisoning and an munmap per head.
// The directory does not own the blocks: the owner frees them (ForEach) before it goes.
// Thread safety: Get from any thread, concurrently with Set; Set from one thread at a time
// (the owner's lock); ForEach and the destructor with exclusive access.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>
#include <vector>

namespace perfwatch::tsdb {

template <typename T>
class BlockDirectory {
 public:
  BlockDirectory(size_t initial, size_t max)
      : max_(max), dir_(New(std::min(initial, max), nullptr)) {
    static_assert(std::atomic<T*>::is_always_lock_free);
    static_assert(std::atomic<Dir*>::is_always_lock_free);
  }
  ~BlockDirectory() {
    std::free(dir_.load(std::memory_order_relaxed));
    for (Dir* old : retired_) std::free(old);
  }
  BlockDirectory(const BlockDirectory&) = delete;
  BlockDirectory& operator=(const BlockDirectory&) = delete;

  // Block `i`, or null when it was not set (or is beyond the directory). Acquire: what the
  // setter wrote to the block before Set is visible.
  T* Get(size_t i) const {
    const Dir* d = dir_.load(std::memory_order_acquire);
    return i < d->size ? d->at(i).load(std::memory_order_acquire) : nullptr;
  }
  // One writer at a time. Sets block `i` (< max), growing the directory when needed.
  void Set(size_t i, T* block) {
    Dir* d = dir_.load(std::memory_order_relaxed);
    if (i >= d->size) {
      size_t size = std::max<size_t>(d->size, 1);
      while (size <= i) size *= 2;
      Dir* bigger = New(std::min(size, max_), d);
      retired_.push_back(d);
      dir_.store(bigger, std::memory_order_release);
      d = bigger;
    }
    d->at(i).store(block, std::memory_order_release);
  }
  // The directories' own bytes (current and replaced ones), blocks not included. Same
  // thread as Set.
  size_t bytes() const {
    size_t n = Bytes(dir_.load(std::memory_order_relaxed)->size);
    for (const Dir* old : retired_) n += Bytes(old->size);
    return n;
  }
  // Every block set, in index order.
  template <typename F>
  void ForEach(F&& f) const {
    const Dir* d = dir_.load(std::memory_order_relaxed);
    for (size_t i = 0; i < d->size; ++i) {
      if (T* block = d->at(i).load(std::memory_order_relaxed)) f(block);
    }
  }

 private:
  // `size` entries follow the header in the same calloc'ed allocation.
  struct Dir {
    size_t size;
    std::atomic<T*>& at(size_t i) { return reinterpret_cast<std::atomic<T*>*>(this + 1)[i]; }
    const std::atomic<T*>& at(size_t i) const {
      return reinterpret_cast<const std::atomic<T*>*>(this + 1)[i];
    }
  };
  static_assert(sizeof(Dir) % alignof(std::atomic<T*>) == 0);
  static size_t Bytes(size_t entries) { return sizeof(Dir) + entries * sizeof(std::atomic<T*>); }
  // A zeroed directory of `size` entries holding `from`'s blocks (if any).
  static Dir* New(size_t size, const Dir* from) {
    auto* d = static_cast<Dir*>(std::calloc(1, Bytes(size)));
    if (!d) throw std::bad_alloc();
    d->size = size;
    for (size_t i = 0; from && i < from->size; ++i) {
      d->at(i).store(from->at(i).load(std::memory_order_relaxed), std::memory_order_relaxed);
    }
    return d;
  }

  const size_t max_;
  std::atomic<Dir*> dir_;      // replaced (never shrunk) by Set
  std::vector<Dir*> retired_;  // directories replaced by a bigger one; written by Set
};

}  // namespace perfwatch::tsdb
