// Escalation policies: the `escalations:` parser (declared in am_config_internal.h) and
// the per-alert tracker (escalation.h).
#include "alert/escalation.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <climits>
#include <set>
#include <utility>

#include "alert/am_config_internal.h"
#include "alert/am_format.h"
#include "alert/state_file.h"
#include "common/coding.h"

namespace perfwatch::alert {

// ------------------------------------------------------------------ configuration

namespace amconfig {
namespace {

constexpr size_t kMaxSteps = 1000;
constexpr uint64_t kMaxRepeat = 1'000'000;

// Puts `place` after the "line N: " prefix of an error from a nested reader.
Status Placed(const Status& s, const std::string& place) {
  if (s.ok()) return s;
  const std::string& m = s.message();
  if (m.rfind("line ", 0) == 0) {
    const size_t colon = m.find(": ");
    if (colon != std::string::npos) {
      return InvalidArgument(m.substr(0, colon + 2) + place + m.substr(colon + 2));
    }
  }
  return InvalidArgument(place + m);
}

Status ParseStep(const YAML::Node& n, const std::set<std::string>& receivers,
                 const std::string& place, EscalationStep* out) {
  bool has_after = false, has_receivers = false;
  Status s = ForEachField(
      n, "escalation step", {"after", "receivers"},
      [&](const YAML::Node&, const std::string& key, const YAML::Node& v) -> Status {
        if (key == "after") {
          has_after = true;
          return ReadDuration(v, &out->after_ms);
        }
        has_receivers = true;
        PW_RETURN_IF_ERROR(ReadStringList(v, "[]string", &out->receivers));
        size_t i = 0;
        for (const auto& item : v) {
          const std::string& r = out->receivers[i++];
          if (!receivers.count(r)) {
            return ErrAt(item, "undefined receiver " + GoQuote(r) + " used in escalation step");
          }
        }
        return Status::Ok();
      });
  PW_RETURN_IF_ERROR(Placed(s, place));
  if (!n.IsMap()) return Placed(ErrAt(n, "a step is a map with after and receivers"), place);
  if (!has_after) return Placed(ErrAt(n, "missing after"), place);
  if (out->after_ms < 0) return Placed(ErrAt(n, "after must not be negative"), place);
  if (!has_receivers || out->receivers.empty()) {
    return Placed(ErrAt(n, "missing receivers"), place);
  }
  return Status::Ok();
}

Status ParsePolicy(const YAML::Node& n, const std::set<std::string>& receivers,
                   const std::string& place, EscalationPolicy* out) {
  YAML::Node steps_node;
  bool has_steps = false;
  Status s = ForEachField(
      n, "escalation policy", {"steps", "repeat"},
      [&](const YAML::Node&, const std::string& key, const YAML::Node& v) -> Status {
        if (key == "repeat") return ReadUint64(v, &out->repeat);
        has_steps = true;
        steps_node = v;
        if (v.IsNull()) return Status::Ok();
        if (!v.IsSequence()) return TypeErr(v, "[]escalation.Step");
        size_t i = 0;
        for (const auto& item : v) {
          if (i >= kMaxSteps) {
            return ErrAt(item, "more than " + std::to_string(kMaxSteps) + " steps");
          }
          EscalationStep st;
          PW_RETURN_IF_ERROR(ParseStep(item, receivers, "steps[" + std::to_string(i) + "]: ", &st));
          if (!out->steps.empty() && st.after_ms <= out->steps.back().after_ms) {
            return ErrAt(item, "steps[" + std::to_string(i) + "]: after (" +
                                   GoModelDuration(st.after_ms) +
                                   ") must be greater than the previous step's (" +
                                   GoModelDuration(out->steps.back().after_ms) + ")");
          }
          out->steps.push_back(std::move(st));
          ++i;
        }
        return Status::Ok();
      });
  PW_RETURN_IF_ERROR(Placed(s, place));
  if (!n.IsMap()) return Placed(ErrAt(n, "a policy is a map with steps and repeat"), place);
  if (!has_steps || out->steps.empty()) return Placed(ErrAt(n, "no steps"), place);
  if (out->repeat > kMaxRepeat) {
    return Placed(ErrAt(n, "repeat must be at most " + std::to_string(kMaxRepeat)), place);
  }
  if (out->repeat > 0 && out->steps.back().after_ms == 0) {
    return Placed(ErrAt(n, "repeat needs a last step with after greater than 0"), place);
  }
  return Status::Ok();
}

Status CheckRouteEscalationsAt(const RawRoute& r, const std::vector<EscalationPolicy>& policies) {
  if (r.escalation && !r.escalation->empty()) {
    const bool known =
        std::any_of(policies.begin(), policies.end(),
                    [&](const EscalationPolicy& p) { return p.name == *r.escalation; });
    if (!known) {
      return ErrAt(r.escalation_mark,
                   "route: undefined escalation policy " + GoQuote(*r.escalation));
    }
  }
  for (const auto& child : r.routes) PW_RETURN_IF_ERROR(CheckRouteEscalationsAt(child, policies));
  return Status::Ok();
}

}  // namespace

Status ParseEscalations(const YAML::Node& n, const std::set<std::string>& receivers,
                        std::vector<EscalationPolicy>* out) {
  out->clear();
  if (n.IsNull()) return Status::Ok();
  if (!n.IsMap()) {
    return Placed(ErrAt(n, "a map from policy names to policies"), "escalations: ");
  }
  std::set<std::string> seen;
  for (const auto& kv : n) {
    std::string name;
    PW_RETURN_IF_ERROR(Placed(ReadString(kv.first, &name), "escalations: "));
    if (name.empty()) return ErrAt(kv.first, "escalations: a policy needs a name");
    if (!seen.insert(name).second) {
      return ErrAt(kv.first, "escalations: policy " + GoQuote(name) + " defined twice");
    }
    EscalationPolicy p;
    p.name = name;
    PW_RETURN_IF_ERROR(
        ParsePolicy(kv.second, receivers, "escalations: policy " + GoQuote(name) + ": ", &p));
    out->push_back(std::move(p));
  }
  std::sort(out->begin(), out->end(),
            [](const EscalationPolicy& a, const EscalationPolicy& b) { return a.name < b.name; });
  return Status::Ok();
}

Status CheckRouteEscalations(const RawRoute& r, const std::vector<EscalationPolicy>& policies) {
  return CheckRouteEscalationsAt(r, policies);
}

}  // namespace amconfig

// ------------------------------------------------------------------ timing

uint64_t EscalationFlatSteps(const EscalationPolicy& p) {
  return static_cast<uint64_t>(p.steps.size()) * (p.repeat + 1);
}

int64_t EscalationStepDue(const EscalationPolicy& p, int64_t chain_start_ms, uint64_t j) {
  const uint64_t n = p.steps.size();
  if (n == 0) return INT64_MAX;
  const __int128 run = static_cast<__int128>(j / n);
  const __int128 due = static_cast<__int128>(chain_start_ms) + run * p.steps.back().after_ms +
                       p.steps[j % n].after_ms;
  return due > INT64_MAX ? INT64_MAX : static_cast<int64_t>(due);
}

std::string EscalationViewJson(const EscalationView& v) {
  std::string out = "{\"policy\":";
  AppendGoJsonString(out, v.policy);
  out += ",\"step\":" + std::to_string(v.step) + ",\"run\":" + std::to_string(v.run);
  out += ",\"startedAt\":\"" + FormatApiTime(v.started_at_ms) + "\"";
  out += ",\"nextAt\":";
  out += v.next_at_ms == 0 ? std::string("null") : "\"" + FormatApiTime(v.next_at_ms) + "\"";
  out += "}";
  return out;
}

// ------------------------------------------------------------------ tracker

void EscalationTracker::BeginSweep() {
  for (auto& [k, s] : entries_) s.seen = false;
}

std::vector<std::string> EscalationNotified(const EscalationEntry& e,
                                            const EscalationPolicy* policy) {
  if (e.notified_known) return e.notified;
  std::set<std::string> out;
  if (policy != nullptr && !policy->steps.empty()) {
    // Steps are sent in order and a catch-up sends the last run's worth, so the steps
    // told are exactly those at positions below min(next, n).
    const uint64_t n = policy->steps.size();
    for (uint64_t i = 0; i < std::min<uint64_t>(e.next, n); ++i) {
      out.insert(policy->steps[i].receivers.begin(), policy->steps[i].receivers.end());
    }
  }
  return {out.begin(), out.end()};
}

std::vector<uint64_t> EscalationTracker::Observe(const std::string& group_key,
                                                 const LabelSet& group_labels,
                                                 const EscalationPolicy& policy,
                                                 const Alert& alert,
                                                 const std::function<bool()>& muted,
                                                 int64_t now_ms) {
  const uint64_t fp = Fingerprint(alert.labels);
  Slot& slot = entries_[Key{group_key, policy.name, fp}];
  EscalationEntry& e = slot.e;
  if (e.policy.empty() || alert.starts_at_ms > e.chain_start_ms) {
    // A new chain: first seen, or fired again after resolving (a later startsAt).
    e.group_key = group_key;
    e.policy = policy.name;
    e.fingerprint = fp;
    e.chain_start_ms = alert.starts_at_ms;
    e.next = 0;
    e.notified.clear();
    e.notified_known = true;
    dirty_ = true;
  }
  if (!e.notified_known) {  // a version 1 record: derive, and write it as version 2
    e.notified = EscalationNotified(e, &policy);
    e.notified_known = true;
    dirty_ = true;
  }
  if (e.group_labels != group_labels) {
    e.group_labels = group_labels;
    dirty_ = true;
  }
  slot.seen = true;
  slot.muted = false;
  std::vector<uint64_t> out;
  const uint64_t total = EscalationFlatSteps(policy);
  if (e.next >= total) return out;
  if (EscalationStepDue(policy, e.chain_start_ms, e.next) > now_ms) return out;
  if (muted()) {
    slot.muted = true;  // left out of NextDeadline until it is seen unmuted
    return out;
  }
  // The last flat step due: binary search over the monotonic due times.
  uint64_t lo = e.next, hi = total - 1;
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo + 1) / 2;
    if (EscalationStepDue(policy, e.chain_start_ms, mid) <= now_ms) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  const uint64_t last = lo;
  const uint64_t n = policy.steps.size();
  const uint64_t first = std::max<uint64_t>(e.next, last + 1 >= n ? last + 1 - n : 0);
  std::set<std::string> notified(e.notified.begin(), e.notified.end());
  for (uint64_t j = first; j <= last; ++j) {
    out.push_back(j);
    const auto& rs = policy.steps[j % n].receivers;
    notified.insert(rs.begin(), rs.end());
  }
  e.notified.assign(notified.begin(), notified.end());
  e.next = last + 1;
  dirty_ = true;
  return out;
}

