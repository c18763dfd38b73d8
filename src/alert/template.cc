// Template's public API, the value model's Go type names and truth, UTF-8 and Unicode
// helpers with Go's semantics, and Go's time formatting in UTC.
#include "alert/template.h"

#include <algorithm>
#include <cstdio>
#include <new>
#include <string>

#include "alert/template_internal.h"
#include "common/time.h"

namespace perfwatch::alert {

namespace tmpl {

// ---------------------------------------------------------------------------------------
// Values

std::string GoTypeName(const Value& v) {
  switch (v.type) {
    case Type::kInvalid:
      return "<nil>";
    case Type::kBool:
      return "bool";
    case Type::kInt:
      return "int";
    case Type::kInt64:
      return "int64";
    case Type::kUint8:
      return "uint8";
    case Type::kFloat64:
      return "float64";
    case Type::kString:
      return "string";
    case Type::kHtml:
      return "template.HTML";
    case Type::kStringMap:
      return "map[string]string";
    case Type::kAnyMap:
      return "map[string]interface {}";
    case Type::kSample:
      return "*template.sample";
    case Type::kQueryResult:
      return "template.queryResult";
    case Type::kTimePtr:
      return "*time.Time";
    case Type::kTime:
      return "time.Time";
    case Type::kNotifyData:
      return "*template.Data";
    case Type::kAlerts:
      return "template.Alerts";
    case Type::kAlertSlice:
      return "[]template.Alert";
    case Type::kAlert:
      return "template.Alert";
    case Type::kKV:
      return "template.KV";
    case Type::kPairs:
      return "template.Pairs";
    case Type::kPair:
      return "template.Pair";
    case Type::kStringSlice:
      return "[]string";
    case Type::kData:
      return "struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL "
             "string; "
             "Value float64 }";
  }
  return "?";
}

Kind BasicKind(const Value& v) {
  switch (v.type) {
    case Type::kInvalid:
      return Kind::kInvalid;
    case Type::kBool:
      return Kind::kBool;
    case Type::kInt:
    case Type::kInt64:
      return Kind::kInt;
    case Type::kUint8:
      return Kind::kUint;
    case Type::kFloat64:
      return Kind::kFloat;
    case Type::kString:
    case Type::kHtml:
      return Kind::kString;
    default:
      return Kind::kOther;
  }
}

bool IsTrue(const Value& v) {
  switch (v.type) {
    case Type::kInvalid:
      return false;
    case Type::kBool:
      return v.b;
    case Type::kInt:
    case Type::kInt64:
    case Type::kUint8:
      return v.i != 0;
    case Type::kFloat64:
      return v.f != 0;
    case Type::kString:
    case Type::kHtml:
      return !v.s.empty();
    case Type::kStringMap:
      return v.labels && !v.labels->empty();
    case Type::kAnyMap:
      return v.any && !v.any->empty();
    case Type::kSample:
      return v.sample != nullptr;
    case Type::kQueryResult:
      return v.list && !v.list->empty();
    case Type::kTimePtr:
    case Type::kTime:
    case Type::kData:
    case Type::kNotifyData:
    case Type::kAlert:
    case Type::kPair:
      return true;  // non-nil pointer; structs are always true
    case Type::kAlerts:
    case Type::kAlertSlice:
      return v.alerts && !v.alerts->empty();
    case Type::kKV:
    case Type::kPairs:
      return v.labels && !v.labels->empty();
    case Type::kStringSlice:
      return v.strs && !v.strs->empty();
  }
  return false;
}

std::shared_ptr<const LabelSet> BorrowLabels(const LabelSet* labels) {
  if (labels == nullptr) return nullptr;
  return std::shared_ptr<const LabelSet>(std::shared_ptr<void>(), labels);
}

Value DataField(const TemplateData& d, std::string_view name, bool* found) {
  *found = true;
  Value v;
  if (name == "Labels" || name == "ExternalLabels") {
    v.type = Type::kStringMap;
    v.labels = BorrowLabels(name == "Labels" ? d.labels : d.external_labels);
    return v;
  }
  if (name == "ExternalURL") return Value::String(std::string(d.external_url));
  if (name == "Value") return Value::Float(d.value);
  *found = false;
  return v;
}

// ---------------------------------------------------------------------------------------
// UTF-8 and Unicode

int32_t DecodeRune(std::string_view s, size_t i, int* width) {
  *width = 1;
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  if (c < 0x80) return c;
  size_t n = s.size() - i;
  auto cont = [&](size_t k) { return k < n && (b(i + k) & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF && cont(1)) {
    *width = 2;
    return ((c & 0x1F) << 6) | (b(i + 1) & 0x3F);
  }
  if (c >= 0xE0 && c <= 0xEF && cont(1) && cont(2)) {
    int32_t r = ((c & 0x0F) << 12) | ((b(i + 1) & 0x3F) << 6) | (b(i + 2) & 0x3F);
    if (r < 0x800 || (r >= 0xD800 && r < 0xE000)) return 0xFFFD;
    *width = 3;
    return r;
  }
  if (c >= 0xF0 && c <= 0xF4 && cont(1) && cont(2) && cont(3)) {
    int32_t r = ((c & 0x07) << 18) | ((b(i + 1) & 0x3F) << 12) | ((b(i + 2) & 0x3F) << 6) |
                (b(i + 3) & 0x3F);
    if (r < 0x10000 || r > 0x10FFFF) return 0xFFFD;
    *width = 4;
    return r;
  }
  return 0xFFFD;
}

void AppendRune(std::string& out, int32_t r) {
  if (r < 0 || r > 0x10FFFF || (r >= 0xD800 && r < 0xE000)) r = 0xFFFD;
  if (r < 0x80) {
    out.push_back(static_cast<char>(r));
  } else if (r < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (r >> 6)));
    out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else if (r < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (r >> 12)));
    out.push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (r >> 18)));
    out.push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
  }
}

