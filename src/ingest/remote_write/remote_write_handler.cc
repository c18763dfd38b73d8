#include "ingest/remote_write/remote_write_handler.h"

#include <vector>

#include "ingest/remote_write/remote_write_decoder.h"

namespace perfwatch::ingest {
namespace {

// Per-thread scratch: the decoder's buffers and the store's view of the request.
struct Scratch {
  explicit Scratch(size_t max_bytes) : decoder(RemoteWriteDecoderOptions{.max_decompressed_bytes = max_bytes}) {}
  RemoteWriteDecoder decoder;
  std::vector<tsdb::LabelView> labels;
  std::vector<tsdb::Sample> samples;
  std::vector<tsdb::SeriesSamples> batch;
};

void PlainError(http::Response& res, int status, std::string_view message) {
  res.status = status;
  res.content_type = "text/plain; charset=utf-8";
  res.body.assign(message);
  res.body.push_back('\n');
}

}  // namespace

RemoteWriteHandler::RemoteWriteHandler(const TsdbConfig& config, tsdb::Tsdb* tsdb, MetricsRegistry* metrics)
    : max_decompressed_bytes_(config.max_remote_write_decompressed_bytes),
      tsdb_(tsdb),
      requests_bad_(metrics->GetCounter("perfwatch_remote_write_bad_requests_total",
                                        "Remote-write requests rejected whole (malformed or too large).")),
      samples_received_(metrics->GetCounter("perfwatch_remote_write_samples_received_total",
                                            "Samples decoded from remote-write requests.")) {}

void RemoteWriteHandler::Register(http::Router& router) {
  router.Handle(
      "POST", "/api/v1/write", [this](const http::Request& req, http::Response& res) { Handle(req, res); },
      http::RouteOptions{.scope = http::Scope::kIngest, .route_class = http::RouteClass::kIngest});
}

void RemoteWriteHandler::Handle(const http::Request& req, http::Response& res) {
  thread_local Scratch scratch(max_decompressed_bytes());
  scratch.decoder.set_max_decompressed_bytes(max_decompressed_bytes());  // reloadable
  std::string_view encoding = req.Header("Content-Encoding");
  if (!encoding.empty() && encoding != "snappy") {
    requests_bad_->Inc();
    return PlainError(res, 415, "unsupported Content-Encoding \"" + std::string(encoding) + "\": remote write 1.0 is snappy");
  }
  Status decoded = scratch.decoder.Decode(req.body);
  if (!decoded.ok()) {
    requests_bad_->Inc();
    scratch.decoder.Clear();
    return PlainError(res, decoded.code() == StatusCode::kResourceExhausted ? 413 : 400, decoded.message());
  }
  const RemoteWriteDecoder& d = scratch.decoder;
  samples_received_->Inc(d.num_samples());
  // The decoder's label and sample structs have the store's layout in spirit but not by
  // type: copy into the store's vectors (a few ns per sample, no allocation after warm-up).
  scratch.labels.clear();
  scratch.samples.clear();
  scratch.batch.clear();
  size_t total_labels = 0;
  for (size_t i = 0; i < d.num_series(); ++i) total_labels += d.series(i).labels.size();
  scratch.labels.reserve(total_labels);
  scratch.samples.reserve(d.num_samples());
  for (size_t i = 0; i < d.num_series(); ++i) {
    RemoteWriteSeries s = d.series(i);
    if (s.samples.empty()) continue;
    size_t lb = scratch.labels.size(), sb = scratch.samples.size();
    for (const auto& l : s.labels) scratch.labels.push_back({l.name, l.value});
    for (const auto& x : s.samples) scratch.samples.push_back({x.timestamp_ms, x.value});
    scratch.batch.push_back({std::span<const tsdb::LabelView>(scratch.labels.data() + lb, s.labels.size()),
                             std::span<const tsdb::Sample>(scratch.samples.data() + sb, s.samples.size())});
  }
  Status st = tsdb_->AppendBatch(scratch.batch);
  scratch.decoder.Clear();
  switch (st.code()) {
    case StatusCode::kOk:
      res.status = 204;
      return;
    case StatusCode::kInvalidArgument:
      return PlainError(res, 400, st.message());
    case StatusCode::kResourceExhausted:
      res.headers.emplace_back("Retry-After", "1");
      return PlainError(res, 429, st.message());
    default:
      res.headers.emplace_back("Retry-After", "1");
      return PlainError(res, 503, st.message());
  }
}

}  // namespace perfwatch::ingest
