#pragma once
// The `analysis.health` part of the YAML configuration (docs/configuration.md,
// docs/score.md "Health score"): the health score's schedule, window and per-service
// targets. Internal to config.cc.
// Thread safety: pure functions.
#include <yaml-cpp/yaml.h>

#include "common/config.h"
#include "common/status.h"

namespace perfwatch::config_internal {

// Reads `analysis.health` into c->analysis.health (unknown keys are errors).
Status ParseHealthSection(const YAML::Node& root, Config* c);

// Ranges and consistency of c.analysis.health (per-service targets keep -1 for "the
// section's default"; the health service resolves them).
Status ValidateHealthConfig(const Config& c);

}  // namespace perfwatch::config_internal