size_t RuneCount(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++n) {
    int w = 1;
    DecodeRune(s, i, &w);
    i += static_cast<size_t>(w);
  }
  return n;
}

namespace {
bool IsSpaceOrFormat(int32_t r) {
  return r == 0xA0 || r == 0xAD || r == 0x1680 || (r >= 0x2000 && r <= 0x200F) ||
         (r >= 0x2028 && r <= 0x202F) || (r >= 0x205F && r <= 0x206F) || r == 0x3000 ||
         r == 0xFEFF || (r >= 0xFFF9 && r <= 0xFFFB) || r == 0x180E;
}
}  // namespace

bool IsPrintRune(int32_t r) {
  if (r < 0x80) return r >= 0x20 && r < 0x7F;
  if (r < 0xA0) return false;  // C1 controls
  if (IsSpaceOrFormat(r)) return false;
  if (r >= 0xD800 && r < 0xE000) return false;                     // surrogates
  if ((r >= 0xE000 && r <= 0xF8FF) || r >= 0xF0000) return false;  // private use
  if ((r & 0xFFFE) == 0xFFFE || (r >= 0xFDD0 && r <= 0xFDEF)) return false;
  return r <= 0x10FFFF;
}

bool IsLetterRune(int32_t r) {
  if (r < 0x80) {
    return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9');
  }
  if (!IsPrintRune(r)) return false;
  if (r < 0x100)
    return r == 0xAA || r == 0xB5 || r == 0xBA || (r >= 0xC0 && r != 0xD7 && r != 0xF7);
  // Punctuation and symbol blocks; everything else counts as a letter or digit.
  if (r >= 0x2000 && r <= 0x2BFF) return r == 0x2071 || r == 0x207F || (r >= 0x2090 && r <= 0x209C);
  if (r >= 0x3000 && r <= 0x303F) return r == 0x3005 || r == 0x3006;
  if (r >= 0xFE30 && r <= 0xFE4F) return false;
  if (r >= 0xFF00 && r <= 0xFF0F) return false;
  if (r >= 0x1F000 && r <= 0x1FAFF) return false;
  if (r == 0x37E || r == 0x387 || r == 0x589 || r == 0x5BE || r == 0x5C0 || r == 0x5C3)
    return false;
  if (r >= 0x2E00 && r <= 0x2E7F) return false;
  return true;
}

