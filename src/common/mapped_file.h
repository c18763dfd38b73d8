#pragma once
// A whole file mapped read-only (MAP_PRIVATE) for sequential reading, unmapped on
// destruction. Empty files map to nothing (data() null, size() 0).
// Thread safety: immutable after Open; the bytes may be read from any thread.
#include <cstdint>
#include <filesystem>
#include <string_view>

#include "common/status.h"

namespace perfwatch {

class MappedFile {
 public:
  static Result<MappedFile> Open(const std::filesystem::path& path);

  MappedFile() = default;
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const char* data() const { return data_; }
  uint64_t size() const { return size_; }

 private:
  const char* data_ = nullptr;
  uint64_t size_ = 0;
};

}  // namespace perfwatch
