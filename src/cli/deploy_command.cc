#include "cli/deploy_command.h"

#include <simdjson.h>

#include <cstdio>
#include <cstdlib>

#include "common/json_writer.h"
#include "common/time.h"
#include "cli/server_address.h"
#include "http/blocking_client.h"

namespace perfwatch::cli {
CLI::App* AddDeployCommand(CLI::App& app, DeployFlags& flags) {
  CLI::App* cmd = app.add_subcommand("deploy", "record a deploy marker on a server (for CI pipelines)");
  cmd->add_option("--server", flags.server, "perfwatch server URL")->capture_default_str();
  cmd->add_option("--app", flags.app, "browser app deployed (or --service)");
  cmd->add_option("--service", flags.service, "backend service deployed (or --app)");
  cmd->add_option("--version", flags.version, "version deployed (required)");
  cmd->add_option("--commit", flags.commit, "commit SHA");
  cmd->add_option("--environment", flags.environment, "environment (prod, staging, ...)");
  cmd->add_option("--time", flags.time, "deploy time: unix seconds or RFC 3339 (default: now)");
  cmd->add_option("--token", flags.token, "API token with the ingest scope (default: $PERFWATCH_TOKEN)");
  return cmd;
}

Result<std::string> DeployRequestBody(const DeployFlags& flags) {
  if (flags.app.empty() == flags.service.empty()) return InvalidArgument("give exactly one of --app and --service");
  if (flags.version.empty()) return InvalidArgument("--version is required");
  std::string body = "{";
  auto field = [&](std::string_view name, const std::string& value) {
    if (value.empty()) return;
    if (body.size() > 1) body += ',';
    AppendJsonString(body, name);
    body += ':';
    AppendJsonString(body, value);
  };
  field("app", flags.app);
  field("service", flags.service);
  field("version", flags.version);
  field("commit", flags.commit);
  field("environment", flags.environment);
  if (flags.time) {
    auto t = ParseTimeMs(*flags.time);
    if (!t.ok()) return InvalidArgument("--time: " + t.status().message());
    field("time", *flags.time);
  }
  body += '}';
  return body;
}

int RunDeploy(const DeployFlags& flags) {
  auto server = ParseServer(flags.server);
  if (!server.ok()) {
    std::fprintf(stderr, "perfwatch deploy: %s\n", server.status().message().c_str());
    return 2;
  }
  auto body = DeployRequestBody(flags);
  if (!body.ok()) {
    std::fprintf(stderr, "perfwatch deploy: %s\n", body.status().message().c_str());
    return 2;
  }
  http::BlockingClient client(server->port, server->host);
  const auto headers = BearerHeaders(flags.token);
  http::ClientResponse res = client.Post("/api/v1/deploys", *body, "application/json", headers);
  if (res.status == 0) {
    std::fprintf(stderr, "perfwatch deploy: cannot reach %s\n", flags.server.c_str());
    return 1;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  const bool json = parser.parse(res.body).get(root) == simdjson::SUCCESS && root.is_object();
  if (res.status != 200) {
    std::fprintf(stderr, "perfwatch deploy: %s\n", ServerAnswerError(res.status, res.body).c_str());
    return 1;
  }
  std::string_view id, time;
  if (!json || root["data"]["id"].get(id) || root["data"]["time"].get(time)) {
    std::fprintf(stderr, "perfwatch deploy: unexpected answer from the server: %s\n", res.body.c_str());
    return 1;
  }
  std::printf("deploy %.*s recorded: %s %s%s%s at %.*s\n", static_cast<int>(id.size()), id.data(),
              flags.app.empty() ? flags.service.c_str() : flags.app.c_str(), flags.version.c_str(),
              flags.commit.empty() ? "" : (" (commit " + flags.commit + ")").c_str(),
              flags.environment.empty() ? "" : (" in " + flags.environment).c_str(), static_cast<int>(time.size()),
              time.data());
  return 0;
}

}  // namespace perfwatch::cli
