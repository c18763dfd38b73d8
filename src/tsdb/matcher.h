#pragma once
// Label matchers (=, !=, =~, !~) and the series-selector parser
// (`name{l="v", l2!="x", l3=~"re", l4!~"re"}`), with Prometheus' semantics:
//   - regular expressions are RE2, fully anchored (`^(?:re)$`), `.` matches newlines;
//   - a missing label has the value "", so a matcher that matches "" also matches series
//     without the label;
//   - a selector needs at least one matcher that does not match "".
// Strings may be "double", 'single' (Go escapes: \n \t \\ \" \' \xHH \uHHHH \UHHHHHHHH
// \ooo ...) or `raw`. Errors name the 0-based byte position: "1:12: parse error: ...".
//
// Thread safety: a Matcher is immutable after construction and safe to share; RE2 is
// thread-safe for matching.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace re2 {
class RE2;
}

namespace perfwatch::tsdb {

enum class MatchType { kEqual, kNotEqual, kRegexMatch, kRegexNoMatch };

class Matcher {
 public:
  // Fails (InvalidArgument) on a regular expression RE2 rejects.
  static Result<Matcher> Make(MatchType type, std::string name, std::string value);

  MatchType type() const { return type_; }
  const std::string& name() const { return name_; }
  const std::string& value() const { return value_; }
  bool Matches(std::string_view v) const;
  bool MatchesEmpty() const { return matches_empty_; }
  // `name="value"` / `name=~"value"` ...
  std::string ToString() const;

 private:
  Matcher() = default;
  MatchType type_ = MatchType::kEqual;
  std::string name_;
  std::string value_;
  std::shared_ptr<const re2::RE2> re_;  // for the regex kinds
  bool matches_empty_ = false;
};

// Parses a series selector. Returns the matchers (the metric name becomes
// `__name__="name"` first), or InvalidArgument with the position of the error.
Result<std::vector<Matcher>> ParseSelector(std::string_view input);

// Checks Prometheus' rule that at least one matcher does not match the empty string.
Status ValidateSelector(const std::vector<Matcher>& matchers);

}  // namespace perfwatch::tsdb
