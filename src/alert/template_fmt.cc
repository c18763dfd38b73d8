// Go's fmt as rule templates use it: fmt.Sprint / Sprintf / Sprintln over the template
// value model with Go's verbs, flags, width and precision, and its bad-verb and
// missing-argument markers. Number and string conversions are in template_strconv.cc.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "alert/template_fmt_internal.h"
#include "alert/template_internal.h"

namespace perfwatch::alert::tmpl {
namespace {

// fmt's pp + fmt state for one Sprint/Sprintf call.
class Printer {
 public:
  explicit Printer(size_t max_len) : max_len_(max_len) {}

  std::string buf;

  void ClearFlags() { f_ = Flags{}; }

  void PrintArg(const Value& arg, int32_t verb) {
    Check();
    if (!arg.valid()) {
      if (verb == 'T' || verb == 'v') {
        PadString("<nil>");
      } else {
        BadVerb(arg, verb);
      }
      return;
    }
    if (verb == 'T') {
      FmtS(GoTypeName(arg));
      return;
    }
    if (verb == 'p') {
      BadVerb(arg, verb);
      return;
    }
    PrintValue(arg, verb, 0);
  }

  void PrintValue(const Value& v, int32_t verb, int depth) {
    switch (v.type) {
      case Type::kInvalid:
        if (depth == 0) {
          buf += "<invalid reflect.Value>";
        } else if (verb == 'v') {
          buf += "<nil>";
        } else {
          BadVerb(v, verb);
        }
        return;
      case Type::kBool:
        FmtBool(v, verb);
        return;
      case Type::kInt:
      case Type::kInt64:
        FmtInteger(v, static_cast<uint64_t>(v.i), true, verb);
        return;
      case Type::kUint8:
        FmtInteger(v, static_cast<uint64_t>(v.i), false, verb);
        return;
      case Type::kFloat64:
        FmtFloat(v, verb);
        return;
      case Type::kString:
      case Type::kHtml:
        FmtString(v, v.s, verb);
        return;
      case Type::kTime:
      case Type::kTimePtr:
        if (verb == 'v' || verb == 's' || verb == 'x' || verb == 'X' || verb == 'q') {
          FmtString(v, GoTimeString(v.i), verb);  // time.Time is a fmt.Stringer
        } else {
          BadVerb(v, verb);
        }
        return;
      case Type::kStringMap: {
        buf += "map[";
        if (v.labels) {
          bool first = true;
          for (const auto& [k, val] : *v.labels) {
            if (!first) buf.push_back(' ');
            first = false;
            FmtString(Value::String(k), k, verb);
            buf.push_back(':');
            FmtString(Value::String(val), val, verb);
            Check();
          }
        }
        buf.push_back(']');
        return;
      }
      case Type::kAnyMap: {
        buf += "map[";
        if (v.any) {
          bool first = true;
          for (const auto& [k, val] : *v.any) {
            if (!first) buf.push_back(' ');
            first = false;
            FmtString(Value::String(k), k, verb);
            buf.push_back(':');
            PrintValue(val, verb, depth + 1);
            Check();
          }
        }
        buf.push_back(']');
        return;
      }
      case Type::kSample:
        if (!v.sample) {
          if (verb == 'v') {
            PadString("<nil>");
          } else {
            BadVerb(v, verb);
          }
          return;
        }
        buf.push_back('&');
        PrintSampleStruct(*v.sample, verb, depth + 1);
        return;
      case Type::kQueryResult:
        buf.push_back('[');
        if (v.list) {
          for (size_t i = 0; i < v.list->size(); ++i) {
            if (i > 0) buf.push_back(' ');
            Value e;
            e.type = Type::kSample;
            e.sample = (*v.list)[i];
            PrintValue(e, verb, depth + 1);
            Check();
          }
        }
        buf.push_back(']');
        return;
      case Type::kNotifyData:
      case Type::kAlerts:
      case Type::kAlertSlice:
      case Type::kAlert:
      case Type::kKV:
      case Type::kPairs:
      case Type::kPair:
      case Type::kStringSlice: {
        std::string text;
        NotifyPrint(v, &text);
        FmtString(Value::String(text), text, verb == 'v' ? 's' : verb);
        return;
      }
      case Type::kData: {
        const TemplateData& d = *v.data;
        buf.push_back('{');
        const char* names[] = {"Labels", "ExternalLabels", "ExternalURL", "Value"};
        for (int i = 0; i < 4; ++i) {
          if (i > 0) buf.push_back(' ');
          if (f_.plus_v) {
            buf += names[i];
            buf.push_back(':');
          }
          bool found = false;
          PrintValue(DataField(d, names[i], &found), verb, depth + 1);
        }
        buf.push_back('}');
        return;
      }
    }
  }

