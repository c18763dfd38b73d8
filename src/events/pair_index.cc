#include "events/pair_index.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <system_error>

#include "common/log.h"

namespace perfwatch::events {
namespace {

void* MapZeroed(size_t bytes) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) std::abort();  // out of memory: nothing sensible to return
  return p;
}

uint64_t* AllocSlots(size_t n) { return static_cast<uint64_t*>(MapZeroed(n * sizeof(uint64_t))); }

void FreeSlots(uint64_t* p, size_t n) {
  if (p) ::munmap(p, n * sizeof(uint64_t));
}

inline uint64_t Pack(uint32_t hash, uint32_t row) { return (static_cast<uint64_t>(hash) << 32) | (row + 1u); }

bool IsRunFileName(const std::string& name) {
  return name.size() > 10 && name.rfind("pairs-", 0) == 0 && name.compare(name.size() - 4, 4, ".run") == 0;
}

}  // namespace

PairIndex::PairIndex(std::filesystem::path dir, size_t recent_cap, size_t fan_in)
    : dir_(std::move(dir)),
      recent_cap_(std::max<size_t>(1, recent_cap)),
      full_capacity_((recent_cap_ * 5 + 3) / 4),
      fan_in_(std::max<size_t>(2, fan_in)),
      next_spill_at_(recent_cap_) {
  // Runs left by an earlier process describe an index that replay is about to rebuild.
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    if (!IsRunFileName(entry.path().filename().string())) continue;
    std::error_code rm;
    std::filesystem::remove(entry.path(), rm);
    if (rm) PW_LOG_WARN("cannot remove stale pair index run", "file={} error={}", entry.path().string(), LogQuote(rm.message()));
  }
}

// Run files stay on disk (the next open deletes them): a store reopened on the same
// directory before this one is destroyed may already have written runs of the same names.
PairIndex::~PairIndex() { FreeSlots(slots_, capacity_); }

std::filesystem::path PairIndex::RunPath(uint64_t id) const { return dir_ / ("pairs-" + std::to_string(id) + ".run"); }

void PairIndex::UpdateMemory() const {
  size_t bytes = capacity_ * sizeof(uint64_t) + (page_ ? sizeof(PageBuffer) : 0);
  for (const Run& r : runs_) bytes += r.run->MemoryBytes();
  memory_bytes_.store(bytes, std::memory_order_relaxed);
}

void PairIndex::Prefetch(uint32_t hash) const {
  if (capacity_) __builtin_prefetch(&slots_[Home(hash)]);
  for (const Run& r : runs_) r.run->Prefetch(hash);
}

const PairIndex::PageBuffer* PairIndex::LoadPage(const Run& r, size_t page) const {
  if (page_ && page_->run_id == r.id && page_->page == page) return page_.get();
  if (!page_) {
    page_ = std::make_unique<PageBuffer>();
    UpdateMemory();
  }
  Status s = r.run->ReadPage(page, page_->entries, &page_->n);
  if (!s.ok()) {
    page_->run_id = 0;
    if (read_errors_++ == 0) {
      PW_LOG_ERROR("pair index run unreadable: repeats of its events are not replaced", "error={}",
                   LogQuote(s.ToString()));
    }
    return nullptr;
  }
  page_->run_id = r.id;
  page_->page = page;
  return page_.get();
}

std::optional<uint32_t> PairIndex::Find(uint32_t hash, const std::function<bool(uint32_t)>& confirm) const {
  if (capacity_) {
    for (size_t i = Home(hash);; i = (i + 1 == capacity_ ? 0 : i + 1)) {
      uint64_t s = slots_[i];
      if (s == 0) break;
      if ((s >> 32) == hash) {
        uint32_t row = static_cast<uint32_t>(s) - 1;
        if (confirm(row)) return row;
      }
    }
  }
  for (auto it = runs_.rbegin(); it != runs_.rend(); ++it) {
    if (!it->run->MayContain(hash)) continue;
    auto [first, last] = it->run->PagesFor(hash);
    for (size_t p = first; p < last; ++p) {
      const PageBuffer* page = LoadPage(*it, p);
      if (!page) continue;
      const uint64_t* end = page->entries + page->n;
      for (const uint64_t* e = std::lower_bound(page->entries, end, PackPair(hash, 0));
           e != end && PairEntryHash(*e) == hash; ++e) {
        if (confirm(PairEntryRow(*e))) return PairEntryRow(*e);
      }
    }
  }
  return std::nullopt;
}

