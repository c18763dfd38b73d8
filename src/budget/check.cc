#include "budget/check.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "analysis/stats.h"
#include "common/json_writer.h"
#include "common/markdown.h"
#include "common/time.h"

namespace perfwatch::budget {
namespace {

constexpr std::string_view kKinds[] = {"timing", "resourceSize", "resourceCount", "field", "bundle", "score"};

std::string MetricLabel(const CheckResult& r) {
  if (r.kind == "resourceSize") return r.name + " size";
  if (r.kind == "resourceCount") return r.name + " requests";
  if (r.kind == "field") return "field p75 " + r.name;
  if (r.kind == "bundle") return r.name + " (" + r.compression + ")";
  if (r.kind == "score") return r.source + " score";
  return r.name;
}

// Sets status, headroom_ratio and message from value, budget and tolerance.
void Judge(CheckResult& r) {
  if (!r.value) {
    r.status = "skipped";
    return;
  }
  const double v = *r.value;
  const std::string label = MetricLabel(r);
  if (!r.budget) {
    r.status = "pass";
    r.message = label + " " + FormatValue(v, r.unit) + " (no budget, tracked)";
    return;
  }
  const double b = *r.budget;
  if (r.kind == "score") {
    r.headroom_ratio = b > 0 ? std::optional<double>((v - b) / b) : std::nullopt;
    r.status = v >= b ? "pass" : "fail";
    r.message = label + " " + FormatValue(v, r.unit) + (v >= b ? " meets the minimum " : " below the minimum ") +
                FormatValue(b, r.unit);
    return;
  }
  const double limit = b + r.tolerance;
  if (limit > 0) r.headroom_ratio = (limit - v) / limit;
  else r.headroom_ratio = v <= 0 ? std::optional<double>(0) : std::nullopt;
  std::string budget_text = FormatValue(b, r.unit);
  if (r.tolerance > 0) budget_text += " + " + FormatValue(r.tolerance, r.unit) + " tolerance";
  if (v <= limit) {
    r.status = "pass";
    r.message = label + " " + FormatValue(v, r.unit) + " within " + budget_text;
  } else {
    r.status = "fail";
    r.message = label + " " + FormatValue(v, r.unit) + " over " + budget_text + " by " + FormatValue(v - limit, r.unit);
  }
}

CheckResult LabResult(std::string kind, const std::string& path, const MetricBudget& mb, std::string unit,
                      const AggregatedValue* v, size_t runs, double scale) {
  CheckResult r;
  r.kind = std::move(kind);
  r.path = path;
  r.name = mb.name;
  r.unit = std::move(unit);
  r.budget = mb.budget;
  r.tolerance = mb.tolerance;
  if (v != nullptr) {
    r.value = v->value * scale;
    for (double x : v->runs) r.runs.push_back(x * scale);
    r.samples = static_cast<int64_t>(v->runs.size());
    Judge(r);
  } else {
    r.status = "skipped";
    r.samples = 0;
    r.message = MetricLabel(r) + ": not in the Lighthouse report" + (runs == 1 ? "" : "s");
  }
  return r;
}

const AggregatedValue* Find(const std::map<std::string, AggregatedValue>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? nullptr : &it->second;
}

std::string Pct(double ratio) { return fmt::format("{:+.1f} %", 100 * ratio); }

void XmlEscape(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 has no other control characters than tab, newline and return.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') out += ' ';
        else out += c;
    }
  }
}

std::string Key(const CheckResult& r) {
  return r.kind + '\x1f' + r.path + '\x1f' + r.name + '\x1f' + r.compression + '\x1f' + r.source;
}

}  // namespace

bool CheckRun::passed() const { return failed_count() == 0; }
int CheckRun::passed_count() const {
  return static_cast<int>(std::count_if(results.begin(), results.end(), [](const auto& r) { return r.status == "pass"; }));
}
int CheckRun::failed_count() const {
  return static_cast<int>(std::count_if(results.begin(), results.end(), [](const auto& r) { return r.status == "fail"; }));
}
int CheckRun::skipped_count() const {
  return static_cast<int>(
      std::count_if(results.begin(), results.end(), [](const auto& r) { return r.status == "skipped"; }));
}

std::string FormatValue(double v, std::string_view unit) {
  if (unit == "ms") return fmt::format("{:.0f} ms", v);
  if (unit == "KB") return fmt::format("{:.1f} KB", v);
  if (unit == "count") return fmt::format("{:.0f}", v);
  if (unit == "bytes") return fmt::format("{:.0f} bytes", v);
  if (unit == "score") return fmt::format("{:.0f}", v);
  return fmt::format("{:.3f}", v);
}

