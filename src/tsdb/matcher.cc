#include "tsdb/matcher.h"

#include <re2/re2.h>

#include <cstdint>

#include "common/label_validation.h"
#include "tsdb/labels.h"

namespace perfwatch::tsdb {

Result<Matcher> Matcher::Make(MatchType type, std::string name, std::string value) {
  Matcher m;
  m.type_ = type;
  m.name_ = std::move(name);
  m.value_ = std::move(value);
  if (type == MatchType::kRegexMatch || type == MatchType::kRegexNoMatch) {
    RE2::Options opts;
    opts.set_log_errors(false);
    opts.set_dot_nl(true);
    auto re = std::make_shared<RE2>("^(?:" + m.value_ + ")$", opts);
    if (!re->ok()) return InvalidArgument("invalid regular expression \"" + m.value_ + "\": " + re->error());
    m.re_ = std::move(re);
  }
  m.matches_empty_ = m.Matches("");
  return m;
}

bool Matcher::Matches(std::string_view v) const {
  switch (type_) {
    case MatchType::kEqual: return v == value_;
    case MatchType::kNotEqual: return v != value_;
    case MatchType::kRegexMatch: return RE2::FullMatch(re2::StringPiece(v.data(), v.size()), *re_);
    case MatchType::kRegexNoMatch: return !RE2::FullMatch(re2::StringPiece(v.data(), v.size()), *re_);
  }
  return false;
}

std::string Matcher::ToString() const {
  static constexpr std::string_view kOps[] = {"=", "!=", "=~", "!~"};
  std::string out = name_;
  out += kOps[static_cast<int>(type_)];
  AppendQuoted(out, value_);
  return out;
}

Status ValidateSelector(const std::vector<Matcher>& matchers) {
  for (const Matcher& m : matchers) {
    if (!m.MatchesEmpty()) return Status::Ok();
  }
  return InvalidArgument("vector selector must contain at least one non-empty matcher");
}

namespace {

class SelectorParser {
 public:
  explicit SelectorParser(std::string_view in) : in_(in) {}

  Result<std::vector<Matcher>> Parse() {
    SkipSpace();
    std::vector<Matcher> out;
    bool has_name = false;
    if (pos_ < in_.size() && IsNameStart(in_[pos_], /*metric=*/true)) {
      std::string name(Ident(/*metric=*/true));
      PW_ASSIGN_OR_RETURN(Matcher m, Matcher::Make(MatchType::kEqual, std::string(kMetricNameLabel), name));
      out.push_back(std::move(m));
      has_name = true;
      SkipSpace();
    }
    if (pos_ < in_.size() && in_[pos_] == '{') {
      ++pos_;
      for (;;) {
        SkipSpace();
        if (pos_ >= in_.size()) return Error("unexpected end of input inside braces");
        if (in_[pos_] == '}') {
          ++pos_;
          break;
        }
        size_t name_pos = pos_;
        if (!IsNameStart(in_[pos_], false)) return Error("expected a label name");
        std::string name(Ident(false));
        SkipSpace();
        MatchType type;
        if (Consume("=~")) {
          type = MatchType::kRegexMatch;
        } else if (Consume("!~")) {
          type = MatchType::kRegexNoMatch;
        } else if (Consume("!=")) {
          type = MatchType::kNotEqual;
        } else if (Consume("=")) {
          type = MatchType::kEqual;
        } else {
          return Error("expected a matching operator (=, !=, =~, !~) after label name \"" + name + "\"");
        }
        SkipSpace();
        size_t value_pos = pos_;
        PW_ASSIGN_OR_RETURN(std::string value, String());
        if (has_name && name == kMetricNameLabel) {
          pos_ = name_pos;
          return Error("metric name must not be set twice");
        }
        Result<Matcher> m = Matcher::Make(type, std::move(name), std::move(value));
        if (!m.ok()) {
          pos_ = value_pos;
          return Error(m.status().message());
        }
        out.push_back(std::move(m).value());
        SkipSpace();
        if (pos_ < in_.size() && in_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (pos_ < in_.size() && in_[pos_] == '}') continue;
        if (pos_ >= in_.size()) return Error("unexpected end of input inside braces");
        return Error(std::string("unexpected character '") + in_[pos_] + "', expected ',' or '}'");
      }
    } else if (!has_name) {
      if (pos_ >= in_.size()) return Error("empty selector");
      return Error(std::string("unexpected character '") + in_[pos_] + "', expected a metric name or '{'");
    }
    SkipSpace();
    if (pos_ < in_.size()) return Error(std::string("unexpected character '") + in_[pos_] + "' after selector");
    Status s = ValidateSelector(out);
    if (!s.ok()) {
      pos_ = 0;
      return Error(s.message());
    }
    return out;
  }

 private:
  static bool IsNameStart(char c, bool metric) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (metric && c == ':');
  }
  static bool IsNameChar(char c, bool metric) { return IsNameStart(c, metric) || (c >= '0' && c <= '9'); }

