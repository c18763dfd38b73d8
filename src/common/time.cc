#include "common/time.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace perfwatch {
namespace {

bool ParseDigits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

Result<int64_t> ParseRfc3339(std::string_view s) {
  int year, mon, day, hour, min, sec;
  if (s.size() < 20 || !ParseDigits(s, 0, 4, &year) || s[4] != '-' || !ParseDigits(s, 5, 2, &mon) ||
      s[7] != '-' || !ParseDigits(s, 8, 2, &day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !ParseDigits(s, 11, 2, &hour) || s[13] != ':' || !ParseDigits(s, 14, 2, &min) ||
      s[16] != ':' || !ParseDigits(s, 17, 2, &sec)) {
    return InvalidArgument("cannot parse \"" + std::string(s) + "\" to a valid timestamp");
  }
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) {
    return InvalidArgument("cannot parse \"" + std::string(s) + "\" to a valid timestamp");
  }
  size_t pos = 19;
  double frac = 0;
  if (pos < s.size() && s[pos] == '.') {
    size_t start = ++pos;
    double scale = 0.1;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      frac += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return InvalidArgument("cannot parse \"" + std::string(s) + "\" to a valid timestamp");
  }
  int64_t offset_s = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!ParseDigits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !ParseDigits(s, pos + 4, 2, &om)) {
      return InvalidArgument("cannot parse \"" + std::string(s) + "\" to a valid timestamp");
    }
    offset_s = (oh * 3600 + om * 60) * (s[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return InvalidArgument("cannot parse \"" + std::string(s) + "\" to a valid timestamp");
  }
  if (pos != s.size()) return InvalidArgument("cannot parse \"" + std::string(s) + "\" to a valid timestamp");
  int64_t days = DaysFromCivil(year, mon, day);
  int64_t secs = days * 86400 + hour * 3600 + min * 60 + sec - offset_s;
  return secs * 1000 + static_cast<int64_t>(std::llround(frac * 1000));
}

}  // namespace

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<int64_t> ParseTimeMs(std::string_view text) {
  if (text.empty()) return InvalidArgument("empty timestamp");
  double seconds = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec == std::errc() && ptr == text.data() + text.size()) {
    if (!std::isfinite(seconds) || std::fabs(seconds) > 9.2e12) {
      return InvalidArgument("cannot parse \"" + std::string(text) + "\" to a valid timestamp");
    }
    return static_cast<int64_t>(std::llround(seconds * 1000.0));
  }
  return ParseRfc3339(text);
}

Result<int64_t> ParseDurationMs(std::string_view text) {
  auto bad = [&] {
    return InvalidArgument("cannot parse \"" + std::string(text) + "\" to a valid duration");
  };
  if (text.empty()) return bad();
  double seconds = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec == std::errc() && ptr == text.data() + text.size()) {
    if (!std::isfinite(seconds) || seconds < 0 || seconds > 9.2e12) return bad();
    return static_cast<int64_t>(std::llround(seconds * 1000.0));
  }
  int64_t total = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    int64_t n = 0;
    size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      n = n * 10 + (text[pos] - '0');
      if (n > 1'000'000'000'000LL) return bad();
      ++pos;
    }
    if (pos == start || pos == text.size()) return bad();
    int64_t unit;
    if (text.substr(pos, 2) == "ms") {
      unit = 1;
      pos += 2;
    } else {
      switch (text[pos]) {
        case 's': unit = 1000; break;
        case 'm': unit = 60'000; break;
        case 'h': unit = 3'600'000; break;
        case 'd': unit = 86'400'000; break;
        case 'w': unit = 7 * 86'400'000LL; break;
        case 'y': unit = 365 * 86'400'000LL; break;
        default: return bad();
      }
      ++pos;
    }
    // n < 1e12 but n * unit can still overflow (e.g. "20000300000w"): Prometheus' model
    // refuses durations beyond int64 milliseconds too.
    int64_t part;
    if (__builtin_mul_overflow(n, unit, &part) || __builtin_add_overflow(total, part, &total)) return bad();
  }
  return total;
}

std::string FormatRfc3339Ms(int64_t ms) {
  int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  int millis = static_cast<int>(ms - secs * 1000);
  int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  int64_t rem = secs - days * 86400;
  // civil_from_days
  int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += (m <= 2);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<long long>(y), m,
                d, static_cast<int>(rem / 3600), static_cast<int>(rem % 3600 / 60),
                static_cast<int>(rem % 60), millis);
  return buf;
}

std::string FormatPromDuration(int64_t ms) {
  if (ms == 0) return "0s";
  std::string r;
  auto unit = [&](const char* name, int64_t mult, bool exact) {
    if (exact && ms % mult != 0) return;
    if (int64_t v = ms / mult; v > 0) {
      r += std::to_string(v) + name;
      ms -= v * mult;
    }
  };
  unit("y", 365LL * 24 * 3600'000, true);
  unit("w", 7LL * 24 * 3600'000, true);
  unit("d", 24LL * 3600'000, false);
  unit("h", 3600'000, false);
  unit("m", 60'000, false);
  unit("s", 1000, false);
  unit("ms", 1, false);
  return r;
}

std::string FormatGoTime(int64_t ms) {
  if (ms == 0) return "0001-01-01T00:00:00Z";
  // RFC 3339 with milliseconds, then Go's RFC3339Nano: trailing fraction zeros dropped.
  std::string out = FormatRfc3339Ms(ms);
  out.pop_back();  // 'Z'
  while (out.back() == '0') out.pop_back();
  if (out.back() == '.') out.pop_back();
  out += 'Z';
  return out;
}

}  // namespace perfwatch