std::vector<CheckResult> CheckLab(const BudgetFile& file, const std::vector<AggregatedPage>& pages) {
  std::vector<CheckResult> out;
  for (const AggregatedPage& p : pages) {
    const Budget* b = MatchingBudget(file, p.path);
    if (b == nullptr) continue;
    for (const MetricBudget& t : b->timings) {
      out.push_back(LabResult("timing", p.path, t, t.name == "cumulative-layout-shift" ? "unitless" : "ms",
                              Find(p.timings, t.name), p.runs, 1));
    }
    for (const MetricBudget& s : b->resource_sizes) {
      out.push_back(LabResult("resourceSize", p.path, s, "KB", Find(p.transfer_bytes, s.name), p.runs, 1.0 / 1024));
    }
    for (const MetricBudget& c : b->resource_counts) {
      out.push_back(LabResult("resourceCount", p.path, c, "count", Find(p.request_counts, c.name), p.runs, 1));
    }
    if (b->score) {
      MetricBudget mb{"score", *b->score, 0};
      CheckResult r = LabResult("score", p.path, mb, "score", p.score ? &*p.score : nullptr, p.runs, 1);
      r.source = "lab";
      if (r.status != "skipped") Judge(r);  // again, now that the label knows the source
      else r.message = "lab score: no performance category in the Lighthouse report";
      out.push_back(std::move(r));
    }
  }
  return out;
}

std::vector<CheckResult> CheckBundles(const BudgetFile& file, const std::vector<FileSize>& files) {
  // The same bundle path in several budgets: the last one wins (as for pages).
  std::vector<const BundleBudget*> bundles;
  for (const Budget& b : file.budgets) {
    for (const BundleBudget& bb : b.bundles) {
      auto it = std::find_if(bundles.begin(), bundles.end(), [&](const BundleBudget* x) { return x->path == bb.path; });
      if (it != bundles.end()) *it = &bb;
      else bundles.push_back(&bb);
    }
  }
  std::vector<CheckResult> out;
  for (const BundleBudget* bb : bundles) {
    std::uint64_t raw = 0, gzip = 0, brotli = 0;
    int64_t matched = 0;
    for (const FileSize& f : files) {
      if (!BundleGlobMatch(bb->path, f.path)) continue;
      ++matched;
      raw += f.raw;
      gzip += f.gzip;
      brotli += f.brotli;
    }
    const bool any_limit = bb->raw_kb || bb->gzip_kb || bb->brotli_kb;
    const std::pair<const char*, std::pair<const std::optional<double>*, std::uint64_t>> comps[] = {
        {"raw", {&bb->raw_kb, raw}}, {"gzip", {&bb->gzip_kb, gzip}}, {"brotli", {&bb->brotli_kb, brotli}}};
    for (const auto& c : comps) {
      const std::optional<double>& limit = *c.second.first;
      if (any_limit && !limit) continue;
      CheckResult r;
      r.kind = "bundle";
      r.name = bb->path;
      r.path = "";
      r.compression = c.first;
      r.unit = "bytes";
      r.max_growth = bb->max_growth;
      r.samples = matched;
      if (limit) r.budget = std::round(*limit * 1024);
      if (matched == 0) {
        r.status = "fail";
        r.message = "bundle " + bb->path + ": no file matches under the --bundles folder";
      } else {
        r.value = static_cast<double>(c.second.second);
        Judge(r);
        if (matched > 1) r.message += fmt::format(" ({} files)", matched);
      }
      out.push_back(std::move(r));
    }
  }
  return out;
}

std::vector<std::string> FieldWindows(const BudgetFile& file) {
  std::vector<std::string> out;
  for (const Budget& b : file.budgets) {
    if (!b.field && !b.score) continue;
    std::string w = b.field ? b.field->window : FieldBudget{}.window;
    if (std::find(out.begin(), out.end(), w) == out.end()) out.push_back(w);
  }
  return out;
}

