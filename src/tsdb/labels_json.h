#pragma once
// A label set as a JSON object ({"job":"api","instance":"a:9100"}), in the labels' order:
// the shape of Prometheus' "metric" objects and of perfwatch's "labels" fields.
// Thread safety: pure function.
#include <string>

#include "common/json_writer.h"
#include "tsdb/labels.h"

namespace perfwatch::tsdb {

inline void AppendJsonLabels(std::string& out, const Labels& labels) {
  out.push_back('{');
  bool first = true;
  for (const Label& l : labels) {
    if (!first) out.push_back(',');
    first = false;
    AppendJsonString(out, l.name);
    out.push_back(':');
    AppendJsonString(out, l.value);
  }
  out.push_back('}');
}

}  // namespace perfwatch::tsdb
