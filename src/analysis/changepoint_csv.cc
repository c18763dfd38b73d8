#include "analysis/changepoint_csv.h"

#include <charconv>
#include <cmath>
#include <optional>

namespace perfwatch::analysis {
namespace {

// Splits one line into fields; false on an unterminated quote.
bool SplitCsvLine(std::string_view line, std::vector<std::string>* fields) {
  fields->clear();
  std::string field;
  size_t i = 0;
  while (true) {
    field.clear();
    if (i < line.size() && line[i] == '"') {
      ++i;
      while (true) {
        if (i >= line.size()) return false;
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field += line[i++];
      }
      while (i < line.size() && line[i] != ',') field += line[i++];  // text after the quote
    } else {
      while (i < line.size() && line[i] != ',') field += line[i++];
    }
    fields->push_back(field);
    if (i >= line.size()) return true;
    ++i;  // the comma
  }
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<double> ParseNumber(std::string_view s) {
  s = Trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double v;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// The 0-based column `spec` names, in a row of `width` fields.
Result<size_t> ResolveColumn(std::string_view spec, const std::vector<std::string>* header, size_t width,
                             std::string_view what) {
  if (header) {
    for (size_t i = 0; i < header->size(); ++i) {
      if (Trim((*header)[i]) == spec) return i;
    }
  }
  size_t pos = 0;
  auto [p, ec] = std::from_chars(spec.data(), spec.data() + spec.size(), pos);
  if (ec == std::errc() && p == spec.data() + spec.size() && pos >= 1 && pos <= width) return pos - 1;
  return InvalidArgument(std::string(what) + " column \"" + std::string(spec) + "\" is not a header name or a position from 1 to " +
                         std::to_string(width));
}

}  // namespace

Result<CsvSeries> ParseSeriesCsv(std::string_view text, std::string_view value_column, std::string_view time_column) {
  CsvSeries out;
  std::vector<std::string> fields, header;
  bool first_row = true;
  size_t value_index = 0, time_index = 0, width = 0;
  bool has_time = false;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (Trim(line).empty() || Trim(line).front() == '#') continue;
    if (!SplitCsvLine(line, &fields)) return InvalidArgument("line " + std::to_string(line_no) + ": unterminated quote");
    if (first_row) {
      first_row = false;
      width = fields.size();
      // A header when the value field (by the default or a numeric spec) is not a number.
      size_t guess = width >= 2 ? 1 : 0;
      size_t pos = 0;
      auto [p, ec] = std::from_chars(value_column.data(), value_column.data() + value_column.size(), pos);
      if (!value_column.empty() && ec == std::errc() && p == value_column.data() + value_column.size() && pos >= 1 &&
          pos <= width) {
        guess = pos - 1;
      }
      bool is_header = !ParseNumber(fields[guess]).has_value() || (!value_column.empty() && ec != std::errc());
      const std::vector<std::string>* names = is_header ? &fields : nullptr;
      if (value_column.empty()) {
        value_index = width >= 2 ? 1 : 0;
      } else {
        auto r = ResolveColumn(value_column, names, width, "value");
        if (!r.ok()) return r.status();
        value_index = *r;
      }
      if (time_column == "none") {
        has_time = false;
      } else if (time_column.empty()) {
        has_time = width >= 2 && value_index != 0;
        time_index = 0;
      } else {
        auto r = ResolveColumn(time_column, names, width, "time");
        if (!r.ok()) return r.status();
        time_index = *r;
        has_time = true;
      }
      out.value_column = is_header ? std::string(Trim(fields[value_index])) : "column " + std::to_string(value_index + 1);
      if (is_header) {
        header = fields;
        continue;
      }
    }
    if (value_index >= fields.size() || (has_time && time_index >= fields.size())) {
      return InvalidArgument("line " + std::to_string(line_no) + ": " + std::to_string(fields.size()) +
                             " fields, the columns need " + std::to_string(std::max(value_index, has_time ? time_index : 0) + 1));
    }
    auto v = ParseNumber(fields[value_index]);
    if (!v) {
      return InvalidArgument("line " + std::to_string(line_no) + ": \"" + fields[value_index].substr(0, 40) +
                             "\" is not a finite number");
    }
    out.values.push_back(*v);
    if (has_time) out.times.emplace_back(Trim(fields[time_index]));
  }
  if (out.values.empty()) return InvalidArgument("no data rows");
  return out;
}

}  // namespace perfwatch::analysis
