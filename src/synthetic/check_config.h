#pragma once
// The `synthetic:` section of the YAML (docs/synthetic.md) and the JSON body of
// POST /api/v1/checks: both read into CheckSpec by one parser (JSON is YAML), with errors
// that name the key and line ("synthetic.checks[1].http.url (line 12): ..."). A spec
// written back by CheckSpecToJson parses to the same spec.
// Thread safety: pure functions.
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "synthetic/check.h"

namespace YAML {
class Node;
}

namespace perfwatch::synthetic {

// `synthetic.status_pages[]`: a public status page at /status/{name} ("default" is /status).
struct StatusPageSpec {
  std::string name = "default";
  std::string title = "Status";
  std::vector<std::string> checks;  // shown in this order; empty: every check
  // Firing alerts shown as incidents: those with label public="true", plus any whose
  // `check` label names a check on the page.
};

struct SyntheticConfig {
  std::vector<CheckSpec> checks;
  int max_browsers = 1;              // browser checks running at once
  int max_concurrent_http = 64;      // HTTP checks in flight at once (the rest wait their turn)
  std::string chromium = "chromium"; // the browser binary (PATH lookup)
  size_t history = 1000;             // results kept per check (memory and disk)
  std::vector<StatusPageSpec> status_pages;  // empty: one page "default" with every check
};

// Reads `synthetic:` from the whole config file's text ("" or no section: the defaults).
Result<SyntheticConfig> ParseSyntheticConfig(const std::string& yaml_text);

// One check from a YAML/JSON node; `where` prefixes errors ("synthetic.checks[0]").
Result<CheckSpec> ParseCheck(const YAML::Node& node, const std::string& where);

// One check from a JSON (or YAML) document, as POSTed to /api/v1/checks.
Result<CheckSpec> ParseCheckText(std::string_view text);

// The spec as a JSON object in the YAML's key spelling (durations as "10s").
std::string CheckSpecToJson(const CheckSpec& spec);

// [A-Za-z0-9_.-]{1,128}: check names appear in URLs and file names.
bool ValidCheckName(std::string_view name);

}  // namespace perfwatch::synthetic
