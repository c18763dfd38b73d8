// libFuzzer target for what the reports read from files and other modules
// (docs/reports.md): byte 0 even: a budget run's JSON (report::ParseBudgetRunJson), which
// must give an error or a run whose report renders as JSON that parses and as HTML; odd:
// alert history lines (alert::ApplyHistoryRecord, one per line), whose episodes must
// re-encode into lines that apply to the same episodes.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "alert/alert_history.h"
#include "report/report.h"
#include "report/report_render.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void FuzzBudgetRun(std::string_view json) {
  auto run = perfwatch::report::ParseBudgetRunJson(json);
  if (!run.ok()) return;
  Check(!run->app.empty());
  perfwatch::report::Report r;
  r.app = run->app;
  r.window_ms = 86'400'000;
  r.budget_available = true;
  r.budget_runs.push_back(*run);
  simdjson::dom::parser p;
  Check(!p.parse(perfwatch::report::RenderReportJson(r)).error());
  const std::string html = perfwatch::report::RenderReportHtml(r);
  Check(html.find("<script") == std::string::npos);
}

void FuzzHistory(std::string_view text) {
  using Map = std::map<std::pair<uint64_t, int64_t>, perfwatch::alert::AlertEpisode>;
  Map episodes;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    (void)perfwatch::alert::ApplyHistoryRecord(text.substr(0, nl), &episodes);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  }
  Map again;
  for (const auto& [key, e] : episodes) {
    Check(perfwatch::alert::ApplyHistoryRecord(perfwatch::alert::EncodeHistoryRecord('F', e), &again));
    if (e.acknowledged_at_ms) Check(perfwatch::alert::ApplyHistoryRecord(perfwatch::alert::EncodeHistoryRecord('A', e), &again));
    if (e.resolved_at_ms) Check(perfwatch::alert::ApplyHistoryRecord(perfwatch::alert::EncodeHistoryRecord('R', e), &again));
  }
  Check(again.size() == episodes.size());
  for (const auto& [key, e] : episodes) {
    const auto& a = again.at(key);
    Check(a.acknowledged_at_ms == e.acknowledged_at_ms && a.resolved_at_ms == e.resolved_at_ms);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) FuzzBudgetRun(rest);
  else FuzzHistory(rest);
  return 0;
}
