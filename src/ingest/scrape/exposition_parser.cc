#include "ingest/scrape/exposition_parser.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <system_error>

#include "common/label_validation.h"

namespace perfwatch::ingest {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

bool IsNameChar(char c) {
  using namespace label_validation_internal;
  return kClass[static_cast<uint8_t>(c)] & kMetricRest;
}

bool IsLabelNameChar(char c) {
  using namespace label_validation_internal;
  return kClass[static_cast<uint8_t>(c)] & kLabelRest;
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

const char* SkipBlanks(const char* p, const char* end) {
  while (p < end && IsBlank(*p)) ++p;
  return p;
}

const char* SkipNameChars(const char* p, const char* end) {
  while (p < end && IsNameChar(*p)) ++p;
  return p;
}

// Up to the next separator: a blank (0.0.4) or a space (OpenMetrics).
const char* SkipToken(const char* p, const char* end, bool om) {
  if (om) {
    const void* sp = std::memchr(p, ' ', static_cast<size_t>(end - p));
    return sp ? static_cast<const char*>(sp) : end;
  }
  while (p < end && !IsBlank(*p)) ++p;
  return p;
}

// A float as Go's strconv.ParseFloat reads it (what Prometheus uses), decimal forms only:
// an optional sign, digits with an optional fraction and exponent, or Inf / Infinity / NaN
// in any case. Overflow is an error; underflow rounds to zero or a subnormal.
bool ParseDouble(std::string_view s, double* out) {
  if (s.empty()) return false;
  // Fast path: a plain non-negative integer of up to 15 digits is exact as a double.
  if (s.size() <= 15) {
    uint64_t n = 0;
    size_t i = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i)
      n = n * 10 + static_cast<uint64_t>(s[i] - '0');
    if (i == s.size()) {
      *out = static_cast<double>(n);
      return true;
    }
  }
  bool negative = false;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || s[0] == '+' || s[0] == '-') return false;
  if (EqualsIgnoreCase(s, "inf") || EqualsIgnoreCase(s, "infinity")) {
    *out = negative ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
    return true;
  }
  if (EqualsIgnoreCase(s, "nan")) {
    *out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  // Only digits, '.', 'e', 'E' and an exponent sign reach from_chars (no "nan(...)", hex).
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')) {
      return false;
    }
  }
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::general);
  if (ptr != s.data() + s.size()) return false;
  if (ec == std::errc::result_out_of_range) {
    // from_chars reports underflow too; strtod tells overflow (HUGE_VAL) from underflow.
    std::string copy(s);
    v = std::strtod(copy.c_str(), nullptr);
    if (!std::isfinite(v)) return false;
  } else if (ec != std::errc()) {
    return false;
  }
  *out = negative ? -v : v;
  return true;
}

bool ParseInt64(std::string_view s, int64_t* out) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty() || s[0] == '+') return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// OpenMetrics timestamps are seconds with an optional fraction.
bool ParseSecondsAsMs(std::string_view s, int64_t* out) {
  double seconds;
  if (!ParseDouble(s, &seconds) || !std::isfinite(seconds)) return false;
  double ms = std::round(seconds * 1000.0);
  if (!(ms >= -9.2e18 && ms <= 9.2e18)) return false;
  *out = static_cast<int64_t>(ms);
  return true;
}

bool ParseMetricType(std::string_view s, bool om, MetricType* out) {
  struct Entry {
    std::string_view name;
    MetricType type;
    bool text;  // allowed in 0.0.4
    bool om;    // allowed in OpenMetrics
  };
  static constexpr Entry kTypes[] = {
      {"counter", MetricType::kCounter, true, true},
      {"gauge", MetricType::kGauge, true, true},
      {"histogram", MetricType::kHistogram, true, true},
      {"summary", MetricType::kSummary, true, true},
      {"untyped", MetricType::kUntyped, true, false},
      {"unknown", MetricType::kUnknown, false, true},
      {"gaugehistogram", MetricType::kGaugeHistogram, false, true},
      {"info", MetricType::kInfo, false, true},
      {"stateset", MetricType::kStateSet, false, true},
  };
  for (const Entry& e : kTypes) {
    if (e.name == s && (om ? e.om : e.text)) {
      *out = e.type;
      return true;
    }
  }
  return false;
}

}  // namespace