  void PrintSampleStruct(const QuerySample& s, int32_t verb, int depth) {
    buf.push_back('{');
    if (f_.plus_v) buf += "Labels:";
    Value m;
    m.type = Type::kStringMap;
    m.labels = std::shared_ptr<const LabelSet>(std::shared_ptr<void>(), &s.labels);
    PrintValue(m, verb, depth + 1);
    buf.push_back(' ');
    if (f_.plus_v) buf += "Value:";
    PrintValue(Value::Float(s.value), verb, depth + 1);
    buf.push_back('}');
  }

  void DoPrintf(std::string_view format, const std::vector<Value>& a) {
    size_t end = format.size();
    size_t arg_num = 0;
    bool after_index = false;
    reordered_ = false;
    for (size_t i = 0; i < end;) {
      good_arg_num_ = true;
      size_t lasti = i;
      while (i < end && format[i] != '%') ++i;
      if (i > lasti) buf.append(format.substr(lasti, i - lasti));
      if (i >= end) break;
      ++i;  // skip %
      ClearFlags();
      bool simple_done = false;
      for (; i < end; ++i) {
        char c = format[i];
        if (c == '#') {
          f_.sharp = true;
        } else if (c == '0') {
          f_.zero = !f_.minus;
        } else if (c == '+') {
          f_.plus = true;
        } else if (c == '-') {
          f_.minus = true;
          f_.zero = false;
        } else if (c == ' ') {
          f_.space = true;
        } else {
          if (c >= 'a' && c <= 'z' && arg_num < a.size()) {
            if (c == 'v') {
              f_.sharp_v = f_.sharp;
              f_.sharp = false;
              f_.plus_v = f_.plus;
              f_.plus = false;
            }
            PrintArg(a[arg_num], c);
            ++arg_num;
            ++i;
            simple_done = true;
          }
          break;
        }
      }
      if (simple_done) continue;
      // Argument index, width, precision.
      ArgNumber(format, &arg_num, &i, a.size(), &after_index);
      if (i < end && format[i] == '*') {
        ++i;
        f_.wid_present = IntFromArg(a, &arg_num, &f_.wid);
        if (!f_.wid_present) buf += "%!(BADWIDTH)";
        if (f_.wid < 0) {
          f_.wid = -f_.wid;
          f_.minus = true;
          f_.zero = false;
        }
        after_index = false;
      } else {
        f_.wid_present = ParseNum(format, &i, end, &f_.wid);
        if (after_index && f_.wid_present) good_arg_num_ = false;
      }
      if (i < end && format[i] == '.') {
        ++i;
        if (after_index) good_arg_num_ = false;
        ArgNumber(format, &arg_num, &i, a.size(), &after_index);
        if (i < end && format[i] == '*') {
          ++i;
          f_.prec_present = IntFromArg(a, &arg_num, &f_.prec);
          if (f_.prec < 0) {
            f_.prec = 0;
            f_.prec_present = false;
          }
          if (!f_.prec_present) buf += "%!(BADPREC)";
          after_index = false;
        } else {
          f_.prec_present = ParseNum(format, &i, end, &f_.prec);
          if (!f_.prec_present) {
            f_.prec = 0;
            f_.prec_present = true;
          }
        }
      }
      if (!after_index) ArgNumber(format, &arg_num, &i, a.size(), &after_index);
      if (i >= end) {
        buf += "%!(NOVERB)";
        break;
      }
      int w = 1;
      int32_t verb = static_cast<unsigned char>(format[i]);
      if (verb >= 0x80) verb = DecodeRune(format, i, &w);
      i += static_cast<size_t>(w);
      if (verb == '%') {
        buf.push_back('%');
      } else if (!good_arg_num_) {
        buf += "%!";
        AppendRune(buf, verb);
        buf += "(BADINDEX)";
      } else if (arg_num >= a.size()) {
        buf += "%!";
        AppendRune(buf, verb);
        buf += "(MISSING)";
      } else {
        if (verb == 'v') {
          f_.sharp_v = f_.sharp;
          f_.sharp = false;
          f_.plus_v = f_.plus;
          f_.plus = false;
        }
        PrintArg(a[arg_num], verb);
        ++arg_num;
      }
      Check();
    }
    if (!reordered_ && arg_num < a.size()) {
      ClearFlags();
      buf += "%!(EXTRA ";
      for (size_t k = arg_num; k < a.size(); ++k) {
        if (k > arg_num) buf += ", ";
        if (!a[k].valid()) {
          buf += "<nil>";
        } else {
          buf += GoTypeName(a[k]);
          buf.push_back('=');
          PrintArg(a[k], 'v');
        }
      }
      buf.push_back(')');
    }
    Check();
  }

