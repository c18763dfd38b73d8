// libFuzzer target for the chunk decoders: arbitrary bytes given to ChunkIterator never
// read out of bounds, yield at most kMaxChunkSamples samples, and whatever decodes cleanly
// re-seals into a chunk that decodes to the same samples, bit for bit. The same bytes are
// also offered to DecompressBlock.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "tsdb/chunk.h"

using namespace perfwatch::tsdb;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  std::vector<Sample> got;
  ChunkIterator it(in);
  while (it.Next()) {
    got.push_back({it.t(), it.v()});
    if (got.size() > kMaxChunkSamples) std::abort();
  }
  if (it.Next()) std::abort();  // stays finished
  if (it.status().ok()) {
    std::vector<uint8_t> sealed = SealSamples(got);
    ChunkIterator again(sealed);
    size_t i = 0;
    while (again.Next()) {
      if (i >= got.size() || again.t() != got[i].t ||
          std::bit_cast<uint64_t>(again.v()) != std::bit_cast<uint64_t>(got[i].v)) {
        std::abort();
      }
      ++i;
    }
    if (!again.status().ok() || i != got.size()) std::abort();
  }
  auto block = DecompressBlock(in, 1 << 20);
  if (block.ok() && block->size() > (1 << 20)) std::abort();
  return 0;
}