ExpositionFormat ExpositionFormatFromContentType(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  media = Trim(media);
  if (EqualsIgnoreCase(media, "application/openmetrics-text"))
    return ExpositionFormat::kOpenMetrics;
  return ExpositionFormat::kPrometheusText;
}

std::string_view ExpositionFormatName(ExpositionFormat format) {
  return format == ExpositionFormat::kOpenMetrics ? "OpenMetrics 1.0" : "Prometheus text 0.0.4";
}

std::string_view MetricTypeName(MetricType type) {
  switch (type) {
    case MetricType::kUntyped:
      return "untyped";
    case MetricType::kUnknown:
      return "unknown";
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
    case MetricType::kGaugeHistogram:
      return "gaugehistogram";
    case MetricType::kSummary:
      return "summary";
    case MetricType::kInfo:
      return "info";
    case MetricType::kStateSet:
      return "stateset";
  }
  return "untyped";
}

Status ExpositionParser::ErrorAt(const char* where, std::string_view message) const {
  size_t column = static_cast<size_t>(where - line_begin_) + 1;
  std::string m = "line " + std::to_string(line_) + ", column " + std::to_string(column) + ": ";
  m.append(message);
  return InvalidArgument(std::move(m));
}

Status ExpositionParser::Parse(std::string_view text, ExpositionFormat format,
                               ExpositionSink& sink) {
  format_ = format;
  line_ = 0;
  stats_ = {};
  meta_open_ = false;
  last_flushed_family_ = {};
  const char* pos = text.data();
  const char* const text_end = pos + text.size();
  bool saw_eof = false;
  while (pos < text_end) {
    ++line_;
    stats_.lines = line_;
    line_begin_ = pos;
    const void* nl = std::memchr(pos, '\n', static_cast<size_t>(text_end - pos));
    const char* line_end = nl ? static_cast<const char*>(nl) : text_end;
    if (saw_eof) return ErrorAt(pos, "content after \"# EOF\"");
    PW_RETURN_IF_ERROR(ParseLine(pos, line_end, sink, &saw_eof));
    pos = nl ? line_end + 1 : text_end;
  }
  PW_RETURN_IF_ERROR(FlushMetadata(sink));
  if (om() && !saw_eof) {
    ++line_;
    line_begin_ = text_end;
    return ErrorAt(text_end, "missing \"# EOF\" at the end of an OpenMetrics exposition");
  }
  return Status::Ok();
}

Status ExpositionParser::ParseLine(const char* p, const char* end, ExpositionSink& sink,
                                   bool* saw_eof) {
  if (om()) {
    if (p == end) return ErrorAt(p, "empty line (not allowed in OpenMetrics)");
    if (*p == '#') return ParseOpenMetricsComment(p, end, sink, saw_eof);
    return ParseSample(p, end, sink);
  }
  p = SkipBlanks(p, end);
  if (p == end) return Status::Ok();
  if (*p == '#') return ParseTextComment(p, end, sink);
  return ParseSample(p, end, sink);
}

Status ExpositionParser::ParseTextComment(const char* p, const char* end, ExpositionSink& sink) {
  const char* q = SkipBlanks(p + 1, end);
  const char* word_end = SkipToken(q, end, false);
  std::string_view word(q, static_cast<size_t>(word_end - q));
  if (word != "HELP" && word != "TYPE") return Status::Ok();  // an ordinary comment
  return ParseMetadata(word, word_end, end, sink);
}

