// libFuzzer target for the chunk encoders: arbitrary samples appended to a head chunk,
// sealed, and sealed with every forced codec, decode to exactly what was appended
// (timestamps and value bit patterns). Input: one control byte, then 16-byte records
// (timestamp delta and value, little-endian); the control byte picks how records map to
// samples so that regular, decimal and counter-shaped data are reached too.
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "tsdb/chunk.h"
#include "tsdb/chunk_codec.h"

using namespace perfwatch::tsdb;
namespace ci = perfwatch::tsdb::chunk_internal;

namespace {

void Check(std::span<const uint8_t> chunk, const std::vector<Sample>& want) {
  ChunkIterator it(chunk);
  size_t i = 0;
  while (it.Next()) {
    if (i >= want.size() || it.t() != want[i].t ||
        std::bit_cast<uint64_t>(it.v()) != std::bit_cast<uint64_t>(want[i].v)) {
      std::abort();
    }
    ++i;
  }
  if (!it.status().ok() || i != want.size()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  uint8_t mode = data[0];
  std::vector<Sample> samples;
  uint64_t t = 0;
  for (size_t off = 1; off + 16 <= size && samples.size() < 2000; off += 16) {
    uint64_t a, b;
    std::memcpy(&a, data + off, 8);
    std::memcpy(&b, data + off + 8, 8);
    switch (mode & 3) {
      case 0:
        t = a;
        break;  // any timestamps (wrapping)
      case 1:
        t += 10'000 + (a % 61) - 30;
        break;  // jittered grid
      case 2:
        t += 1 + (a >> (a & 63));
        break;  // increasing, any gaps
      default:
        t += 15'000;
        break;  // regular
    }
    double v;
    switch ((mode >> 2) & 3) {
      case 0:
        v = std::bit_cast<double>(b);
        break;  // any bits
      case 1:
        v = double(int64_t(b) >> (b & 63)) / std::pow(10.0, double(b % 17));
        break;
      case 2:
        v = double(b % 1000) + (samples.empty() ? 0 : samples.back().v);
        break;  // counter
      default:
        v = (b & 1) ? std::bit_cast<double>(uint64_t{0x7ff0000000000002}) : double(b % 7);
    }
    samples.push_back({static_cast<int64_t>(t), v});
  }
  auto app = NewChunkAppender();
  for (const Sample& s : samples) app->Append(s.t, s.v);
  std::vector<uint8_t> head(app->bytes().begin(), app->bytes().end());
  Check(head, samples);
  Check(SealChunk(head), samples);
  ci::SealOptions o;
  o.time_transform = static_cast<ci::IntTransform>((mode >> 4) & 3);
  o.value_kind = static_cast<ci::ValueKind>((mode >> 6) & 3);
  o.value_transform = static_cast<ci::IntTransform>(((mode >> 4) + (mode >> 6)) & 3);
  Check(ci::EncodePacked(samples, o), samples);
  return 0;
}
