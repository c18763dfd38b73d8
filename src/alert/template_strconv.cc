// Go's strconv as rule templates use it: FormatFloat ('e', 'f', 'g', 'x' with Go's
// shortest digits), ParseFloat with Go's accepted syntax and error texts, and Quote.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "alert/template_fmt_internal.h"
#include "alert/template_internal.h"

namespace perfwatch::alert::tmpl {
namespace {

// Decimal digits of a finite double: value = 0.digits x 10^dp (Go's decimalSlice).
struct Digits {
  std::string d;
  int dp = 0;
};

Digits ShortestDigits(double v) {  // v > 0
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string_view s(buf, static_cast<size_t>(res.ptr - buf));
  size_t e = s.find('e');
  Digits out;
  for (char c : s.substr(0, e)) {
    if (c != '.') out.d.push_back(c);
  }
  while (out.d.size() > 1 && out.d.back() == '0') out.d.pop_back();
  out.dp = std::atoi(std::string(s.substr(e + 1)).c_str()) + 1;
  return out;
}

void AppendExp(std::string& out, int exp, char e) {
  out.push_back(e);
  out.push_back(exp < 0 ? '-' : '+');
  if (exp < 0) exp = -exp;
  if (exp < 10) out.push_back('0');
  out += std::to_string(exp);
}

// %e with `prec` digits after the point, from digits.
std::string FmtE(const Digits& g, int prec, char e) {
  std::string out;
  out.push_back(g.d.empty() ? '0' : g.d[0]);
  if (prec > 0) {
    out.push_back('.');
    for (int i = 1; i <= prec; ++i) out.push_back(i < static_cast<int>(g.d.size()) ? g.d[i] : '0');
  }
  AppendExp(out, g.d.empty() ? 0 : g.dp - 1, e);
  return out;
}

// %f with `prec` digits after the point, from digits.
std::string FmtF(const Digits& g, int prec) {
  std::string out;
  const int nd = static_cast<int>(g.d.size());
  if (g.dp > 0) {
    int m = std::min(nd, g.dp);
    out.append(g.d, 0, static_cast<size_t>(m));
    for (; m < g.dp; ++m) out.push_back('0');
  } else {
    out.push_back('0');
  }
  if (prec > 0) {
    out.push_back('.');
    for (int i = 1; i <= prec; ++i) {
      int j = g.dp + i - 1;
      out.push_back(j >= 0 && j < nd ? g.d[static_cast<size_t>(j)] : '0');
    }
  }
  return out;
}

std::string HexFloat(double v, int prec, bool upper) {
  char buf[64];
  if (prec < 0) {
    std::snprintf(buf, sizeof buf, upper ? "%A" : "%a", v);
  } else {
    std::snprintf(buf, sizeof buf, upper ? "%.*A" : "%.*a", prec, v);
  }
  std::string s = buf;
  // Go prints at least two exponent digits: 0x1.8p+00.
  size_t p = s.find(upper ? 'P' : 'p');
  if (p != std::string::npos && p + 2 < s.size() + 1) {
    size_t digits = s.size() - (p + 2);
    if (digits == 1) s.insert(p + 2, "0");
  }
  return s;
}

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    int w = 1;
    int32_t r = DecodeRune(s, i, &w);
    if (r == 0xFFFD && w == 1) return false;
    i += static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

std::string GoFormatFloat(double v, char verb, int prec) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  const bool neg = std::signbit(v);
  const double a = std::fabs(v);
  std::string body;
  switch (verb) {
    case 'b': {
      uint64_t bits;
      std::memcpy(&bits, &a, sizeof bits);
      int64_t exp = static_cast<int64_t>((bits >> 52) & 0x7ff);
      uint64_t mant = bits & ((uint64_t{1} << 52) - 1);
      if (exp == 0) {
        exp++;
      } else {
        mant |= uint64_t{1} << 52;
      }
      exp += -1023 - 52;
      body = std::to_string(mant) + "p" + (exp >= 0 ? "+" : "") + std::to_string(exp);
      break;
    }
    case 'x':
    case 'X':
      body = HexFloat(a, prec, verb == 'X');
      break;
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G': {
      const char lower = static_cast<char>(verb | 0x20);
      const char e = verb == 'E' || verb == 'G' ? 'E' : 'e';
      if (prec >= 0) {
        char fmt[8] = {'%', '.', '*', lower == 'f' ? 'f' : lower, 0};
        if (lower != 'f') fmt[3] = verb == 'E' || verb == 'G' ? static_cast<char>(verb) : lower;
        int n = std::snprintf(nullptr, 0, fmt, prec, a);
        body.resize(static_cast<size_t>(n) + 1);
        std::snprintf(body.data(), body.size(), fmt, prec, a);
        body.resize(static_cast<size_t>(n));
        break;
      }
      Digits g;
      if (a != 0) g = ShortestDigits(a);
      const int nd = static_cast<int>(g.d.size());
      if (lower == 'e') {
        body = FmtE(g, nd - 1, e);
      } else if (lower == 'f') {
        body = FmtF(g, std::max(nd - g.dp, 0));
      } else {
        int exp = g.dp - 1;
        if (a != 0 && (exp < -4 || exp >= 6)) {
          body = FmtE(g, nd - 1, e);
        } else {
          body = FmtF(g, std::max(nd - g.dp, 0));
        }
      }
      break;
    }
    default:
      return "%" + std::string(1, verb);
  }
  return neg ? "-" + body : body;
}

