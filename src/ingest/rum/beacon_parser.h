#pragma once
// Parses the body of POST /api/rum (one JSON beacon object or an array of them) into
// normalized events::EventInput values, deriving page, device, browser, connection, app and
// the event time, and collecting a rejection for every beacon that breaks the rules.
// The rules are DESIGN.md's `POST /api/rum` contract; every detail: docs/ingest.md.
//
// Uses simdjson's DOM parser (runtime CPU dispatch). A parser owns its buffers (padded
// input copy, parsed document, page and attribute strings) and reuses them, so after
// warm-up a request allocates nothing unless it is larger than any before it; error paths
// may allocate their reason strings.
//
// Thread safety: not thread-safe; use one BeaconParser per thread. Results borrow the
// parser's buffers and stay valid until the next Parse() call or destruction.
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "common/config.h"
#include "events/event.h"
#include "ingest/rum/beacon_rejection.h"
#include "ingest/rum/route_templater.h"

namespace perfwatch::ingest {

// What the request, rather than the body, tells about its beacons.
struct BeaconContext {
  int64_t received_ms = 0;             // server receive time
  std::string_view query_app;          // the `?app=` parameter; empty when absent
  std::string_view header_user_agent;  // the request's User-Agent header; may be empty
};

struct ParsedBatch {
  // Accepted beacons in batch order. Their string views point into the parser, into the
  // context's strings, or to static storage.
  std::span<const events::EventInput> events;
  // Rejected beacons in batch order; a whole-body failure is a single entry with index -1
  // (and then `events` is empty).
  std::span<const BeaconRejection> rejections;
  // True when the body itself was rejected (bad JSON, too deep, too many beacons, ...).
  bool body_rejected = false;
};

class BeaconParser {
 public:
  // Attribute JSON (unknown and non-column fields) is capped at this many bytes per beacon;
  // fields beyond are dropped and `"_truncated":true` is added.
  static constexpr size_t kMaxAttrsBytes = 16 << 10;
  // app and connection values are cut to this many bytes (at a UTF-8 boundary).
  static constexpr size_t kMaxDimBytes = 128;

  // `templater` is shared (immutable) and must not be null.
  BeaconParser(const RumConfig& config, std::shared_ptr<const RouteTemplater> templater);
  ~BeaconParser();
  BeaconParser(const BeaconParser&) = delete;
  BeaconParser& operator=(const BeaconParser&) = delete;

  // Parses `body` (copied: it need not outlive the call). String views in the result may
  // point into `context`'s strings, which must stay alive while the result is used.
  ParsedBatch Parse(std::string_view body, const BeaconContext& context);

  // Frees the input copy and simdjson's buffers when a body larger than
  // kRetainedBodyBytes grew them, so a rare large batch (the SDK's are at most 64 KiB, as
  // sendBeacon allows) does not pin megabytes per worker thread. Parse() calls it before
  // parsing a body of ordinary size. Invalidates the last Parse result.
  void ReleaseLargeBuffers();
  static constexpr size_t kRetainedBodyBytes = 256 << 10;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace perfwatch::ingest
