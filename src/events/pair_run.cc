#include "events/pair_run.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/crc32c.h"
#include "common/file_util.h"

namespace perfwatch::events {
namespace {

constexpr int kBloomProbes = 7;  // 7 x 9-bit positions in one 512-bit block
constexpr size_t kReadPages = 16;

inline uint64_t Mix(uint64_t z) {  // splitmix64's finaliser
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

Status PreadAll(int fd, void* buf, size_t n, uint64_t offset, const std::filesystem::path& path) {
  char* p = static_cast<char*>(buf);
  while (n > 0) {
    ssize_t r = ::pread(fd, p, n, static_cast<off_t>(offset));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return IoError("read " + path.string(), errno);
    if (r == 0) return DataLoss(path.string() + ": run file shorter than expected");
    p += r;
    n -= static_cast<size_t>(r);
    offset += static_cast<uint64_t>(r);
  }
  return Status::Ok();
}

}  // namespace

// ---- PairBloom

PairBloom::PairBloom(size_t keys) {
  blocks_ = std::max<size_t>(1, (keys * kBitsPerKey + 511) / 512);
  map_bytes_ = (blocks_ * 64 + 4095) & ~size_t{4095};
  void* p = ::mmap(nullptr, map_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) std::abort();  // out of memory: nothing sensible to return
  words_ = static_cast<uint64_t*>(p);
}

PairBloom::~PairBloom() {
  if (words_) ::munmap(words_, map_bytes_);
}

PairBloom& PairBloom::operator=(PairBloom&& o) noexcept {
  if (this != &o) {
    if (words_) ::munmap(words_, map_bytes_);
    words_ = std::exchange(o.words_, nullptr);
    blocks_ = std::exchange(o.blocks_, 0);
    map_bytes_ = std::exchange(o.map_bytes_, 0);
  }
  return *this;
}

void PairBloom::Add(uint32_t hash) {
  uint64_t z = Mix(hash + 0x9E3779B97F4A7C15ull);
  uint64_t* block = words_ + Block(z) * 8;
  uint64_t w = Mix(z ^ 0xD6E8FEB86659FD93ull);
  for (int i = 0; i < kBloomProbes; ++i, w >>= 9) block[(w >> 6) & 7] |= uint64_t{1} << (w & 63);
}

bool PairBloom::MayContain(uint32_t hash) const {
  if (!words_) return false;
  uint64_t z = Mix(hash + 0x9E3779B97F4A7C15ull);
  const uint64_t* block = words_ + Block(z) * 8;
  uint64_t w = Mix(z ^ 0xD6E8FEB86659FD93ull);
  for (int i = 0; i < kBloomProbes; ++i, w >>= 9) {
    if (!(block[(w >> 6) & 7] & (uint64_t{1} << (w & 63)))) return false;
  }
  return true;
}

void PairBloom::Prefetch(uint32_t hash) const {
  if (words_) __builtin_prefetch(words_ + Block(Mix(hash + 0x9E3779B97F4A7C15ull)) * 8);
}

// ---- writing

// Streams ascending entries into a new run file, building the Bloom filter and page
// table as it goes. The file is removed unless Finish succeeds.
class PairRunWriter {
 public:
  PairRunWriter(const std::filesystem::path& path, size_t expected)
      : run_(new PairRun(path, expected)) {
    run_->first_.reserve((expected + PairRun::kPageEntries - 1) / PairRun::kPageEntries);
    run_->crc_.reserve(run_->first_.capacity());
  }
  ~PairRunWriter() {
    if (fd_ >= 0) ::close(fd_);
    if (!finished_ && opened_) ::unlink(run_->path_.c_str());
  }

  Status Open() {
    fd_ = ::open(run_->path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) return IoError("create " + run_->path_.string(), errno);
    opened_ = true;
    buf_.reserve(kReadPages * PairRun::kPageEntries);
    return Status::Ok();
  }

  Status Add(uint64_t e) {
    if (in_page_ == 0) {
      run_->first_.push_back(PairEntryHash(e));
      run_->crc_.push_back(0);
    }
    run_->bloom_.Add(PairEntryHash(e));
    buf_.push_back(e);
    ++run_->count_;
    if (++in_page_ == PairRun::kPageEntries) {
      ClosePage();
      if (buf_.size() >= kReadPages * PairRun::kPageEntries) return Flush();
    }
    return Status::Ok();
  }

  Result<std::unique_ptr<PairRun>> Finish() {
    if (in_page_) ClosePage();
    PW_RETURN_IF_ERROR(Flush());
    std::string trailer(PairRun::kMagic, sizeof(PairRun::kMagic));
    char fixed[20];
    const uint32_t version = 1, per_page = PairRun::kPageEntries;
    const uint64_t count = run_->count_;
    std::memcpy(fixed, &version, 4);
    std::memcpy(fixed + 4, &per_page, 4);
    std::memcpy(fixed + 8, &count, 8);
    std::memcpy(fixed + 16, &data_crc_, 4);
    trailer.append(fixed, 20);
    const uint32_t trailer_crc = Crc32c(trailer.data(), trailer.size());
    trailer.append(reinterpret_cast<const char*>(&trailer_crc), 4);
    PW_RETURN_IF_ERROR(WriteAll(fd_, trailer).WithContext("write " + run_->path_.string()));
    int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) return IoError("close " + run_->path_.string(), errno);
    finished_ = true;
    return std::move(run_);
  }

