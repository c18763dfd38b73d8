// libFuzzer target for ingest::RemoteWriteDecoder. The first input byte picks the entry
// point: even -> the rest is a raw protobuf WriteRequest (DecodeUncompressed), odd -> the
// rest is a snappy body (Decode). Any input must give OK or kInvalidArgument /
// kResourceExhausted (never a crash), and an accepted request must satisfy the decoder's
// contract: labels sorted with unique valid names and valid UTF-8 values, spans inside
// the decoder, counts adding up. Raw inputs are also snappy-compressed and decoded again,
// which must give the same answer.
#include <snappy.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/label_validation.h"
#include "ingest/remote_write/remote_write_decoder.h"

using namespace perfwatch;
using namespace perfwatch::ingest;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void CheckResult(const Status& s, const RemoteWriteDecoder& d) {
  if (!s.ok()) {
    Check(s.code() == StatusCode::kInvalidArgument || s.code() == StatusCode::kResourceExhausted);
    Check(!s.message().empty());
    Check(d.num_series() == 0 && d.num_samples() == 0 && d.metadata().empty());
    return;
  }
  size_t samples = 0, histograms = 0, exemplars = 0;
  for (size_t i = 0; i < d.num_series(); ++i) {
    RemoteWriteSeries series = d.series(i);
    Check(!series.labels.empty());
    for (size_t j = 0; j < series.labels.size(); ++j) {
      const RemoteWriteLabel& l = series.labels[j];
      Check(IsValidLabelName(l.name));
      Check(!l.value.empty() && IsValidUtf8(l.value));
      if (j > 0) Check(series.labels[j - 1].name < l.name);
      if (l.name == "__name__") Check(IsValidMetricName(l.value));
    }
    samples += series.samples.size();
    histograms += series.num_histograms;
    exemplars += series.num_exemplars;
  }
  Check(samples == d.num_samples());
  Check(histograms == d.num_histograms());
  Check(exemplars == d.num_exemplars());
  for (const RemoteWriteMetadata& m : d.metadata()) {
    Check(IsValidUtf8(m.metric_family_name) && IsValidUtf8(m.help) && IsValidUtf8(m.unit));
    Check(static_cast<int>(m.type) <= 7);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static RemoteWriteDecoder decoder([] {
    RemoteWriteDecoderOptions o;
    o.max_decompressed_bytes = 1 << 20;
    return o;
  }());
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    Status s = decoder.Decode(input);
    CheckResult(s, decoder);
    return 0;
  }
  // Copy so that ASan sees reads past the exact message end.
  std::string raw(input);
  Status s = decoder.DecodeUncompressed(raw);
  CheckResult(s, decoder);
  size_t series = decoder.num_series(), samples = decoder.num_samples();
  std::string body;
  snappy::Compress(raw.data(), raw.size(), &body);
  Status s2 = decoder.Decode(body);
  CheckResult(s2, decoder);
  Check(s.ok() == s2.ok() && s.message() == s2.message());
  Check(decoder.num_series() == series && decoder.num_samples() == samples);
  decoder.Clear();
  return 0;
}