 private:
  struct Flags {
    bool plus = false, minus = false, sharp = false, space = false, zero = false;
    bool plus_v = false, sharp_v = false;
    bool wid_present = false, prec_present = false;
    int wid = 0, prec = 0;
  };

  void Check() const {
    if (buf.size() > max_len_)
      throw FuncError{"output exceeds " + std::to_string(max_len_) + " bytes"};
  }

  static bool TooLarge(int x) { return x > 1000000 || x < -1000000; }

  // Go's parsenum: digits of s[*i:end]; false when none or too large.
  static bool ParseNum(std::string_view s, size_t* i, size_t end, int* num) {
    *num = 0;
    bool isnum = false;
    while (*i < end && s[*i] >= '0' && s[*i] <= '9') {
      if (TooLarge(*num)) {
        *i = end;
        *num = 0;
        return false;
      }
      *num = *num * 10 + (s[*i] - '0');
      isnum = true;
      ++*i;
    }
    return isnum;
  }

  // Go's argNumber: an optional [n] argument index at *i.
  void ArgNumber(std::string_view format, size_t* arg_num, size_t* i, size_t num_args,
                 bool* found) {
    *found = false;
    if (*i >= format.size() || format[*i] != '[') return;
    reordered_ = true;
    std::string_view f = format.substr(*i);
    int index = 0;
    size_t wid = 1;
    bool ok = false;
    if (f.size() >= 3) {
      for (size_t k = 1; k < f.size(); ++k) {
        if (f[k] != ']') continue;
        size_t n = 1;
        int width = 0;
        bool isnum = ParseNum(f, &n, k, &width);
        wid = k + 1;
        if (isnum && n == k) {
          index = width - 1;
          ok = true;
        }
        break;
      }
    }
    *i += wid;
    if (ok && index >= 0 && static_cast<size_t>(index) < num_args) {
      *arg_num = static_cast<size_t>(index);
      *found = true;
      return;
    }
    good_arg_num_ = false;
    *found = ok;
  }

  bool IntFromArg(const std::vector<Value>& a, size_t* arg_num, int* num) {
    *num = 0;
    bool is_int = false;
    if (*arg_num < a.size()) {
      const Value& v = a[*arg_num];
      if (v.type == Type::kInt || v.type == Type::kInt64 || v.type == Type::kUint8) {
        if (v.i >= INT32_MIN && v.i <= INT32_MAX) {
          *num = static_cast<int>(v.i);
          is_int = true;
        }
      }
      ++*arg_num;
      if (TooLarge(*num)) {
        *num = 0;
        is_int = false;
      }
    }
    return is_int;
  }

  void BadVerb(const Value& arg, int32_t verb) {
    buf += "%!";
    AppendRune(buf, verb);
    buf.push_back('(');
    if (arg.valid()) {
      buf += GoTypeName(arg);
      buf.push_back('=');
      PrintArg(arg, 'v');
    } else {
      buf += "<nil>";
    }
    buf.push_back(')');
  }

  void WritePadding(int n) {
    if (n <= 0) return;
    buf.append(static_cast<size_t>(n), f_.zero ? '0' : ' ');
    Check();
  }

  void Pad(std::string_view b) {
    if (!f_.wid_present || f_.wid == 0) {
      buf.append(b);
      return;
    }
    int width = f_.wid - static_cast<int>(RuneCount(b));
    if (!f_.minus) {
      WritePadding(width);
      buf.append(b);
    } else {
      buf.append(b);
      WritePadding(width);
    }
  }
  void PadString(std::string_view s) { Pad(s); }

  std::string Truncate(std::string_view s) const {
    if (!f_.prec_present) return std::string(s);
    size_t i = 0;
    for (int n = 0; n < f_.prec && i < s.size(); ++n) {
      int w = 1;
      DecodeRune(s, i, &w);
      i += static_cast<size_t>(w);
    }
    return std::string(s.substr(0, i));
  }

  void FmtS(std::string_view s) { PadString(Truncate(s)); }

