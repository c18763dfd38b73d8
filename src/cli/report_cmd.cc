#include "cli/report_cmd.h"

#include <simdjson.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "cli/server_address.h"
#include "http/blocking_client.h"
#include "report/report_render.h"

namespace perfwatch::cli {
namespace {

// The "error" of a Prometheus-shaped error answer, or the body's start.
std::string ErrorOf(const std::string& body) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::string_view msg;
  if (!parser.parse(body).get(root) && !root["error"].get_string().get(msg)) return std::string(msg);
  return body.substr(0, 200);
}

}  // namespace

CLI::App* AddReportCommand(CLI::App& app, ReportFlags& flags) {
  CLI::App* cmd = app.add_subcommand("report", "write an app's performance report (html, md or json) from a server");
  cmd->add_option("--app", flags.app, "the app (the RUM `app`; required)");
  cmd->add_option("--window", flags.window, "the period, compared with the one before it (default 7d)");
  cmd->add_option("--format", flags.format, "html (default), md or json");
  cmd->add_option("--out", flags.out, "the file to write (default: standard output)");
  cmd->add_option("--to", flags.to, "end of the period: Unix seconds or RFC 3339 (default now)");
  cmd->add_option("--server", flags.server, "server base URL (default http://127.0.0.1:9797)");
  cmd->add_option("--token", flags.token,
                  "auth token with the read scope, sent as a bearer token (default: $PERFWATCH_TOKEN)");
  cmd->allow_extras();  // reported by RunReport with exit code 2
  flags.command = cmd;
  return cmd;
}

int RunReport(const ReportFlags& flags) {
  auto fail = [](const std::string& msg) {
    std::fprintf(stderr, "perfwatch report: %s\n", msg.c_str());
    return 2;
  };
  if (flags.command && !flags.command->remaining().empty()) {
    return fail("unknown argument \"" + flags.command->remaining().front() + "\"");
  }
  if (flags.app.empty()) return fail("--app is required");
  if (!report::ParseReportFormat(flags.format)) return fail("--format must be html, md or json, not \"" + flags.format + "\"");
  auto server = ParseServer(flags.server);
  if (!server.ok()) return fail(server.status().message());
  std::string path = "/api/v1/report?app=" + http::UrlEncode(flags.app) + "&window=" + http::UrlEncode(flags.window) +
                     "&format=" + http::UrlEncode(flags.format);
  if (flags.to) path += "&to=" + http::UrlEncode(*flags.to);
  std::vector<std::pair<std::string, std::string>> headers;
  const char* env_token = std::getenv("PERFWATCH_TOKEN");
  const std::string token = flags.token ? *flags.token : (env_token ? env_token : "");
  if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
  http::BlockingClient client(server->port, server->host);
  http::ClientResponse res = client.Get(path, headers);
  if (res.status == 0) return fail("cannot reach " + flags.server);
  if (res.status != 200) return fail(ErrorOf(res.body) + " (HTTP " + std::to_string(res.status) + ")");
  if (flags.out.empty() || flags.out == "-") {
    std::fwrite(res.body.data(), 1, res.body.size(), stdout);
    return 0;
  }
  std::ofstream out(flags.out, std::ios::binary | std::ios::trunc);
  if (!out || !out.write(res.body.data(), static_cast<std::streamsize>(res.body.size())) || !out.flush()) {
    return fail("cannot write " + flags.out);
  }
  return 0;
}

}  // namespace perfwatch::cli
