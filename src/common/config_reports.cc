#include "common/config_reports.h"

#include <set>

#include "common/config_scrape.h"  // ReadDuration, ReadScalar, CheckKeys

namespace perfwatch::config_internal {

Status ParseReportsSection(const YAML::Node& root, Config* c) {
  const YAML::Node list = root["reports"];
  if (!list || list.IsNull()) return Status::Ok();
  if (!list.IsSequence()) return InvalidArgument("reports: expected a list");
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string where = "reports[" + std::to_string(i) + "]";
    PW_RETURN_IF_ERROR(CheckKeys(list[i], where, {"name", "app", "window", "every", "format", "to"}));
    ReportScheduleConfig r;
    ReadScalar(list[i], "name", &r.name);
    ReadScalar(list[i], "app", &r.app);
    ReadScalar(list[i], "format", &r.format);
    ReadScalar(list[i], "to", &r.to);
    PW_RETURN_IF_ERROR(ReadDuration(list[i], "window", &r.window_ms).WithContext(where));
    PW_RETURN_IF_ERROR(ReadDuration(list[i], "every", &r.every_ms).WithContext(where));
    c->reports.push_back(std::move(r));
  }
  return Status::Ok();
}

Status ValidateReportsConfig(const Config& c) {
  std::set<std::string> names;
  for (size_t i = 0; i < c.reports.size(); ++i) {
    const ReportScheduleConfig& r = c.reports[i];
    const std::string where = "reports[" + std::to_string(i) + "]";
    if (r.name.empty()) return InvalidArgument(where + ": name is required");
    if (!names.insert(r.name).second) return InvalidArgument(where + ": duplicate name \"" + r.name + "\"");
    if (r.app.empty()) return InvalidArgument(where + " (" + r.name + "): app is required");
    if (r.to.empty()) return InvalidArgument(where + " (" + r.name + "): to (an email receiver of alerting) is required");
    if (r.window_ms <= 0) return InvalidArgument(where + " (" + r.name + "): window must be positive");
    if (r.every_ms < 60'000) return InvalidArgument(where + " (" + r.name + "): every must be at least 1m");
    if (r.format != "html" && r.format != "md" && r.format != "json") {
      return InvalidArgument(where + " (" + r.name + "): format must be html, md or json, not \"" + r.format + "\"");
    }
  }
  return Status::Ok();
}

}  // namespace perfwatch::config_internal
