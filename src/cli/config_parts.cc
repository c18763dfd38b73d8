#include "cli/config_parts.h"

#include "alert/alert_config.h"

namespace perfwatch::cli {

Result<ConfigParts> LoadConfigParts(const Config& config, ConfigPartsUse use) {
  ConfigParts parts;
  auto am_config = alert::AlertmanagerConfigFrom(config);
  if (!am_config.ok()) return am_config.status();
  parts.alertmanager = std::move(am_config).value();
  auto rule_files = alert::RuleFilesFrom(config);
  if (!rule_files.ok()) return rule_files.status();
  parts.rule_files = std::move(rule_files).value();
  // A reload has always compiled `alerts:` before reading the rule files; start the other
  // way round. The order only decides which error is reported when both are broken.
  std::optional<alert::AlertForms> forms;
  if (use == ConfigPartsUse::kReload) {
    auto f = alert::AlertFormsFrom(config);
    if (!f.ok()) return f.status();
    forms = std::move(f).value();
  }
  auto rules = alert::LoadRuleFiles(parts.rule_files);
  if (!rules.ok()) {
    return use == ConfigPartsUse::kReload ? rules.status() : rules.status().WithContext("load rule files");
  }
  parts.rules = std::move(rules).value();
  if (!forms) {
    // `alerts:` (docs/alert-forms.md): compiled into groups loaded after the rule files'.
    auto f = alert::AlertFormsFrom(config);
    if (!f.ok()) return f.status();
    forms = std::move(f).value();
  }
  parts.rules.insert(parts.rules.end(), forms->groups.begin(), forms->groups.end());
  parts.slos = std::move(forms->slos);
  // `synthetic:` (docs/synthetic.md); a reload applies it too (Scheduler::ApplyConfig).
  auto synthetic_config = synthetic::ParseSyntheticConfig(config.source_text);
  if (!synthetic_config.ok()) return synthetic_config.status();
  parts.synthetic = std::move(synthetic_config).value();
  return parts;
}

}  // namespace perfwatch::cli
