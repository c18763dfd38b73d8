#include "tsdb/packed_labels.h"

#include <cstring>

#include "common/coding.h"

namespace perfwatch::tsdb {
namespace {

// Reads a varint the packer wrote (well-formed by construction).
inline uint64_t ReadVarint(const char*& p) {
  uint64_t r = 0;
  for (int shift = 0;; shift += 7) {
    uint8_t b = static_cast<uint8_t>(*p++);
    r |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (b < 0x80) return r;
  }
}

inline void WriteVarint(char*& p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
}

inline std::string_view ReadString(const char*& p) {
  size_t n = static_cast<size_t>(ReadVarint(p));
  std::string_view s(p, n);
  p += n;
  return s;
}

}  // namespace

PackedLabels::PackedLabels(std::span<const LabelView> labels) {
  size_t n = static_cast<size_t>(VarintLength(labels.size()));
  for (const LabelView& l : labels) {
    n += static_cast<size_t>(VarintLength(l.name.size())) + l.name.size();
    n += static_cast<size_t>(VarintLength(l.value.size())) + l.value.size();
  }
  data_ = std::make_unique_for_overwrite<char[]>(n);
  char* p = data_.get();
  WriteVarint(p, labels.size());
  for (const LabelView& l : labels) {
    WriteVarint(p, l.name.size());
    std::memcpy(p, l.name.data(), l.name.size());
    p += l.name.size();
    WriteVarint(p, l.value.size());
    std::memcpy(p, l.value.data(), l.value.size());
    p += l.value.size();
  }
}

size_t PackedLabels::AppendTo(std::vector<LabelView>* out) const {
  if (!data_) return 0;
  const char* p = data_.get();
  size_t n = static_cast<size_t>(ReadVarint(p));
  for (size_t i = 0; i < n; ++i) {
    std::string_view name = ReadString(p);
    std::string_view value = ReadString(p);
    out->push_back(LabelView{name, value});
  }
  return n;
}

std::span<const LabelView> PackedLabels::Decode(std::vector<LabelView>* scratch) const {
  scratch->clear();
  AppendTo(scratch);
  return *scratch;
}

bool PackedLabels::Equals(std::span<const LabelView> labels) const {
  if (!data_) return labels.empty();
  const char* p = data_.get();
  if (ReadVarint(p) != labels.size()) return false;
  for (const LabelView& l : labels) {
    if (ReadString(p) != l.name) return false;
    if (ReadString(p) != l.value) return false;
  }
  return true;
}

size_t PackedLabels::size() const {
  if (!data_) return 0;
  const char* p = data_.get();
  return static_cast<size_t>(ReadVarint(p));
}

size_t PackedLabels::bytes() const {
  if (!data_) return 0;
  const char* p = data_.get();
  size_t n = static_cast<size_t>(ReadVarint(p));
  for (size_t i = 0; i < 2 * n; ++i) ReadString(p);
  return static_cast<size_t>(p - data_.get());
}

}  // namespace perfwatch::tsdb
