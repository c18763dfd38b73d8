#pragma once
// A fresh directory under the system temp dir (mkdtemp), removed with its contents when
// the TempDir goes out of scope. For tests that need files on disk.
// Thread safety: the object is not thread-safe; each instance owns a distinct directory.
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

namespace perfwatch::testing {

class TempDir {
 public:
  // `prefix` starts the directory's name (a random suffix follows). Aborts the test
  // binary if the directory cannot be created: nothing sensible runs without it.
  explicit TempDir(std::string_view prefix = "pw_test_") {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / (std::string(prefix) + "XXXXXX")).string();
    if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // Writes `content` to the file `name` inside the directory; returns the file's path.
  std::string Write(std::string_view name, std::string_view content) const {
    std::filesystem::path file = path_ / name;
    std::ofstream(file, std::ios::binary) << content;
    return file.string();
  }

 private:
  std::filesystem::path path_;
};

}  // namespace perfwatch::testing
