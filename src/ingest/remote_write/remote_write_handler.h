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

 private:
  const size_t max_decompressed_bytes_;
  tsdb::Tsdb* const tsdb_;
  Counter* requests_bad_;
  Counter* samples_received_;
};

}  // namespace perfwatch::ingest
