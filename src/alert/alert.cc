#include "alert/alert.h"

#include <algorithm>

#include "common/hex.h"
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

std::string FingerprintHex(uint64_t fp) { return Hex64(fp); }

int64_t SystemClock::NowMs() const { return perfwatch::NowMs(); }

const SystemClock* SystemClock::Get() {
  static const SystemClock clock;
  return &clock;
}

}  // namespace perfwatch::alert
