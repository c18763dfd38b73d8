#include "budget/bundle_sizes.h"

#include <brotli/encode.h>
#include <zlib.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace perfwatch::budget {

std::uint64_t GzipSize(std::string_view data) {
  z_stream zs{};
  // windowBits 15 + 16: a gzip wrapper (10-byte header without name or time, 8-byte trailer).
  if (deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("zlib: deflateInit2 failed");
  }
  std::string out(deflateBound(&zs, data.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  const std::uint64_t size = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("zlib: deflate did not finish");
  return size;
}

std::uint64_t BrotliSize(std::string_view data) {
  // The parameters `brotli -q 11 FILE` uses: the smallest window that holds the file
  // (10..24 bits) and the file's size as a hint, so the sizes are the tool's to the byte.
  std::uint32_t lgwin = BROTLI_MIN_WINDOW_BITS;
  while (((std::size_t{1} << lgwin) - 16) < data.size() && lgwin < 24) ++lgwin;  // window - 16 bytes
  BrotliEncoderState* s = BrotliEncoderCreateInstance(nullptr, nullptr, nullptr);
  if (s == nullptr) throw std::runtime_error("brotli: out of memory");
  BrotliEncoderSetParameter(s, BROTLI_PARAM_QUALITY, BROTLI_MAX_QUALITY);
  BrotliEncoderSetParameter(s, BROTLI_PARAM_LGWIN, lgwin);
  if (!data.empty()) {
    BrotliEncoderSetParameter(s, BROTLI_PARAM_SIZE_HINT,
                              static_cast<std::uint32_t>(std::min<std::size_t>(data.size(), 1u << 30)));
  }
  std::size_t avail_in = data.size();
  const auto* next_in = reinterpret_cast<const uint8_t*>(data.data());
  std::uint64_t total = 0;
  uint8_t buf[1 << 16];
  bool ok = true;
  while (true) {
    std::size_t avail_out = sizeof buf;
    uint8_t* next_out = buf;
    if (!BrotliEncoderCompressStream(s, BROTLI_OPERATION_FINISH, &avail_in, &next_in, &avail_out,
                                     &next_out, nullptr)) {
      ok = false;
      break;
    }
    total += sizeof buf - avail_out;
    if (BrotliEncoderIsFinished(s)) break;
  }
  BrotliEncoderDestroyInstance(s);
  if (!ok) throw std::runtime_error("brotli: compression failed");
  return total;
}

std::vector<FileSize> MeasureFiles(const std::filesystem::path& root) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    throw std::runtime_error(root.string() + ": not a directory");
  }
  std::vector<FileSize> files;
  fs::recursive_directory_iterator it(root, ec), end;
  if (ec) throw std::runtime_error(root.string() + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) throw std::runtime_error(root.string() + ": " + ec.message());
    if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
    std::ifstream in(it->path(), std::ios::binary);
    if (!in) throw std::runtime_error(it->path().string() + ": cannot read");
    std::ostringstream buf;
    buf << in.rdbuf();
    const std::string data = std::move(buf).str();
    FileSize f;
    f.path = fs::relative(it->path(), root, ec).generic_string();
    f.raw = data.size();
    f.gzip = GzipSize(data);
    f.brotli = BrotliSize(data);
    files.push_back(std::move(f));
  }
  std::sort(files.begin(), files.end(),
            [](const FileSize& a, const FileSize& b) { return a.path < b.path; });
  return files;
}

}  // namespace perfwatch::budget
