#include "ingest/scrape/scrape_gzip.h"

#include <bit>
#include <cstring>

#include <zlib.h>

#include <algorithm>

namespace perfwatch::ingest {

Status Gunzip(std::string_view in, size_t max_out, std::string* out) {
  out->clear();
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return Internal("gzip: inflateInit2 failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  // Start at the size the gzip trailer announces (ISIZE: the uncompressed length mod 2^32,
  // right for a single-member stream under 4 GiB), so a 14 MB body is inflated into one
  // buffer instead of growing it through several copies; the loop below still grows it if
  // the trailer was wrong and the limit still applies.
  size_t initial = std::max<size_t>(in.size() * 4, 4096);
  if (in.size() >= 18) {
    uint32_t isize;
    std::memcpy(&isize, in.data() + in.size() - 4, 4);  // little-endian by the format
    if constexpr (std::endian::native == std::endian::big) isize = __builtin_bswap32(isize);
    if (isize > 0) initial = static_cast<size_t>(isize) + 1;  // +1: the end is seen without growing
  }
  out->resize(std::min<size_t>(initial, max_out + 1));
  size_t produced = 0;
  Status status;
  while (true) {
    if (produced == out->size()) {
      if (out->size() > max_out) {
        status = ResourceExhausted("decompressed body exceeds the limit of " + std::to_string(max_out) + " bytes");
        break;
      }
      out->resize(std::min(out->size() * 2, max_out + 1));
    }
    zs.next_out = reinterpret_cast<Bytef*>(out->data() + produced);
    zs.avail_out = static_cast<uInt>(out->size() - produced);
    int rc = inflate(&zs, Z_NO_FLUSH);
    produced = out->size() - zs.avail_out;
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      // Another gzip member follows (concatenated streams are valid gzip).
      if (inflateReset(&zs) != Z_OK) {
        status = InvalidArgument("gzip: cannot continue after a member");
        break;
      }
      continue;
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0 && zs.avail_out != 0) {
      status = InvalidArgument("gzip: truncated stream");
      break;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      status = InvalidArgument(std::string("gzip: ") + (zs.msg ? zs.msg : "corrupt stream"));
      break;
    }
  }
  inflateEnd(&zs);
  if (status.ok() && produced > max_out) {
    status = ResourceExhausted("decompressed body exceeds the limit of " + std::to_string(max_out) + " bytes");
  }
  out->resize(status.ok() ? produced : 0);
  return status;
}

std::string Gzip(std::string_view in, int level) {
  z_stream zs{};
  deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, in.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(out.size() - zs.avail_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace perfwatch::ingest
