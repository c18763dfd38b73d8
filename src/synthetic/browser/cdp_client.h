#pragma once
// A blocking Chrome DevTools Protocol client over one WebSocket (Boost.Beast) to the
// browser endpoint of a local Chromium. Call() sends {"id","method","params","sessionId"}
// and waits for the response with that id; events that arrive meanwhile are queued in
// arrival order and taken with WaitEvent()/TakeEvents(). Every wait has a deadline; when
// the browser goes away (crash, kill) the socket closes and every call fails at once with
// the reason. A read is always pending, so nothing is lost between calls.
// Thread safety: one thread per object.
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "synthetic/browser/cdp_message.h"

namespace perfwatch::synthetic::browser {

class CdpClient {
 public:
  using Clock = std::chrono::steady_clock;

  CdpClient();
  ~CdpClient();
  CdpClient(const CdpClient&) = delete;
  CdpClient& operator=(const CdpClient&) = delete;

  // Connects to ws://host:port/path (the DevToolsActivePort endpoint).
  Status Connect(const std::string& host, int port, const std::string& path, Clock::time_point deadline);

  // Sends `method` with `params_json` (a JSON object, "" for none) to `session_id` ("" for
  // the browser) and returns the response's result (minified JSON). Errors: the
  // protocol's error ("-32000 Cannot find context..."), "timed out", or the socket's close.
  Result<std::string> Call(std::string_view method, std::string_view params_json, std::string_view session_id,
                           Clock::time_point deadline);

  // The first queued or arriving event for which `match` is true (it is removed; others
  // stay queued); nullopt at the deadline or when the connection is closed.
  std::optional<CdpMessage> WaitEvent(const std::function<bool(const CdpMessage&)>& match, Clock::time_point deadline);
  // Handles incoming messages until `deadline` (or the close).
  void PumpUntil(Clock::time_point deadline);
  // Removes and returns every queued event.
  std::vector<CdpMessage> TakeEvents();

  bool closed() const;
  const std::string& close_reason() const;  // "connection closed: End of file" ...

  // Messages that were not valid CDP (counted, dropped).
  int64_t bad_messages() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace perfwatch::synthetic::browser
