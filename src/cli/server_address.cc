#include "cli/server_address.h"

#include <cstdlib>

#include <simdjson.h>

namespace perfwatch::cli {

Result<ServerAddress> ParseServer(std::string_view url) {
  if (url.starts_with("http://")) {
    url.remove_prefix(7);
  } else if (url.starts_with("https://")) {
    return InvalidArgument("--server: https is not supported; use http://host:port");
  } else if (url.find("://") != std::string_view::npos) {
    return InvalidArgument("--server: expected http://host:port");
  }
  if (auto slash = url.find('/'); slash != std::string_view::npos) url = url.substr(0, slash);
  const size_t colon = url.rfind(':');
  ServerAddress a;
  a.host = std::string(url.substr(0, colon));
  int port = 80;
  if (colon != std::string_view::npos) {
    try {
      port = std::stoi(std::string(url.substr(colon + 1)));
    } catch (...) {
      port = -1;
    }
  }
  if (port <= 0 || port > 65535) return InvalidArgument("--server: bad port in \"" + std::string(url) + "\"");
  a.port = static_cast<uint16_t>(port);
  if (a.host.empty() || a.host == "localhost") a.host = "127.0.0.1";
  return a;
}

std::vector<std::pair<std::string, std::string>> BearerHeaders(const std::optional<std::string>& token) {
  const char* env = std::getenv("PERFWATCH_TOKEN");
  const std::string t = token ? *token : (env ? env : "");
  if (t.empty()) return {};
  return {{"Authorization", "Bearer " + t}};
}

std::string ServerAnswerError(int status, std::string_view body) {
  std::string_view type = "error", message = body.substr(0, 200);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(body.data(), body.size()).get(root) == simdjson::SUCCESS && root.is_object()) {
    // Either field may be missing: keep the defaults then.
    if (root["errorType"].get(type) != simdjson::SUCCESS) type = "error";
    if (root["error"].get(message) != simdjson::SUCCESS) message = body.substr(0, 200);
  }
  return "server answered " + std::to_string(status) + ": " + std::string(type) + ": " + std::string(message);
}

}  // namespace perfwatch::cli
