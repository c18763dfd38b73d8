// libFuzzer target for ingest::ExpositionParser. The first input byte picks the format
// (even -> Prometheus text 0.0.4, odd -> OpenMetrics); the rest is the body. Any input must
// give OK or kInvalidArgument "line L, column C: ..." (never a crash), and what is accepted
// must satisfy the parser's contract: valid metric and label names, labels sorted and
// unique, valid UTF-8 values, metadata with a valid family name. Accepted samples are then
// written back out as 0.0.4 text, which must parse to the same samples.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/scrape/exposition_parser.h"
#include "common/label_validation.h"

using namespace perfwatch;
using namespace perfwatch::ingest;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

struct Sample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;
  double value;
  bool has_ts;
  int64_t ts;
};

class CheckingSink : public ExpositionSink {
 public:
  Status OnSample(const ExpositionSample& s) override {
    Check(IsValidMetricName(s.name));
    Sample o{
        std::string(s.name), {}, s.value, s.timestamp_ms.has_value(), s.timestamp_ms.value_or(0)};
    for (size_t i = 0; i < s.labels.size(); ++i) {
      const ExpositionLabel& l = s.labels[i];
      Check(IsValidLabelName(l.name) && l.name != "__name__");
      Check(IsValidUtf8(l.value));
      if (i > 0) Check(s.labels[i - 1].name < l.name);
      o.labels.emplace_back(l.name, l.value);
    }
    samples.push_back(std::move(o));
    return Status::Ok();
  }
  Status OnMetadata(const ExpositionMetadata& m) override {
    Check(IsValidMetricName(m.family));
    Check(IsValidUtf8(m.help));
    Check(m.has_type || m.has_help || m.has_unit);
    ++metadata;
    return Status::Ok();
  }
  std::vector<Sample> samples;
  size_t metadata = 0;
};

void AppendValue(std::string* out, double v) {
  if (std::isnan(v)) {
    *out += "NaN";
  } else if (std::isinf(v)) {
    *out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    *out += buf;
  }
}

std::string Write(const std::vector<Sample>& samples) {
  std::string out;
  for (const Sample& s : samples) {
    out += s.name;
    out += '{';
    for (const auto& [name, value] : s.labels) {
      out += name;
      out += "=\"";
      for (char c : value) {
        if (c == '\\' || c == '"') {
          out += '\\';
          out += c;
        } else if (c == '\n') {
          out += "\\n";
        } else {
          out += c;
        }
      }
      out += "\",";
    }
    out += "} ";
    AppendValue(&out, s.value);
    if (s.has_ts) out += " " + std::to_string(s.ts);
    out += '\n';
  }
  return out;
}

bool SameValue(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ExpositionParser parser;
  if (size == 0) return 0;
  ExpositionFormat format =
      (data[0] & 1) ? ExpositionFormat::kOpenMetrics : ExpositionFormat::kPrometheusText;
  // Copy so that ASan sees reads past the exact body end.
  std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  CheckingSink sink;
  Status s = parser.Parse(body, format, sink);
  Check(parser.stats().samples == sink.samples.size());
  if (!s.ok()) {
    Check(s.code() == StatusCode::kInvalidArgument);
    Check(s.message().rfind("line ", 0) == 0 && s.message().find(", column ") != std::string::npos);
    return 0;
  }
  Check(parser.stats().families == sink.metadata);

  std::string written = Write(sink.samples);
  CheckingSink again;
  Status s2 = parser.Parse(written, ExpositionFormat::kPrometheusText, again);
  Check(s2.ok());
  Check(again.samples.size() == sink.samples.size());
  for (size_t i = 0; i < sink.samples.size(); ++i) {
    const Sample& a = sink.samples[i];
    const Sample& b = again.samples[i];
    Check(a.name == b.name && a.labels == b.labels && SameValue(a.value, b.value));
    Check(a.has_ts == b.has_ts && a.ts == b.ts);
  }
  return 0;
}
