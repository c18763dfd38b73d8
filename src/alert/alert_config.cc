#include "alert/alert_config.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include "alert/rule_file.h"

namespace perfwatch::alert {

Result<AlertmanagerConfig> AlertmanagerConfigFrom(const Config& config) {
  if (!config.has_alerting) return DefaultAlertmanagerConfig();
  try {
    YAML::Node root = YAML::Load(config.source_text);
    auto parsed = ParseAlertmanagerConfig(root["alerting"]);
    if (!parsed.ok()) return parsed.status().WithContext("alerting");
    return parsed;
  } catch (const YAML::Exception& e) {
    return InvalidArgument(std::string("alerting: invalid YAML: ") + e.what());
  }
}

Result<std::vector<std::string>> RuleFilesFrom(const Config& config) {
  std::string base = config.source_path.empty() ? std::string(".") : config.source_path.parent_path().string();
  if (base.empty()) base = ".";
  auto files = ExpandRuleFileGlobs(config.rules.rule_files, base);
  if (!files.ok()) return files.status().WithContext("rule_files");
  return files;
}

std::string ExternalUrlFrom(const Config& config) {
  if (!config.rules.external_url.empty()) return config.rules.external_url;
  const std::string& listen = config.http.listen;
  size_t colon = listen.rfind(':');
  std::string host = listen.substr(0, colon);
  std::string port = colon == std::string::npos ? "" : listen.substr(colon + 1);
  if (host.empty() || host == "0.0.0.0" || host == "[::]" || host == "::") {
    char name[256] = {};
    host = gethostname(name, sizeof name - 1) == 0 && name[0] ? name : "localhost";
  }
  return "http://" + host + (port.empty() ? "" : ":" + port);
}

}  // namespace perfwatch::alert
