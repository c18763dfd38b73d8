#pragma once
// PromQL result values (Prometheus' promql/value.go): Scalar, Sample/Vector (instant
// vector), Series/Matrix (range vector or range-query result) and String, plus the
// staleness marker every reader of stored samples must recognise.
//
// Thread safety: plain values; safe to move between threads.
#include <bit>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "tsdb/labels.h"
#include "tsdb/stale.h"

namespace perfwatch::query::promql {

// The staleness marker (tsdb/stale.h): the evaluator treats it as "the series ended here"
// and never returns it.
using tsdb::IsStaleNaN;
using tsdb::kStaleNaNBits;
using tsdb::StaleNaN;

struct Point {
  int64_t t = 0;  // ms since the epoch
  double v = 0;
};

struct Scalar {
  int64_t t = 0;
  double v = 0;
};

struct String {
  int64_t t = 0;
  std::string v;
};

struct Sample {
  tsdb::Labels metric;
  int64_t t = 0;
  double v = 0;
};
using Vector = std::vector<Sample>;

struct Series {
  tsdb::Labels metric;
  std::vector<Point> points;  // ascending timestamps
};
using Matrix = std::vector<Series>;

using Value = std::variant<Scalar, Vector, Matrix, String>;

// Sorts series by their label sets (Prometheus' sort.Sort(Matrix)).
void SortByLabels(Matrix& m);
// Sorts samples by their label sets (what the HTTP layer may do for instant vectors).
void SortByLabels(Vector& v);
// Prometheus' labels.Labels.String(): `{__name__="up", job="x"}`.
std::string LabelsString(const tsdb::Labels& labels);

}  // namespace perfwatch::query::promql