// Simple case mappings for Latin-1, Latin Extended-A, Greek and Cyrillic.
int32_t ToUpperRune(int32_t r) {
  if (r < 0x80) return r >= 'a' && r <= 'z' ? r - 32 : r;
  if (r == 0xB5) return 0x39C;
  if (r == 0xFF) return 0x178;
  if (r >= 0xE0 && r <= 0xFE && r != 0xF7) return r - 32;
  if (r >= 0x100 && r <= 0x17F) {
    if (r == 0x131) return 'I';
    if (r == 0x17F) return 'S';
    if ((r >= 0x139 && r <= 0x148) || (r >= 0x179 && r <= 0x17E)) return (r % 2 == 0) ? r - 1 : r;
    if (r == 0x130 || r == 0x138 || r == 0x149) return r;
    return (r % 2 == 1) ? r - 1 : r;
  }
  if (r >= 0x3B1 && r <= 0x3CB && r != 0x3C2) return r - 32;
  if (r == 0x3C2) return 0x3A3;
  if (r == 0x3AC) return 0x386;
  if (r >= 0x3AD && r <= 0x3AF) return r - 37;
  if (r == 0x3CC) return 0x38C;
  if (r == 0x3CD || r == 0x3CE) return r - 63;
  if (r >= 0x430 && r <= 0x44F) return r - 32;
  if (r >= 0x450 && r <= 0x45F) return r - 80;
  if (r >= 0x460 && r <= 0x4FF && r != 0x482 && !(r >= 0x483 && r <= 0x489)) {
    if (r >= 0x4C1 && r <= 0x4CE) return (r % 2 == 0) ? r - 1 : r;
    if (r == 0x4CF) return 0x4C0;
    return (r % 2 == 1) ? r - 1 : r;
  }
  return r;
}

int32_t ToLowerRune(int32_t r) {
  if (r < 0x80) return r >= 'A' && r <= 'Z' ? r + 32 : r;
  if (r >= 0xC0 && r <= 0xDE && r != 0xD7) return r + 32;
  if (r == 0x178) return 0xFF;
  if (r >= 0x100 && r <= 0x17F) {
    if (r == 0x130) return 'i';
    if ((r >= 0x139 && r <= 0x148) || (r >= 0x179 && r <= 0x17E)) return (r % 2 == 1) ? r + 1 : r;
    if (r == 0x131 || r == 0x138 || r == 0x149 || r == 0x17F) return r;
    return (r % 2 == 0) ? r + 1 : r;
  }
  if (r >= 0x391 && r <= 0x3AB && r != 0x3A2) return r + 32;
  if (r == 0x386) return 0x3AC;
  if (r >= 0x388 && r <= 0x38A) return r + 37;
  if (r == 0x38C) return 0x3CC;
  if (r == 0x38E || r == 0x38F) return r + 63;
  if (r >= 0x410 && r <= 0x42F) return r + 32;
  if (r >= 0x400 && r <= 0x40F) return r + 80;
  if (r >= 0x460 && r <= 0x4FF && r != 0x482 && !(r >= 0x483 && r <= 0x489)) {
    if (r >= 0x4C1 && r <= 0x4CE) return (r % 2 == 1) ? r + 1 : r;
    if (r == 0x4C0) return 0x4CF;
    return (r % 2 == 0) ? r + 1 : r;
  }
  return r;
}

// ---------------------------------------------------------------------------------------
// Time (UTC only, as Prometheus' template functions produce)

