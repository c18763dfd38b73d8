// The acknowledgement endpoints (perfwatch's own, not Alertmanager's):
//   POST   /api/v1/alerts/{fingerprint}/ack   body optional: {"comment": "...", "until": ...}
//   DELETE /api/v1/alerts/{fingerprint}/ack
// Both need the `alert` scope. Answers: 200 with the acknowledgement object (AckJson;
// DELETE answers the one removed), 400 bad_data for a malformed fingerprint or body,
// 404 not_found for an alert that is unknown or not firing (POST) or not acknowledged
// (DELETE), 500 internal when the state cannot be written. Contract: alertmanager.h, acks.h.
#include <simdjson.h>

#include <cctype>

#include "alert/acks.h"
#include "alert/alertmanager_impl.h"
#include "common/log.h"
#include "common/time.h"

namespace perfwatch::alert {
namespace {

namespace dom = simdjson::dom;

constexpr std::string_view kPrefix = "/api/v1/alerts/";
constexpr std::string_view kSuffix = "/ack";

// "<16 hex digits>" from ".../alerts/<fp>/ack"; false after answering 400/404.
bool FingerprintParam(const http::Request& req, http::Response& res, uint64_t* fp) {
  std::string_view rest = req.path.substr(kPrefix.size());
  if (rest.size() <= kSuffix.size() || rest.substr(rest.size() - kSuffix.size()) != kSuffix) {
    http::WriteApiError(res, 404, "not_found", "no route for " + std::string(req.path));
    return false;
  }
  rest.remove_suffix(kSuffix.size());
  bool ok = rest.size() == 16;
  uint64_t v = 0;
  for (char c : rest) {
    if (!ok) break;
    const int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                  : (c >= 'a' && c <= 'f')                    ? c - 'a' + 10
                  : (c >= 'A' && c <= 'F')                    ? c - 'A' + 10
                                                              : -1;
    if (d < 0) ok = false;
    v = v << 4 | static_cast<uint64_t>(d < 0 ? 0 : d);
  }
  if (!ok) {
    http::WriteApiError(res, 400, "bad_data",
                        "invalid fingerprint \"" + std::string(rest) +
                            "\": expected 16 hexadecimal digits as in /api/v2/alerts");
    return false;
  }
  *fp = v;
  return true;
}

void WriteAck(http::Response& res, const Acknowledgement& ack) {
  res.status = 200;
  res.content_type = "application/json";
  res.body = AckJson(ack);
}

void WriteStatusError(http::Response& res, const Status& s) {
  if (s.code() == StatusCode::kNotFound) {
    http::WriteApiError(res, 404, "not_found", s.message());
  } else {
    PW_LOG_ERROR("alertmanager: acknowledgement failed", "err={}", LogQuote(s.ToString()));
    http::WriteApiError(res, 500, "internal", s.message());
  }
}

void HandlePostAck(Alertmanager::Impl& impl, const http::Request& req, http::Response& res) {
  uint64_t fp;
  if (!FingerprintParam(req, res, &fp)) return;
  AckBodyParse body = ParseAckBody(req.body, impl.clock->NowMs());
  if (!body.error.empty()) {
    http::WriteApiError(res, 400, "bad_data", body.error);
    return;
  }
  std::string by = req.principal.empty() ? "anonymous" : req.principal;
  auto ack = impl.Acknowledge(fp, std::move(by), std::move(body.comment), body.until_ms);
  if (!ack.ok()) {
    WriteStatusError(res, ack.status());
    return;
  }
  impl.Wake();
  WriteAck(res, *ack);
}

void HandleDeleteAck(Alertmanager::Impl& impl, const http::Request& req, http::Response& res) {
  uint64_t fp;
  if (!FingerprintParam(req, res, &fp)) return;
  std::optional<Acknowledgement> prev = impl.acks->Get(fp);
  if (Status s = impl.Unacknowledge(fp); !s.ok()) {
    WriteStatusError(res, s);
    return;
  }
  if (prev) {
    WriteAck(res, *prev);
  } else {  // removed concurrently between Get and Unacknowledge
    http::WriteApiError(res, 404, "not_found", "alert not acknowledged");
  }
}

}  // namespace

AckBodyParse ParseAckBody(std::string_view body, int64_t now_ms) {
  AckBodyParse r;
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return r;
  dom::parser parser;
  simdjson::padded_string padded(body);
  dom::element root;
  if (auto err = parser.parse(padded).get(root); err) {
    r.error = std::string("invalid JSON body: ") + simdjson::error_message(err);
    return r;
  }
  if (root.is_null()) return r;
  if (!root.is_object()) {
    r.error = "the body must be a JSON object: {\"comment\": \"...\", \"until\": \"2h\"}";
    return r;
  }
  for (auto [key, value] : dom::object(root)) {
    if (key == "comment") {
      if (value.is_null()) continue;
      if (!value.is_string()) {
        r.error = "\"comment\" must be a string";
        return r;
      }
      r.comment = std::string(std::string_view(value));
    } else if (key == "until") {
      if (value.is_null()) {
        r.until_ms = 0;
        continue;
      }
      if (!value.is_string()) {
        r.error = "\"until\" must be a string: an RFC 3339 time or a duration such as \"2h\"";
        return r;
      }
      std::string_view s = value;
      const bool looks_like_date = s.size() >= 10 && s[4] == '-' && s[7] == '-';
      if (looks_like_date) {
        auto t = ParseTimeMs(s);
        if (!t.ok()) {
          r.error = "invalid \"until\" time \"" + std::string(s) + "\": " + t.status().message();
          return r;
        }
        r.until_ms = *t;
      } else {
        auto d = ParseDurationMs(s);
        if (!d.ok() || *d <= 0) {
          r.error = "invalid \"until\" \"" + std::string(s) +
                    "\": expected an RFC 3339 time or a positive duration such as \"2h\"";
          return r;
        }
        r.until_ms = *d > INT64_MAX - now_ms ? INT64_MAX : now_ms + *d;
      }
      if (r.until_ms <= now_ms) {
        r.error = "\"until\" must lie in the future";
        return r;
      }
    }
  }
  return r;
}

void RegisterAckApi(Alertmanager::Impl& impl, http::Router& router) {
  Alertmanager::Impl* p = &impl;
  router.HandlePrefix("POST", std::string(kPrefix), [p](const http::Request& req, http::Response& res) {
    HandlePostAck(*p, req, res);
  }, {.metric_label = "/api/v1/alerts/{fingerprint}/ack", .scope = http::Scope::kAlert});
  router.HandlePrefix("DELETE", std::string(kPrefix), [p](const http::Request& req, http::Response& res) {
    HandleDeleteAck(*p, req, res);
  }, {.metric_label = "/api/v1/alerts/{fingerprint}/ack", .scope = http::Scope::kAlert});
}

}  // namespace perfwatch::alert
