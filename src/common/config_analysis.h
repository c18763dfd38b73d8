#pragma once
// The `analysis:` part of the YAML configuration: the change-point detector's defaults
// (`analysis.changepoint`), the continuous watches' schedule and caps, and the
// `analysis.watch` list of PromQL expressions. Internal to config.cc; keys and defaults
// are documented in docs/configuration.md and docs/analysis.md.
// Thread safety: pure functions.
#include <yaml-cpp/yaml.h>

#include "common/config.h"
#include "common/status.h"

namespace perfwatch::config_internal {

// Reads `analysis:` from the root mapping into c->analysis (unknown keys are errors).
Status ParseAnalysisSection(const YAML::Node& root, Config* c);

// Ranges and consistency of c.analysis (names unique, directions known, steps positive).
Status ValidateAnalysisConfig(const Config& c);

}  // namespace perfwatch::config_internal
