#include "tsdb/head_symbols.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

namespace perfwatch::tsdb {
namespace {

inline uint32_t ReadId(const uint8_t*& p) {
  uint32_t r = 0;
  for (int shift = 0;; shift += 7) {
    uint8_t b = *p++;
    r |= static_cast<uint32_t>(b & 0x7f) << shift;
    if (b < 0x80) return r;
  }
}

inline void WriteId(std::vector<uint8_t>& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<uint8_t>(v));
}

}  // namespace

HeadSymbols::HeadSymbols() = default;

HeadSymbols::~HeadSymbols() {
  blocks_.ForEach([](std::string_view* b) { delete[] b; });
}

std::string_view HeadSymbols::Store(std::string_view s) {
  if (s.size() > kStringBlockSize / 4) {
    auto big = std::make_unique_for_overwrite<char[]>(s.size());
    std::memcpy(big.get(), s.data(), s.size());
    std::string_view v(big.get(), s.size());
    large_strings_.push_back(std::move(big));
    string_bytes_ += s.size();
    return v;
  }
  if (string_block_used_ + s.size() > kStringBlockSize) {
    strings_.push_back(std::make_unique_for_overwrite<char[]>(kStringBlockSize));
    string_block_used_ = 0;
    string_bytes_ += kStringBlockSize;
  }
  char* p = strings_.back().get() + string_block_used_;
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  string_block_used_ += s.size();
  return std::string_view(p, s.size());
}

uint32_t HeadSymbols::Intern(std::string_view s) {
  std::lock_guard lock(mu_);
  if (auto it = ids_.find(s); it != ids_.end()) return it->second;
  if (next_ >= kMaxBlocks * kBlockSize) throw std::length_error("head symbol table full");
  const uint32_t id = next_++;
  std::string_view stored = Store(s);
  std::string_view* block = blocks_.Get(id >> kBlockBits);
  if (block == nullptr) {
    block = new std::string_view[kBlockSize];
    blocks_.Set(id >> kBlockBits, block);
  }
  block[id & (kBlockSize - 1)] = stored;
  ids_.emplace(stored, id);
  return id;
}

size_t HeadSymbols::size() const {
  std::lock_guard lock(mu_);
  return next_;
}

size_t HeadSymbols::bytes() const {
  std::lock_guard lock(mu_);
  size_t blocks = (next_ + kBlockSize - 1) / kBlockSize;
  return string_bytes_ + blocks * kBlockSize * sizeof(std::string_view) + blocks_.bytes() +
         ids_.size() * (sizeof(std::string_view) + sizeof(uint32_t) + 2 * sizeof(void*)) +
         ids_.bucket_count() * sizeof(void*);
}

const uint8_t* LabelArena::Add(HeadSymbols& symbols, std::span<const LabelView> labels) {
  thread_local std::vector<uint8_t> enc;
  enc.clear();
  WriteId(enc, labels.size());
  for (const LabelView& l : labels) {
    WriteId(enc, symbols.Intern(l.name));
    WriteId(enc, symbols.Intern(l.value));
  }
  if (enc.size() > kBlockSize / 4) {
    large_.push_back(std::make_unique_for_overwrite<uint8_t[]>(enc.size()));
    large_bytes_ += enc.size();
    std::memcpy(large_.back().get(), enc.data(), enc.size());
    return large_.back().get();
  }
  if (used_ + enc.size() > kBlockSize) {
    blocks_.push_back(std::make_unique_for_overwrite<uint8_t[]>(kBlockSize));
    used_ = 0;
  }
  uint8_t* p = blocks_.back().get() + used_;
  std::memcpy(p, enc.data(), enc.size());
  used_ += enc.size();
  return p;
}

size_t AppendEncodedLabels(const HeadSymbols& symbols, const uint8_t* enc, std::vector<LabelView>* out) {
  if (enc == nullptr) return 0;
  const uint8_t* p = enc;
  size_t n = ReadId(p);
  for (size_t i = 0; i < n; ++i) {
    std::string_view name = symbols.Get(ReadId(p));
    std::string_view value = symbols.Get(ReadId(p));
    out->push_back(LabelView{name, value});
  }
  return n;
}

bool EncodedLabelsEqual(const HeadSymbols& symbols, const uint8_t* enc, std::span<const LabelView> labels) {
  if (enc == nullptr) return labels.empty();
  const uint8_t* p = enc;
  if (ReadId(p) != labels.size()) return false;
  for (const LabelView& l : labels) {
    if (symbols.Get(ReadId(p)) != l.name) return false;
    if (symbols.Get(ReadId(p)) != l.value) return false;
  }
  return true;
}

}  // namespace perfwatch::tsdb
