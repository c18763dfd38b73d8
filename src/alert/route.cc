// The routing tree's matching (Alertmanager 0.25's dispatch/route.go), receiver lookup and
// the default configuration.
#include <string>
#include <vector>

#include "alert/am_config.h"

namespace perfwatch::alert {
namespace {

// Appends the routes `labels` goes to below and including `route`; returns whether any
// was appended (Alertmanager returns nil for a route whose matchers fail).
bool MatchInto(const Route& route, const LabelSet& labels, std::vector<const Route*>& out) {
  if (!MatchesAll(route.matchers, labels)) return false;
  const size_t before = out.size();
  for (const Route& child : route.routes) {
    const bool matched = MatchInto(child, labels, out);
    if (matched && !child.continue_matching) break;
  }
  // No child matched: the node itself is the match.
  if (out.size() == before) out.push_back(&route);
  return true;
}

}  // namespace

std::vector<const Route*> Route::Match(const LabelSet& labels) const {
  std::vector<const Route*> out;
  MatchInto(*this, labels, out);
  return out;
}

const Receiver* AlertmanagerConfig::FindReceiver(std::string_view name) const {
  for (const Receiver& r : receivers) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

const EscalationPolicy* AlertmanagerConfig::FindEscalation(std::string_view name) const {
  for (const EscalationPolicy& p : escalations) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

AlertmanagerConfig DefaultAlertmanagerConfig() {
  AlertmanagerConfig config;
  config.route.receiver = "default";
  config.route.key = "{}";
  Receiver receiver;
  receiver.name = "default";
  config.receivers.push_back(std::move(receiver));
  return config;
}

}  // namespace perfwatch::alert
