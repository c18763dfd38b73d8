#include "cli/config_command.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "cli/config_parts.h"
#include "cli/security.h"
#include "cli/serve.h"
#include "common/metrics.h"
#include "clickhouse/clickhouse_config.h"
#include "remote/remote_config.h"

namespace perfwatch::cli {
namespace {

constexpr int kExitSuccess = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

std::string Plural(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// The one-line summary of a file that passed.
std::string Summary(const Config& config, const ConfigParts& parts, size_t remote_writes) {
  size_t rules = 0;
  for (const auto& g : parts.rules) rules += g.rules.size();
  std::string s = Plural(parts.rule_files.size(), "rule file", "rule files") + ", " +
                  Plural(parts.rules.size(), "rule group", "rule groups") + ", " + Plural(rules, "rule", "rules") +
                  ", " + Plural(parts.alertmanager.receivers.size(), "receiver", "receivers") + ", " +
                  Plural(parts.slos.size(), "SLO", "SLOs") + ", " +
                  Plural(parts.synthetic ? parts.synthetic->checks.size() : 0, "synthetic check", "synthetic checks") +
                  ", " + Plural(config.scrape_configs.size(), "scrape job", "scrape jobs") + ", " +
                  Plural(remote_writes, "remote_write target", "remote_write targets") + ", " +
                  Plural(config.auth.tokens.size(), "auth token", "auth tokens");
  return s;
}

// Everything `serve --config FILE` checks before it opens the data directory.
Result<std::string> CheckFile(const std::string& file) {
  ServeFlags flags;
  flags.config_path = file;
  auto config = BuildConfig(flags);
  if (!config.ok()) return config.status();
  MetricsRegistry scratch;  // the guards register their counters somewhere
  auto security = BuildSecurityGuards(*config, &scratch);
  if (!security.ok()) return security.status();
  auto parts = LoadConfigParts(*config, ConfigPartsUse::kCheck);
  if (!parts.ok()) return parts.status();
  auto remote_write = remote::ParseRemoteWriteConfig(config->source_text, config->source_path.parent_path());
  if (!remote_write.ok()) return remote_write.status();
  // events.backend: clickhouse (docs/format/clickhouse.md); its password file is read as at start.
  auto events_backend = clickhouse::ParseEventsBackend(config->source_text, config->source_path.parent_path());
  if (!events_backend.ok()) return events_backend.status();
  if (*events_backend) PW_RETURN_IF_ERROR(clickhouse::ResolvePassword(**events_backend).status());
  return Summary(*config, *parts, remote_write->size());
}

std::string StripPrefix(std::string reason, const std::string& file) {
  const std::string prefix = file + ": ";
  if (reason.starts_with(prefix)) reason.erase(0, prefix.size());
  return reason;
}

// Defence in depth for reasons that quote a URL: its user info ("https://user:pass@host")
// becomes "<secret>". The parsers already name keys rather than secret values.
std::string HideUserInfo(std::string reason) {
  for (size_t at = reason.find("://"); at != std::string::npos; at = reason.find("://", at + 3)) {
    const size_t start = at + 3;
    size_t end = start;
    while (end < reason.size() && reason[end] != '/' && reason[end] != '@' && reason[end] != '"' &&
           reason[end] != '\'' && reason[end] != ' ' && reason[end] != '\n') {
      ++end;
    }
    if (end < reason.size() && reason[end] == '@') reason.replace(start, end - start, "<secret>");
  }
  return reason;
}

// Appends " (FILE:LINE)" to `reason` when it starts with a dotted key of `yaml_text` (such as
// "http.threads must be ...") and carries no line yet; otherwise returns it unchanged.
std::string WithKeyLine(const std::string& reason, const std::string& yaml_text, const std::string& file) {
  if (reason.starts_with("line ") || reason.find(" line ") != std::string::npos ||
      reason.find("(line ") != std::string::npos || reason.find(file + ":") != std::string::npos) {
    return reason;
  }
  // The leading key path: letters, digits, '_' and '.', at least one '.' or a top-level key.
  size_t end = 0;
  while (end < reason.size() && (std::isalnum(static_cast<unsigned char>(reason[end])) || reason[end] == '_' ||
                                 reason[end] == '.')) {
    ++end;
  }
  const std::string path = reason.substr(0, end);
  if (path.empty() || end >= reason.size() || (reason[end] != ' ' && reason[end] != ':')) return reason;
  try {
    YAML::Node node = YAML::Load(yaml_text);
    size_t start = 0;
    bool found = false;
    while (start <= path.size()) {
      const size_t dot = std::min(path.find('.', start), path.size());
      const std::string key = path.substr(start, dot - start);
      if (key.empty() || !node.IsMap() || !node[key]) return reason;
      // reset, not `=`: assigning a yaml-cpp node writes through to the node it refers to.
      node.reset(node[key]);
      found = true;
      start = dot + 1;
    }
    if (!found || node.Mark().line < 0) return reason;
    return reason + " (" + file + ":" + std::to_string(node.Mark().line + 1) + ")";
  } catch (const YAML::Exception&) {
    return reason;
  }
}

}  // namespace

CLI::App* AddConfigCommand(CLI::App& app, ConfigCheckFlags& flags) {
  CLI::App* config = app.add_subcommand("config", "work with perfwatch configuration files");
  config->footer("Subcommands: check. Exit status 2 without one.");
  CLI::App* check = config->add_subcommand(
      "check", "check configuration files as `serve` would before starting (as `promtool check config` does)");
  check->add_option("files", flags.files, "the configuration files to check");
  check->allow_extras();  // unknown flags are reported by RunConfigCheck with exit code 2
  flags.check = check;
  check->footer(
      "Each file is loaded with every check `perfwatch serve --config FILE` makes before it\n"
      "opens the data directory: YAML and keys, value ranges, rum.route_rules, auth (the\n"
      "secure default, token files), alerting:, the rule files rule_files: names, alerts:,\n"
      "synthetic: and remote_write:. One line per file:\n"
      "  FILE: SUCCESS: <rule files, groups, rules, receivers, checks, scrape jobs ...>\n"
      "  FILE: FAILED: <reason, with the key and line>\n"
      "Secret values (tokens, passwords, credentials, webhook URLs) are never printed.\n"
      "Exit status: 0 every file is valid, 1 a file is invalid or unreadable, 2 usage error.\n"
      "Configuration keys: docs/configuration.md; operations: docs/operations.md.");
  return config;
}

int RunConfigCheck(const ConfigCheckFlags& flags, std::FILE* out, std::FILE* err) {
  if (flags.check && !flags.check->parsed()) {
    std::fputs("perfwatch config: a subcommand is required (check)\nRun with --help for more information.\n", err);
    return kExitUsage;
  }
  if (flags.check && !flags.check->remaining().empty()) {
    std::fprintf(err, "perfwatch config check: unknown argument %s\nRun with --help for more information.\n",
                 flags.check->remaining().front().c_str());
    return kExitUsage;
  }
  if (flags.files.empty()) {
    std::fputs("perfwatch config check: at least one FILE is required\nRun with --help for more information.\n", err);
    return kExitUsage;
  }
  bool failed = false;
  for (const std::string& file : flags.files) {
    auto summary = CheckFile(file);
    if (summary.ok()) {
      std::fprintf(out, "%s: SUCCESS: %s\n", file.c_str(), summary->c_str());
      std::fflush(out);
      continue;
    }
    failed = true;
    std::string reason = HideUserInfo(StripPrefix(summary.status().message(), file));
    // Key paths without a line get the key's line from the file (ValidateConfig's ranges).
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    if (in) reason = WithKeyLine(reason, text.str(), file);
    std::fprintf(err, "%s: FAILED: %s\n", file.c_str(), reason.c_str());
    std::fflush(err);
  }
  return failed ? kExitFailure : kExitSuccess;
}

}  // namespace perfwatch::cli
