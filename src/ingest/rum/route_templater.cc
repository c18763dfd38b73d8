#include "ingest/rum/route_templater.h"

namespace perfwatch::ingest {
namespace {

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Length of the RFC 3986 scheme at the start of `s` including its ':', or 0 if none.
size_t SchemeLength(std::string_view s) {
  if (s.empty() || !IsAlpha(s[0])) return 0;
  for (size_t i = 1; i < s.size(); ++i) {
    char c = s[i];
    if (c == ':') return i + 1;
    if (!(IsAlpha(c) || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')) return 0;
  }
  return 0;
}

// `rest` starts after "//": skips the authority and returns the path (maybe empty).
std::string_view SkipAuthority(std::string_view rest) {
  size_t slash = rest.find('/');
  return slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
}

// Position of the first '?' or '#' (or the size). A plain loop: string_view's
// find_first_of calls memchr once per character.
size_t QueryOrFragmentStart(std::string_view url) {
  for (size_t i = 0; i < url.size(); ++i) {
    if (url[i] == '?' || url[i] == '#') return i;
  }
  return url.size();
}

// Cuts `out` back to at most `start + max` bytes without splitting a UTF-8 character (at
// most 3 bytes back: invalid input cannot make it walk further) or leaving a trailing '/'.
void TruncateUtf8(std::string& out, size_t start, size_t max) {
  if (out.size() - start <= max) return;
  size_t cut = start + max;
  for (int k = 0; k < 3 && cut > start && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80; ++k) {
    --cut;
  }
  out.resize(cut);
  if (out.size() > start + 1 && out.back() == '/') out.pop_back();
}

}  // namespace

bool IsAllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool IsUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < 36; ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!IsHexDigit(s[i])) {
      return false;
    }
  }
  return true;
}

bool IsLongHex(std::string_view s) {
  if (s.size() < 16) return false;
  for (char c : s) {
    if (!IsHexDigit(c)) return false;
  }
  return true;
}

Result<std::unique_ptr<RouteTemplater>> RouteTemplater::Create(const std::vector<RouteRule>& rules) {
  std::vector<CompiledRule> compiled;
  compiled.reserve(rules.size());
  for (size_t i = 0; i < rules.size(); ++i) {
    const RouteRule& rule = rules[i];
    if (rule.pattern.empty()) {
      return InvalidArgument("route rule " + std::to_string(i) + ": empty pattern");
    }
    // std::regex reports bad patterns by throwing; keep that inside this module.
    try {
      compiled.push_back({std::regex(rule.pattern, std::regex::ECMAScript | std::regex::optimize),
                          rule.replacement});
    } catch (const std::regex_error& e) {
      return InvalidArgument("route rule " + std::to_string(i) + " pattern \"" + rule.pattern +
                             "\": " + e.what());
    }
  }
  return std::unique_ptr<RouteTemplater>(new RouteTemplater(std::move(compiled)));
}

Status ValidateRouteRules(const std::vector<RouteRule>& rules) {
  return RouteTemplater::Create(rules).status();
}

void RouteTemplater::AppendSegment(std::string_view segment, std::string& out) const {
  if (IsAllDigits(segment) || IsUuid(segment) || IsLongHex(segment)) {
    out.append(":id");
    return;
  }
  if (segment.size() <= kMaxRuleSegmentBytes) {
    for (const CompiledRule& rule : rules_) {
      bool matched = false;
      try {
        matched = std::regex_match(segment.begin(), segment.end(), rule.regex);
      } catch (const std::regex_error&) {
        matched = false;  // e.g. error_complexity: treat as no match
      }
      if (matched) {
        out.append(rule.replacement);
        return;
      }
    }
  }
  out.append(segment);
}

void RouteTemplater::Template(std::string_view url, std::string& out) const {
  const size_t start = out.size();
  url = url.substr(0, QueryOrFragmentStart(url));
  if (url.empty()) {
    out.append(kUnknownPage);
    return;
  }
  std::string_view path;
  if (url.starts_with("//")) {
    path = SkipAuthority(url.substr(2));
  } else if (size_t scheme = SchemeLength(url); scheme != 0) {
    std::string_view rest = url.substr(scheme);
    if (!rest.starts_with("//")) {
      // Not hierarchical ("about:blank", "data:..."): kept as is, without templating.
      out.append(url);
      TruncateUtf8(out, start, kMaxTemplateBytes);
      return;
    }
    path = SkipAuthority(rest.substr(2));
  } else {
    path = url;  // relative: "/p/42" or "p/42"
  }

  // Segments are separated by '/'; empty ones (a trailing slash, "//") are dropped.
  size_t pos = 0;
  while (pos < path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > pos) {
      out.push_back('/');
      AppendSegment(path.substr(pos, slash - pos), out);
      if (out.size() - start > kMaxTemplateBytes) break;
    }
    pos = slash + 1;
  }
  if (out.size() == start) out.push_back('/');
  TruncateUtf8(out, start, kMaxTemplateBytes);
}

}  // namespace perfwatch::ingest
