// libFuzzer target for the inputs of `perfwatch bundle report` (src/budget/bundle_report.h):
// stats files (rollup-plugin-visualizer raw-data, Vite manifest, webpack stats), a previous
// report's JSON and a GET /api/v1/budget-runs answer as baselines, and file names for
// HashlessKey. Every input parses or fails with a one-line message; what parses is sane.
// The first byte picks the parser: 0 stats (the rest twice: merging), 1 report baseline,
// 2 runs baseline, 3 HashlessKey; seeds are JSON, so '{' (0x7b % 4 == 3) and others also
// reach the stats parser below.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "budget/bundle_report.h"

using namespace perfwatch::budget;

namespace {

void CheckMessage(const perfwatch::Status& s) {
  if (s.ok()) return;
  if (s.message().empty() || s.message().find('\n') != std::string::npos) std::abort();
}

void CheckBaseline(const perfwatch::Result<BundleBaseline>& b) {
  if (!b.ok()) return CheckMessage(b.status());
  for (const auto& [key, sizes] : b->files) {
    if (!sizes.raw && !sizes.gzip && !sizes.brotli) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  const std::string_view rest = all.substr(1);
  // Stats: the whole input (JSON seeds) and, for selector 0, the rest merged twice.
  {
    BundleStats stats;
    perfwatch::Status s = ParseBundleStats(all, stats);
    CheckMessage(s);
    if (s.ok() && stats.formats.empty()) std::abort();
  }
  switch (data[0] % 4) {
    case 0: {
      BundleStats stats;
      for (int i = 0; i < 2; ++i) {
        perfwatch::Status s = ParseBundleStats(rest, stats);
        CheckMessage(s);
        if (!s.ok()) break;
      }
      for (const auto& m : stats.modules) {
        if (m.id.find('\0') == 0) std::abort();  // Rollup's "\0" prefix is dropped
      }
      break;
    }
    case 1:
      CheckBaseline(ParseReportBaseline(rest));
      break;
    case 2:
      CheckBaseline(ParseRunsBaseline(rest));
      break;
    case 3: {
      const std::string key = HashlessKey(rest);
      if (key.size() > rest.size() + 6) std::abort();
      const size_t slash = rest.rfind('/');
      if (slash != std::string_view::npos && key.compare(0, slash + 1, rest.substr(0, slash + 1)) != 0) std::abort();
      if (HashlessKey(key) != key && key.find("[hash]") == std::string::npos) std::abort();
      break;
    }
  }
  return 0;
}
