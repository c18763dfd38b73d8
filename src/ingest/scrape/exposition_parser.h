#pragma once
// ExpositionParser: a streaming parser for the text formats a /metrics endpoint serves:
// the Prometheus text format 0.0.4 and OpenMetrics 1.0 text. It walks the body once and
// hands every sample (name, sorted unescaped labels, value, optional timestamp in ms) and
// every metric family's metadata (TYPE, HELP, UNIT) to an ExpositionSink; only HELP texts
// and label values that contain escapes are copied (into scratch). Exemplars are checked
// and skipped. Bad input gives kInvalidArgument "line L, column C: what was wrong"
// (1-based, columns count bytes). The rules are in docs/exposition.md.
// Thread safety: not thread-safe; use one parser per thread. A parser keeps its scratch
// buffers between calls, so parsing is allocation-free once they have grown.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace perfwatch::ingest {

enum class ExpositionFormat : uint8_t {
  kPrometheusText,  // text/plain; version=0.0.4
  kOpenMetrics,     // application/openmetrics-text; version=1.0.0 (or 0.0.1)
};

// The format a scrape response's Content-Type names. Media types are compared
// case-insensitively and parameters other than the media type are ignored; anything that is
// not application/openmetrics-text (including an empty or missing header) is 0.0.4 text,
// which is Prometheus' fallback too.
ExpositionFormat ExpositionFormatFromContentType(std::string_view content_type);
std::string_view ExpositionFormatName(ExpositionFormat format);

enum class MetricType : uint8_t {
  kUntyped,  // 0.0.4 "untyped", and a family without a TYPE line
  kUnknown,  // OpenMetrics "unknown"
  kCounter,
  kGauge,
  kHistogram,
  kGaugeHistogram,
  kSummary,
  kInfo,
  kStateSet,
};
std::string_view MetricTypeName(MetricType type);

struct ExpositionLabel {
  std::string_view name;
  std::string_view value;  // unescaped; may be empty
};

// One sample. Every view is valid only during the OnSample call.
struct ExpositionSample {
  std::string_view name;                    // as written: _total, _bucket, _created untouched
  std::string_view series;                  // the name and label set exactly as written
                                            // (`name{a="x"}`): a key for per-target caches
  std::span<const ExpositionLabel> labels;  // sorted by name, names unique, no __name__
  double value = 0;                         // NaN, +Inf and -Inf included
  std::optional<int64_t> timestamp_ms;      // 0.0.4: integer ms; OpenMetrics: seconds * 1000
  size_t line = 0;                          // 1-based line of the sample
};

// The metadata lines of one family, reported once the lines for that family end (at its
// first sample, at another family's metadata, or at the end of the body).
struct ExpositionMetadata {
  std::string_view family;
  MetricType type = MetricType::kUntyped;
  std::string_view help;  // unescaped
  std::string_view unit;  // OpenMetrics only
  bool has_type = false;
  bool has_help = false;
  bool has_unit = false;
};

// Receives what the parser finds. A non-OK Status from a callback stops the parse and is
// returned with the line number as context.
class ExpositionSink {
 public:
  virtual ~ExpositionSink() = default;
  virtual Status OnSample(const ExpositionSample& sample) = 0;
  virtual Status OnMetadata(const ExpositionMetadata& /*metadata*/) { return Status::Ok(); }
};

struct ExpositionStats {
  size_t lines = 0;
  size_t samples = 0;
  size_t families = 0;   // OnMetadata calls
  size_t exemplars = 0;  // checked and skipped
};

class ExpositionParser {
 public:
  ExpositionParser() = default;
  ExpositionParser(const ExpositionParser&) = delete;
  ExpositionParser& operator=(const ExpositionParser&) = delete;

  // Parses a whole response body. Samples before an error have already been delivered;
  // callers that need all-or-nothing buffer them.
  Status Parse(std::string_view text, ExpositionFormat format, ExpositionSink& sink);

  // Counts from the last Parse call (up to the error, if it failed).
  const ExpositionStats& stats() const { return stats_; }

 private:
  // A label while its line is parsed: the value is a view of the input or, when it had
  // escapes, a range of scratch_ (resolved once the line is done, as scratch_ may grow).
  struct PendingLabel {
    std::string_view name;
    std::string_view raw_value;
    size_t scratch_offset;
    size_t scratch_size;
    bool in_scratch;
    uint32_t column;
  };

  Status ParseLine(const char* p, const char* end, ExpositionSink& sink, bool* saw_eof);
  Status ParseTextComment(const char* p, const char* end, ExpositionSink& sink);
  Status ParseOpenMetricsComment(const char* p, const char* end, ExpositionSink& sink,
                                 bool* saw_eof);
  Status ParseMetadata(std::string_view keyword, const char* p, const char* end,
                       ExpositionSink& sink);
  Status ParseSample(const char* p, const char* end, ExpositionSink& sink);
  // p points at '{'; on success *p is past the '}'.
  Status ParseLabels(const char** p, const char* end, std::vector<PendingLabel>* out);
  Status ParseLabelValue(const char** p, const char* end, PendingLabel* label);
  Status ParseExemplar(const char* p, const char* end);
  Status SortAndCheck(std::vector<PendingLabel>* labels);
  Status FlushMetadata(ExpositionSink& sink);

  Status ErrorAt(const char* where, std::string_view message) const;
  bool om() const { return format_ == ExpositionFormat::kOpenMetrics; }

  ExpositionFormat format_ = ExpositionFormat::kPrometheusText;
  size_t line_ = 0;
  const char* line_begin_ = nullptr;
  ExpositionStats stats_;

  std::vector<PendingLabel> pending_;
  std::vector<PendingLabel> exemplar_pending_;
  std::vector<ExpositionLabel> labels_;
  std::string scratch_;

  // Metadata of the family whose comment lines are being read.
  bool meta_open_ = false;
  ExpositionMetadata meta_;
  std::string help_;
  std::string_view last_flushed_family_;
};

}  // namespace perfwatch::ingest