bool HasFieldBudgets(const BudgetFile& file) {
  return std::any_of(file.budgets.begin(), file.budgets.end(),
                     [](const Budget& b) { return (b.field && !b.field->vitals.empty()) || b.score; });
}
bool HasLabBudgets(const BudgetFile& file) {
  return std::any_of(file.budgets.begin(), file.budgets.end(), [](const Budget& b) {
    return !b.timings.empty() || !b.resource_sizes.empty() || !b.resource_counts.empty() || b.score;
  });
}
bool HasBundleBudgets(const BudgetFile& file) {
  return std::any_of(file.budgets.begin(), file.budgets.end(), [](const Budget& b) { return !b.bundles.empty(); });
}

std::vector<CheckResult> CheckField(const BudgetFile& file, const std::vector<FieldValue>& data) {
  std::vector<CheckResult> out;
  std::set<const Budget*> used;
  for (const FieldValue& fv : data) {
    const Budget* b = MatchingBudget(file, fv.page);
    if (b == nullptr) continue;
    const FieldBudget defaults;
    const FieldBudget& fb = b->field ? *b->field : defaults;
    if (fv.window != fb.window) continue;
    CheckResult r;
    r.path = fv.page;
    r.samples = fv.count;
    if (fv.metric == "score") {
      if (!b->score) continue;
      r.kind = "score";
      r.name = "score";
      r.source = "field";
      r.unit = "score";
      r.budget = *b->score;
    } else {
      auto it = std::find_if(fb.vitals.begin(), fb.vitals.end(), [&](const MetricBudget& m) { return m.name == fv.metric; });
      if (it == fb.vitals.end()) continue;
      r.kind = "field";
      r.name = fv.metric;
      r.unit = fv.metric == "CLS" ? "unitless" : "ms";
      r.budget = it->budget;
      r.tolerance = it->tolerance;
    }
    used.insert(b);
    r.value = fv.value;
    if (fv.count < fb.min_samples) {
      r.status = "skipped";
      r.message = fmt::format("{} {}: {} samples in {}, fewer than min_samples {}", MetricLabel(r),
                              FormatValue(fv.value, r.unit), fv.count, fb.window, fb.min_samples);
    } else {
      Judge(r);
      r.message += fmt::format(" ({} samples in {})", fv.count, fb.window);
    }
    out.push_back(std::move(r));
  }
  // Budgets with field vitals that no page with data chose: one skipped result per vital.
  for (const Budget& b : file.budgets) {
    if (!b.field || b.field->vitals.empty() || used.count(&b)) continue;
    for (const MetricBudget& m : b.field->vitals) {
      CheckResult r;
      r.kind = "field";
      r.path = b.path ? *b.path : "/";
      r.name = m.name;
      r.unit = m.name == "CLS" ? "unitless" : "ms";
      r.budget = m.budget;
      r.tolerance = m.tolerance;
      r.status = "skipped";
      r.message = "field p75 " + m.name + ": no field data for pages matching " + r.path + " in the last " + b.field->window;
      out.push_back(std::move(r));
    }
  }
  return out;
}

void ApplyBaseline(std::vector<CheckResult>& results, const std::vector<CheckResult>& baseline, std::string_view ref) {
  std::map<std::string, const CheckResult*> by_key;
  for (const CheckResult& b : baseline) by_key[Key(b)] = &b;
  for (CheckResult& r : results) {
    auto it = by_key.find(Key(r));
    if (it == by_key.end() || !it->second->value || !r.value) continue;
    const CheckResult& b = *it->second;
    const double base = *b.value;
    r.baseline = base;
    const double v = *r.value;
    bool regressed = false;
    std::string how;
    if (r.kind == "bundle") {
      const double growth = base > 0 ? (v - base) / base : (v > 0 ? INFINITY : 0);
      regressed = growth > r.max_growth;
      how = fmt::format("grew {} from {} (max_growth {:.0f} %)", std::isfinite(growth) ? Pct(growth) : "from 0",
                        FormatValue(base, r.unit), 100 * r.max_growth);
    } else {
      const bool higher_is_better = r.kind == "score";
      const double worse_by = higher_is_better ? base - v : v - base;
      regressed = worse_by > r.tolerance;
      how = fmt::format("{} from {} beyond the tolerance {}", higher_is_better ? "dropped" : "rose",
                        FormatValue(base, r.unit), FormatValue(r.tolerance, r.unit));
      if (regressed && r.runs.size() >= 2 && b.runs.size() >= 2) {
        analysis::TTestResult t = analysis::WelchTTest(b.runs, r.runs);
        if (!(t.p < kBaselineMaxPValue)) {
          regressed = false;
          r.message += fmt::format("; {} vs baseline {} not significant (Welch p = {:.2g}, {} vs {} runs)",
                                   FormatValue(v, r.unit), FormatValue(base, r.unit), t.p, r.runs.size(), b.runs.size());
          continue;
        }
        how += fmt::format(" (Welch p = {:.2g})", t.p);
      }
    }
    if (regressed) {
      r.status = "fail";
      r.message += "; regressed against baseline " + std::string(ref) + ": " + how;
    }
  }
}