 private:
  void ClosePage() {
    const char* bytes = reinterpret_cast<const char*>(buf_.data() + buf_.size() - in_page_);
    run_->crc_.back() = Crc32c(bytes, in_page_ * sizeof(uint64_t));
    in_page_ = 0;
  }
  Status Flush() {
    std::string_view bytes(reinterpret_cast<const char*>(buf_.data()), buf_.size() * sizeof(uint64_t));
    data_crc_ = Crc32c(bytes.data(), bytes.size(), data_crc_);
    PW_RETURN_IF_ERROR(WriteAll(fd_, bytes).WithContext("write " + run_->path_.string()));
    buf_.clear();
    return Status::Ok();
  }

  std::unique_ptr<PairRun> run_;
  int fd_ = -1;
  bool opened_ = false, finished_ = false;
  std::vector<uint64_t> buf_;
  uint32_t in_page_ = 0;
  uint32_t data_crc_ = 0;
};

Result<std::unique_ptr<PairRun>> PairRun::Write(const std::filesystem::path& path, std::span<const uint64_t> sorted) {
  PairRunWriter w(path, sorted.size());
  PW_RETURN_IF_ERROR(w.Open());
  for (uint64_t e : sorted) PW_RETURN_IF_ERROR(w.Add(e));
  return w.Finish();
}

Result<std::unique_ptr<PairRun>> PairRun::Merge(const std::filesystem::path& path,
                                                std::span<const PairRun* const> inputs) {
  size_t total = 0;
  for (const PairRun* r : inputs) total += r->count();
  PairRunWriter w(path, total);
  PW_RETURN_IF_ERROR(w.Open());
  std::vector<std::unique_ptr<Reader>> readers;
  std::vector<uint64_t> heads;
  for (const PairRun* r : inputs) {
    auto reader = std::make_unique<Reader>(*r);
    uint64_t e;
    bool has;
    PW_RETURN_IF_ERROR(reader->Next(&e, &has));
    if (!has) continue;
    readers.push_back(std::move(reader));
    heads.push_back(e);
  }
  while (!readers.empty()) {  // few inputs: a linear minimum beats a heap
    size_t m = 0;
    for (size_t i = 1; i < heads.size(); ++i) {
      if (heads[i] < heads[m]) m = i;
    }
    PW_RETURN_IF_ERROR(w.Add(heads[m]));
    bool has;
    PW_RETURN_IF_ERROR(readers[m]->Next(&heads[m], &has));
    if (!has) {
      readers.erase(readers.begin() + static_cast<ptrdiff_t>(m));
      heads.erase(heads.begin() + static_cast<ptrdiff_t>(m));
    }
  }
  return w.Finish();
}

// ---- reading

std::pair<size_t, size_t> PairRun::PagesFor(uint32_t hash) const {
  // Entries with `hash` start in the last page whose first hash is < hash (or in the
  // first page whose first hash is == hash) and end in the last page whose first is <= hash.
  auto lo = std::lower_bound(first_.begin(), first_.end(), hash);
  auto hi = std::upper_bound(lo, first_.end(), hash);
  size_t start = static_cast<size_t>(lo - first_.begin());
  size_t end = static_cast<size_t>(hi - first_.begin());
  if (start > 0) --start;
  return {start, end};
}

Status PairRun::ReadPage(size_t page, uint64_t* out, uint32_t* n) const {
  const uint64_t begin = static_cast<uint64_t>(page) * kPageEntries;
  const uint32_t entries = static_cast<uint32_t>(std::min<uint64_t>(kPageEntries, count_ - begin));
  int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError("open " + path_.string(), errno);
  Status s = PreadAll(fd, out, entries * sizeof(uint64_t), begin * sizeof(uint64_t), path_);
  ::close(fd);
  PW_RETURN_IF_ERROR(s);
  if (Crc32c(out, entries * sizeof(uint64_t)) != crc_[page]) {
    return DataLoss(path_.string() + ": checksum mismatch in page " + std::to_string(page));
  }
  *n = entries;
  return Status::Ok();
}

size_t PairRun::MemoryBytes() const {
  return bloom_.MemoryBytes() + (first_.capacity() + crc_.capacity()) * sizeof(uint32_t) + sizeof(*this);
}

PairRun::Reader::~Reader() {
  if (fd_ >= 0) ::close(fd_);
}

Status PairRun::Reader::Fill() {
  if (fd_ < 0) {
    fd_ = ::open(run_.path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return IoError("open " + run_.path_.string(), errno);
  }
  const uint64_t left = run_.count_ - consumed_;
  const size_t n = static_cast<size_t>(std::min<uint64_t>(left, kReadPages * kPageEntries));
  buf_.resize(n);
  PW_RETURN_IF_ERROR(PreadAll(fd_, buf_.data(), n * sizeof(uint64_t), consumed_ * sizeof(uint64_t), run_.path_));
  for (size_t at = 0; at < n; at += kPageEntries) {  // consumed_ is page aligned
    size_t len = std::min<size_t>(kPageEntries, n - at);
    size_t page = static_cast<size_t>(consumed_ / kPageEntries) + at / kPageEntries;
    if (Crc32c(buf_.data() + at, len * sizeof(uint64_t)) != run_.crc_[page]) {
      return DataLoss(run_.path_.string() + ": checksum mismatch in page " + std::to_string(page));
    }
  }
  consumed_ += n;
  pos_ = 0;
  return Status::Ok();
}

Status PairRun::Reader::Next(uint64_t* entry, bool* has) {
  if (pos_ == buf_.size()) {
    if (consumed_ == run_.count_) {
      *has = false;
      return Status::Ok();
    }
    PW_RETURN_IF_ERROR(Fill());
  }
  *entry = buf_[pos_++];
  *has = true;
  return Status::Ok();
}

}  // namespace perfwatch::events
