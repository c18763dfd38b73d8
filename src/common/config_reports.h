#pragma once
// The `reports:` part of the YAML configuration (docs/configuration.md, docs/reports.md
// "Scheduled reports"): reports built on a schedule and sent by email. Internal to
// config.cc. Whether `to` names an email receiver of `alerting:` is checked when the
// server starts (the alert module owns that section).
// Thread safety: pure functions.
#include <yaml-cpp/yaml.h>

#include "common/config.h"
#include "common/status.h"

namespace perfwatch::config_internal {

// Reads `reports:` (a list) into c->reports (unknown keys are errors).
Status ParseReportsSection(const YAML::Node& root, Config* c);

// Names present and unique, app and to set, window and every positive, format known.
Status ValidateReportsConfig(const Config& c);

}  // namespace perfwatch::config_internal
