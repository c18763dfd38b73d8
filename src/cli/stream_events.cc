#include "cli/stream_events.h"

#include "common/json_writer.h"
#include "common/time.h"

namespace perfwatch::cli {
namespace {

constexpr size_t kMaxRemembered = 100'000;  // beyond: resolved alerts are forgotten first

std::string LabelsJson(const alert::LabelSet& labels) {
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ',';
    AppendJsonString(out, labels[i].first);
    out += ':';
    AppendJsonString(out, labels[i].second);
  }
  out += '}';
  return out;
}

}  // namespace

void AlertStreamSink::PutAlerts(std::vector<alert::Alert> alerts) {
  const int64_t now = NowMs();
  std::vector<std::pair<std::string, std::string>> events;  // key, data
  {
    std::lock_guard lock(mu_);
    for (const alert::Alert& a : alerts) {
      const bool firing = !a.ResolvedAt(now);
      std::string key = LabelsJson(a.labels);
      auto it = firing_.find(key);
      if (it != firing_.end() && it->second == firing) continue;
      if (it == firing_.end() && !firing) continue;  // a resolution of an alert never seen firing here
      std::string data = R"({"alertname":)";
      std::string_view name;
      for (const auto& [n, v] : a.labels) {
        if (n == "alertname") name = v;
      }
      AppendJsonString(data, name);
      data += firing ? R"(,"state":"firing","labels":)" : R"(,"state":"resolved","labels":)";
      data += key;
      data += '}';
      firing_[key] = firing;
      events.emplace_back(std::move(key), std::move(data));
    }
    if (firing_.size() > kMaxRemembered) std::erase_if(firing_, [](const auto& kv) { return !kv.second; });
  }
  for (auto& [key, data] : events) hub_->PublishCoalesced("alerts", key, std::move(data));
  next_->PutAlerts(std::move(alerts));
}

}  // namespace perfwatch::cli