Status ExpositionParser::ParseOpenMetricsComment(const char* p, const char* end,
                                                 ExpositionSink& sink, bool* saw_eof) {
  std::string_view line(p, static_cast<size_t>(end - p));
  if (line == "# EOF") {
    *saw_eof = true;
    return Status::Ok();
  }
  if (line.size() >= 6 && line[1] == ' ') {
    std::string_view word = line.substr(2, 4);
    if ((word == "HELP" || word == "TYPE" || word == "UNIT") &&
        (line.size() == 6 || line[6] == ' ')) {
      return ParseMetadata(word, p + 6, end, sink);
    }
  }
  return ErrorAt(p,
                 "expected \"# HELP\", \"# TYPE\", \"# UNIT\" or \"# EOF\" (OpenMetrics has no "
                 "free comments)");
}

// `p` is just past the keyword.
Status ExpositionParser::ParseMetadata(std::string_view keyword, const char* p, const char* end,
                                       ExpositionSink& sink) {
  if (p == end || !IsBlank(*p) || (om() && *p != ' ')) {
    return ErrorAt(p, "expected a metric name after " + std::string(keyword));
  }
  p = om() ? p + 1 : SkipBlanks(p, end);
  const char* name_begin = p;
  p = SkipNameChars(p, end);
  std::string_view family(name_begin, static_cast<size_t>(p - name_begin));
  if (!IsValidMetricName(family) || (p < end && !IsBlank(*p)) || (om() && p < end && *p != ' ')) {
    const char* bad_end = SkipToken(name_begin, end, om());
    return ErrorAt(name_begin, "invalid metric name " +
                                   QuoteForError(std::string_view(
                                       name_begin, static_cast<size_t>(bad_end - name_begin))) +
                                   " in " + std::string(keyword) + " line");
  }

  if (meta_open_ && meta_.family != family) PW_RETURN_IF_ERROR(FlushMetadata(sink));
  if (om() && !meta_open_ && family == last_flushed_family_) {
    return ErrorAt(name_begin, "metadata for " + QuoteForError(family) + " after its samples");
  }
  if (!meta_open_) {
    meta_open_ = true;
    meta_ = ExpositionMetadata{};
    meta_.family = family;
    help_.clear();
  }

  if (keyword == "HELP") {
    if (meta_.has_help && om()) return ErrorAt(p, "second HELP line for " + QuoteForError(family));
    if (p < end) p = om() ? p + 1 : SkipBlanks(p, end);
    std::string_view text(p, static_cast<size_t>(end - p));
    if (!IsValidUtf8(text)) return ErrorAt(p, "HELP text is not valid UTF-8");
    help_.clear();
    for (const char* q = p; q < end; ++q) {
      if (*q != '\\') {
        help_.push_back(*q);
        continue;
      }
      if (q + 1 == end) return ErrorAt(q, "HELP text ends with a lone backslash");
      char e = q[1];
      if (e == '\\') {
        help_.push_back('\\');
      } else if (e == 'n') {
        help_.push_back('\n');
      } else if (e == '"' && om()) {
        help_.push_back('"');
      } else {
        return ErrorAt(q, "invalid escape sequence " + QuoteForError(std::string_view(q, 2)) +
                              " in HELP text");
      }
      ++q;
    }
    meta_.has_help = true;
    meta_.help = help_;
    return Status::Ok();
  }

  if (keyword == "TYPE") {
    if (meta_.has_type && om()) return ErrorAt(p, "second TYPE line for " + QuoteForError(family));
    p = om() ? (p < end ? p + 1 : p) : SkipBlanks(p, end);
    const char* type_begin = p;
    p = SkipToken(p, end, om());
    std::string_view type_name(type_begin, static_cast<size_t>(p - type_begin));
    MetricType type;
    if (!ParseMetricType(type_name, om(), &type)) {
      return ErrorAt(type_begin, "unknown metric type " + QuoteForError(type_name) + " for " +
                                     std::string(ExpositionFormatName(format_)));
    }
    const char* rest = om() ? p : SkipBlanks(p, end);
    if (rest != end) return ErrorAt(rest, "unexpected text after the metric type");
    meta_.has_type = true;
    meta_.type = type;
    return Status::Ok();
  }

  // UNIT (OpenMetrics only).
  if (meta_.has_unit) return ErrorAt(p, "second UNIT line for " + QuoteForError(family));
  if (p < end) ++p;
  const char* unit_begin = p;
  p = SkipNameChars(p, end);
  std::string_view unit(unit_begin, static_cast<size_t>(p - unit_begin));
  if (p != end) return ErrorAt(p, "invalid character in unit");
  if (!unit.empty() &&
      (family.size() <= unit.size() || family.substr(family.size() - unit.size()) != unit ||
       family[family.size() - unit.size() - 1] != '_')) {
    return ErrorAt(unit_begin, "unit " + QuoteForError(unit) +
                                   " is not a suffix of the metric name " + QuoteForError(family));
  }
  meta_.has_unit = true;
  meta_.unit = unit;
  return Status::Ok();
}

