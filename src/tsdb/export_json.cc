#include "tsdb/export_json.h"

#include <charconv>
#include <cmath>
#include <vector>

#include "common/json_writer.h"

namespace perfwatch::tsdb {

void AppendExportValue(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "null";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";  // bare tokens, as VictoriaMetrics 1.79 (Debian) writes them
  } else if (v == 0 && std::signbit(v)) {
    out += "-0";  // as Go's strconv formats it
  } else {
    AppendJsonNumber(out, v);
  }
}

namespace {

void AppendInt(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, r.ptr);
}

}  // namespace

Status ExportJsonLines(const Querier& querier, std::span<const Matcher> matchers, int64_t start_ms, int64_t end_ms,
                       const std::function<bool(std::string_view chunk)>& sink) {
  std::unique_ptr<SeriesSet> set = querier.Select(matchers);
  std::string buf;
  buf.reserve(kExportChunkBytes + 4096);
  std::string values;
  std::string timestamps;
  while (set->Next()) {
    const Series& series = set->At();
    values.clear();
    timestamps.clear();
    SeriesIterator it = series.Iterator();
    while (it.Next()) {
      if (it.t() < start_ms) continue;
      if (it.t() > end_ms) break;
      values.push_back(',');
      AppendExportValue(values, it.v());
      timestamps.push_back(',');
      AppendInt(timestamps, it.t());
    }
    if (!it.status().ok()) return it.status().WithContext("export series " + series.labels().ToString());
    if (values.empty()) continue;
    buf += "{\"metric\":{";
    bool first = true;
    auto label = [&](const Label& l) {
      if (!first) buf.push_back(',');
      first = false;
      AppendJsonString(buf, l.name);
      buf.push_back(':');
      AppendJsonString(buf, l.value);
    };
    for (const Label& l : series.labels()) {
      if (l.name == kMetricNameLabel) label(l);
    }
    for (const Label& l : series.labels()) {
      if (l.name != kMetricNameLabel) label(l);
    }
    buf += "},\"values\":[";
    buf.append(values, 1);
    buf += "],\"timestamps\":[";
    buf.append(timestamps, 1);
    buf += "]}\n";
    if (buf.size() >= kExportChunkBytes) {
      if (!sink(buf)) return Status::Ok();
      buf.clear();
    }
  }
  PW_RETURN_IF_ERROR(set->status());
  if (!buf.empty()) sink(buf);
  return Status::Ok();
}

}  // namespace perfwatch::tsdb
