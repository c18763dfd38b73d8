#include "common/snapshot_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>

#include "common/file_util.h"

namespace perfwatch {

namespace fs = std::filesystem;

Result<PinnedFile> PinnedFile::Pin(int fd, uint64_t size, fs::path dest) {
  // A read-only descriptor of the same file (a writer's may be write-only); it stays valid
  // when the file is deleted. Without /proc, a dup of the writer's own.
  const std::string self = "/proc/self/fd/" + std::to_string(fd);
  int copy = ::open(self.c_str(), O_RDONLY | O_CLOEXEC);
  if (copy < 0) copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return IoError("reopen the file for " + dest.string(), errno);
  return PinnedFile(copy, size, std::move(dest));
}

PinnedFile::PinnedFile(PinnedFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), size_(other.size_), dest_(std::move(other.dest_)) {}

PinnedFile& PinnedFile::operator=(PinnedFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    size_ = other.size_;
    dest_ = std::move(other.dest_);
  }
  return *this;
}

PinnedFile::~PinnedFile() {
  if (fd_ >= 0) ::close(fd_);
}

namespace {

// Copies `size` bytes of `in` from offset 0 into a new file `dest`, fsynced.
Status CopyFd(int in, uint64_t size, const fs::path& dest) {
  std::error_code ec;
  fs::create_directories(dest.parent_path(), ec);
  if (ec) return IoError("create " + dest.parent_path().string(), ec.value());
  int out = ::open(dest.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) return IoError("create " + dest.string(), errno);
  std::string buf(1 << 20, '\0');
  Status s;
  uint64_t off = 0;
  while (s.ok() && off < size) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), size - off));
    ssize_t n = ::pread(in, buf.data(), want, static_cast<off_t>(off));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      s = IoError("read for " + dest.string(), errno);
    } else if (n == 0) {
      s = DataLoss("snapshot source of " + dest.string() + " shrank below " + std::to_string(size) + " bytes");
    } else {
      s = WriteAll(out, std::string_view(buf.data(), static_cast<size_t>(n)));
      off += static_cast<uint64_t>(n);
    }
  }
  if (s.ok() && ::fsync(out) != 0) s = IoError("fsync " + dest.string(), errno);
  ::close(out);
  return s;
}

}  // namespace

Status PinnedFile::CopyOut() const { return CopyFd(fd_, size_, dest_); }

Result<uint64_t> CopyPinnedFiles(const std::vector<PinnedFile>& files) {
  uint64_t bytes = 0;
  for (const PinnedFile& f : files) {
    PW_RETURN_IF_ERROR(f.CopyOut());
    bytes += f.size();
  }
  return bytes;
}

Status LinkOrCopyFile(const fs::path& src, const fs::path& dest) {
  std::error_code ec;
  fs::create_directories(dest.parent_path(), ec);
  if (ec) return IoError("create " + dest.parent_path().string(), ec.value());
  if (::link(src.c_str(), dest.c_str()) == 0) return Status::Ok();
  if (errno != EXDEV && errno != EPERM && errno != EMLINK && errno != ENOTSUP)
    return IoError("link " + src.string() + " to " + dest.string(), errno);
  int in = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return IoError("open " + src.string(), errno);
  off_t size = ::lseek(in, 0, SEEK_END);
  Status s = size < 0 ? IoError("seek " + src.string(), errno) : CopyFd(in, static_cast<uint64_t>(size), dest);
  ::close(in);
  return s;
}

Result<uint64_t> CopyStateTree(const fs::path& src, const fs::path& dest) {
  std::error_code ec;
  if (!fs::is_directory(src, ec)) return uint64_t{0};
  uint64_t bytes = 0;
  for (auto it = fs::recursive_directory_iterator(src, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file(ec) || it->path().extension() == ".tmp") continue;
    auto data = ReadFile(it->path());
    if (!data.ok()) {
      if (data.status().code() == StatusCode::kNotFound) continue;  // replaced or deleted meanwhile
      return data.status();
    }
    const fs::path out = dest / fs::relative(it->path(), src);
    fs::create_directories(out.parent_path(), ec);
    if (ec) return IoError("create " + out.parent_path().string(), ec.value());
    PW_RETURN_IF_ERROR(WriteFileAtomically(out, *data));
    bytes += data->size();
  }
  if (ec) return IoError("list " + src.string(), ec.value());
  return bytes;
}

TreeSize MeasureTree(const fs::path& dir) {
  TreeSize t;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    ++t.files;
    t.bytes += it->file_size(ec);
  }
  return t;
}

}  // namespace perfwatch