Status ExpositionParser::FlushMetadata(ExpositionSink& sink) {
  if (!meta_open_) return Status::Ok();
  meta_open_ = false;
  last_flushed_family_ = meta_.family;
  ++stats_.families;
  Status s = sink.OnMetadata(meta_);
  if (!s.ok()) return s.WithContext("line " + std::to_string(line_));
  return Status::Ok();
}

Status ExpositionParser::ParseSample(const char* p, const char* end, ExpositionSink& sink) {
  PW_RETURN_IF_ERROR(FlushMetadata(sink));
  scratch_.clear();
  const char* name_begin = p;
  p = SkipNameChars(p, end);
  std::string_view name(name_begin, static_cast<size_t>(p - name_begin));
  if (name.empty()) {
    if (*name_begin == '{')
      return ErrorAt(name_begin, "expected a metric name (quoted names are not supported)");
    return ErrorAt(name_begin, "expected a metric name, found " +
                                   QuoteForError(std::string_view(name_begin, 1)));
  }
  if (!IsValidMetricName(name))
    return ErrorAt(name_begin, "invalid metric name " + QuoteForError(name));

  pending_.clear();
  // 0.0.4 allows blanks between the name and '{'.
  const char* brace = om() ? p : SkipBlanks(p, end);
  if (brace < end && *brace == '{') {
    p = brace;
    PW_RETURN_IF_ERROR(ParseLabels(&p, end, &pending_));
    PW_RETURN_IF_ERROR(SortAndCheck(&pending_));
  }
  const std::string_view series(name_begin, static_cast<size_t>(p - name_begin));

  // Value.
  if (p == end || !IsBlank(*p) || (om() && *p != ' ')) {
    if (p == end) return ErrorAt(p, "expected a value after " + QuoteForError(name));
    return ErrorAt(p, "unexpected character " + QuoteForError(std::string_view(p, 1)) +
                          " after the metric name" + (pending_.empty() ? "" : "'s labels"));
  }
  p = om() ? p + 1 : SkipBlanks(p, end);
  if (p == end) return ErrorAt(p, "expected a value after " + QuoteForError(name));
  const char* value_begin = p;
  p = SkipToken(p, end, om());
  std::string_view value_text(value_begin, static_cast<size_t>(p - value_begin));
  ExpositionSample sample;
  if (!ParseDouble(value_text, &sample.value)) {
    return ErrorAt(value_begin, "invalid value " + QuoteForError(value_text));
  }

  // Optional timestamp, then (OpenMetrics) an optional exemplar.
  if (om()) {
    if (p < end) {
      ++p;  // the space
      if (p == end) return ErrorAt(p - 1, "trailing space (not allowed in OpenMetrics)");
      if (*p != '#') {
        const char* ts_begin = p;
        p = SkipToken(p, end, true);
        int64_t ts;
        std::string_view ts_text(ts_begin, static_cast<size_t>(p - ts_begin));
        if (!ParseSecondsAsMs(ts_text, &ts))
          return ErrorAt(ts_begin, "invalid timestamp " + QuoteForError(ts_text));
        sample.timestamp_ms = ts;
        if (p < end) {
          ++p;
          if (p == end) return ErrorAt(p - 1, "trailing space (not allowed in OpenMetrics)");
          if (*p != '#') return ErrorAt(p, "unexpected text after the timestamp");
        }
      }
      if (p < end) PW_RETURN_IF_ERROR(ParseExemplar(p, end));
    }
  } else {
    p = SkipBlanks(p, end);
    if (p < end) {
      const char* ts_begin = p;
      p = SkipToken(p, end, false);
      int64_t ts;
      std::string_view ts_text(ts_begin, static_cast<size_t>(p - ts_begin));
      if (!ParseInt64(ts_text, &ts)) {
        return ErrorAt(ts_begin, "invalid timestamp " + QuoteForError(ts_text) +
                                     " (integer milliseconds expected)");
      }
      sample.timestamp_ms = ts;
      p = SkipBlanks(p, end);
      if (p < end) return ErrorAt(p, "unexpected text after the timestamp");
    }
  }

  labels_.clear();
  for (const PendingLabel& l : pending_) {
    std::string_view v = l.in_scratch
                             ? std::string_view(scratch_).substr(l.scratch_offset, l.scratch_size)
                             : l.raw_value;
    labels_.push_back({l.name, v});
  }
  sample.name = name;
  sample.series = series;
  sample.labels = labels_;
  sample.line = line_;
  ++stats_.samples;
  Status s = sink.OnSample(sample);
  if (!s.ok()) return s.WithContext("line " + std::to_string(line_));
  return Status::Ok();
}

