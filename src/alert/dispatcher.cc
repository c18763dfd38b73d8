#include "alert/dispatcher.h"

#include <algorithm>
#include <climits>

#include "alert/am_format.h"

namespace perfwatch::alert {

LabelSet GroupLabels(const LabelSet& labels, const Route& route) {
  if (route.group_by_all) return labels;
  LabelSet out;
  for (const auto& kv : labels) {
    if (std::find(route.group_by.begin(), route.group_by.end(), kv.first) != route.group_by.end()) {
      out.push_back(kv);
    }
  }
  return out;
}

void Dispatcher::Insert(const Alert& alert, int64_t now_ms) {
  const uint64_t fp = Fingerprint(alert.labels);
  for (const Route* route : root_->Match(alert.labels)) {
    LabelSet group_labels = GroupLabels(alert.labels, *route);
    const uint64_t group_fp = Fingerprint(group_labels);
    auto& slot = groups_[{route, group_fp}];
    if (!slot) {
      slot = std::make_unique<AggrGroup>();
      slot->route = route;
      slot->key = route->key + ":" + GoLabelSetString(group_labels);
      slot->labels = std::move(group_labels);
      slot->next_flush_ms = now_ms + route->group_wait_ms;
    }
    AggrGroup& g = *slot;
    g.alerts[fp] = alert;
    // An alert that has waited longer than group_wait already flushes the new group now.
    if (!g.has_flushed && alert.starts_at_ms + route->group_wait_ms < now_ms) {
      g.next_flush_ms = now_ms;
    }
  }
}

std::vector<FlushBatch> Dispatcher::TakeDue(int64_t now_ms) {
  std::vector<FlushBatch> out;
  for (auto& [id, g] : groups_) {
    if (g->next_flush_ms > now_ms) continue;
    g->next_flush_ms = now_ms + g->route->group_interval_ms;
    g->has_flushed = true;
    if (g->alerts.empty()) continue;
    FlushBatch b;
    b.route = g->route;
    b.group_fingerprint = id.second;
    b.group_key = g->key;
    b.group_labels = g->labels;
    b.now_ms = now_ms;
    b.alerts.reserve(g->alerts.size());
    for (const auto& [fp, a] : g->alerts) {
      Alert copy = a;
      if (!copy.ResolvedAt(now_ms)) copy.ends_at_ms = 0;  // alerts do not resolve as time moves on
      b.alerts.push_back(std::move(copy));
    }
    std::stable_sort(b.alerts.begin(), b.alerts.end(), [](const Alert& x, const Alert& y) {
      return AlertLabelsLess(x.labels, y.labels);
    });
    out.push_back(std::move(b));
  }
  return out;
}

void Dispatcher::FlushSucceeded(const FlushBatch& batch, int64_t now_ms) {
  auto it = groups_.find({batch.route, batch.group_fingerprint});
  if (it == groups_.end()) return;
  AggrGroup& g = *it->second;
  for (const Alert& a : batch.alerts) {
    auto cur = g.alerts.find(Fingerprint(a.labels));
    if (cur == g.alerts.end()) continue;
    if (a.ResolvedAt(now_ms) && cur->second.updated_at_ms == a.updated_at_ms) g.alerts.erase(cur);
  }
}

size_t Dispatcher::RemoveEmptyGroups() {
  size_t n = 0;
  for (auto it = groups_.begin(); it != groups_.end();) {
    if (it->second->alerts.empty()) {
      it = groups_.erase(it);
      ++n;
    } else {
      ++it;
    }
  }
  return n;
}

int64_t Dispatcher::NextDeadline() const {
  int64_t next = INT64_MAX;
  for (const auto& [id, g] : groups_) next = std::min(next, g->next_flush_ms);
  return next;
}

}  // namespace perfwatch::alert