  void FmtBool(const Value& v, int32_t verb) {
    if (verb == 't' || verb == 'v') {
      PadString(v.b ? "true" : "false");
    } else {
      BadVerb(v, verb);
    }
  }

  void FmtString(const Value& v, std::string_view s, int32_t verb) {
    switch (verb) {
      case 'v':
        if (f_.sharp_v) {
          FmtQ(s);
        } else {
          FmtS(s);
        }
        return;
      case 's':
        FmtS(s);
        return;
      case 'x':
        FmtSx(s, kLowerHex);
        return;
      case 'X':
        FmtSx(s, kUpperHex);
        return;
      case 'q':
        FmtQ(s);
        return;
      default:
        BadVerb(v, verb);
        return;
    }
  }

  void FmtSx(std::string_view s, const char* digits) {
    int length = static_cast<int>(s.size());
    if (f_.prec_present && f_.prec < length) length = f_.prec;
    int width = 2 * length;
    if (width > 0) {
      if (f_.space) {
        if (f_.sharp) width *= 2;
        width += length - 1;
      } else if (f_.sharp) {
        width += 2;
      }
    } else {
      if (f_.wid_present) WritePadding(f_.wid);
      return;
    }
    if (f_.wid_present && f_.wid > width && !f_.minus) WritePadding(f_.wid - width);
    if (f_.sharp) {
      buf.push_back('0');
      buf.push_back(digits[16]);
    }
    for (int i = 0; i < length; ++i) {
      if (f_.space && i > 0) {
        buf.push_back(' ');
        if (f_.sharp) {
          buf.push_back('0');
          buf.push_back(digits[16]);
        }
      }
      unsigned char c = static_cast<unsigned char>(s[static_cast<size_t>(i)]);
      buf.push_back(digits[c >> 4]);
      buf.push_back(digits[c & 0xF]);
    }
    if (f_.wid_present && f_.wid > width && f_.minus) WritePadding(f_.wid - width);
  }

  void FmtQ(std::string_view s) {
    std::string t = Truncate(s);
    if (f_.sharp && CanBackquote(t)) {
      PadString("`" + t + "`");
      return;
    }
    Pad(QuoteWith(t, '"', f_.plus));
  }

  void FmtInteger(const Value& v, uint64_t u, bool is_signed, int32_t verb) {
    switch (verb) {
      case 'v':
      case 'd':
        FmtInt(u, 10, is_signed, verb, kLowerHex);
        return;
      case 'b':
        FmtInt(u, 2, is_signed, verb, kLowerHex);
        return;
      case 'o':
      case 'O':
        FmtInt(u, 8, is_signed, verb, kLowerHex);
        return;
      case 'x':
        FmtInt(u, 16, is_signed, verb, kLowerHex);
        return;
      case 'X':
        FmtInt(u, 16, is_signed, verb, kUpperHex);
        return;
      case 'c': {
        std::string s;
        AppendRune(s, u > 0x10FFFF ? 0xFFFD : static_cast<int32_t>(u));
        Pad(s);
        return;
      }
      case 'q': {
        int32_t r = u > 0x10FFFF ? 0xFFFD : static_cast<int32_t>(u);
        std::string s = "'";
        if (r == '\'' || r == '\\') {
          s.push_back('\\');
          AppendRune(s, r);
        } else if (r == '"') {
          s.push_back('"');
        } else {
          AppendEscapedRune(s, r, '\'', f_.plus);
        }
        s.push_back('\'');
        Pad(s);
        return;
      }
      case 'U': {
        char b[32];
        std::snprintf(b, sizeof b, "U+%0*llX",
                      f_.prec_present && f_.prec > 4 ? std::min(f_.prec, 20) : 4,
                      static_cast<unsigned long long>(u));
        std::string s = b;
        if (f_.sharp && u <= 0x10FFFF && IsPrintRune(static_cast<int32_t>(u))) {
          s += " '";
          AppendRune(s, static_cast<int32_t>(u));
          s += "'";
        }
        bool old_zero = f_.zero;
        f_.zero = false;
        Pad(s);
        f_.zero = old_zero;
        return;
      }
      default:
        BadVerb(v, verb);
    }
  }