Result<CheckRun> ParseCheckRunJson(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::element root;
  if (auto err = parser.parse(padded).get(root); err) {
    return InvalidArgument(std::string("not valid JSON: ") + simdjson::error_message(err));
  }
  simdjson::dom::element run = root;
  simdjson::dom::array data;
  if (root["data"].get(data) == simdjson::SUCCESS) {
    if (data.size() == 0) return NotFound("no stored run");
    run = data.at(0).value_unsafe();
  }
  if (!run.is_object()) return InvalidArgument("a budget run is a JSON object");
  CheckRun out;
  auto str = [](simdjson::dom::element e, const char* key) {
    std::string_view s;
    return e[key].get(s) == simdjson::SUCCESS ? std::string(s) : std::string();
  };
  out.app = str(run, "app");
  out.commit = str(run, "commit");
  out.branch = str(run, "branch");
  out.build_id = str(run, "build_id");
  std::string time = str(run, "time");
  if (!time.empty()) {
    auto t = ParseTimeMs(time);
    if (t.ok()) out.time_ms = *t;
  }
  simdjson::dom::array results;
  if (run["results"].get(results) != simdjson::SUCCESS) return InvalidArgument("a budget run needs a \"results\" array");
  for (simdjson::dom::element e : results) {
    if (!e.is_object()) return InvalidArgument("each result is a JSON object");
    CheckResult r;
    r.kind = str(e, "kind");
    r.path = str(e, "path");
    r.name = str(e, "name");
    r.compression = str(e, "compression");
    r.source = str(e, "source");
    r.unit = str(e, "unit");
    r.status = str(e, "status");
    r.message = str(e, "message");
    double d = 0;
    if (e["value"].get(d) == simdjson::SUCCESS && std::isfinite(d)) r.value = d;
    if (e["budget"].get(d) == simdjson::SUCCESS && std::isfinite(d)) r.budget = d;
    if (e["tolerance"].get(d) == simdjson::SUCCESS && std::isfinite(d)) r.tolerance = d;
    if (e["baseline"].get(d) == simdjson::SUCCESS && std::isfinite(d)) r.baseline = d;
    if (e["headroom_ratio"].get(d) == simdjson::SUCCESS && std::isfinite(d)) r.headroom_ratio = d;
    int64_t n = 0;
    if (e["samples"].get(n) == simdjson::SUCCESS) r.samples = n;
    simdjson::dom::array runs;
    if (e["runs"].get(runs) == simdjson::SUCCESS) {
      for (simdjson::dom::element x : runs) {
        if (x.get(d) == simdjson::SUCCESS && std::isfinite(d)) r.runs.push_back(d);
      }
    }
    if (r.kind.empty() || r.name.empty()) return InvalidArgument("a result needs \"kind\" and \"name\"");
    out.results.push_back(std::move(r));
  }
  return out;
}

