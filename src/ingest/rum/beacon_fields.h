#pragma once
// The per-beacon half of BeaconParser (internal to this module): checks one parsed beacon
// object against the rules, derives its dimensions and event time, writes its other fields
// as attribute JSON, and collects the accepted events and the rejections of a batch.
// Rules: docs/ingest.md. Thread safety: not thread-safe; owned by one BeaconParser.
#include <simdjson.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.h"
#include "events/event.h"
#include "ingest/rum/beacon_parser.h"
#include "ingest/rum/beacon_rejection.h"
#include "ingest/rum/route_templater.h"
#include "ingest/rum/user_agent.h"

namespace perfwatch::ingest {

class BeaconFields {
 public:
  BeaconFields(const RumConfig& config, std::shared_ptr<const RouteTemplater> templater);

  // Forgets the previous batch (keeps the buffers).
  void Clear();
  // Checks beacon number `index` and appends an event or a rejection.
  void Process(simdjson::dom::element beacon, int index, const BeaconContext& context);
  // Points the events' page and attribute views into the (now final) string arenas.
  void Finish();

  std::span<const events::EventInput> events() const { return {events_.data(), event_count_}; }
  std::vector<BeaconRejection>& rejections() { return rejections_; }

 private:
  // An attribute JSON object under construction in attrs_arena_.
  struct AttrsWriter;

  void Reject(int index, RejectCode code, std::string reason);
  UserAgentClass Classify(std::string_view user_agent);

  const std::string default_app_;
  const int64_t max_timestamp_age_ms_;
  const bool keep_query_strings_;  // false: the stored url loses ?query and #fragment
  const std::shared_ptr<const RouteTemplater> templater_;

  std::vector<events::EventInput> events_;  // the first event_count_ are this batch's
  size_t event_count_ = 0;
  std::vector<BeaconRejection> rejections_;
  // Page templates and attribute objects of the batch; events refer to them by offset
  // until Finish() (the arenas may move while they grow).
  std::string page_arena_;
  std::string attrs_arena_;
  struct Pending {
    uint32_t page_offset, page_length;    // page_length 0: page is not in the arena
    uint32_t attrs_offset, attrs_length;  // attrs_length 0: no attributes
  };
  std::vector<Pending> pending_;  // parallel to events_

  // The last user agent classified: beacons of a batch (and of a session) share it.
  std::string cached_user_agent_;
  UserAgentClass cached_class_;
  bool cache_valid_ = false;
};

}  // namespace perfwatch::ingest
