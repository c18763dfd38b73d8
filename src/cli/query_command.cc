#include "cli/query_command.h"

#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "common/time.h"
#include "cli/server_address.h"
#include "http/blocking_client.h"

namespace perfwatch::cli {
namespace {

// `name{a="b", c="d"}` as Prometheus prints a label set.
std::string SeriesName(simdjson::dom::object metric) {
  std::string name, rest;
  for (auto [key, value] : metric) {
    std::string_view v = value.get_string().value_unsafe();
    if (key == "__name__") {
      name = std::string(v);
      continue;
    }
    if (!rest.empty()) rest += ", ";
    rest += std::string(key) + "=\"" + std::string(v) + "\"";
  }
  return name + "{" + rest + "}";
}

std::string FormatTime(simdjson::dom::element t) {
  double seconds = 0;
  if (t.get_double().get(seconds)) return "?";
  return FormatRfc3339Ms(static_cast<int64_t>(seconds * 1000 + (seconds >= 0 ? 0.5 : -0.5)));
}

void AppendRow(std::string& out, const std::string& left, size_t width, std::string_view right) {
  out += left;
  out.append(width + 2 - std::min(width, left.size()), ' ');
  out += right;
  out += '\n';
}

}  // namespace

Result<std::string> FormatQueryAnswer(std::string_view json_body) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json_body.data(), json_body.size()).get(root)) {
    return InvalidArgument("the server's answer is not JSON: " + std::string(json_body.substr(0, 200)));
  }
  std::string_view status;
  if (root["status"].get_string().get(status)) return InvalidArgument("the server's answer has no status");
  if (status != "success") {
    std::string_view type = "error", error = "";
    if (auto t = root["errorType"].get_string(); !t.error()) type = t.value_unsafe();
    if (auto e = root["error"].get_string(); !e.error()) error = e.value_unsafe();
    return InvalidArgument(std::string(type) + ": " + std::string(error));
  }
  std::string_view type;
  simdjson::dom::element result;
  if (root["data"]["resultType"].get_string().get(type) || root["data"]["result"].get(result)) {
    return InvalidArgument("the server's answer has no data.resultType / data.result");
  }
  std::string out;
  if (type == "scalar" || type == "string") {
    simdjson::dom::array pair = result.get_array().value_unsafe();
    std::string_view v = pair.at(1).get_string().value_unsafe();
    out += std::string(v) + "\n";
    return out;
  }
  simdjson::dom::array series = result.get_array().value_unsafe();
  if (series.size() == 0) return std::string("(no series)\n");
  if (type == "vector") {
    std::vector<std::pair<std::string, std::string>> rows;
    size_t width = 6;
    std::string at;
    for (simdjson::dom::element s : series) {
      simdjson::dom::array value = s["value"].get_array().value_unsafe();
      if (at.empty()) at = FormatTime(value.at(0).value_unsafe());
      rows.emplace_back(SeriesName(s["metric"].get_object().value_unsafe()),
                        std::string(value.at(1).get_string().value_unsafe()));
      width = std::max(width, rows.back().first.size());
    }
    out += "at " + at + "\n";
    AppendRow(out, "SERIES", width, "VALUE");
    for (const auto& [name, value] : rows) AppendRow(out, name, width, value);
    return out;
  }
  // matrix
  for (simdjson::dom::element s : series) {
    out += SeriesName(s["metric"].get_object().value_unsafe()) + "\n";
    simdjson::dom::array values;  // named: value_unsafe() of a temporary result dangles
    if (s["values"].get_array().get(values)) return InvalidArgument("a matrix series has no values");
    for (simdjson::dom::element point : values) {
      simdjson::dom::array p = point.get_array().value_unsafe();
      AppendRow(out, "  " + FormatTime(p.at(0).value_unsafe()), 26, p.at(1).get_string().value_unsafe());
    }
  }
  return out;
}

void AddQueryFlags(CLI::App& cmd, QueryFlags& flags) {
  cmd.add_option("expr", flags.expr, "the PromQL expression")->required();
  cmd.add_option("--server", flags.server, "server base URL (default http://127.0.0.1:9797)");
  cmd.add_option("--time", flags.time, "instant query time: Unix seconds or RFC 3339 (default now)");
  cmd.add_option("--start", flags.start, "range query start (Unix seconds, RFC 3339, or a duration ago such as 1h)");
  cmd.add_option("--end", flags.end, "range query end (default now)");
  cmd.add_option("--step", flags.step, "range query step: seconds or a duration (default (end-start)/100, at least 1s)");
  cmd.add_option("--timeout", flags.timeout, "query timeout, e.g. 30s");
  cmd.add_option("--token", flags.token,
                 "auth token with the read scope, sent as a bearer token (default: $PERFWATCH_TOKEN)");
}

int RunQuery(const QueryFlags& flags) {
  auto server = ParseServer(flags.server);
  if (!server.ok()) {
    std::fprintf(stderr, "perfwatch query: %s\n", server.status().message().c_str());
    return 2;
  }
  // A time parameter: Unix seconds, RFC 3339, or a duration meaning "that long ago".
  auto resolve = [](const std::string& text) -> Result<int64_t> {
    if (auto t = ParseTimeMs(text); t.ok()) return t;
    if (auto d = ParseDurationMs(text); d.ok()) return NowMs() - *d;
    return InvalidArgument("cannot parse \"" + text + "\" as a time or a duration ago");
  };
  std::string body = "query=" + http::UrlEncode(flags.expr);
  std::string path = "/api/v1/query";
  if (flags.start) {
    auto start = resolve(*flags.start);
    auto end = flags.end ? resolve(*flags.end) : Result<int64_t>(NowMs());
    if (!start.ok() || !end.ok()) {
      std::fprintf(stderr, "perfwatch query: %s\n", (!start.ok() ? start : end).status().message().c_str());
      return 2;
    }
    std::string step = flags.step ? *flags.step : std::to_string(std::max<int64_t>(1, (*end - *start) / 100'000));
    path = "/api/v1/query_range";
    body += "&start=" + std::to_string(*start / 1000.0) + "&end=" + std::to_string(*end / 1000.0) +
            "&step=" + http::UrlEncode(step);
  } else if (flags.time) {
    auto t = resolve(*flags.time);
    if (!t.ok()) {
      std::fprintf(stderr, "perfwatch query: %s\n", t.status().message().c_str());
      return 2;
    }
    body += "&time=" + std::to_string(*t / 1000.0);
  }
  if (flags.timeout) body += "&timeout=" + http::UrlEncode(*flags.timeout);
  http::BlockingClient client(server->port, server->host);
  std::vector<std::pair<std::string, std::string>> headers;
  const char* env_token = std::getenv("PERFWATCH_TOKEN");
  std::string token = flags.token ? *flags.token : (env_token ? env_token : "");
  if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
  http::ClientResponse res = client.Post(path, body, "application/x-www-form-urlencoded", headers);
  if (res.status == 0) {
    std::fprintf(stderr, "perfwatch query: cannot reach %s\n", flags.server.c_str());
    return 1;
  }
  auto table = FormatQueryAnswer(res.body);
  if (!table.ok()) {
    std::fprintf(stderr, "perfwatch query: %s\n", table.status().message().c_str());
    return 1;
  }
  std::fwrite(table->data(), 1, table->size(), stdout);
  return 0;
}

}  // namespace perfwatch::cli
