#pragma once
// What the server tells open GET /api/v1/stream responses besides vitals: AlertStreamSink
// sits between the rule manager and the notification pipeline and publishes `event: alerts`
// (`{"alertname","state":"firing"|"resolved","labels":{...}}`, coalesced per alert) when an
// alert starts firing or resolves; the periodic re-sends of an unchanged alert publish
// nothing. docs/api.md.
// Thread safety: thread-safe (PutAlerts may come from several evaluation threads).
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "alert/alert.h"
#include "http/event_stream.h"

namespace perfwatch::cli {

class AlertStreamSink final : public alert::AlertSink {
 public:
  // `next` (the pipeline) and `hub` outlive the sink.
  AlertStreamSink(alert::AlertSink* next, http::EventHub* hub) : next_(next), hub_(hub) {}

  void PutAlerts(std::vector<alert::Alert> alerts) override;

 private:
  alert::AlertSink* const next_;
  http::EventHub* const hub_;
  std::mutex mu_;
  std::map<std::string, bool> firing_;  // guarded by mu_: alert labels (JSON) -> last state published
};

}  // namespace perfwatch::cli
