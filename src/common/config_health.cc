#include "common/config_health.h"

#include <set>

#include "common/config_scrape.h"  // ReadDuration, ReadScalar

namespace perfwatch::config_internal {
Status ParseHealthSection(const YAML::Node& root, Config* c) {
  const YAML::Node a = root["analysis"];
  if (!a || a.IsNull() || !a.IsMap()) return Status::Ok();
  const YAML::Node h = a["health"];
  if (!h || h.IsNull()) return Status::Ok();
  HealthConfig& hc = c->analysis.health;
  PW_RETURN_IF_ERROR(CheckKeys(h, "analysis.health",
                               {"interval", "window", "error_ratio_target", "latency_p95_target", "apps"}));
  PW_RETURN_IF_ERROR(ReadDuration(h, "interval", &hc.interval_ms).WithContext("analysis.health"));
  PW_RETURN_IF_ERROR(ReadDuration(h, "window", &hc.window_ms).WithContext("analysis.health"));
  ReadScalar(h, "error_ratio_target", &hc.error_ratio_target);
  PW_RETURN_IF_ERROR(ReadDuration(h, "latency_p95_target", &hc.latency_p95_target_ms).WithContext("analysis.health"));
  if (auto apps = h["apps"]; apps && !apps.IsNull()) {
    if (!apps.IsSequence()) return InvalidArgument("analysis.health.apps: expected a list");
    for (size_t i = 0; i < apps.size(); ++i) {
      const std::string where = "analysis.health.apps[" + std::to_string(i) + "]";
      PW_RETURN_IF_ERROR(CheckKeys(apps[i], where, {"app", "services"}));
      HealthAppConfig app;
      ReadScalar(apps[i], "app", &app.app);
      if (auto svcs = apps[i]["services"]; svcs && !svcs.IsNull()) {
        if (!svcs.IsSequence()) return InvalidArgument(where + ".services: expected a list");
        for (size_t k = 0; k < svcs.size(); ++k) {
          const std::string w = where + ".services[" + std::to_string(k) + "]";
          HealthServiceConfig s;
          if (svcs[k].IsScalar()) {
            s.name = svcs[k].as<std::string>();
          } else {
            PW_RETURN_IF_ERROR(CheckKeys(svcs[k], w, {"name", "error_ratio_target", "latency_p95_target"}));
            ReadScalar(svcs[k], "name", &s.name);
            ReadScalar(svcs[k], "error_ratio_target", &s.error_ratio_target);
            if (svcs[k]["error_ratio_target"] && !(s.error_ratio_target > 0 && s.error_ratio_target <= 1)) {
              return InvalidArgument(w + ".error_ratio_target must be in (0, 1]");
            }
            PW_RETURN_IF_ERROR(ReadDuration(svcs[k], "latency_p95_target", &s.latency_p95_target_ms).WithContext(w));
            if (svcs[k]["latency_p95_target"] && s.latency_p95_target_ms <= 0) {
              return InvalidArgument(w + ".latency_p95_target must be positive");
            }
          }
          app.services.push_back(std::move(s));
        }
      }
      hc.apps.push_back(std::move(app));
    }
  }
  return Status::Ok();
}

Status ValidateHealthConfig(const Config& c) {
  const HealthConfig& h = c.analysis.health;
  if (h.interval_ms < 0) return InvalidArgument("analysis.health.interval must be >= 0 (0: off)");
  if (h.window_ms < 60'000) return InvalidArgument("analysis.health.window must be at least 1m");
  if (!(h.error_ratio_target > 0 && h.error_ratio_target <= 1)) {
    return InvalidArgument("analysis.health.error_ratio_target must be in (0, 1]");
  }
  if (h.latency_p95_target_ms <= 0) return InvalidArgument("analysis.health.latency_p95_target must be positive");
  std::set<std::string> apps;
  for (size_t i = 0; i < h.apps.size(); ++i) {
    const std::string where = "analysis.health.apps[" + std::to_string(i) + "]";
    if (h.apps[i].app.empty()) return InvalidArgument(where + ".app is required");
    if (!apps.insert(h.apps[i].app).second) {
      return InvalidArgument(where + ".app \"" + h.apps[i].app + "\" is listed twice");
    }
    for (size_t k = 0; k < h.apps[i].services.size(); ++k) {
      if (h.apps[i].services[k].name.empty()) {
        return InvalidArgument(where + ".services[" + std::to_string(k) + "].name is required");
      }
    }
  }
  return Status::Ok();
}

}  // namespace perfwatch::config_internal