namespace {

struct Civil {
  int64_t year;
  int month, day, hour, min, sec, nsec, yday, wday;
};

Civil ToCivil(int64_t ns) {
  Civil c{};
  int64_t secs = FloorDiv(ns, 1'000'000'000);
  c.nsec = static_cast<int>(ns - secs * 1'000'000'000);
  int64_t days = FloorDiv(secs, 86400);
  int64_t sod = secs - days * 86400;
  c.hour = static_cast<int>(sod / 3600);
  c.min = static_cast<int>(sod % 3600 / 60);
  c.sec = static_cast<int>(sod % 60);
  c.wday = static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday (4)
  // Howard Hinnant's civil_from_days.
  int64_t z = days + 719468;
  int64_t era = FloorDiv(z, 146097);
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  c.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  c.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  c.year = c.month <= 2 ? y + 1 : y;
  static const int kCum[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  bool leap = (c.year % 4 == 0 && c.year % 100 != 0) || c.year % 400 == 0;
  c.yday = kCum[c.month - 1] + c.day + (leap && c.month > 2 ? 1 : 0);
  return c;
}

const char* const kMonths[] = {"January",   "February", "March",    "April",
                               "May",       "June",     "July",     "August",
                               "September", "October",  "November", "December"};
const char* const kDays[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                             "Thursday", "Friday", "Saturday"};

void AppendInt(std::string& out, int64_t v, int width) {
  if (v < 0) {
    out.push_back('-');
    v = -v;
  }
  std::string d = std::to_string(v);
  for (int i = static_cast<int>(d.size()); i < width; ++i) out.push_back('0');
  out += d;
}

bool StartsWith(std::string_view s, size_t i, std::string_view p) {
  return s.substr(i).starts_with(p);
}

}  // namespace

std::string GoTimeFormat(int64_t ns, std::string_view layout) {
  const Civil c = ToCivil(ns);
  std::string out;
  size_t i = 0;
  while (i < layout.size()) {
    const char ch = layout[i];
    auto lit = [&] { out.push_back(layout[i++]); };
    switch (ch) {
      case 'J':
        if (StartsWith(layout, i, "January")) {
          out += kMonths[c.month - 1];
          i += 7;
        } else if (StartsWith(layout, i, "Jan")) {
          out += std::string_view(kMonths[c.month - 1]).substr(0, 3);
          i += 3;
        } else {
          lit();
        }
        break;
      case 'M':
        if (StartsWith(layout, i, "Monday")) {
          out += kDays[c.wday];
          i += 6;
        } else if (StartsWith(layout, i, "Mon")) {
          out += std::string_view(kDays[c.wday]).substr(0, 3);
          i += 3;
        } else if (StartsWith(layout, i, "MST")) {
          out += "UTC";
          i += 3;
        } else {
          lit();
        }
        break;
      case '0':
        if (i + 1 < layout.size() && layout[i + 1] >= '1' && layout[i + 1] <= '6') {
          switch (layout[i + 1]) {
            case '1':
              AppendInt(out, c.month, 2);
              break;
            case '2':
              AppendInt(out, c.day, 2);
              break;
            case '3':
              AppendInt(out, c.hour % 12 == 0 ? 12 : c.hour % 12, 2);
              break;
            case '4':
              AppendInt(out, c.min, 2);
              break;
            case '5':
              AppendInt(out, c.sec, 2);
              break;
            case '6':
              AppendInt(out, ((c.year % 100) + 100) % 100, 2);
              break;
          }
          i += 2;
        } else if (StartsWith(layout, i, "002")) {
          AppendInt(out, c.yday, 3);
          i += 3;
        } else {
          lit();
        }
        break;
      case '1':
        if (StartsWith(layout, i, "15")) {
          AppendInt(out, c.hour, 2);
          i += 2;
        } else {
          AppendInt(out, c.month, 0);
          i += 1;
        }
        break;
      case '2':
        if (StartsWith(layout, i, "2006")) {
          AppendInt(out, c.year, 4);
          i += 4;
        } else {
          AppendInt(out, c.day, 0);
          i += 1;
        }
        break;
      case '_':
        if (StartsWith(layout, i, "_2")) {
          if (StartsWith(layout, i + 1, "2006")) {
            lit();
            break;
          }
          if (c.day < 10) out.push_back(' ');
          AppendInt(out, c.day, 0);
          i += 2;
        } else if (StartsWith(layout, i, "__2")) {
          std::string d = std::to_string(c.yday);
          out.append(3 - d.size(), ' ');
          out += d;
          i += 3;
        } else {
          lit();
        }
        break;
      case '3':
        AppendInt(out, c.hour % 12 == 0 ? 12 : c.hour % 12, 0);
        ++i;
        break;
      case '4':
        AppendInt(out, c.min, 0);
        ++i;
        break;
      case '5':
        AppendInt(out, c.sec, 0);
        ++i;
        break;
      case 'P':
        if (StartsWith(layout, i, "PM")) {
          out += c.hour >= 12 ? "PM" : "AM";
          i += 2;
        } else {
          lit();
        }
        break;
      case 'p':
        if (StartsWith(layout, i, "pm")) {
          out += c.hour >= 12 ? "pm" : "am";
          i += 2;
        } else {
          lit();
        }
        break;
      case '-':
      case 'Z': {
        static const std::pair<std::string_view, std::string_view> kZones[] = {
            {"070000", "+000000"}, {"07:00:00", "+00:00:00"},
            {"0700", "+0000"},     {"07:00", "+00:00"},
            {"07", "+00"},
        };
        bool matched = false;
        for (const auto& [pat, utc] : kZones) {
          if (StartsWith(layout, i + 1, pat)) {
            out += ch == 'Z' ? std::string_view("Z") : utc;
            i += 1 + pat.size();
            matched = true;
            break;
          }
        }
        if (!matched) lit();
        break;
      }
      case '.':
      case ',': {
        if (i + 1 < layout.size() && (layout[i + 1] == '0' || layout[i + 1] == '9')) {
          char d = layout[i + 1];
          size_t j = i + 1;
          while (j < layout.size() && layout[j] == d) ++j;
          if (j >= layout.size() || layout[j] < '0' || layout[j] > '9') {
            size_t n = std::min<size_t>(j - (i + 1), 9);
            char buf[16];
            std::snprintf(buf, sizeof buf, "%09d", c.nsec);
            std::string frac(buf, n);
            if (d == '9') {
              while (!frac.empty() && frac.back() == '0') frac.pop_back();
              if (!frac.empty()) {
                out.push_back(ch);
                out += frac;
              }
            } else {
              out.push_back(ch);
              out += frac;
            }
            i = j;
            break;
          }
        }
        lit();
        break;
      }
      default:
        lit();
    }
  }
  return out;
}

std::string GoTimeString(int64_t ns) {
  return GoTimeFormat(ns, "2006-01-02 15:04:05.999999999 -0700 MST");
}

}  // namespace tmpl

// ---------------------------------------------------------------------------------------
// Public API

namespace {

// Prometheus' rules/alerting.go prepends these so rule templates can use the variables.
constexpr std::string_view kPrometheusDefs =
    "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := "
    ".ExternalURL}}{{$value := .Value}}";

}  // namespace

Template::Template() = default;
Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;
Template::~Template() = default;

Result<Template> Template::Parse(std::string_view name, std::string_view text) {
  try {
    std::string full(kPrometheusDefs);
    full += text;
    Template t;
    t.root_ = tmpl::ParseSet(name, full);
    t.name_ = std::string(name);
    return t;
  } catch (const tmpl::ParseError& e) {
    return InvalidArgument(e.message);
  } catch (const std::bad_alloc&) {
    return ResourceExhausted("template: " + std::string(name) + ": out of memory");
  } catch (const std::exception& e) {
    return Internal("template: " + std::string(name) + ": " + e.what());
  }
}

Result<Template> Template::ParseNotification(std::string_view name, std::string_view text) {
  try {
    Template t;
    t.root_ = tmpl::ParseSet(name, text, /*notification=*/true);
    t.name_ = std::string(name);
    return t;
  } catch (const tmpl::ParseError& e) {
    return InvalidArgument(e.message);
  } catch (const std::bad_alloc&) {
    return ResourceExhausted("template: " + std::string(name) + ": out of memory");
  } catch (const std::exception& e) {
    return Internal("template: " + std::string(name) + ": " + e.what());
  }
}

std::vector<std::string> Template::DefinedNames() const {
  std::vector<std::string> out;
  const auto add = [&](const Node& n) {
    for (const auto& [k, v] : n.trees) {
      if (k != n.name && v) out.push_back(k);
    }
  };
  if (root_) add(*root_);
  for (const auto& e : extra_) add(*e);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void Template::MergeDefinitions(const Template& other) {
  if (other.root_) extra_.push_back(other.root_);
  for (const auto& e : other.extra_) extra_.push_back(e);
}

const void* Template::FindDefinition(std::string_view name, const Node** owner) const {
  const auto find = [&](const Node& n) -> const void* {
    auto it = n.trees.find(name);
    if (it == n.trees.end() || !it->second) return nullptr;
    *owner = &n;
    return it->second.get();
  };
  for (size_t i = extra_.size(); i-- > 0;) {
    if (const void* t = find(*extra_[i])) return t;
  }
  if (root_) return find(*root_);
  return nullptr;
}

Result<std::string> Template::Execute(const TemplateData& data) const {
  if (!root_) return InvalidArgument("template: " + name_ + ": not parsed");
  try {
    return tmpl::ExecuteSet(*root_, data);
  } catch (const tmpl::ExecError& e) {
    return InvalidArgument(e.message);
  } catch (const tmpl::FuncError& e) {
    return InvalidArgument("template: " + name_ + ": " + e.message);
  } catch (const std::bad_alloc&) {
    return ResourceExhausted("template: " + name_ + ": out of memory");
  } catch (const std::exception& e) {
    return Internal("template: " + name_ + ": " + e.what());
  }
}

std::string Template::ExecuteOrError(const TemplateData& data) const {
  Result<std::string> r = Execute(data);
  if (r.ok()) return std::move(r).value();
  return "<error expanding template: error executing template " + name_ + ": " +
         r.status().message() + ">";
}

std::string ExpandOrError(std::string_view name, std::string_view text, const TemplateData& data) {
  Result<Template> t = Template::Parse(name, text);
  if (!t.ok()) {
    return "<error expanding template: error parsing template " + std::string(name) + ": " +
           t.status().message() + ">";
  }
  return t->ExecuteOrError(data);
}

std::string FormatGoFloat(double v) { return tmpl::GoFormatFloat(v, 'g', -1); }

}  // namespace perfwatch::alert
