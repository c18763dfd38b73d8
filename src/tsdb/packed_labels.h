#pragma once
// PackedLabels: a label set in one small allocation, for the head's series (where a
// LabelView array alone would cost 32 bytes per label): varint(count), then per label
// varint(name length) name varint(value length) value. Decoding yields views into the
// packed bytes, so they stay valid as long as the PackedLabels does.
// Thread safety: immutable after construction; safe to read from any thread.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "tsdb/labels.h"

namespace perfwatch::tsdb {

class PackedLabels {
 public:
  PackedLabels() = default;
  explicit PackedLabels(std::span<const LabelView> labels);

  // Appends the labels' views to `out` (not cleared); returns how many were appended.
  size_t AppendTo(std::vector<LabelView>* out) const;
  // The labels as views, in `scratch` (cleared first).
  std::span<const LabelView> Decode(std::vector<LabelView>* scratch) const;
  bool Equals(std::span<const LabelView> labels) const;
  size_t size() const;
  // Bytes of the allocation.
  size_t bytes() const;
  // Where the bytes live (for prefetching).
  const char* data() const { return data_.get(); }

 private:
  std::unique_ptr<char[]> data_;
};

}  // namespace perfwatch::tsdb