std::string RenderJson(const CheckRun& run) {
  std::string o = "{\"app\":";
  AppendJsonString(o, run.app);
  auto opt_str = [&](const char* key, const std::string& v) {
    o += ",\"";
    o += key;
    o += "\":";
    if (v.empty()) o += "null";
    else AppendJsonString(o, v);
  };
  auto opt_num = [&](const char* key, const std::optional<double>& v) {
    o += ",\"";
    o += key;
    o += "\":";
    if (v && std::isfinite(*v)) AppendJsonNumber(o, *v);
    else o += "null";
  };
  opt_str("commit", run.commit);
  opt_str("branch", run.branch);
  opt_str("build_id", run.build_id);
  o += ",\"time\":";
  AppendJsonString(o, FormatGoTime(run.time_ms));
  o += ",\"passed\":";
  o += run.passed() ? "true" : "false";
  o += ",\"results\":[";
  bool first = true;
  for (const CheckResult& r : run.results) {
    if (!first) o += ',';
    first = false;
    o += "{\"kind\":";
    AppendJsonString(o, r.kind);
    o += ",\"path\":";
    AppendJsonString(o, r.path);
    o += ",\"name\":";
    AppendJsonString(o, r.name);
    if (!r.compression.empty()) {
      o += ",\"compression\":";
      AppendJsonString(o, r.compression);
    }
    if (!r.source.empty()) {
      o += ",\"source\":";
      AppendJsonString(o, r.source);
    }
    opt_num("value", r.value);
    opt_num("budget", r.budget);
    o += ",\"tolerance\":";
    AppendJsonNumber(o, r.tolerance);
    o += ",\"unit\":";
    AppendJsonString(o, r.unit);
    o += ",\"status\":";
    AppendJsonString(o, r.status);
    opt_num("headroom_ratio", r.headroom_ratio);
    o += ",\"samples\":";
    AppendJsonInt(o, r.samples);
    opt_num("baseline", r.baseline);
    o += ",\"message\":";
    AppendJsonString(o, r.message);
    if (r.kind == "bundle") {
      o += ",\"max_growth\":";
      AppendJsonNumber(o, r.max_growth);
    }
    if (!r.runs.empty()) {
      o += ",\"runs\":[";
      for (size_t i = 0; i < r.runs.size(); ++i) {
        if (i) o += ',';
        AppendJsonNumber(o, r.runs[i]);
      }
      o += ']';
    }
    o += '}';
  }
  o += "],\"summary\":{\"passed\":";
  AppendJsonInt(o, run.passed_count());
  o += ",\"failed\":";
  AppendJsonInt(o, run.failed_count());
  o += ",\"skipped\":";
  AppendJsonInt(o, run.skipped_count());
  o += "}}";
  return o;
}

std::string RenderTable(const CheckRun& run, bool color) {
  const bool any_baseline =
      std::any_of(run.results.begin(), run.results.end(), [](const CheckResult& r) { return r.baseline.has_value(); });
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"STATUS", "KIND", "PATH", "NAME", "VALUE", "BUDGET", "HEADROOM"});
  if (any_baseline) rows.back().push_back("BASELINE");
  for (const CheckResult& r : run.results) {
    std::string name = r.name;
    if (!r.compression.empty()) name += " (" + r.compression + ")";
    if (!r.source.empty()) name += " (" + r.source + ")";
    std::string budget = r.budget ? FormatValue(*r.budget, r.unit) : "-";
    if (r.budget && r.tolerance > 0) budget += " +" + FormatValue(r.tolerance, r.unit);
    rows.push_back({r.status, r.kind, r.path.empty() ? "-" : r.path, name, r.value ? FormatValue(*r.value, r.unit) : "-",
                    budget, r.headroom_ratio ? Pct(*r.headroom_ratio) : "-"});
    if (any_baseline) rows.back().push_back(r.baseline ? FormatValue(*r.baseline, r.unit) : "-");
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (size_t k = 0; k < rows.size(); ++k) {
    const auto& row = rows[k];
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      std::string cell = row[i];
      const bool right = i >= 4;
      std::string pad(width[i] - cell.size(), ' ');
      if (i == 0 && color && k > 0) {
        const char* c = cell == "fail" ? "\x1b[31m" : cell == "pass" ? "\x1b[32m" : "\x1b[33m";
        cell = c + cell + "\x1b[0m";
      }
      line += right ? pad + cell : cell + pad;
      if (i + 1 < row.size()) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  for (const CheckResult& r : run.results) {
    if (r.status == "fail") out += "FAIL " + r.message + "\n";
  }
  for (const CheckResult& r : run.results) {
    if (r.status == "skipped") out += "SKIP " + r.message + "\n";
  }
  out += fmt::format("{}: {} passed, {} failed, {} skipped\n", run.passed() ? "within budget" : "OVER BUDGET",
                     run.passed_count(), run.failed_count(), run.skipped_count());
  return out;
}

std::string RenderJunit(const CheckRun& run) {
  std::string o = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  o += fmt::format("<testsuites name=\"perfwatch budget check\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">\n",
                   run.results.size(), run.failed_count(), run.skipped_count());
  for (std::string_view kind : kKinds) {
    int tests = 0, failures = 0, skipped = 0;
    for (const CheckResult& r : run.results) {
      if (r.kind != kind) continue;
      ++tests;
      failures += r.status == "fail";
      skipped += r.status == "skipped";
    }
    if (tests == 0) continue;
    o += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">\n", kind, tests, failures,
                     skipped);
    for (const CheckResult& r : run.results) {
      if (r.kind != kind) continue;
      std::string name = (r.path.empty() ? "" : r.path + " ") + r.name;
      if (!r.compression.empty()) name += " (" + r.compression + ")";
      if (!r.source.empty()) name += " (" + r.source + ")";
      o += "    <testcase classname=\"perfwatch.budget.";
      o += kind;
      o += "\" name=\"";
      XmlEscape(o, name);
      o += "\"";
      if (r.status == "pass") {
        o += "/>\n";
        continue;
      }
      o += ">\n";
      if (r.status == "fail") {
        o += "      <failure type=\"budget\" message=\"";
        XmlEscape(o, r.message);
        o += "\">";
        std::string detail = fmt::format("{} {}: value {}, budget {}", r.kind, name,
                                         r.value ? FormatValue(*r.value, r.unit) : "none",
                                         r.budget ? FormatValue(*r.budget, r.unit) : "none");
        if (r.tolerance > 0) detail += ", tolerance " + FormatValue(r.tolerance, r.unit);
        if (r.baseline) detail += ", baseline " + FormatValue(*r.baseline, r.unit);
        XmlEscape(o, detail);
        o += "</failure>\n";
      } else {
        o += "      <skipped message=\"";
        XmlEscape(o, r.message);
        o += "\"/>\n";
      }
      o += "    </testcase>\n";
    }
    o += "  </testsuite>\n";
  }
  o += "</testsuites>\n";
  return o;
}

