#pragma once
// Writes a set of 0/1 "active" gauges (perfwatch_regression_active,
// perfwatch_memory_leak_active) once per evaluation pass: every row given is appended at
// the pass's time, and a series written by the previous pass but not given now gets a
// stale marker (then is no longer written), as Prometheus' rule evaluation does for series
// that disappear.
//
// Thread safety: not thread-safe; the owner serialises Write (its pass lock).
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "tsdb/labels.h"
#include "tsdb/tsdb.h"

namespace perfwatch::analysis {

class ActiveSeriesWriter {
 public:
  // `tsdb` may be null (Write does nothing); `metric` is the __name__ of every row.
  ActiveSeriesWriter(tsdb::Tsdb* tsdb, std::string_view metric) : tsdb_(tsdb), metric_(metric) {}

  // Adds one row for the pass being built: `labels` (without __name__); rows with the
  // same labels merge, keeping the larger value (1 wins).
  void Add(const tsdb::Labels& labels, bool active);

  // Appends the pass's rows at now_ms (and stale markers for the vanished ones), then
  // starts a new pass. On error the rows are dropped; the next pass writes afresh.
  Status Write(int64_t now_ms);

 private:
  tsdb::Tsdb* const tsdb_;
  const std::string metric_;
  std::map<std::string, std::pair<tsdb::Labels, double>> rows_;  // this pass
  std::map<std::string, tsdb::Labels> written_;                  // the last pass's series
};

}  // namespace perfwatch::analysis