Status ExpositionParser::ParseLabels(const char** pp, const char* end,
                                     std::vector<PendingLabel>* out) {
  const char* p = *pp + 1;  // past '{'
  bool after_comma = false;
  for (;;) {
    if (!om()) p = SkipBlanks(p, end);
    if (p == end) return ErrorAt(p, "unterminated label set (expected '}')");
    if (*p == '}') {
      if (after_comma && om())
        return ErrorAt(p, "trailing comma in label set (not allowed in OpenMetrics)");
      ++p;
      break;
    }
    const char* name_begin = p;
    while (p < end && IsLabelNameChar(*p)) ++p;
    std::string_view label_name(name_begin, static_cast<size_t>(p - name_begin));
    if (label_name.empty()) {
      if (*p == '"') return ErrorAt(p, "quoted label names are not supported");
      return ErrorAt(p, "expected a label name, found " + QuoteForError(std::string_view(p, 1)));
    }
    if (!IsValidLabelName(label_name))
      return ErrorAt(name_begin, "invalid label name " + QuoteForError(label_name));
    if (label_name == "__name__") return ErrorAt(name_begin, "label name \"__name__\" is reserved");
    if (!om()) p = SkipBlanks(p, end);
    if (p == end || *p != '=')
      return ErrorAt(p, "expected '=' after label name " + QuoteForError(label_name));
    ++p;
    if (!om()) p = SkipBlanks(p, end);
    if (p == end || *p != '"')
      return ErrorAt(p, "expected '\"' to open the value of label " + QuoteForError(label_name));
    PendingLabel label{label_name, {},    0,
                       0,          false, static_cast<uint32_t>(name_begin - line_begin_ + 1)};
    PW_RETURN_IF_ERROR(ParseLabelValue(&p, end, &label));
    out->push_back(label);
    if (!om()) p = SkipBlanks(p, end);
    if (p == end) return ErrorAt(p, "unterminated label set (expected '}')");
    if (*p == ',') {
      ++p;
      after_comma = true;
      continue;
    }
    if (*p == '}') {
      ++p;
      break;
    }
    return ErrorAt(p, "expected ',' or '}' after a label value, found " +
                          QuoteForError(std::string_view(p, 1)));
  }
  *pp = p;
  return Status::Ok();
}