bool PairIndex::SpilledContains(uint32_t hash, uint32_t row) const {
  const uint64_t want = PackPair(hash, row);
  for (auto it = runs_.rbegin(); it != runs_.rend(); ++it) {
    if (!it->run->MayContain(hash)) continue;
    auto [first, last] = it->run->PagesFor(hash);
    for (size_t p = first; p < last; ++p) {
      const PageBuffer* page = LoadPage(*it, p);
      if (page && std::binary_search(page->entries, page->entries + page->n, want)) return true;
    }
  }
  return false;
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
  if (recent_cap_ && size_ >= next_spill_at_) Spill();
  if ((size_ + 1) * 5 > capacity_ * 4) Grow();
  size_t i = Home(hash);
  while (slots_[i] != 0) i = (i + 1 == capacity_ ? 0 : i + 1);
  slots_[i] = Pack(hash, row);
  ++size_;
}

bool PairIndex::Replace(uint32_t hash, uint32_t old_row, uint32_t new_row) {
  size_t i = FindSlot(hash, old_row);
  if (i != capacity_) {
    slots_[i] = Pack(hash, new_row);
    return true;
  }
  if (!SpilledContains(hash, old_row)) return false;
  Insert(hash, new_row);  // the spilled (hash, old_row) stays, superseded
  return true;
}

bool PairIndex::Erase(uint32_t hash, uint32_t row) {
  size_t i = FindSlot(hash, row);
  if (i == capacity_) return SpilledContains(hash, row);
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
  // With spilling, stop at the size that holds recent_cap_ entries at 80% load (the
  // table grows past it only while spills fail).
  if (recent_cap_ && capacity_ < full_capacity_) new_cap = std::min(new_cap, full_capacity_);
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
  UpdateMemory();
}

void PairIndex::Spill() {
  if (size_ == 0) return;
  // Sort a copy, so that a failed write leaves the table as it was.
  const size_t bytes = size_ * sizeof(uint64_t);
  uint64_t* sorted = static_cast<uint64_t*>(MapZeroed(bytes));
  size_t n = 0;
  for (size_t k = 0; k < capacity_; ++k) {
    uint64_t s = slots_[k];
    if (s) sorted[n++] = PackPair(static_cast<uint32_t>(s >> 32), static_cast<uint32_t>(s) - 1);
  }
  std::sort(sorted, sorted + n);
  const uint64_t id = next_run_id_++;
  auto run = PairRun::Write(RunPath(id), std::span<const uint64_t>(sorted, n));
  ::munmap(sorted, bytes);
  if (!run.ok()) {
    // Keep everything in memory and try again after another recent_cap_ inserts.
    next_spill_at_ = size_ + recent_cap_;
    if (spill_failures_++ == 0) {
      PW_LOG_ERROR("pair index spill failed: keeping its entries in memory", "dir={} entries={} error={}",
                   dir_.string(), size_, LogQuote(run.status().ToString()));
    }
    return;
  }
  runs_.push_back(Run{std::move(run).value(), id, 0});
  spilled_ += n;
  if (capacity_ > full_capacity_) {  // grown while spills failed: give the excess back
    FreeSlots(slots_, capacity_);
    slots_ = nullptr;
    capacity_ = 0;
  } else {
    std::memset(slots_, 0, capacity_ * sizeof(uint64_t));
  }
  size_ = 0;
  next_spill_at_ = recent_cap_;
  MergeTiers();
  UpdateMemory();
}

void PairIndex::MergeTiers() {
  for (;;) {
    // Runs of one tier are adjacent (tiers never increase towards the newest).
    size_t i = 0, j = 0;
    for (; i < runs_.size(); i = j) {
      for (j = i; j < runs_.size() && runs_[j].tier == runs_[i].tier;) ++j;
      if (j - i >= fan_in_) break;
    }
    if (i == runs_.size()) return;
    std::vector<const PairRun*> inputs;
    for (size_t k = i; k < j; ++k) inputs.push_back(runs_[k].run.get());
    const uint64_t id = next_run_id_++;
    auto merged = PairRun::Merge(RunPath(id), inputs);
    if (!merged.ok()) {
      // The inputs stay; the next spill tries again (with one more input).
      if (spill_failures_++ == 0) {
        PW_LOG_ERROR("pair index merge failed: keeping its runs", "dir={} error={}", dir_.string(),
                     LogQuote(merged.status().ToString()));
      }
      return;
    }
    for (size_t k = i; k < j; ++k) {
      std::error_code ec;
      std::filesystem::remove(runs_[k].run->path(), ec);
    }
    const int tier = runs_[i].tier + 1;
    runs_.erase(runs_.begin() + static_cast<ptrdiff_t>(i + 1), runs_.begin() + static_cast<ptrdiff_t>(j));
    runs_[i] = Run{std::move(merged).value(), id, tier};
  }
}

}  // namespace perfwatch::events