  std::string_view Ident(bool metric) {
    size_t start = pos_;
    while (pos_ < in_.size() && IsNameChar(in_[pos_], metric)) ++pos_;
    return in_.substr(start, pos_ - start);
  }
  void SkipSpace() {
    while (pos_ < in_.size() && (in_[pos_] == ' ' || in_[pos_] == '\t' || in_[pos_] == '\n' || in_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool Consume(std::string_view s) {
    if (in_.substr(pos_, s.size()) != s) return false;
    pos_ += s.size();
    return true;
  }
  Status Error(const std::string& what) const {
    return InvalidArgument("1:" + std::to_string(pos_ + 1) + ": parse error: " + what);
  }

  static int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  Result<std::string> String() {
    if (pos_ >= in_.size()) return Error("expected a quoted string");
    char quote = in_[pos_];
    if (quote != '"' && quote != '\'' && quote != '`') return Error("expected a quoted string");
    ++pos_;
    std::string out;
    if (quote == '`') {
      size_t end = in_.find('`', pos_);
      if (end == std::string_view::npos) return Error("unterminated raw string");
      out.assign(in_.substr(pos_, end - pos_));
      pos_ = end + 1;
      return out;
    }
    for (;;) {
      if (pos_ >= in_.size()) return Error("unterminated quoted string");
      char c = in_[pos_];
      if (c == quote) {
        ++pos_;
        return out;
      }
      if (c == '\n') return Error("newline in quoted string");
      if (c != '\\') {
        out.push_back(c);
        ++pos_;
        continue;
      }
      size_t esc = pos_++;
      if (pos_ >= in_.size()) return Error("unterminated quoted string");
      char e = in_[pos_++];
      switch (e) {
        case 'a': out.push_back('\a'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'v': out.push_back('\v'); break;
        case '\\': out.push_back('\\'); break;
        case '"':
        case '\'':
          if (e != quote) {
            pos_ = esc;
            return Error(std::string("unknown escape sequence \\") + e);
          }
          out.push_back(e);
          break;
        case 'x':
        case 'u':
        case 'U': {
          int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          uint32_t v = 0;
          for (int i = 0; i < digits; ++i) {
            int h = pos_ < in_.size() ? HexValue(in_[pos_]) : -1;
            if (h < 0) {
              pos_ = esc;
              return Error(std::string("invalid escape sequence \\") + e);
            }
            v = v * 16 + static_cast<uint32_t>(h);
            ++pos_;
          }
          if (e == 'x') {
            out.push_back(static_cast<char>(v));
          } else {
            if (v > 0x10FFFF || (v >= 0xD800 && v < 0xE000)) {
              pos_ = esc;
              return Error("escape sequence is an invalid Unicode code point");
            }
            AppendUtf8(out, v);
          }
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            uint32_t v = static_cast<uint32_t>(e - '0');
            for (int i = 0; i < 2; ++i) {
              if (pos_ >= in_.size() || in_[pos_] < '0' || in_[pos_] > '7') {
                pos_ = esc;
                return Error("invalid octal escape sequence");
              }
              v = v * 8 + static_cast<uint32_t>(in_[pos_++] - '0');
            }
            if (v > 255) {
              pos_ = esc;
              return Error("octal escape value > 255");
            }
            out.push_back(static_cast<char>(v));
            break;
          }
          pos_ = esc;
          return Error(std::string("unknown escape sequence \\") + e);
      }
    }
  }

  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace

Result<std::vector<Matcher>> ParseSelector(std::string_view input) { return SelectorParser(input).Parse(); }

}  // namespace perfwatch::tsdb