// `*pp` points at the opening quote; on success it is past the closing one.
Status ExpositionParser::ParseLabelValue(const char** pp, const char* end, PendingLabel* label) {
  const char* open = *pp;
  const char* p = open + 1;
  // Most values have no escapes: find the closing quote, then look for a backslash before it.
  const void* quote = std::memchr(p, '"', static_cast<size_t>(end - p));
  const char* stop = quote ? static_cast<const char*>(quote) : end;
  const void* backslash = std::memchr(p, '\\', static_cast<size_t>(stop - p));
  p = backslash ? static_cast<const char*>(backslash) : stop;
  if (p == end) return ErrorAt(open, "unterminated label value");
  if (*p == '"') {
    label->raw_value = std::string_view(open + 1, static_cast<size_t>(p - open - 1));
    if (!IsValidUtf8(label->raw_value)) return ErrorAt(open + 1, "label value is not valid UTF-8");
    *pp = p + 1;
    return Status::Ok();
  }
  // Escapes: unescape into scratch_.
  label->in_scratch = true;
  label->scratch_offset = scratch_.size();
  scratch_.append(open + 1, p);
  while (p < end && *p != '"') {
    if (*p != '\\') {
      scratch_.push_back(*p++);
      continue;
    }
    if (p + 1 == end) return ErrorAt(open, "unterminated label value");
    char e = p[1];
    if (e == '\\') {
      scratch_.push_back('\\');
    } else if (e == '"') {
      scratch_.push_back('"');
    } else if (e == 'n') {
      scratch_.push_back('\n');
    } else {
      return ErrorAt(p, "invalid escape sequence " + QuoteForError(std::string_view(p, 2)) +
                            " in label value");
    }
    p += 2;
  }
  if (p == end) return ErrorAt(open, "unterminated label value");
  label->scratch_size = scratch_.size() - label->scratch_offset;
  if (!IsValidUtf8(std::string_view(scratch_).substr(label->scratch_offset, label->scratch_size))) {
    return ErrorAt(open + 1, "label value is not valid UTF-8");
  }
  *pp = p + 1;
  return Status::Ok();
}

Status ExpositionParser::SortAndCheck(std::vector<PendingLabel>* labels) {
  auto by_name = [](const PendingLabel& a, const PendingLabel& b) { return a.name < b.name; };
  if (!std::is_sorted(labels->begin(), labels->end(), by_name)) {
    std::stable_sort(labels->begin(), labels->end(), by_name);
  }
  for (size_t i = 1; i < labels->size(); ++i) {
    if ((*labels)[i - 1].name == (*labels)[i].name) {
      const PendingLabel& later =
          (*labels)[i - 1].column > (*labels)[i].column ? (*labels)[i - 1] : (*labels)[i];
      return ErrorAt(line_begin_ + later.column - 1,
                     "duplicate label name " + QuoteForError(later.name));
    }
  }
  return Status::Ok();
}

// OpenMetrics exemplar: "# {labels} value [timestamp]"; `p` points at '#'.
Status ExpositionParser::ParseExemplar(const char* p, const char* end) {
  if (end - p < 3 || p[1] != ' ' || p[2] != '{')
    return ErrorAt(p, "expected an exemplar \"# {...} value\"");
  p += 2;
  exemplar_pending_.clear();
  PW_RETURN_IF_ERROR(ParseLabels(&p, end, &exemplar_pending_));
  PW_RETURN_IF_ERROR(SortAndCheck(&exemplar_pending_));
  if (p == end || *p != ' ')
    return ErrorAt(p, "expected a space and a value after the exemplar's labels");
  ++p;
  const char* value_begin = p;
  p = SkipToken(p, end, true);
  double value;
  std::string_view value_text(value_begin, static_cast<size_t>(p - value_begin));
  if (!ParseDouble(value_text, &value))
    return ErrorAt(value_begin, "invalid exemplar value " + QuoteForError(value_text));
  if (p < end) {
    ++p;
    const char* ts_begin = p;
    p = SkipToken(p, end, true);
    int64_t ts;
    std::string_view ts_text(ts_begin, static_cast<size_t>(p - ts_begin));
    if (!ParseSecondsAsMs(ts_text, &ts))
      return ErrorAt(ts_begin, "invalid exemplar timestamp " + QuoteForError(ts_text));
    if (p < end) return ErrorAt(p, "unexpected text after the exemplar");
  }
  ++stats_.exemplars;
  return Status::Ok();
}

}  // namespace perfwatch::ingest