  void FmtInt(uint64_t u, int base, bool is_signed, int32_t verb, const char* digits) {
    bool negative = is_signed && static_cast<int64_t>(u) < 0;
    if (negative) u = 0 - u;
    int prec = 0;
    if (f_.prec_present) {
      prec = f_.prec;
      if (prec == 0 && u == 0) {
        bool old_zero = f_.zero;
        f_.zero = false;
        WritePadding(f_.wid);
        f_.zero = old_zero;
        return;
      }
    } else if (f_.zero && f_.wid_present) {
      prec = f_.wid;
      if (negative || f_.plus || f_.space) --prec;
    }
    std::string rev;  // digits, least significant first
    do {
      rev.push_back(digits[u % static_cast<uint64_t>(base)]);
      u /= static_cast<uint64_t>(base);
    } while (u != 0);
    while (static_cast<int>(rev.size()) < prec) rev.push_back('0');
    if (f_.sharp) {
      if (base == 2) {
        rev += "b0";
      } else if (base == 8) {
        if (rev.back() != '0') rev.push_back('0');
      } else if (base == 16) {
        rev.push_back(digits[16]);
        rev.push_back('0');
      }
    }
    if (verb == 'O') rev += "o0";
    if (negative) {
      rev.push_back('-');
    } else if (f_.plus) {
      rev.push_back('+');
    } else if (f_.space) {
      rev.push_back(' ');
    }
    std::string s(rev.rbegin(), rev.rend());
    bool old_zero = f_.zero;
    f_.zero = false;
    Pad(s);
    f_.zero = old_zero;
  }

  void FmtFloat(const Value& v, int32_t verb) {
    char sverb;
    int prec;
    switch (verb) {
      case 'v':
        sverb = 'g', prec = -1;
        break;
      case 'b':
      case 'g':
      case 'G':
      case 'x':
      case 'X':
        sverb = static_cast<char>(verb), prec = -1;
        break;
      case 'f':
      case 'e':
      case 'E':
        sverb = static_cast<char>(verb), prec = 6;
        break;
      case 'F':
        sverb = 'f', prec = 6;
        break;
      default:
        BadVerb(v, verb);
        return;
    }
    if (f_.prec_present) prec = std::min(f_.prec, 10000);
    std::string s = GoFormatFloat(v.f, sverb, prec);
    std::string num;
    if (s[0] == '-' || s[0] == '+') {
      num = s;
    } else {
      num = "+" + s;
    }
    if (f_.space && num[0] == '+' && !f_.plus) num[0] = ' ';
    if (num[1] == 'I' || num[1] == 'N') {
      bool old_zero = f_.zero;
      f_.zero = false;
      if (num[1] == 'N' && !f_.space && !f_.plus) num = num.substr(1);
      Pad(num);
      f_.zero = old_zero;
      return;
    }
    if (f_.sharp && sverb != 'b' && num.find('.') == std::string::npos) {
      size_t e = num.find_first_of(sverb == 'x' || sverb == 'X' ? "pP" : "eE");
      if (e == std::string::npos) e = num.size();
      num.insert(e, ".");
    }
    if (f_.plus || num[0] != '+') {
      if (f_.zero && f_.wid_present && f_.wid > static_cast<int>(num.size())) {
        buf.push_back(num[0]);
        WritePadding(f_.wid - static_cast<int>(num.size()));
        buf.append(num, 1);
        return;
      }
      Pad(num);
      return;
    }
    Pad(std::string_view(num).substr(1));
  }

  size_t max_len_;
  Flags f_;
  bool good_arg_num_ = true;
  bool reordered_ = false;
};

}  // namespace

std::string GoSprint(const std::vector<Value>& args) {
  Printer p(SIZE_MAX);
  bool prev_string = false;
  for (size_t i = 0; i < args.size(); ++i) {
    bool is_string = args[i].type == Type::kString || args[i].type == Type::kHtml;
    if (i > 0 && !is_string && !prev_string) p.buf.push_back(' ');
    p.PrintArg(args[i], 'v');
    prev_string = is_string;
  }
  return std::move(p.buf);
}

std::string GoSprintln(const std::vector<Value>& args) {
  Printer p(SIZE_MAX);
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) p.buf.push_back(' ');
    p.PrintArg(args[i], 'v');
  }
  p.buf.push_back('\n');
  return std::move(p.buf);
}

std::string GoSprintf(std::string_view format, const std::vector<Value>& args, size_t max_len) {
  Printer p(max_len);
  p.DoPrintf(format, args);
  return std::move(p.buf);
}

std::string GoPrintIndirect(const Value& v) {
  if (v.type == Type::kSample) {
    if (!v.sample) return "<nil>";
    Printer p(SIZE_MAX);
    p.PrintSampleStruct(*v.sample, 'v', 0);
    return std::move(p.buf);
  }
  return GoSprint({v});
}

}  // namespace perfwatch::alert::tmpl
