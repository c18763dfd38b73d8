#pragma once
// The parts of a loaded configuration that the server parses beyond common/config before it
// opens anything: the `alerting:` section, the rule files `rule_files:` names, the `alerts:`
// forms (their groups after the rule files' groups) and `synthetic:`. One function
// so that ServerApp::Start, ServerApp's reload and `perfwatch config check` check the same.
// Errors name the file and line where the parsers know them (rule files: FILE:LINE:COL).
// Thread safety: a pure function (reads the rule files).
#include <optional>
#include <string>
#include <vector>

#include "alert/am_config.h"
#include "alert/rule_file.h"
#include "alert/rule_forms.h"
#include "common/config.h"
#include "common/status.h"
#include "synthetic/check_config.h"

namespace perfwatch::cli {

struct ConfigParts {
  alert::AlertmanagerConfig alertmanager;       // `alerting:` or the default
  std::vector<std::string> rule_files;          // what rule_files: matched, sorted
  std::vector<alert::RuleGroupSpec> rules;      // the rule files' groups, then the `alerts:` ones
  std::vector<alert::SloDefinition> slos;       // `alerts:` slo entries (GET /api/v1/slos)
  std::optional<synthetic::SyntheticConfig> synthetic;  // always set
};

// kStart: as ServerApp::Start reads them (a rule file error gets "load rule files: ").
// kReload: what a reload applies (the same parts; only the order of the checks differs).
// kCheck: everything kStart reads, for `perfwatch config check`.
enum class ConfigPartsUse { kStart, kReload, kCheck };

Result<ConfigParts> LoadConfigParts(const Config& config, ConfigPartsUse use);

}  // namespace perfwatch::cli