bool GoParseFloat(std::string_view s, double* out, std::string* err) {
  auto syntax = [&] {
    *err = "strconv.ParseFloat: parsing " + GoQuote(s) + ": invalid syntax";
    return false;
  };
  if (s.empty()) return syntax();
  // Special values: [+-]inf, [+-]infinity, nan (any case).
  {
    std::string_view t = s;
    bool negative = false, has_sign = false;
    if (t[0] == '+' || t[0] == '-') {
      negative = t[0] == '-';
      has_sign = true;
      t.remove_prefix(1);
    }
    std::string low;
    for (char c : t) low.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
    if (low == "inf" || low == "infinity") {
      *out = negative ? -HUGE_VAL : HUGE_VAL;
      return true;
    }
    if (low == "nan" && !has_sign) {
      *out = std::nan("");
      return true;
    }
  }
  // Validate Go's float syntax, dropping underscores between digits.
  std::string clean;
  size_t i = 0;
  if (s[0] == '+' || s[0] == '-') clean.push_back(s[i++]);
  bool hex = false;
  if (i + 2 <= s.size() && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
    hex = true;
    clean += "0x";
    i += 2;
  }
  bool digits = false, dot = false, exp = false;
  char saw = hex ? '0' : '^';
  for (; i < s.size(); ++i) {
    char c = s[i];
    bool is_digit =
        (c >= '0' && c <= '9') || (hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
    if (c == '_') {
      if (saw != '0') return syntax();
      saw = '_';
      continue;
    }
    if (saw == '_' && !is_digit) return syntax();
    if (is_digit) {
      digits = true;
      saw = '0';
      clean.push_back(c);
    } else if (c == '.' && !dot) {
      dot = true;
      saw = '!';
      clean.push_back(c);
    } else if ((hex ? (c == 'p' || c == 'P') : (c == 'e' || c == 'E')) && digits) {
      exp = true;
      clean.push_back(c);
      ++i;
      if (i < s.size() && (s[i] == '+' || s[i] == '-')) clean.push_back(s[i++]);
      bool exp_digits = false;
      for (; i < s.size(); ++i) {
        if (s[i] == '_') {
          if (saw != '0') return syntax();
          saw = '_';
          continue;
        }
        if (s[i] < '0' || s[i] > '9') return syntax();
        saw = '0';
        exp_digits = true;
        clean.push_back(s[i]);
      }
      if (!exp_digits) return syntax();
      break;
    } else {
      return syntax();
    }
  }
  if (!digits || saw == '_' || (hex && !exp)) return syntax();
  static locale_t c_locale = newlocale(LC_ALL_MASK, "C", nullptr);
  errno = 0;
  char* end = nullptr;
  double v = strtod_l(clean.c_str(), &end, c_locale);
  if (end != clean.c_str() + clean.size()) return syntax();
  if (errno == ERANGE && std::isinf(v)) {
    *out = v;
    *err = "strconv.ParseFloat: parsing " + GoQuote(s) + ": value out of range";
    return false;
  }
  *out = v;
  return true;
}

bool CanBackquote(std::string_view s) {
  if (!IsValidUtf8(s)) return false;
  for (size_t i = 0; i < s.size();) {
    int w = 1;
    int32_t r = DecodeRune(s, i, &w);
    i += static_cast<size_t>(w);
    if (r == '`' || r == 0xFEFF) return false;
    if (r < ' ' && r != '\t') return false;
    if (r == 0x7f) return false;
  }
  return true;
}

void AppendEscapedRune(std::string& out, int32_t r, char quote, bool ascii_only) {
  if (r == quote || r == '\\') {
    out.push_back('\\');
    AppendRune(out, r);
    return;
  }
  if (ascii_only ? (r < 0x80 && IsPrintRune(r)) : IsPrintRune(r)) {
    AppendRune(out, r);
    return;
  }
  switch (r) {
    case '\a':
      out += "\\a";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\f':
      out += "\\f";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    case '\v':
      out += "\\v";
      return;
    default:
      break;
  }
  char buf[16];
  if (r < ' ' || r == 0x7f) {
    std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(r));
  } else if (r > 0x10FFFF || (r >= 0xD800 && r < 0xE000)) {
    std::snprintf(buf, sizeof buf, "\\u%04x", 0xFFFDu);
  } else if (r < 0x10000) {
    std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(r));
  } else {
    std::snprintf(buf, sizeof buf, "\\U%08x", static_cast<unsigned>(r));
  }
  out += buf;
}

std::string QuoteWith(std::string_view s, char quote, bool ascii_only) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back(quote);
  for (size_t i = 0; i < s.size();) {
    int w = 1;
    int32_t r = DecodeRune(s, i, &w);
    if (w == 1 && r == 0xFFFD) {
      unsigned char c = static_cast<unsigned char>(s[i]);
      out += "\\x";
      out.push_back(kLowerHex[c >> 4]);
      out.push_back(kLowerHex[c & 0xF]);
      ++i;
      continue;
    }
    AppendEscapedRune(out, r, quote, ascii_only);
    i += static_cast<size_t>(w);
  }
  out.push_back(quote);
  return out;
}

std::string GoQuote(std::string_view s) { return QuoteWith(s, '"', false); }

}  // namespace perfwatch::alert::tmpl
