#include "alert/trigger_index.h"

#include "alert/rule_group.h"

namespace perfwatch::alert {
namespace {

bool MatchesAll(const std::vector<tsdb::Matcher>& matchers, std::span<const tsdb::LabelView> labels) {
  for (const tsdb::Matcher& m : matchers) {
    std::string_view value;
    for (const tsdb::LabelView& l : labels) {
      if (l.name == m.name()) {
        value = l.value;
        break;
      }
    }
    if (!m.Matches(value)) return false;
  }
  return true;
}

}  // namespace

void TriggerIndex::Add(Entry& entry, const Candidate& c, std::string_view skip_name) {
  for (const tsdb::Matcher& m : *c.matchers) {
    if (m.type() == tsdb::MatchType::kEqual && m.name() != skip_name && !m.value().empty()) {
      auto& by_value = entry.by_label_value[m.name()];
      by_value[m.value()].push_back(c);
      return;
    }
  }
  entry.any.push_back(c);
}

std::unique_ptr<TriggerIndex> TriggerIndex::Build(const std::vector<std::shared_ptr<RuleGroup>>& groups) {
  auto index = std::unique_ptr<TriggerIndex>(new TriggerIndex());
  for (uint32_t g = 0; g < groups.size(); ++g) {
    const auto& rules = groups[g]->rules();
    for (uint32_t r = 0; r < rules.size(); ++r) {
      for (const query::promql::VectorSelector* sel : rules[r]->Selectors()) {
        Candidate c{{g, r}, &sel->matchers, rules[r].get()};
        const tsdb::Matcher* name = nullptr;
        for (const tsdb::Matcher& m : sel->matchers) {
          if (m.name() == tsdb::kMetricNameLabel && m.type() == tsdb::MatchType::kEqual) name = &m;
        }
        if (name) {
          Add(index->by_name_[name->value()], c, tsdb::kMetricNameLabel);
        } else {
          Add(index->unnamed_, c, "");
          index->has_unnamed_ = true;
        }
        ++index->selectors_;
      }
    }
  }
  return index;
}

void TriggerIndex::MatchEntry(const Entry& entry, std::span<const tsdb::LabelView> labels, double value,
                              const std::function<void(TriggerTarget)>& fn) {
  for (const Candidate& c : entry.any) {
    if (MatchesAll(*c.matchers, labels) && c.rule->SampleCanChange(labels, value)) fn(c.target);
  }
  if (entry.by_label_value.empty()) return;
  for (const tsdb::LabelView& l : labels) {
    auto by_value = entry.by_label_value.find(l.name);
    if (by_value == entry.by_label_value.end()) continue;
    auto candidates = by_value->second.find(l.value);
    if (candidates == by_value->second.end()) continue;
    for (const Candidate& c : candidates->second) {
      if (MatchesAll(*c.matchers, labels) && c.rule->SampleCanChange(labels, value)) fn(c.target);
    }
  }
}

void TriggerIndex::Match(std::span<const tsdb::LabelView> labels, double value,
                         const std::function<void(TriggerTarget)>& fn) const {
  if (!by_name_.empty()) {
    for (const tsdb::LabelView& l : labels) {
      if (l.name != tsdb::kMetricNameLabel) continue;
      auto it = by_name_.find(l.value);
      if (it != by_name_.end()) MatchEntry(it->second, labels, value, fn);
      break;
    }
  }
  if (has_unnamed_) MatchEntry(unnamed_, labels, value, fn);
}

}  // namespace perfwatch::alert
