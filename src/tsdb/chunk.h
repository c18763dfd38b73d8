#pragma once
// Compressed chunks of (timestamp, value) samples for one series, in time order.
// Byte layout of every encoding: docs/format/chunks.md.
//
// The head appends to an open chunk (ChunkAppender), whose bytes are readable at any
// moment (readers see a prefix of whole samples); a full chunk is sealed, which may
// re-encode it into a denser form for persistence. Every encoding round-trips exactly:
// NaN payloads (Prometheus' stale marker 0x7ff0000000000002 among them), ±Inf, -0.
//
// Thread safety: an appender is used by one writer at a time (the head's series lock);
// iterators over sealed bytes are independent and may run on any thread.
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
  kXor = 1,  // Gorilla: delta-of-delta timestamps, XOR'd floats (the baseline)
  // Further encodings (decimal, integer counters, constants, ...) are added after it.
};

class ChunkAppender {
 public:
  virtual ~ChunkAppender() = default;
  // Appends a sample; `t` must be greater than the last appended timestamp.
  virtual void Append(int64_t t, double v) = 0;
  virtual uint32_t num_samples() const = 0;
  // The chunk so far, encoding byte first; valid until the next Append.
  virtual std::span<const uint8_t> bytes() const = 0;
};

// A new open chunk in the head's encoding.
std::unique_ptr<ChunkAppender> NewChunkAppender();

// Re-encodes a full chunk into the densest encoding for its data (for persistence).
std::vector<uint8_t> SealChunk(std::span<const uint8_t> chunk);

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
