#include "cli/health_command.h"

#include <simdjson.h>

#include <cstdio>
#include <cstdlib>

#include "cli/server_address.h"
#include "http/blocking_client.h"

namespace perfwatch::cli {
namespace {

// A field of `e`, or the default when absent or of another type.
std::string_view StrField(simdjson::dom::element e, const char* key) {
  std::string_view v;
  return e[key].get_string().get(v) ? std::string_view() : v;
}
double NumField(simdjson::dom::element e, const char* key) {
  double v;
  return e[key].get_double().get(v) ? 0.0 : v;
}

std::string Fixed1(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

}  // namespace

Result<HealthAnswer> FormatHealthAnswer(std::string_view json_body) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json_body.data(), json_body.size()).get(root)) {
    return InvalidArgument("the server's answer is not JSON: " + std::string(json_body.substr(0, 200)));
  }
  std::string_view status;
  if (root["status"].get_string().get(status)) return InvalidArgument("the server's answer has no status");
  if (status != "success") {
    return InvalidArgument(std::string(StrField(root, "errorType")) + ": " + std::string(StrField(root, "error")));
  }
  simdjson::dom::element data;
  if (root["data"].get(data) || !data.is_object()) return InvalidArgument("the server's answer has no data");
  HealthAnswer out;
  const std::string_view app = StrField(data, "app"), verdict = StrField(data, "verdict"),
                         window = StrField(data, "window");
  double score;
  if (!data["score"].get_double().get(score)) out.score = score;
  out.text = std::string(app) + ": health " + (out.score ? Fixed1(*out.score) : "n/a") + " (" +
             std::string(verdict.empty() ? "no data" : verdict) + ") over the last " + std::string(window) + "\n";
  simdjson::dom::array parts;
  if (data["parts"].get_array().get(parts)) return InvalidArgument("the server's answer has no data.parts");
  for (simdjson::dom::element p : parts) {
    const std::string_view name = StrField(p, "name"), summary = StrField(p, "summary");
    bool included = false;
    if (p["included"].get_bool().get(included)) included = false;
    const double weight = NumField(p, "weight"), part_score = NumField(p, "score");
    char line[512];
    std::snprintf(line, sizeof line, "  %-13s %6s  weight %-3.0f %s\n", std::string(name).c_str(),
                  included ? Fixed1(part_score).c_str() : "-", weight, std::string(summary).c_str());
    out.text += line;
  }
  return out;
}

CLI::App* AddHealthCommand(CLI::App& app, HealthFlags& flags) {
  CLI::App* cmd = app.add_subcommand("health", "print an app's health score with its parts and verdict");
  cmd->add_option("--server", flags.server, "server base URL (default http://127.0.0.1:9797)");
  cmd->add_option("--app", flags.app, "the app (the RUM `app`; required)");
  cmd->add_option("--min", flags.min, "exit 1 when the score is below this (0-100)");
  cmd->allow_extras();  // reported by RunHealth with exit code 2
  flags.command = cmd;
  cmd->add_option("--token", flags.token,
                  "auth token with the read scope, sent as a bearer token (default: $PERFWATCH_TOKEN)");
  return cmd;
}

int RunHealth(const HealthFlags& flags) {
  auto server = ParseServer(flags.server);
  if (!server.ok()) {
    std::fprintf(stderr, "perfwatch health: %s\n", server.status().message().c_str());
    return 2;
  }
  if (flags.command && !flags.command->remaining().empty()) {
    std::fprintf(stderr, "perfwatch health: unknown argument \"%s\"\n", flags.command->remaining().front().c_str());
    return 2;
  }
  if (flags.app.empty()) {
    std::fprintf(stderr, "perfwatch health: --app is required\n");
    return 2;
  }
  std::optional<double> min;
  if (flags.min) {
    char* end = nullptr;
    const double v = std::strtod(flags.min->c_str(), &end);
    if (flags.min->empty() || *end != '\0' || !(v >= 0 && v <= 100)) {
      std::fprintf(stderr, "perfwatch health: --min must be a number from 0 to 100, not \"%s\"\n", flags.min->c_str());
      return 2;
    }
    min = v;
  }
  http::BlockingClient client(server->port, server->host);
  const auto headers = BearerHeaders(flags.token);
  http::ClientResponse res = client.Get("/api/v1/health?app=" + http::UrlEncode(flags.app), headers);
  if (res.status == 0) {
    std::fprintf(stderr, "perfwatch health: cannot reach %s\n", flags.server.c_str());
    return 2;
  }
  auto answer = FormatHealthAnswer(res.body);
  if (!answer.ok()) {
    std::fprintf(stderr, "perfwatch health: %s (HTTP %d)\n", answer.status().message().c_str(), res.status);
    return 2;
  }
  std::fwrite(answer->text.data(), 1, answer->text.size(), stdout);
  if (min && (!answer->score || *answer->score < *min)) {
    std::fprintf(stderr, "perfwatch health: below the minimum %s\n", Fixed1(*min).c_str());
    return 1;
  }
  return 0;
}

}  // namespace perfwatch::cli
