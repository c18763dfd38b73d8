// libFuzzer target for Prometheus HTTP API answers read from query.backend
// (query::ParseQueryAnswer and ParseStringListAnswer, docs/scale-out.md): the bytes come
// from another server. Any bytes give a value (or a list), InvalidArgument (a bad_data
// error answer: "bad_data: ...") or Unavailable (other error answers, malformed ones),
// never a crash; a value's label sets are sorted with no empty value and no duplicate
// name.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "query/backend_answer.h"

namespace {

void CheckLabels(const perfwatch::tsdb::Labels& labels) {
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i].value.empty()) std::abort();
    if (i > 0 && !(labels[i - 1].name < labels[i].name)) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  // The label list answers (/api/v1/labels, label values) share the envelope's reading.
  auto list = perfwatch::query::ParseStringListAnswer(body);
  if (!list.ok() && list.status().code() != perfwatch::StatusCode::kInvalidArgument &&
      list.status().code() != perfwatch::StatusCode::kUnavailable) {
    std::abort();
  }
  auto v = perfwatch::query::ParseQueryAnswer(body);
  if (!v.ok()) {
    const auto code = v.status().code();
    if (code == perfwatch::StatusCode::kInvalidArgument) {
      if (v.status().message().rfind("bad_data: ", 0) != 0) std::abort();
    } else if (code != perfwatch::StatusCode::kUnavailable) {
      std::abort();
    }
    return 0;
  }
  namespace promql = perfwatch::query::promql;
  if (const auto* vec = std::get_if<promql::Vector>(&*v)) {
    for (const promql::Sample& s : *vec) CheckLabels(s.metric);
  } else if (const auto* m = std::get_if<promql::Matrix>(&*v)) {
    for (const promql::Series& s : *m) CheckLabels(s.metric);
  }
  return 0;
}