std::string RenderMarkdown(const CheckRun& run) {
  const bool any_baseline =
      std::any_of(run.results.begin(), run.results.end(), [](const CheckResult& r) { return r.baseline.has_value(); });
  std::string o = fmt::format("### {} Performance budgets: {} over budget, {} within, {} skipped\n\n",
                              run.passed() ? "✅" : "❌", run.failed_count(), run.passed_count(), run.skipped_count());
  std::vector<std::string> ctx;
  if (!run.app.empty()) ctx.push_back("app `" + MarkdownCell(run.app) + "`");
  if (!run.commit.empty()) ctx.push_back("commit `" + MarkdownCell(run.commit.substr(0, 12)) + "`");
  if (!run.branch.empty()) ctx.push_back("branch `" + MarkdownCell(run.branch) + "`");
  if (!run.build_id.empty()) ctx.push_back("build " + MarkdownCell(run.build_id));
  if (!ctx.empty()) {
    std::string line;
    for (const auto& c : ctx) line += (line.empty() ? "" : " · ") + c;
    o += line + "\n\n";
  }
  if (run.results.empty()) return o + "No budget applied to the inputs.\n";
  o += any_baseline ? "| | Kind | Page | Budget | Value | Limit | Headroom | Baseline |\n|---|---|---|---|---:|---:|---:|---:|\n"
                    : "| | Kind | Page | Budget | Value | Limit | Headroom |\n|---|---|---|---|---:|---:|---:|\n";
  // Failures first, then skipped, then passes; file order within each.
  for (const char* status : {"fail", "skipped", "pass"}) {
    for (const CheckResult& r : run.results) {
      if (r.status != status) continue;
      std::string name = r.name;
      if (!r.compression.empty()) name += " (" + r.compression + ")";
      if (!r.source.empty()) name += " (" + r.source + ")";
      const char* icon = r.status == "fail" ? "❌" : r.status == "pass" ? "✅" : "⏭️";
      std::string limit = r.budget ? FormatValue(*r.budget, r.unit) : "–";
      if (r.budget && r.tolerance > 0) limit += " + " + FormatValue(r.tolerance, r.unit);
      o += fmt::format("| {} | {} | {} | {} | {} | {} | {} |", icon, r.kind, r.path.empty() ? "–" : "`" + MarkdownCell(r.path) + "`",
                       MarkdownCell(name), r.value ? FormatValue(*r.value, r.unit) : "–", limit,
                       r.headroom_ratio ? Pct(*r.headroom_ratio) : "–");
      if (any_baseline) o += fmt::format(" {} |", r.baseline ? FormatValue(*r.baseline, r.unit) : "–");
      o += "\n";
    }
  }
  bool any_fail = false;
  for (const CheckResult& r : run.results) {
    if (r.status != "fail") continue;
    if (!any_fail) o += "\n<details><summary>Why it failed</summary>\n\n";
    any_fail = true;
    o += "- " + MarkdownCell(r.message) + "\n";
  }
  if (any_fail) o += "\n</details>\n";
  return o;
}

}  // namespace perfwatch::budget
