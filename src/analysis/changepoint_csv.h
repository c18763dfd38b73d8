#pragma once
// The CSV input of `perfwatch changepoints FILE.csv`: one series, a value per row, and
// optionally a time column. Rules (docs/analysis.md "Change points"):
// - Fields are separated by commas; a field may be double-quoted ("" is a quote inside);
//   blank lines and lines starting with '#' are skipped; CRLF is accepted.
// - The first row is a header when its value field is not a number; columns can then be
//   chosen by name, else by 1-based position.
// - Default columns: one column -> the values; two or more -> time in the first, values
//   in the second.
// - Every row must have the value column holding a finite number; the error names the
//   line. Times are kept as the text of the field.
// Thread safety: pure function.
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace perfwatch::analysis {

struct CsvSeries {
  std::vector<double> values;
  std::vector<std::string> times;  // empty when there is no time column
  std::string value_column;        // the header's name, or "column N"
};

// `value_column` / `time_column`: a header name or a 1-based position ("2"); empty for the
// default; time_column "none" for no time column.
Result<CsvSeries> ParseSeriesCsv(std::string_view text, std::string_view value_column, std::string_view time_column);

}  // namespace perfwatch::analysis
