// Go's strconv as text/template's parser uses it on literals: Unquote / UnquoteChar for
// strings and characters, and base-0 integer parsing with '_' separators.
#include <cstdint>
#include <string>
#include <string_view>

#include "alert/template_internal.h"
#include "alert/template_parse_internal.h"

namespace perfwatch::alert::tmpl {

// ---------------------------------------------------------------------------------------
// strconv helpers for literals.

namespace {

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

// strconv.UnquoteChar: decodes one (possibly escaped) character of s at *i.
bool UnquoteChar(std::string_view s, size_t* i, char quote, int32_t* rune, bool* is_byte) {
  *is_byte = false;
  unsigned char c = static_cast<unsigned char>(s[*i]);
  if (c == static_cast<unsigned char>(quote) && (quote == '\'' || quote == '"')) return false;
  if (c >= 0x80) {
    int w = 1;
    *rune = DecodeRune(s, *i, &w);
    *i += static_cast<size_t>(w);
    return true;
  }
  if (c != '\\') {
    *rune = c;
    ++*i;
    return true;
  }
  if (*i + 1 >= s.size()) return false;
  char e = s[*i + 1];
  *i += 2;
  switch (e) {
    case 'a':
      *rune = '\a';
      return true;
    case 'b':
      *rune = '\b';
      return true;
    case 'f':
      *rune = '\f';
      return true;
    case 'n':
      *rune = '\n';
      return true;
    case 'r':
      *rune = '\r';
      return true;
    case 't':
      *rune = '\t';
      return true;
    case 'v':
      *rune = '\v';
      return true;
    case '\\':
      *rune = '\\';
      return true;
    case '\'':
    case '"':
      if (e != quote) return false;
      *rune = e;
      return true;
    case 'x':
    case 'u':
    case 'U': {
      size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
      if (*i + n > s.size()) return false;
      int64_t v = 0;
      for (size_t k = 0; k < n; ++k) {
        int h = HexVal(s[*i + k]);
        if (h < 0) return false;
        v = v * 16 + h;
      }
      *i += n;
      if (e == 'x') {
        *rune = static_cast<int32_t>(v);
        *is_byte = true;
        return true;
      }
      if (v > 0x10FFFF || (v >= 0xD800 && v < 0xE000)) return false;
      *rune = static_cast<int32_t>(v);
      return true;
    }
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7': {
      if (*i + 2 > s.size()) return false;
      int v = e - '0';
      for (size_t k = 0; k < 2; ++k) {
        char d = s[*i + k];
        if (d < '0' || d > '7') return false;
        v = v * 8 + (d - '0');
      }
      if (v > 255) return false;
      *i += 2;
      *rune = v;
      *is_byte = true;
      return true;
    }
    default:
      return false;
  }
}

// strconv.Unquote for "..." and `...`.
bool Unquote(std::string_view q, std::string* out) {
  out->clear();
  if (q.size() < 2 || q.front() != q.back()) return false;
  std::string_view in = q.substr(1, q.size() - 2);
  if (q.front() == '`') {
    if (in.find('`') != std::string_view::npos) return false;
    for (char c : in) {
      if (c != '\r') out->push_back(c);
    }
    return true;
  }
  if (q.front() != '"') return false;
  size_t i = 0;
  while (i < in.size()) {
    if (in[i] == '\n') return false;
    int32_t r = 0;
    bool is_byte = false;
    if (!UnquoteChar(in, &i, '"', &r, &is_byte)) return false;
    if (is_byte) {
      out->push_back(static_cast<char>(r));
    } else {
      AppendRune(*out, r);
    }
  }
  return true;
}

// Underscores must separate digits (Go's underscoreOK), then are dropped.
bool StripUnderscores(std::string_view s, std::string* out) {
  out->clear();
  if (s.find('_') == std::string_view::npos) {
    out->assign(s);
    return true;
  }
  size_t i = 0;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) out->push_back(s[i++]);
  bool hex = false;
  char saw = '^';  // '^' start, '0' digit or prefix, '_' underscore, '!' other
  if (s.size() - i >= 2 && s[i] == '0') {
    char p = static_cast<char>(s[i + 1] | 0x20);
    if (p == 'b' || p == 'o' || p == 'x') {
      hex = p == 'x';
      out->append(s.substr(i, 2));
      i += 2;
      saw = '0';
    }
  }
  for (; i < s.size(); ++i) {
    char c = s[i];
    if ((c >= '0' && c <= '9') || (hex && HexVal(c) >= 0)) {
      saw = '0';
      out->push_back(c);
      continue;
    }
    if (c == '_') {
      if (saw != '0') return false;
      saw = '_';
      continue;
    }
    if (saw == '_') return false;
    saw = '!';
    out->push_back(c);
  }
  return saw != '_';
}

bool ParseUintBase0(std::string_view text, uint64_t* out) {
  std::string s;
  if (!StripUnderscores(text, &s) || s.empty() || s[0] == '+' || s[0] == '-') return false;
  int base = 10;
  size_t i = 0;
  if (s[0] == '0' && s.size() > 1) {
    char p = static_cast<char>(s[1] | 0x20);
    if (p == 'x') {
      base = 16, i = 2;
    } else if (p == 'b') {
      base = 2, i = 2;
    } else if (p == 'o') {
      base = 8, i = 2;
    } else {
      base = 8, i = 1;
    }
  }
  if (i >= s.size()) return false;
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    int d = HexVal(s[i]);
    if (d < 0 || d >= base) return false;
    if (v > (UINT64_MAX - static_cast<uint64_t>(d)) / static_cast<uint64_t>(base)) return false;
    v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}

bool ParseIntBase0(std::string_view text, int64_t* out) {
  bool neg = false;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    neg = text[0] == '-';
    text.remove_prefix(1);
  }
  uint64_t u = 0;
  if (!ParseUintBase0(text, &u)) return false;
  if (neg) {
    if (u > static_cast<uint64_t>(INT64_MAX) + 1) return false;
    *out = static_cast<int64_t>(0 - u);
  } else {
    if (u > static_cast<uint64_t>(INT64_MAX)) return false;
    *out = static_cast<int64_t>(u);
  }
  return true;
}

}  // namespace perfwatch::alert::tmpl
