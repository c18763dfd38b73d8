#pragma once
// The --server flag of the client subcommands (query, deploy, health): "http://host:port",
// "host:port" or "host" (port 80); a path after the address is ignored; "localhost" and an
// empty host mean 127.0.0.1. https and other schemes are refused with a message naming
// the flag.
// Thread safety: pure function.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace perfwatch::cli {

struct ServerAddress {
  std::string host;
  uint16_t port = 0;
};

Result<ServerAddress> ParseServer(std::string_view url);

}  // namespace perfwatch::cli
