#pragma once
// One Chrome DevTools Protocol message as received over the WebSocket: a response
// {"id":N,"result":{...}} or {"id":N,"error":{"code":C,"message":M}}, or an event
// {"method":"Domain.event","params":{...}}, either with an optional "sessionId" (flat
// sessions of Target.attachToTarget). ParseCdpMessage never throws and rejects anything
// else with a reason; the payload (result or params) is kept as minified JSON text for the
// caller to read with CdpJson below.
// Thread safety: pure functions; CdpJson is a plain value (one per thread).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace perfwatch::synthetic::browser {

struct CdpMessage {
  int64_t id = -1;          // responses: the request's id; events: -1
  std::string method;       // events: "Page.loadEventFired"; responses: ""
  std::string session_id;   // "" for the browser session
  std::string payload;      // result (responses) or params (events): a JSON object, "{}" when absent
  bool is_error = false;    // responses: an "error" member instead of "result"
  std::string error;        // "CODE MESSAGE" of an error response
  bool is_event() const { return id < 0; }
};

// Parses one message; false (and *why) when it is not valid JSON or not one of the two shapes.
bool ParseCdpMessage(std::string_view text, CdpMessage* out, std::string* why);

// Read-only access to fields of a JSON document by dotted path ("exceptionDetails.text",
// "args.0.value"): numbers, strings, booleans, and the minified text of any value.
class CdpJson {
 public:
  explicit CdpJson(std::string_view json);  // invalid JSON: every lookup misses
  ~CdpJson();
  CdpJson(const CdpJson&) = delete;
  CdpJson& operator=(const CdpJson&) = delete;
  bool valid() const;
  std::optional<std::string> String(std::string_view path) const;
  std::optional<double> Number(std::string_view path) const;
  std::optional<bool> Bool(std::string_view path) const;
  std::optional<std::string> Raw(std::string_view path) const;   // minified JSON of the value
  size_t ArraySize(std::string_view path) const;                 // 0 when missing / not an array

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace perfwatch::synthetic::browser
