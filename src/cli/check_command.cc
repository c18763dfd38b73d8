#include "cli/check_command.h"

#include <simdjson.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "cli/server_address.h"
#include "common/file_util.h"
#include "common/json_writer.h"
#include "frontend/assets.h"
#include "http/blocking_client.h"
#include "synthetic/check_config.h"
#include "synthetic/result_json.h"
#include "synthetic/run_check.h"

namespace perfwatch::cli {
namespace {

std::string Ms(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f ms", seconds * 1000);
  return buf;
}

void PrintText(const synthetic::CheckSpec& spec, const synthetic::CheckResult& r) {
  std::string line = std::string(r.success ? "PASS " : "FAIL ") + spec.name + "  ";
  if (spec.kind == synthetic::CheckSpec::Kind::kHttp) {
    line += (r.status_code ? std::to_string(r.status_code) : std::string("-")) + "  " + Ms(r.duration_s) +
            " (resolve " + Ms(r.phases.resolve) + ", connect " + Ms(r.phases.connect) + ", tls " + Ms(r.phases.tls) +
            ", processing " + Ms(r.phases.processing) + ", transfer " + Ms(r.phases.transfer) + ")";
  } else {
    line += Ms(r.duration_s);
    for (const auto& [k, v] : r.vitals) {
      char buf[48];
      std::snprintf(buf, sizeof buf, k == "cls" ? " %s %.3f" : " %s %.0f ms", k.c_str(), v);
      line += buf;
    }
  }
  if (r.retried) line += "  [retried]";
  std::printf("%s\n", line.c_str());
  for (const synthetic::StepResult& s : r.steps) {
    std::printf("    %s %-30s %s%s%s\n", s.ok ? "ok  " : "FAIL", s.name.c_str(), Ms(s.duration_s).c_str(),
                s.error.empty() ? "" : "  ", s.error.c_str());
  }
  if (!r.success) std::printf("    error: %s\n", r.error.c_str());
}

// The checks of a file: one check, a list, or a config with synthetic.checks.
Result<std::vector<synthetic::CheckSpec>> ChecksOfFile(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  std::vector<synthetic::CheckSpec> out;
  try {
    const YAML::Node root = YAML::Load(*text);
    if (root.IsMap() && root["synthetic"]) {
      auto config = synthetic::ParseSyntheticConfig(*text);
      if (!config.ok()) return config.status();
      return config->checks;
    }
    if (root.IsSequence()) {
      for (size_t i = 0; i < root.size(); ++i) {
        auto c = synthetic::ParseCheck(root[i], "checks[" + std::to_string(i) + "]");
        if (!c.ok()) return c.status();
        out.push_back(std::move(c).value());
      }
      return out;
    }
    auto c = synthetic::ParseCheck(root, "check");
    if (!c.ok()) return c.status();
    out.push_back(std::move(c).value());
  } catch (const YAML::Exception& e) {
    return InvalidArgument(path + ": " + e.msg + " (line " + std::to_string(e.mark.line + 1) + ")");
  }
  return out;
}

int RunOnServer(const CheckRunFlags& flags) {
  auto server = ParseServer(flags.server);
  if (!server.ok()) {
    std::fprintf(stderr, "perfwatch check run: %s\n", server.status().message().c_str());
    return 2;
  }
  http::BlockingClient client(server->port, server->host);
  const auto headers = BearerHeaders(flags.token);
  http::ClientResponse res = client.Post("/api/v1/checks/" + flags.target + "/run", "", "application/json", headers);
  if (res.status == 0) {
    std::fprintf(stderr, "perfwatch check run: cannot reach %s\n", flags.server.c_str());
    return 1;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(res.body).get(root) != simdjson::SUCCESS) {
    std::fprintf(stderr, "perfwatch check run: HTTP %d: %s\n", res.status, res.body.c_str());
    return 1;
  }
  if (res.status != 200) {
    std::string_view message = res.body;
    if (root["error"].get(message) != simdjson::SUCCESS) message = res.body;
    std::fprintf(stderr, "perfwatch check run: HTTP %d: %.*s\n", res.status, static_cast<int>(message.size()),
                 message.data());
    return res.status == 404 ? 2 : 1;
  }
  auto result = synthetic::ParseCheckResultJson(root["data"].value_unsafe());
  if (!result.ok()) {
    std::fprintf(stderr, "perfwatch check run: %s\n", result.status().message().c_str());
    return 1;
  }
  if (flags.format == "json") {
    std::string out;
    synthetic::AppendCheckResultJson(out, *result, true);
    std::printf("%s\n", out.c_str());
  } else {
    synthetic::CheckSpec spec;
    spec.name = flags.target;
    spec.kind = result->vitals.empty() && result->steps.empty() ? synthetic::CheckSpec::Kind::kHttp
                                                                : synthetic::CheckSpec::Kind::kBrowser;
    PrintText(spec, *result);
  }
  return result->success ? 0 : 1;
}

}  // namespace

CLI::App* AddCheckCommand(CLI::App& app, CheckRunFlags& flags) {
  CLI::App* check = app.add_subcommand("check", "synthetic checks (docs/synthetic.md)");
  check->require_subcommand(1);
  CLI::App* run = check->add_subcommand(
      "run", "run checks once: those of a file here, or one named check on a server; exit 1 when one fails");
  run->add_option("target", flags.target, "a YAML/JSON file of checks (or a perfwatch config), or a check's name")
      ->required();
  run->add_option("--only", flags.only, "with a file: run only the check of this name");
  run->add_option("--format", flags.format, "text or json")->capture_default_str();
  run->add_option("--server", flags.server, "with a name: the perfwatch server URL")->capture_default_str();
  run->add_option("--token", flags.token, "with a name: API token with the admin scope (default: $PERFWATCH_TOKEN)");
  run->add_option("--chromium", flags.chromium, "browser binary for browser checks")->capture_default_str();
  run->add_flag("--no-retry", flags.no_retry, "count the first outcome (no double check)");
  return run;
}

int RunCheckCommand(const CheckRunFlags& flags) {
  if (flags.format != "text" && flags.format != "json") {
    std::fprintf(stderr, "perfwatch check run: --format must be text or json\n");
    return 2;
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(flags.target, ec)) {
    if (!synthetic::ValidCheckName(flags.target)) {
      std::fprintf(stderr, "perfwatch check run: %s is neither a file nor a check name\n", flags.target.c_str());
      return 2;
    }
    return RunOnServer(flags);
  }
  auto checks = ChecksOfFile(flags.target);
  if (!checks.ok()) {
    std::fprintf(stderr, "perfwatch check run: %s\n", checks.status().message().c_str());
    return 2;
  }
  synthetic::RunOptions options;
  options.chromium = flags.chromium;
  options.retry = !flags.no_retry;
  if (const frontend::Asset* rum_js = frontend::FindAsset("/rum.js")) options.rum_js = std::string(rum_js->body);
  int ran = 0, failed = 0;
  std::string json = "[";
  for (const synthetic::CheckSpec& spec : *checks) {
    if (!flags.only.empty() && spec.name != flags.only) continue;
    ++ran;
    const synthetic::CheckResult r = synthetic::RunCheck(spec, options);
    failed += r.success ? 0 : 1;
    if (flags.format == "json") {
      if (json.size() > 1) json += ',';
      json += "{\"name\":";
      AppendJsonString(json, spec.name);
      json += ",\"result\":";
      synthetic::AppendCheckResultJson(json, r, true);
      json += '}';
    } else {
      PrintText(spec, r);
    }
  }
  if (ran == 0) {
    std::fprintf(stderr, "perfwatch check run: no check%s in %s\n",
                 flags.only.empty() ? "" : (" named " + flags.only).c_str(), flags.target.c_str());
    return 2;
  }
  if (flags.format == "json") std::printf("%s]\n", json.c_str());
  else std::printf("%d of %d checks passed\n", ran - failed, ran);
  return failed == 0 ? 0 : 1;
}

}  // namespace perfwatch::cli
