#include "common/config_analysis.h"

#include <set>

#include "common/config_scrape.h"  // ReadDuration, ReadScalar

namespace perfwatch::config_internal {
Status ParseAnalysisSection(const YAML::Node& root, Config* c) {
  const YAML::Node a = root["analysis"];
  if (!a || a.IsNull()) return Status::Ok();
  AnalysisConfig& ac = c->analysis;
  PW_RETURN_IF_ERROR(CheckKeys(a, "analysis", {"changepoint", "watch", "watch_interval", "watch_lookback",
                                               "watch_min_views", "watch_max_series", "health", "leak"}));
  if (auto cp = a["changepoint"]; cp && !cp.IsNull()) {
    PW_RETURN_IF_ERROR(
        CheckKeys(cp, "analysis.changepoint", {"min_segment", "window", "max_p_value", "min_magnitude"}));
    ReadScalar(cp, "min_segment", &ac.changepoint_min_segment);
    ReadScalar(cp, "window", &ac.changepoint_window);
    ReadScalar(cp, "max_p_value", &ac.changepoint_max_p_value);
    ReadScalar(cp, "min_magnitude", &ac.changepoint_min_magnitude);
  }
  PW_RETURN_IF_ERROR(ReadDuration(a, "watch_interval", &ac.watch_interval_ms).WithContext("analysis"));
  PW_RETURN_IF_ERROR(ReadDuration(a, "watch_lookback", &ac.watch_lookback_ms).WithContext("analysis"));
  ReadScalar(a, "watch_min_views", &ac.watch_min_views);
  ReadScalar(a, "watch_max_series", &ac.watch_max_series);
  if (auto w = a["watch"]; w && !w.IsNull()) {
    if (!w.IsSequence()) return InvalidArgument("analysis.watch: expected a list");
    for (size_t i = 0; i < w.size(); ++i) {
      const std::string where = "analysis.watch[" + std::to_string(i) + "]";
      const YAML::Node e = w[i];
      PW_RETURN_IF_ERROR(CheckKeys(e, where, {"name", "expr", "step", "direction", "min_magnitude"}));
      WatchExprConfig x;
      ReadScalar(e, "name", &x.name);
      ReadScalar(e, "expr", &x.expr);
      ReadScalar(e, "direction", &x.direction);
      ReadScalar(e, "min_magnitude", &x.min_magnitude);
      PW_RETURN_IF_ERROR(ReadDuration(e, "step", &x.step_ms).WithContext(where));
      if (e["min_magnitude"] && !(x.min_magnitude >= 0)) {
        return InvalidArgument(where + ".min_magnitude: must be >= 0");
      }
      ac.watch.push_back(std::move(x));
    }
  }
  if (auto l = a["leak"]; l && !l.IsNull()) {
    LeakWatchConfig& lc = ac.leak;
    PW_RETURN_IF_ERROR(CheckKeys(l, "analysis.leak", {"interval", "lookback", "step", "min_samples", "threshold",
                                                      "max_p_value", "warmup", "expressions"}));
    for (auto [key, out] : {std::pair{"interval", &lc.interval_ms}, {"lookback", &lc.lookback_ms},
                            {"step", &lc.step_ms}, {"warmup", &lc.warmup_ms}}) {
      PW_RETURN_IF_ERROR(ReadDuration(l, key, out).WithContext("analysis.leak"));
    }
    ReadScalar(l, "min_samples", &lc.min_samples);
    ReadScalar(l, "threshold", &lc.threshold);
    ReadScalar(l, "max_p_value", &lc.max_p_value);
    if (auto e = l["expressions"]; e && !e.IsNull()) {
      if (!e.IsSequence()) return InvalidArgument("analysis.leak.expressions: expected a list of PromQL expressions");
      for (size_t i = 0; i < e.size(); ++i) lc.expressions.push_back(e[i].as<std::string>());
    }
  }
  return Status::Ok();
}

Status ValidateAnalysisConfig(const Config& c) {
  const AnalysisConfig& a = c.analysis;
  if (a.changepoint_min_segment < 2) return InvalidArgument("analysis.changepoint.min_segment must be at least 2");
  if (a.changepoint_window < 2 * a.changepoint_min_segment) {
    return InvalidArgument("analysis.changepoint.window must be at least 2 × min_segment");
  }
  if (!(a.changepoint_max_p_value > 0 && a.changepoint_max_p_value < 1)) {
    return InvalidArgument("analysis.changepoint.max_p_value must be between 0 and 1 (exclusive)");
  }
  if (!(a.changepoint_min_magnitude >= 0)) return InvalidArgument("analysis.changepoint.min_magnitude must be >= 0");
  if (a.watch_interval_ms < 0) return InvalidArgument("analysis.watch_interval must be >= 0 (0: off)");
  if (a.watch_lookback_ms < 3600'000) return InvalidArgument("analysis.watch_lookback must be at least 1h");
  if (a.watch_min_views < 1) return InvalidArgument("analysis.watch_min_views must be at least 1");
  if (a.watch_max_series < 0) return InvalidArgument("analysis.watch_max_series must be >= 0");
  const LeakWatchConfig& l = a.leak;
  if (l.interval_ms < 0) return InvalidArgument("analysis.leak.interval must be >= 0 (0: off)");
  if (l.step_ms < 1000) return InvalidArgument("analysis.leak.step must be at least 1s");
  if (l.lookback_ms < 60'000 || l.lookback_ms > 86'400'000) {
    return InvalidArgument("analysis.leak.lookback must be between 1m and 1d");
  }
  if (l.lookback_ms / l.step_ms > 11'000) return InvalidArgument("analysis.leak: lookback / step must be at most 11000");
  if (l.min_samples < 3) return InvalidArgument("analysis.leak.min_samples must be at least 3");
  if (!(l.threshold > 0 && l.threshold < 10)) return InvalidArgument("analysis.leak.threshold must be in (0, 10) per minute");
  if (!(l.max_p_value > 0 && l.max_p_value < 1)) return InvalidArgument("analysis.leak.max_p_value must be between 0 and 1");
  if (l.warmup_ms < 0) return InvalidArgument("analysis.leak.warmup must be >= 0");
  for (size_t i = 0; i < l.expressions.size(); ++i) {
    if (l.expressions[i].empty()) {
      return InvalidArgument("analysis.leak.expressions[" + std::to_string(i) + "] is empty");
    }
  }
  std::set<std::string> names;
  for (size_t i = 0; i < a.watch.size(); ++i) {
    const WatchExprConfig& w = a.watch[i];
    const std::string where = "analysis.watch[" + std::to_string(i) + "]";
    if (w.name.empty()) return InvalidArgument(where + ".name is required");
    if (!names.insert(w.name).second) return InvalidArgument(where + ".name \"" + w.name + "\" is used twice");
    if (w.expr.empty()) return InvalidArgument(where + ".expr is required");
    if (w.step_ms < 1000) return InvalidArgument(where + ".step must be at least 1s");
    if (w.direction != "up" && w.direction != "down" && w.direction != "both") {
      return InvalidArgument(where + ".direction must be up, down or both, not \"" + w.direction + "\"");
    }
    if (a.watch_lookback_ms / w.step_ms > 11'000) {
      return InvalidArgument(where + ".step: analysis.watch_lookback / step must be at most 11000 points");
    }
  }
  return Status::Ok();
}

}  // namespace perfwatch::config_internal
