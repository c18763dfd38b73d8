#pragma once
// One-line structured logs (logfmt: `ts=... level=info msg="..." key=value`) on stderr,
// through spdlog. Thread safety: all functions are thread-safe.
#include <spdlog/spdlog.h>

#include <string>
#include <string_view>

namespace perfwatch {

// Sets the global logger's format and level ("trace" ... "off").
void InitLogging(std::string_view level);

// Changes the global logger's level ("trace" ... "off"; an unknown name is "off", so
// callers validate first, as ValidateConfig does). Takes effect for every thread at once.
void SetLogLevel(std::string_view level);

// Quotes a value for logfmt when it contains spaces, quotes or '='.
std::string LogQuote(std::string_view v);

}  // namespace perfwatch

// Usage: PW_LOG_INFO("listening", "addr={}", addr);  ->  msg="listening" addr=127.0.0.1:9797
#define PW_LOG_IMPL(level, msg, ...) \
  spdlog::level("msg=\"" msg "\" " __VA_ARGS__)
#define PW_LOG_INFO(msg, ...) PW_LOG_IMPL(info, msg, __VA_ARGS__)
#define PW_LOG_WARN(msg, ...) PW_LOG_IMPL(warn, msg, __VA_ARGS__)
#define PW_LOG_ERROR(msg, ...) PW_LOG_IMPL(error, msg, __VA_ARGS__)
#define PW_LOG_DEBUG(msg, ...) PW_LOG_IMPL(debug, msg, __VA_ARGS__)
