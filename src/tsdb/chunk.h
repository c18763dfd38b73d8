#pragma once
// Compressed chunks of (timestamp, value) samples for one series, in time order.
// Byte layout of every encoding: docs/format/chunks.md.
//
// The head appends to an open chunk (ChunkAppender), whose bytes are readable at any
// moment (readers see a prefix of whole samples); a full chunk is sealed, which may
// re-encode it into a denser form for persistence. Every encoding round-trips exactly:
// NaN payloads (Prometheus' stale marker 0x7ff0000000000002 among them), ±Inf, -0.
//
// Timestamps: the encodings are exact for any int64 sequence (equal, decreasing, and
// deltas that overflow int64 included: arithmetic wraps modulo 2^64 on both sides), but
// the head must only append strictly increasing timestamps and reject duplicates itself;
// readers assume time order.
//
// Chunk size: the head should cut a chunk every kRecommendedChunkSamples samples (and at
// block boundaries), at the same times for series scraped together, so their sealed
// timestamp columns are byte-identical and block compression stores them once.
//
// Thread safety: an appender is used by one writer at a time (the head's series lock);
// iterators over sealed bytes are independent and may run on any thread. Free functions
// are pure.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "common/status.h"

namespace perfwatch::tsdb {

struct Sample {
  int64_t t;  // milliseconds since the epoch
  double v;
};

// Encodings, persisted as one byte in front of each chunk: never renumber.
enum class ChunkEncoding : uint8_t {
  kXor = 1,     // Gorilla: delta-of-delta timestamps, XOR'd floats (the baseline, head)
  kPacked = 2,  // sealed: a timestamp column and a value column, each with the densest of
                // several codecs (grid/delta/delta-of-delta bit-packing; constant, exact
                // decimals or integers with exceptions, raw IEEE bits, XOR)
};

// The most samples one chunk holds (the XOR header counts them in 16 bits).
inline constexpr uint32_t kMaxChunkSamples = 65535;
// What the head should cut chunks at: see docs/format/chunks.md for the measurements.
inline constexpr uint32_t kRecommendedChunkSamples = 240;

class ChunkAppender {
 public:
  virtual ~ChunkAppender() = default;
  // Appends a sample; `t` must be greater than the last appended timestamp (not checked:
  // the head rejects out-of-order and duplicate samples before calling this), and
  // num_samples() must be below kMaxChunkSamples (asserted).
  virtual void Append(int64_t t, double v) = 0;
  virtual uint32_t num_samples() const = 0;
  // The chunk so far, encoding byte first; valid until the next Append.
  virtual std::span<const uint8_t> bytes() const = 0;
};

// A new open chunk in the head's encoding.
std::unique_ptr<ChunkAppender> NewChunkAppender();

// Re-encodes a full chunk into the densest encoding for its data (for persistence).
// `chunk` should be a valid chunk (the head's own bytes); a chunk that does not decode is
// returned unchanged, so nothing is dropped and its readers report the corruption.
std::vector<uint8_t> SealChunk(std::span<const uint8_t> chunk);

// The same, from decoded samples (at most kMaxChunkSamples; empty gives a valid empty
// chunk).
std::vector<uint8_t> SealSamples(std::span<const Sample> samples);

// Block-level compression for groups of sealed chunks (the block writer's unit of
// compression): a zstd frame that records its decompressed size. Level 3 is the default
// write speed / size trade-off; compaction may use a higher level.
std::vector<uint8_t> CompressBlock(std::span<const uint8_t> raw, int zstd_level = 3);
// Decompresses a CompressBlock frame. kDataLoss if it is not one, is corrupt, or would
// expand beyond `max_size` bytes (a guard against corrupt size fields).
Result<std::vector<uint8_t>> DecompressBlock(std::span<const uint8_t> compressed,
                                             size_t max_size = size_t{1} << 30);

// Appends every sample of a chunk (any encoding) to `out`, faster than a ChunkIterator (the
// packed encoding is decoded a column at a time). On corrupt bytes returns kDataLoss;
// `out` then holds the samples before the corruption.
Status DecodeChunk(std::span<const uint8_t> chunk, std::vector<Sample>* out);

// Iterates the samples of a chunk (any encoding). Corrupt bytes end the iteration with
// a non-OK status(); they never read out of bounds.
class ChunkIterator {
 public:
  explicit ChunkIterator(std::span<const uint8_t> chunk);
  ~ChunkIterator();
  ChunkIterator(ChunkIterator&&) noexcept;
  ChunkIterator& operator=(ChunkIterator&&) noexcept;

  bool Next();  // advances to the next sample; false at the end or on corruption
  int64_t t() const { return t_; }
  double v() const { return v_; }
  const Status& status() const { return status_; }

 private:
  struct State;
  std::unique_ptr<State> state_;
  int64_t t_ = 0;
  double v_ = 0;
  Status status_;
};

}  // namespace perfwatch::tsdb
