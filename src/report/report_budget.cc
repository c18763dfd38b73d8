// ParseBudgetRunJson: the contract's run JSON (/work/notes/issue17-contracts.md).
#include <simdjson.h>

#include "common/time.h"
#include "report/report.h"

namespace perfwatch::report {
namespace {

std::string Str(simdjson::dom::element e, const char* key) {
  std::string_view v;
  return e[key].get_string().get(v) ? std::string() : std::string(v);
}

std::optional<double> Num(simdjson::dom::element e, const char* key) {
  double v;
  if (e[key].get_double().get(v)) return std::nullopt;
  return v;
}

int64_t Int(simdjson::dom::element e, const char* key) {
  auto v = Num(e, key);
  return v ? static_cast<int64_t>(*v) : 0;
}

}  // namespace

Result<BudgetRunSummary> ParseBudgetRunJson(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size()).get(root) || !root.is_object()) {
    return InvalidArgument("budget run: not a JSON object");
  }
  BudgetRunSummary run;
  run.id = Str(root, "id");
  run.app = Str(root, "app");
  if (run.app.empty()) return InvalidArgument("budget run: no \"app\"");
  run.commit = Str(root, "commit");
  run.branch = Str(root, "branch");
  run.build_id = Str(root, "build_id");
  if (std::string t = Str(root, "time"); !t.empty()) {
    if (auto ms = ParseTimeMs(t); ms.ok()) run.time_ms = *ms;
  }
  bool passed = false;
  if (!root["passed"].get_bool().get(passed)) run.passed = passed;
  simdjson::dom::element summary;
  if (!root["summary"].get(summary) && summary.is_object()) {
    run.passed_count = Int(summary, "passed");
    run.failed_count = Int(summary, "failed");
    run.skipped_count = Int(summary, "skipped");
  }
  simdjson::dom::array results;
  if (root["results"].get_array().get(results)) return InvalidArgument("budget run: no \"results\" array");
  for (simdjson::dom::element r : results) {
    if (Str(r, "status") != "fail") continue;
    BudgetResultRow row;
    row.kind = Str(r, "kind");
    row.path = Str(r, "path");
    row.name = Str(r, "name");
    row.unit = Str(r, "unit");
    row.status = "fail";
    row.message = Str(r, "message");
    row.value = Num(r, "value");
    row.budget = Num(r, "budget");
    row.headroom_ratio = Num(r, "headroom_ratio");
    run.failed.push_back(std::move(row));
  }
  return run;
}

BudgetRunsFn BudgetRunsFrom(const budget::RunStore* store) {
  if (store == nullptr) return {};
  return [store](const std::string& app, size_t limit) -> Result<std::vector<BudgetRunSummary>> {
    budget::RunFilter filter;
    filter.app = app;
    filter.limit = limit;
    PW_ASSIGN_OR_RETURN(std::vector<std::string> runs, store->List(filter));
    std::vector<BudgetRunSummary> out;
    for (const std::string& json : runs) {
      auto run = ParseBudgetRunJson(json);
      if (run.ok()) out.push_back(std::move(run).value());
    }
    return out;
  };
}

}  // namespace perfwatch::report
