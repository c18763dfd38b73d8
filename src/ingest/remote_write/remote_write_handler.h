#pragma once
// POST /api/v1/write: Prometheus remote write 1.0 into the time-series store.
// Answers (docs/remote-write.md): 204 when every sample was stored (or dropped as an
// exact duplicate); 400 for bad data, which senders must not retry: malformed snappy or
// protobuf and bad labels reject the whole request (nothing stored), while samples the
// store refuses (out of order, the series limit) are counted and the rest of the request
// is stored; 413 when the body decompresses past the limit; 429 when the
// series-creation rate limit refused series (retrying later helps); 503 when the write-
// ahead log could not be written (nothing acknowledged; retrying helps).
// Thread safety: Handle runs on any HTTP worker; each worker thread has its own decoder.
// SetMaxDecompressedBytes (a reload) may run on any thread: requests decoded after it use it.
#include <atomic>

#include "common/config.h"
#include "common/metrics.h"
#include "http/router.h"
#include "tsdb/tsdb.h"

namespace perfwatch::ingest {

class RemoteWriteHandler {
 public:
  // `tsdb` and `metrics` must outlive the handler.
  RemoteWriteHandler(const TsdbConfig& config, tsdb::Tsdb* tsdb, MetricsRegistry* metrics);

  void Register(http::Router& router);
  void Handle(const http::Request& req, http::Response& res);
  // tsdb.max_remote_write_decompressed_bytes (> 0) for the requests that start from now on.
  void SetMaxDecompressedBytes(size_t n) { max_decompressed_bytes_.store(n, std::memory_order_relaxed); }
  size_t max_decompressed_bytes() const { return max_decompressed_bytes_.load(std::memory_order_relaxed); }

 private:
  std::atomic<size_t> max_decompressed_bytes_;
  tsdb::Tsdb* const tsdb_;
  Counter* requests_bad_;
  Counter* samples_received_;
};

}  // namespace perfwatch::ingest
