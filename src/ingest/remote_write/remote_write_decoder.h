#pragma once
// Decodes the body of a Prometheus remote-write 1.0 request (POST /api/v1/write): a
// snappy block-compressed protobuf `prometheus.WriteRequest`, into flat arrays of series
// (sorted label pairs) and (timestamp, value) samples, plus the request's metric metadata.
// The protobuf wire format is decoded by hand; rules, limits and error answers:
// docs/remote-write.md.
//
// Results borrow the decoder: label and metadata strings are views into its decompressed
// buffer (or, for DecodeUncompressed, into the caller's bytes) and spans point into its
// vectors. Everything stays valid until the next Decode*/Clear call or destruction.
// Buffers are reused, so after warm-up a request allocates nothing unless it is larger
// than any before it (error paths allocate their message).
//
// A request is decoded all or nothing: on any error the decoder holds no series and the
// Status says what was wrong and where (byte offset in the decompressed protobuf).
//   kInvalidArgument   malformed snappy or protobuf, or data that breaks the label rules
//                      -> HTTP 400 (senders drop the request and do not retry)
//   kResourceExhausted the body decompresses to more than max_decompressed_bytes
//                      -> HTTP 413
//
// Thread safety: not thread-safe; use one decoder per thread (e.g. per HTTP worker).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace perfwatch::ingest {

struct RemoteWriteDecoderOptions {
  // Limit on the snappy-declared uncompressed length, checked before decompressing.
  // Worst-case decoder memory is about 9x this (a body made of 2-byte empty samples);
  // a realistic request needs about 1.3x.
  size_t max_decompressed_bytes = size_t{32} << 20;
  // Clear() frees any buffer whose capacity exceeds this, so one huge request does not
  // pin its memory in every worker's decoder forever.
  size_t retain_bytes = size_t{8} << 20;
};

// One label of a decoded series; views into the decoder's buffer.
struct RemoteWriteLabel {
  std::string_view name;
  std::string_view value;
};

// One decoded sample. `value` keeps the exact bits from the wire (NaN payloads, the
// stale marker 0x7ff0000000000002, -0.0).
struct RemoteWriteSample {
  int64_t timestamp_ms;
  double value;
};

struct RemoteWriteSeries {
  // Sorted by name (byte order), names unique, never empty; labels whose value was
  // empty on the wire are dropped (an empty value means "no such label"). `__name__` may
  // be absent (Prometheus accepts such series too).
  std::span<const RemoteWriteLabel> labels;
  // In wire order; not checked for time order (the store applies its own rules). May be
  // empty, e.g. for a series that carried only histograms.
  std::span<const RemoteWriteSample> samples;
  // Native histograms and exemplars on this series: counted, not decoded.
  uint32_t num_histograms = 0;
  uint32_t num_exemplars = 0;
};

// prometheus.MetricMetadata.MetricType; values outside the enum decode as kUnknown.
enum class RemoteWriteMetricType : uint8_t {
  kUnknown = 0,
  kCounter = 1,
  kGauge = 2,
  kHistogram = 3,
  kGaugeHistogram = 4,
  kSummary = 5,
  kInfo = 6,
  kStateset = 7,
};

struct RemoteWriteMetadata {
  RemoteWriteMetricType type = RemoteWriteMetricType::kUnknown;
  std::string_view metric_family_name;  // may be empty; valid UTF-8
  std::string_view help;                // valid UTF-8
  std::string_view unit;                // valid UTF-8
};

class RemoteWriteDecoder {
 public:
  explicit RemoteWriteDecoder(RemoteWriteDecoderOptions options = {});
  ~RemoteWriteDecoder();
  RemoteWriteDecoder(const RemoteWriteDecoder&) = delete;
  RemoteWriteDecoder& operator=(const RemoteWriteDecoder&) = delete;
  // The limit for the next Decode calls (a reload of tsdb.max_remote_write_decompressed_bytes).
  void set_max_decompressed_bytes(size_t n) { options_.max_decompressed_bytes = n; }

  // Decompresses `body` (snappy block format, as remote write 1.0 sends it) into the
  // decoder's buffer and decodes it. `body` need not outlive the call.
  Status Decode(std::string_view body);

  // Decodes an already uncompressed protobuf WriteRequest. Results point into
  // `protobuf`, which must stay alive and unchanged while they are used.
  Status DecodeUncompressed(std::string_view protobuf);

  // Drops the results and frees buffers larger than options.retain_bytes.
  void Clear();

  size_t num_series() const { return series_.size(); }
  RemoteWriteSeries series(size_t i) const;
  size_t num_samples() const { return samples_.size(); }
  size_t num_histograms() const { return num_histograms_; }
  size_t num_exemplars() const { return num_exemplars_; }
  // WriteRequest.metadata entries, in wire order.
  std::span<const RemoteWriteMetadata> metadata() const { return metadata_; }
  // Size of the protobuf that was decoded (after decompression).
  size_t decompressed_bytes() const { return decompressed_bytes_; }

  const RemoteWriteDecoderOptions& options() const { return options_; }

 private:
  struct SeriesRange {
    uint32_t label_begin;
    uint32_t label_end;
    uint32_t sample_begin;
    uint32_t sample_end;
    uint32_t num_histograms;
    uint32_t num_exemplars;
  };

  // A growable array of trivially copyable T that hands out slots to write in place
  // (std::vector::push_back of a temporary costs a store-forwarding stall per label).
  template <typename T>
  class FlatBuffer {
   public:
    T* Append() {
      if (size_ == capacity_) [[unlikely]]
        Grow();
      return &data_[size_++];
    }
    void pop_back() { --size_; }
    void clear() { size_ = 0; }
    size_t size() const { return size_; }
    size_t capacity_bytes() const { return capacity_ * sizeof(T); }
    T* data() { return data_.get(); }
    const T* data() const { return data_.get(); }
    T& operator[](size_t i) { return data_[i]; }
    const T& operator[](size_t i) const { return data_[i]; }
    void Release() {
      data_.reset();
      size_ = capacity_ = 0;
    }

   private:
    void Grow() {
      size_t capacity = capacity_ < 64 ? 64 : capacity_ * 2;
      auto data = std::make_unique_for_overwrite<T[]>(capacity);
      if (size_ > 0) std::memcpy(data.get(), data_.get(), size_ * sizeof(T));
      data_ = std::move(data);
      capacity_ = capacity;
    }
    std::unique_ptr<T[]> data_;
    size_t size_ = 0;
    size_t capacity_ = 0;
  };

  class Parser;

  void Reset();

  RemoteWriteDecoderOptions options_;  // max_decompressed_bytes: set_max_decompressed_bytes
  std::unique_ptr<char[]> buffer_;  // decompressed body
  size_t buffer_capacity_ = 0;
  size_t decompressed_bytes_ = 0;
  FlatBuffer<RemoteWriteLabel> labels_;
  FlatBuffer<RemoteWriteSample> samples_;
  FlatBuffer<SeriesRange> series_;
  std::vector<RemoteWriteMetadata> metadata_;
  size_t num_histograms_ = 0;
  size_t num_exemplars_ = 0;
};

inline RemoteWriteSeries RemoteWriteDecoder::series(size_t i) const {
  const SeriesRange& r = series_[i];
  return RemoteWriteSeries{std::span<const RemoteWriteLabel>(labels_.data() + r.label_begin,
                                                             r.label_end - r.label_begin),
                           std::span<const RemoteWriteSample>(samples_.data() + r.sample_begin,
                                                              r.sample_end - r.sample_begin),
                           r.num_histograms, r.num_exemplars};
}

}  // namespace perfwatch::ingest