std::vector<EscalationEntry> EscalationTracker::EndSweep() {
  std::vector<EscalationEntry> removed;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (!it->second.seen) {
      removed.push_back(std::move(it->second.e));
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
  if (!removed.empty()) dirty_ = true;
  return removed;
}

void EscalationTracker::ForEachInGroup(
    const std::string& group_key, const std::function<void(const EscalationEntry&)>& f) const {
  for (auto it = entries_.lower_bound(Key{group_key, "", 0});
       it != entries_.end() && std::get<0>(it->first) == group_key; ++it) {
    f(it->second.e);
  }
}

int64_t EscalationTracker::NextDeadline(const AlertmanagerConfig& config) const {
  int64_t next = INT64_MAX;
  for (const auto& [k, s] : entries_) {
    if (s.muted) continue;
    const EscalationPolicy* p = config.FindEscalation(s.e.policy);
    if (p == nullptr || s.e.next >= EscalationFlatSteps(*p)) continue;
    next = std::min(next, EscalationStepDue(*p, s.e.chain_start_ms, s.e.next));
  }
  return next;
}

std::optional<EscalationView> EscalationTracker::ViewOf(uint64_t fingerprint,
                                                        const AlertmanagerConfig& config) const {
  for (const auto& [k, s] : entries_) {
    if (s.e.fingerprint != fingerprint) continue;
    const EscalationPolicy* p = config.FindEscalation(s.e.policy);
    if (p == nullptr || p->steps.empty()) continue;
    EscalationView v;
    v.policy = s.e.policy;
    v.started_at_ms = s.e.chain_start_ms;
    const uint64_t n = p->steps.size();
    if (s.e.next > 0) {
      v.step = (s.e.next - 1) % n + 1;
      v.run = (s.e.next - 1) / n + 1;
    }
    if (s.e.next < EscalationFlatSteps(*p)) {
      v.next_at_ms = EscalationStepDue(*p, s.e.chain_start_ms, s.e.next);
    }
    return v;
  }
  return std::nullopt;
}

// ------------------------------------------------------------------ persistence

namespace {
constexpr uint8_t kEntryVersionV1 = 1;  // without group labels and notified receivers
constexpr uint8_t kEntryVersion = 2;
}

std::string EncodeEscalationEntry(const EscalationEntry& e) {
  std::string out;
  // An entry read from a version 1 record and not seen since keeps that form, so that
  // its receivers are still derived from the policy rather than taken to be none.
  out.push_back(static_cast<char>(e.notified_known ? kEntryVersion : kEntryVersionV1));
  PutString(out, e.group_key);
  PutString(out, e.policy);
  PutVarint(out, e.fingerprint);
  PutVarint(out, ZigZag(e.chain_start_ms));
  PutVarint(out, e.next);
  if (!e.notified_known) return out;
  PutVarint(out, e.group_labels.size());
  for (const auto& [k, v] : e.group_labels) {
    PutString(out, k);
    PutString(out, v);
  }
  PutVarint(out, e.notified.size());
  for (const std::string& r : e.notified) PutString(out, r);
  return out;
}

bool DecodeEscalationEntry(std::string_view payload, EscalationEntry* e) {
  Decoder d(payload);
  uint8_t version;
  std::string_view group_key, policy;
  uint64_t fp, start, next;
  if (!d.Byte(&version) || (version != kEntryVersion && version != kEntryVersionV1) ||
      !d.LengthPrefixed(&group_key) || !d.LengthPrefixed(&policy) || !d.Varint(&fp) ||
      !d.Varint(&start) || !d.Varint(&next) || policy.empty()) {
    return false;
  }
  LabelSet group_labels;
  std::vector<std::string> notified;
  if (version == kEntryVersion) {
    uint64_t n;
    if (!d.Varint(&n) || n > payload.size()) return false;
    for (uint64_t i = 0; i < n; ++i) {
      std::string_view k, v;
      if (!d.LengthPrefixed(&k) || !d.LengthPrefixed(&v)) return false;
      group_labels.emplace_back(std::string(k), std::string(v));
    }
    if (!d.Varint(&n) || n > payload.size()) return false;
    for (uint64_t i = 0; i < n; ++i) {
      std::string_view r;
      if (!d.LengthPrefixed(&r)) return false;
      notified.emplace_back(r);
    }
  }
  if (!d.done()) return false;
  e->group_key = std::string(group_key);
  e->policy = std::string(policy);
  e->fingerprint = fp;
  e->chain_start_ms = UnZigZag(start);
  e->next = next;
  e->group_labels = std::move(group_labels);
  e->notified = std::move(notified);
  e->notified_known = version == kEntryVersion;
  return true;
}

std::vector<std::string> EscalationTracker::EncodeSnapshot() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& [k, s] : entries_) out.push_back(EncodeEscalationEntry(s.e));
  return out;
}

Status EscalationTracker::Load(const std::vector<std::string>& records) {
  std::map<Key, Slot> loaded;
  for (size_t i = 0; i < records.size(); ++i) {
    Slot s;
    if (!DecodeEscalationEntry(records[i], &s.e)) {
      return DataLoss("escalation record " + std::to_string(i) + " is undecodable");
    }
    s.seen = true;
    loaded[Key{s.e.group_key, s.e.policy, s.e.fingerprint}] = std::move(s);
  }
  entries_ = std::move(loaded);
  dirty_ = false;
  return Status::Ok();
}

}  // namespace perfwatch::alert
