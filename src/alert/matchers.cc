// Label matchers with Alertmanager 0.25's semantics (pkg/labels/matcher.go, parse.go):
// construction, matching, printing, sorting and the matcher syntax parser.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "alert/am_config.h"
#include "common/label_validation.h"
#include "tsdb/labels.h"

namespace perfwatch::alert {
namespace {

constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD

// Decodes one code point at s[i] as Go's utf8.DecodeRune does: an invalid or overlong
// sequence, a surrogate or anything above U+10FFFF yields (U+FFFD, 1). Returns the width
// and stores the code point in *cp (0xFFFD for an error, with *ok false).
size_t DecodeRune(std::string_view s, size_t i, uint32_t* cp, bool* ok) {
  const auto b0 = static_cast<uint8_t>(s[i]);
  *ok = true;
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  size_t n;
  uint32_t min;
  uint32_t c;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2, min = 0x80, c = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3, min = 0x800, c = b0 & 0x0F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4, min = 0x10000, c = b0 & 0x07;
  } else {
    *ok = false;
    *cp = 0xFFFD;
    return 1;
  }
  if (i + n > s.size()) {
    *ok = false;
    *cp = 0xFFFD;
    return 1;
  }
  for (size_t k = 1; k < n; ++k) {
    const auto b = static_cast<uint8_t>(s[i + k]);
    if ((b & 0xC0) != 0x80) {
      *ok = false;
      *cp = 0xFFFD;
      return 1;
    }
    c = (c << 6) | (b & 0x3F);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
    *ok = false;
    *cp = 0xFFFD;
    return 1;
  }
  *cp = c;
  return n;
}

// Go's unicode.IsSpace, as strings.TrimSpace uses it.
bool IsUnicodeSpace(uint32_t c) {
  switch (c) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

// Go's strings.TrimSpace.
std::string_view TrimUnicodeSpace(std::string_view s) {
  size_t start = 0;
  while (start < s.size()) {
    uint32_t cp;
    bool ok;
    size_t w = DecodeRune(s, start, &cp, &ok);
    if (!ok || !IsUnicodeSpace(cp)) break;
    start += w;
  }
  size_t end = s.size();
  while (end > start) {
    // Step back to the start of the last rune.
    size_t k = end - 1;
    while (k > start && end - k < 4 && (static_cast<uint8_t>(s[k]) & 0xC0) == 0x80) --k;
    uint32_t cp;
    bool ok;
    size_t w = DecodeRune(s, k, &cp, &ok);
    if (!ok || k + w != end) {
      // An invalid trailing byte is not a space.
      break;
    }
    if (!IsUnicodeSpace(cp)) break;
    end = k;
  }
  return s.substr(start, end - start);
}

// The characters of Go's regexp class \s: [\t\n\f\r ].
bool IsPerlSpace(char c) { return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '; }

bool IsMatcherNameFirst(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}
bool IsMatcherNameRest(char c) { return IsMatcherNameFirst(c) || (c >= '0' && c <= '9'); }

std::string_view TypeString(Matcher::Type type) {
  switch (type) {
    case Matcher::Type::kEqual:
      return "=";
    case Matcher::Type::kNotEqual:
      return "!=";
    case Matcher::Type::kRegexp:
      return "=~";
    case Matcher::Type::kNotRegexp:
      return "!~";
  }
  return "=";
}

}  // namespace

Result<Matcher> Matcher::Make(std::string name, Type type, std::string value) {
  Matcher m;
  m.name = std::move(name);
  m.type = type;
  m.value = std::move(value);
  if (type == Type::kRegexp || type == Type::kNotRegexp) {
    RE2::Options opts;
    opts.set_log_errors(false);
    auto re = std::make_shared<const re2::RE2>("^(?:" + m.value + ")$", opts);
    if (!re->ok()) {
      return InvalidArgument("error parsing regexp: " + re->error());
    }
    m.re = std::move(re);
  }
  return m;
}

bool Matcher::Matches(std::string_view label_value) const {
  switch (type) {
    case Type::kEqual:
      return label_value == value;
    case Type::kNotEqual:
      return label_value != value;
    case Type::kRegexp:
      return re != nullptr && RE2::FullMatch(label_value, *re);
    case Type::kNotRegexp:
      return re == nullptr || !RE2::FullMatch(label_value, *re);
  }
  return false;
}

std::string Matcher::ToString() const {
  std::string out;
  out.reserve(name.size() + value.size() + 4);
  out += name;
  out += TypeString(type);
  // OpenMetrics escaping, as Alertmanager 0.25's Matcher.String(): only backslash,
  // line feed and double quote are escaped.
  tsdb::AppendQuoted(out, value);
  return out;
}

bool MatchesAll(const Matchers& matchers, const LabelSet& labels) {
  for (const auto& m : matchers) {
    // LabelSet is sorted by name.
    auto it = std::lower_bound(labels.begin(), labels.end(), m.name,
                               [](const auto& kv, const std::string& n) { return kv.first < n; });
    std::string_view v;
    if (it != labels.end() && it->first == m.name) v = it->second;
    if (!m.Matches(v)) return false;
  }
  return true;
}

std::string MatchersToString(const Matchers& matchers) {
  std::string out = "{";
  for (size_t i = 0; i < matchers.size(); ++i) {
    if (i > 0) out += ',';
    out += matchers[i].ToString();
  }
  out += '}';
  return out;
}

void SortMatchers(Matchers& matchers) {
  std::stable_sort(matchers.begin(), matchers.end(), [](const Matcher& a, const Matcher& b) {
    if (a.name != b.name) return a.name < b.name;
    if (a.value != b.value) return a.value < b.value;
    return a.type < b.type;
  });
}

Result<Matcher> ParseMatcher(std::string_view s) {
  // The shape of Alertmanager's matcher regex:
  //   ^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*((?s).*?)\s*$
  // Names never contain spaces or operator characters, so a direct scan is equivalent.
  const auto bad = [&]() { return InvalidArgument("bad matcher format: " + std::string(s)); };
  size_t i = 0;
  while (i < s.size() && IsPerlSpace(s[i])) ++i;
  if (i >= s.size() || !IsMatcherNameFirst(s[i])) return bad();
  const size_t name_start = i;
  while (i < s.size() && IsMatcherNameRest(s[i])) ++i;
  std::string name(s.substr(name_start, i - name_start));
  while (i < s.size() && IsPerlSpace(s[i])) ++i;
  Matcher::Type type;
  std::string_view rest = s.substr(i);
  if (rest.starts_with("=~")) {
    type = Matcher::Type::kRegexp;
    i += 2;
  } else if (rest.starts_with("=")) {
    type = Matcher::Type::kEqual;
    i += 1;
  } else if (rest.starts_with("!=")) {
    type = Matcher::Type::kNotEqual;
    i += 2;
  } else if (rest.starts_with("!~")) {
    type = Matcher::Type::kNotRegexp;
    i += 2;
  } else {
    return bad();
  }
  while (i < s.size() && IsPerlSpace(s[i])) ++i;
  size_t end = s.size();
  while (end > i && IsPerlSpace(s[end - 1])) --end;
  const std::string_view raw_token = s.substr(i, end - i);  // ms[3] in Alertmanager

  std::string_view raw = raw_token;
  bool expect_trailing_quote = false;
  if (raw.starts_with('"')) {
    raw.remove_prefix(1);
    expect_trailing_quote = true;
  }
  if (!IsValidUtf8(raw)) {
    return InvalidArgument("matcher value not valid UTF-8: " + std::string(raw_token));
  }
  const auto unescaped_quote = [&]() {
    return InvalidArgument("matcher value contains unescaped double quote: " +
                           std::string(raw_token));
  };
  std::string value;
  value.reserve(raw.size());
  bool escaped = false;
  // The value is valid UTF-8 and every special character is ASCII, so bytes suffice.
  for (size_t k = 0; k < raw.size(); ++k) {
    const char c = raw[k];
    if (escaped) {
      escaped = false;
      if (c == 'n') {
        value += '\n';
      } else if (c == '"' || c == '\\') {
        value += c;
      } else {
        value += '\\';  // a spurious escape: the backslash is literal
        value += c;
      }
      continue;
    }
    if (c == '\\') {
      if (k < raw.size() - 1) {
        escaped = true;
        continue;
      }
      value += '\\';
    } else if (c == '"') {
      if (!expect_trailing_quote || k < raw.size() - 1) return unescaped_quote();
      expect_trailing_quote = false;
    } else {
      value += c;
    }
  }
  if (expect_trailing_quote) return unescaped_quote();
  return Matcher::Make(std::move(name), type, std::move(value));
}

Result<Matchers> ParseMatchers(std::string_view s) {
  if (s.starts_with('{')) s.remove_prefix(1);
  if (s.ends_with('}')) s.remove_suffix(1);

  // Split at commas outside double quotes. Like Alertmanager, iterate over runes: an
  // invalid UTF-8 byte becomes U+FFFD in the token.
  std::vector<std::string> tokens;
  std::string token;
  bool inside_quotes = false;
  bool escaped = false;
  for (size_t i = 0; i < s.size();) {
    uint32_t cp;
    bool ok;
    const size_t w = DecodeRune(s, i, &cp, &ok);
    const std::string_view rune = ok ? s.substr(i, w) : kReplacementChar;
    i += w;
    switch (cp) {
      case ',':
        if (!inside_quotes) {
          tokens.push_back(std::move(token));
          token.clear();
          continue;
        }
        break;
      case '"':
        if (!escaped) {
          inside_quotes = !inside_quotes;
        } else {
          escaped = false;
        }
        break;
      case '\\':
        escaped = !escaped;
        break;
      default:
        escaped = false;
    }
    token += rune;
  }
  std::string_view last = TrimUnicodeSpace(token);
  if (!last.empty()) tokens.emplace_back(last);

  Matchers out;
  out.reserve(tokens.size());
  for (const auto& t : tokens) {
    PW_ASSIGN_OR_RETURN(auto m, ParseMatcher(t));
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace perfwatch::alert
