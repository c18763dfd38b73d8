#include "common/log.h"

#include <spdlog/sinks/stdout_sinks.h>

namespace perfwatch {

void InitLogging(std::string_view level) {
  auto logger = spdlog::stderr_logger_mt("perfwatch");
  logger->set_pattern("ts=%Y-%m-%dT%H:%M:%S.%eZ level=%l %v", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(std::string(level)));
  spdlog::set_default_logger(logger);
}

void SetLogLevel(std::string_view level) {
  spdlog::default_logger()->set_level(spdlog::level::from_str(std::string(level)));
}

std::string LogQuote(std::string_view v) {
  bool needs = v.empty();
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || c == '\n' || c == '\\') needs = true;
  }
  if (!needs) return std::string(v);
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace perfwatch
