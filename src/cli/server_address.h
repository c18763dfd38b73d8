#pragma once
// The --server flag of the client subcommands (query, deploy, health): "http://host:port",
// "host:port" or "host" (port 80); a path after the address is ignored; "localhost" and an
// empty host mean 127.0.0.1. https and other schemes are refused with a message naming
// the flag.
// BearerHeaders: their Authorization header. ServerAnswerError: how they print a non-200
// answer ("server answered 400: bad_data: <error>", from Prometheus' error shape).
// Thread safety: pure functions (BearerHeaders reads the environment).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace perfwatch::cli {

struct ServerAddress {
  std::string host;
  uint16_t port = 0;
};

Result<ServerAddress> ParseServer(std::string_view url);

// {"Authorization", "Bearer T"} with T = --token, else $PERFWATCH_TOKEN; empty when neither is set.
std::vector<std::pair<std::string, std::string>> BearerHeaders(const std::optional<std::string>& token);

// "server answered STATUS: errorType: error" from Prometheus' error shape; a body without
// it is quoted (its first 200 bytes) with "error" as the type.
std::string ServerAnswerError(int status, std::string_view body);

}  // namespace perfwatch::cli
