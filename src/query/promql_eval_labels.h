#pragma once
// Label-set helpers of the evaluator: dropping the metric name, hashing, match signatures
// for on()/ignoring() and by()/without(), and a small builder (Prometheus'
// labels.Builder).
// Thread safety: pure functions; a LabelsBuilder belongs to one thread.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/label_validation.h"
#include "tsdb/labels.h"

namespace perfwatch::query::promql {

uint64_t HashOfLabels(const tsdb::Labels& ls);
bool HasMetricName(const tsdb::Labels& ls);
tsdb::Labels DropMetricName(const tsdb::Labels& ls);

// Hash of the labels named in `sorted_names` (on / by).
uint64_t SignatureOn(const tsdb::Labels& ls, std::span<const std::string> sorted_names);
// Hash of all labels except __name__ and `sorted_names` (ignoring / without).
uint64_t SignatureWithout(const tsdb::Labels& ls, std::span<const std::string> sorted_names);
inline uint64_t Signature(const tsdb::Labels& ls, bool on, std::span<const std::string> sorted_names) {
  return on ? SignatureOn(ls, sorted_names) : SignatureWithout(ls, sorted_names);
}
// The labels a signature covers, as a label set (Prometheus' Labels.MatchLabels).
tsdb::Labels MatchLabels(const tsdb::Labels& ls, bool on, std::span<const std::string> names);

// `^[a-zA-Z_][a-zA-Z0-9_]*$`.

// Edits a label set; views borrow the source labels and the strings passed to Set, which
// must outlive Build().
class LabelsBuilder {
 public:
  void Reset(const tsdb::Labels& base);
  void Set(std::string_view name, std::string_view value);  // "" deletes
  void Del(std::string_view name);
  void Keep(std::span<const std::string> names);  // keeps only these
  tsdb::Labels Build() const { return tsdb::Labels::FromViews(views_); }

 private:
  std::vector<tsdb::LabelView> views_;
};

}  // namespace perfwatch::query::promql
