#include "alert/alert.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "common/time.h"

namespace perfwatch::alert {

void NormalizeLabelSet(LabelSet& labels) {
  std::stable_sort(labels.begin(), labels.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  // Keep the last of each run of equal names.
  LabelSet out;
  out.reserve(labels.size());
  for (auto& kv : labels) {
    if (!out.empty() && out.back().first == kv.first) {
      out.back().second = std::move(kv.second);
    } else {
      out.push_back(std::move(kv));
    }
  }
  labels = std::move(out);
}

std::string_view GetLabel(const LabelSet& labels, std::string_view name) {
  for (const auto& [n, v] : labels) {
    if (n == name) return v;
  }
  return {};
}

uint64_t Fingerprint(const LabelSet& labels) {
  constexpr uint64_t kOffset = 14695981039346656037ULL;
  constexpr uint64_t kPrime = 1099511628211ULL;
  uint64_t h = kOffset;
  auto add = [&](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= kPrime;
    }
    h ^= 0xff;
    h *= kPrime;
  };
  for (const auto& [n, v] : labels) {
    add(n);
    add(v);
  }
  return h;
}

std::string FingerprintHex(uint64_t fp) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(fp));
  return buf;
}

int64_t SystemClock::NowMs() const { return perfwatch::NowMs(); }

const SystemClock* SystemClock::Get() {
  static const SystemClock clock;
  return &clock;
}

std::string FormatGoTime(int64_t ms) {
  if (ms == 0) return "0001-01-01T00:00:00Z";
  int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  int frac = static_cast<int>(ms - secs * 1000);
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[48];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                        tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  std::string out(buf, n);
  if (frac != 0) {
    char f[8];
    std::snprintf(f, sizeof f, ".%03d", frac);
    std::string fs(f);
    while (fs.back() == '0') fs.pop_back();
    out += fs;
  }
  out += 'Z';
  return out;
}

}  // namespace perfwatch::alert
