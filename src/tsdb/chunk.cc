// Chunk entry points: encoding dispatch for iterators, sealing, block compression.
// Layouts: docs/format/chunks.md.
#include "tsdb/chunk.h"

#include <zstd.h>

#include <string>

#include "tsdb/chunk_codec.h"

namespace perfwatch::tsdb {

using chunk_internal::PackedChunkDecoder;
using chunk_internal::XorChunkDecoder;

struct ChunkIterator::State {
  ChunkEncoding encoding = ChunkEncoding::kXor;
  bool done = false;
  XorChunkDecoder xor_decoder;
  PackedChunkDecoder packed_decoder;
};

ChunkIterator::ChunkIterator(std::span<const uint8_t> chunk) : state_(std::make_unique<State>()) {
  if (chunk.empty()) {
    status_ = DataLoss("chunk: empty");
    state_->done = true;
    return;
  }
  switch (chunk[0]) {
    case static_cast<uint8_t>(ChunkEncoding::kXor):
      state_->encoding = ChunkEncoding::kXor;
      status_ = state_->xor_decoder.Init(chunk);
      break;
    case static_cast<uint8_t>(ChunkEncoding::kPacked):
      state_->encoding = ChunkEncoding::kPacked;
      status_ = state_->packed_decoder.Init(chunk);
      break;
    default:
      status_ = DataLoss("chunk: unknown encoding " + std::to_string(chunk[0]));
  }
  if (!status_.ok()) state_->done = true;
}

ChunkIterator::~ChunkIterator() = default;
ChunkIterator::ChunkIterator(ChunkIterator&&) noexcept = default;
ChunkIterator& ChunkIterator::operator=(ChunkIterator&&) noexcept = default;

bool ChunkIterator::Next() {
  if (!state_ || state_->done) return false;
  bool ok = state_->encoding == ChunkEncoding::kXor
                ? state_->xor_decoder.Next(&t_, &v_, &status_)
                : state_->packed_decoder.Next(&t_, &v_, &status_);
  if (!ok) state_->done = true;
  return ok;
}

Status DecodeChunk(std::span<const uint8_t> chunk, std::vector<Sample>* out) {
  if (!chunk.empty() && chunk[0] == static_cast<uint8_t>(ChunkEncoding::kPacked)) {
    chunk_internal::PackedChunkDecoder d;
    PW_RETURN_IF_ERROR(d.Init(chunk));
    size_t old = out->size();
    out->resize(old + d.num_samples());
    Status st = d.DecodeAll(out->data() + old);
    if (!st.ok()) out->resize(old);
    return st;
  }
  ChunkIterator it(chunk);
  while (it.Next()) out->push_back(Sample{it.t(), it.v()});
  return it.status();
}

std::vector<uint8_t> SealSamples(std::span<const Sample> samples) {
  return chunk_internal::EncodePacked(samples);
}

std::vector<uint8_t> SealChunk(std::span<const uint8_t> chunk) {
  std::vector<Sample> samples;
  ChunkIterator it(chunk);
  while (it.Next()) samples.push_back({it.t(), it.v()});
  if (!it.status().ok()) return {chunk.begin(), chunk.end()};
  std::vector<uint8_t> sealed = chunk_internal::EncodePacked(samples);
  if (sealed.size() >= chunk.size()) return {chunk.begin(), chunk.end()};
  return sealed;
}

std::vector<uint8_t> CompressBlock(std::span<const uint8_t> raw, int zstd_level) {
  std::vector<uint8_t> out(ZSTD_compressBound(raw.size()));
  size_t n = ZSTD_compress(out.data(), out.size(), raw.data(), raw.size(), zstd_level);
  // Compression into a ZSTD_compressBound buffer cannot fail for a valid level.
  if (ZSTD_isError(n)) n = ZSTD_compress(out.data(), out.size(), raw.data(), raw.size(), 3);
  out.resize(n);
  return out;
}

Result<std::vector<uint8_t>> DecompressBlock(std::span<const uint8_t> compressed, size_t max_size) {
  unsigned long long size = ZSTD_getFrameContentSize(compressed.data(), compressed.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) {
    return DataLoss("compressed block: not a zstd frame with a content size");
  }
  if (size > max_size) {
    return DataLoss("compressed block: claims " + std::to_string(size) + " bytes, limit " +
                    std::to_string(max_size));
  }
  std::vector<uint8_t> out(static_cast<size_t>(size));
  size_t n = ZSTD_decompress(out.data(), out.size(), compressed.data(), compressed.size());
  if (ZSTD_isError(n)) {
    return DataLoss(std::string("compressed block: ") + ZSTD_getErrorName(n));
  }
  if (n != out.size()) return DataLoss("compressed block: size mismatch");
  return out;
}

}  // namespace perfwatch::tsdb
