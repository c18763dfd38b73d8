// libFuzzer target for perfwatch::ParseConfig (the YAML configuration file, common/config.h).
// Any input must give a Config or kInvalidArgument: never a crash, an escaped exception
// (yaml-cpp throws; conversions of hostile scalars throw), unbounded recursion or a hang.
// An accepted Config must pass ValidateConfig, keep the text it was read from, resolve
// every scrape job's interval and timeout (never 0), and keep label lists sorted by name.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/config.h"

using namespace perfwatch;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

template <typename Pairs>
bool SortedByName(const Pairs& pairs) {
  return std::is_sorted(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  Result<Config> c = ParseConfig(text);
  if (!c.ok()) {
    Check(c.status().code() == StatusCode::kInvalidArgument);
    Check(!c.status().message().empty());
    return 0;
  }
  Check(ValidateConfig(*c).ok());
  Check(c->source_text == text);
  for (const ScrapeConfig& job : c->scrape_configs) {
    Check(!job.job_name.empty());
    Check(job.interval_ms > 0 && job.timeout_ms > 0);
    for (const StaticTargetsConfig& st : job.static_configs) Check(SortedByName(st.labels));
  }
  Check(SortedByName(c->rules.external_labels));
  return 0;
}
