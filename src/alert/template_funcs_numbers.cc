// Prometheus' template functions (template/template.go, Prometheus 2.42) on numbers and
// times (humanize*, toTime, parseDuration, pathPrefix / externalURL), and the methods of
// time.Time that templates call.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "alert/rule_file.h"
#include "alert/template_funcs_internal.h"

namespace perfwatch::alert::tmpl {
namespace {

// ---------------------------------------------------------------------------------------
// Prometheus: numbers and times

double ConvertToFloat(const Value& v) {
  switch (v.type) {
    case Type::kFloat64:
      return v.f;
    case Type::kString: {
      double f = 0;
      std::string err;
      if (!GoParseFloat(v.s, &f, &err)) Fail(err);
      return f;
    }
    case Type::kInt:
    case Type::kInt64:
      return static_cast<double>(v.i);
    default:
      Fail("can't convert " + GoTypeName(v) + " to float");
  }
}

std::string G4(double v) { return GoSprintf("%.4g", {Value::Float(v)}, SIZE_MAX); }

Value FnHumanize(FuncEnv&, const Value&, std::vector<Value>& a) {
  double v = ConvertToFloat(a[0]);
  if (v == 0 || std::isnan(v) || std::isinf(v)) return Value::String(G4(v));
  const char* prefix = "";
  if (std::fabs(v) >= 1) {
    for (const char* p : {"k", "M", "G", "T", "P", "E", "Z", "Y"}) {
      if (std::fabs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return Value::String(G4(v) + prefix);
  }
  for (const char* p : {"m", "u", "n", "p", "f", "a", "z", "y"}) {
    if (std::fabs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return Value::String(G4(v) + prefix);
}

Value FnHumanize1024(FuncEnv&, const Value&, std::vector<Value>& a) {
  double v = ConvertToFloat(a[0]);
  if (std::fabs(v) <= 1 || std::isnan(v) || std::isinf(v)) return Value::String(G4(v));
  const char* prefix = "";
  for (const char* p : {"ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"}) {
    if (std::fabs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return Value::String(G4(v) + prefix);
}

// Go's int64(f) on amd64 (out-of-range values become math.MinInt64).
int64_t GoFloatToInt64(double f) {
  if (std::isnan(f) || f >= 9.2233720368547758e18 || f < -9.2233720368547758e18) return INT64_MIN;
  return static_cast<int64_t>(f);
}

Value FnHumanizeDuration(FuncEnv&, const Value&, std::vector<Value>& a) {
  double v = ConvertToFloat(a[0]);
  if (std::isnan(v) || std::isinf(v)) return Value::String(G4(v));
  if (v == 0) return Value::String(G4(v) + "s");
  if (std::fabs(v) >= 1) {
    std::string sign;
    if (v < 0) {
      sign = "-";
      v = -v;
    }
    int64_t d = GoFloatToInt64(v);
    int64_t seconds = d % 60, minutes = (d / 60) % 60, hours = (d / 60 / 60) % 24,
            days = d / 60 / 60 / 24;
    auto s = [](int64_t x) { return std::to_string(x); };
    if (days != 0) {
      return Value::String(sign + s(days) + "d " + s(hours) + "h " + s(minutes) + "m " +
                           s(seconds) + "s");
    }
    if (hours != 0)
      return Value::String(sign + s(hours) + "h " + s(minutes) + "m " + s(seconds) + "s");
    if (minutes != 0) return Value::String(sign + s(minutes) + "m " + s(seconds) + "s");
    return Value::String(sign + G4(v) + "s");
  }
  const char* prefix = "";
  for (const char* p : {"m", "u", "n", "p", "f", "a", "z", "y"}) {
    if (std::fabs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return Value::String(G4(v) + prefix + "s");
}

Value FnHumanizePercentage(FuncEnv&, const Value&, std::vector<Value>& a) {
  return Value::String(G4(ConvertToFloat(a[0]) * 100) + "%");
}

// Prometheus' floatToTime: seconds to a UTC time with millisecond precision. False for
// NaN and infinities.
bool FloatToTime(double v, int64_t* ns) {
  if (std::isnan(v) || std::isinf(v)) return false;
  double ts = v * 1e9;
  if (ts > 9.2233720368547758e18 || ts < -9.2233720368547758e18) {
    Fail(FormatGoFloat(v) +
         " cannot be represented as a nanoseconds timestamp since it overflows int64");
  }
  int64_t n = GoFloatToInt64(ts);
  *ns = (n / 1'000'000) * 1'000'000;  // model.TimeFromUnixNano keeps milliseconds
  return true;
}

Value FnHumanizeTimestamp(FuncEnv&, const Value&, std::vector<Value>& a) {
  double v = ConvertToFloat(a[0]);
  int64_t ns = 0;
  if (!FloatToTime(v, &ns)) return Value::String(G4(v));
  return Value::String(GoTimeString(ns));
}

Value FnToTime(FuncEnv&, const Value&, std::vector<Value>& a) {
  double v = ConvertToFloat(a[0]);
  int64_t ns = 0;
  if (!FloatToTime(v, &ns)) Fail("value is NaN or Inf");
  return Value::Time(ns, true);
}

// url.Parse(external_url).Path, percent-decoded.
std::string UrlPath(std::string_view u) {
  size_t scheme = u.find("://");
  size_t colon = u.find(':');
  size_t slash = u.find('/');
  if (scheme != std::string_view::npos && (slash == std::string_view::npos || scheme < slash)) {
    u.remove_prefix(scheme + 3);
    size_t p = u.find_first_of("/?#");
    u = p == std::string_view::npos ? std::string_view() : u.substr(p);
  } else if (colon != std::string_view::npos &&
             (slash == std::string_view::npos || colon < slash)) {
    u = {};  // opaque URL such as mailto:x
  } else if (u.starts_with("//")) {
    u.remove_prefix(2);
    size_t p = u.find_first_of("/?#");
    u = p == std::string_view::npos ? std::string_view() : u.substr(p);
  }
  u = u.substr(0, u.find_first_of("?#"));
  std::string out;
  for (size_t i = 0; i < u.size(); ++i) {
    auto hex = [](char c) {
      return c >= '0' && c <= '9'                     ? c - '0'
             : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10
                                                      : -1;
    };
    if (u[i] == '%' && i + 2 < u.size() + 0 && hex(u[i + 1]) >= 0 && hex(u[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(u[i + 1]) * 16 + hex(u[i + 2])));
      i += 2;
    } else {
      out.push_back(u[i]);
    }
  }
  return out;
}

Value FnPathPrefix(FuncEnv& env, const Value&, std::vector<Value>&) {
  return Value::String(UrlPath(env.data.external_url));
}
Value FnExternalURL(FuncEnv& env, const Value&, std::vector<Value>&) {
  return Value::String(std::string(env.data.external_url));
}

Value FnParseDuration(FuncEnv&, const Value&, std::vector<Value>& a) {
  Result<int64_t> ms = ParsePromDuration(a[0].s);  // model.ParseDuration
  if (!ms.ok()) Fail(ms.status().message());
  // Duration.Seconds() of the nanosecond count (in range: ParsePromDuration bounds it).
  return Value::Float(static_cast<double>(*ms * 1'000'000) / 1e9);
}

// ---------------------------------------------------------------------------------------
// time.Time methods

Value TmFormat(FuncEnv&, const Value& r, std::vector<Value>& a) {
  return Value::String(GoTimeFormat(r.i, a[0].s));
}
Value TmString(FuncEnv&, const Value& r, std::vector<Value>&) {
  return Value::String(GoTimeString(r.i));
}
int64_t FloorDivNs(int64_t ns, int64_t d) { return ns / d - ((ns % d != 0) && (ns < 0)); }
Value TmUnix(FuncEnv&, const Value& r, std::vector<Value>&) {
  return Value::Int(FloorDivNs(r.i, 1'000'000'000), Type::kInt64);
}
Value TmUnixMilli(FuncEnv&, const Value& r, std::vector<Value>&) {
  return Value::Int(FloorDivNs(r.i, 1'000'000), Type::kInt64);
}
Value TmUnixNano(FuncEnv&, const Value& r, std::vector<Value>&) {
  return Value::Int(r.i, Type::kInt64);
}
Value TmUTC(FuncEnv&, const Value& r, std::vector<Value>&) { return Value::Time(r.i, false); }
Value TmField(const Value& r, std::string_view layout) {
  return Value::Int(std::stoll(GoTimeFormat(r.i, layout)));
}
Value TmYear(FuncEnv&, const Value& r, std::vector<Value>&) { return TmField(r, "2006"); }
Value TmYearDay(FuncEnv&, const Value& r, std::vector<Value>&) { return TmField(r, "002"); }
Value TmDay(FuncEnv&, const Value& r, std::vector<Value>&) { return TmField(r, "2"); }
Value TmHour(FuncEnv&, const Value& r, std::vector<Value>&) { return TmField(r, "15"); }
Value TmMinute(FuncEnv&, const Value& r, std::vector<Value>&) { return TmField(r, "4"); }
Value TmSecond(FuncEnv&, const Value& r, std::vector<Value>&) { return TmField(r, "5"); }

using P = Param;

}  // namespace

// Prometheus: numbers, times, URLs.
const std::vector<FuncDef>& PrometheusNumberFunctions() {
  using P = Param;
  static const std::vector<FuncDef> kFuncs = {
      {"humanize", {P::kAny}, false, false, FnHumanize},
      {"humanize1024", {P::kAny}, false, false, FnHumanize1024},
      {"humanizeDuration", {P::kAny}, false, false, FnHumanizeDuration},
      {"humanizePercentage", {P::kAny}, false, false, FnHumanizePercentage},
      {"humanizeTimestamp", {P::kAny}, false, false, FnHumanizeTimestamp},
      {"toTime", {P::kAny}, false, false, FnToTime},
      {"pathPrefix", {}, false, false, FnPathPrefix},
      {"externalURL", {}, false, false, FnExternalURL},
      {"parseDuration", {P::kString}, false, false, FnParseDuration},
  };
  return kFuncs;
}

const std::vector<FuncDef>& TimeMethods() {
  using P = Param;
  static const std::vector<FuncDef> kMethods = {
      {"Format", {P::kString}, false, false, TmFormat},
      {"String", {}, false, false, TmString},
      {"Unix", {}, false, false, TmUnix},
      {"UnixMilli", {}, false, false, TmUnixMilli},
      {"UnixNano", {}, false, false, TmUnixNano},
      {"UTC", {}, false, false, TmUTC},
      {"Year", {}, false, false, TmYear},
      {"YearDay", {}, false, false, TmYearDay},
      {"Day", {}, false, false, TmDay},
      {"Hour", {}, false, false, TmHour},
      {"Minute", {}, false, false, TmMinute},
      {"Second", {}, false, false, TmSecond},
  };
  return kMethods;
}

}  // namespace perfwatch::alert::tmpl
