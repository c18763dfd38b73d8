#pragma once
// Reads the alerting parts of perfwatch's configuration: the Alertmanager configuration
// under `alerting:` (parsed from the file's text so errors name its lines) and the rule
// files that `rule_files:` globs match (relative to the config file's folder).
// Thread safety: pure functions.
#include <string>
#include <vector>

#include "alert/am_config.h"
#include "common/config.h"

namespace perfwatch::alert {

// The `alerting:` section, or DefaultAlertmanagerConfig() when there is none.
Result<AlertmanagerConfig> AlertmanagerConfigFrom(const Config& config);
// The rule files to load, sorted.
Result<std::vector<std::string>> RuleFilesFrom(const Config& config);
// external_url, or http://<listen address> (a wildcard host replaced by the host name).
std::string ExternalUrlFrom(const Config& config);

}  // namespace perfwatch::alert
