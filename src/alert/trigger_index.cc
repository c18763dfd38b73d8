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
        Candidate c{{g, r}, &sel->matchers, rules[r].get(), rules[r]->threshold_filter(), rules[r]->breaching_counter()};
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

const TriggerIndex::MatchedSet TriggerIndex::kNoMatch;

TriggerIndex::RefTable::RefTable(uint64_t gen)
    : generation(gen), segments(std::make_unique<std::atomic<std::atomic<const MatchedSet*>*>[]>(kSegments)) {
  for (size_t i = 0; i < kSegments; ++i) segments[i].store(nullptr, std::memory_order_relaxed);
}

TriggerIndex::RefTable::~RefTable() {
  for (size_t i = 0; i < kSegments; ++i) delete[] segments[i].load(std::memory_order_relaxed);
}

void TriggerIndex::CollectEntry(const Entry& entry, std::span<const tsdb::LabelView> labels,
                                std::vector<const Candidate*>* out) {
  for (const Candidate& c : entry.any) {
    if (MatchesAll(*c.matchers, labels)) out->push_back(&c);
  }
  if (entry.by_label_value.empty()) return;
  for (const tsdb::LabelView& l : labels) {
    auto by_value = entry.by_label_value.find(l.name);
    if (by_value == entry.by_label_value.end()) continue;
    auto candidates = by_value->second.find(l.value);
    if (candidates == by_value->second.end()) continue;
    for (const Candidate& c : candidates->second) {
      if (MatchesAll(*c.matchers, labels)) out->push_back(&c);
    }
  }
}

void TriggerIndex::Collect(std::span<const tsdb::LabelView> labels, std::vector<const Candidate*>* out) const {
  if (!by_name_.empty()) {
    for (const tsdb::LabelView& l : labels) {
      if (l.name != tsdb::kMetricNameLabel) continue;
      auto it = by_name_.find(l.value);
      if (it != by_name_.end()) CollectEntry(it->second, labels, out);
      break;
    }
  }
  if (has_unnamed_) CollectEntry(unnamed_, labels, out);
}

void TriggerIndex::Match(std::span<const tsdb::LabelView> labels, double value,
                         const std::function<void(TriggerTarget)>& fn) const {
  std::vector<const Candidate*> found;
  Collect(labels, &found);
  for (const Candidate* c : found) {
    if (c->CanChange(labels, value)) fn(c->target);
  }
}

const TriggerIndex::MatchedSet* TriggerIndex::Intern(RefTable& table, const std::vector<const Candidate*>& found) const {
  if (found.empty()) return &kNoMatch;
  std::vector<std::pair<uint32_t, uint32_t>> key;
  key.reserve(found.size());
  for (const Candidate* c : found) key.emplace_back(c->target.group, c->target.rule);
  std::lock_guard lock(table.mu);
  auto it = table.interned.find(key);
  if (it != table.interned.end()) return it->second;
  MatchedSet& set = table.sets.emplace_back();
  for (const Candidate* c : found) set.candidates.push_back(*c);
  table.interned.emplace(std::move(key), &set);
  return &set;
}

TriggerIndex::RefCursor TriggerIndex::Cursor(uint64_t head_generation) const {
  RefCursor cursor;
  cursor.index_ = this;
  std::shared_ptr<RefTable> table = table_.load(std::memory_order_acquire);
  if (!table || table->generation < head_generation) {
    // First use, or a flush replaced the head: refs of the old head are gone.
    auto fresh = std::make_shared<RefTable>(head_generation);
    table_.compare_exchange_strong(table, fresh);
    table = table_.load(std::memory_order_acquire);
  }
  if (table->generation == head_generation) cursor.table_ = std::move(table);  // else: an older head's append
  return cursor;
}

void TriggerIndex::RefCursor::MatchRef(uint64_t ref, std::span<const tsdb::LabelView> labels, double value,
                                       const std::function<void(TriggerTarget)>& fn) const {
  const uint64_t segment = ref >> RefTable::kSegmentBits;
  if (ref == 0 || segment >= RefTable::kSegments || !table_) {
    index_->Match(labels, value, fn);
    return;
  }
  std::atomic<const MatchedSet*>* entries = table_->segments[segment].load(std::memory_order_acquire);
  if (!entries) {
    constexpr size_t kEntries = size_t{1} << RefTable::kSegmentBits;
    auto* fresh = new std::atomic<const MatchedSet*>[kEntries];
    for (size_t i = 0; i < kEntries; ++i) fresh[i].store(nullptr, std::memory_order_relaxed);
    if (table_->segments[segment].compare_exchange_strong(entries, fresh, std::memory_order_acq_rel)) {
      entries = fresh;
    } else {
      delete[] fresh;  // another thread won; `entries` holds its segment
    }
  }
  std::atomic<const MatchedSet*>& slot = entries[ref & ((uint64_t{1} << RefTable::kSegmentBits) - 1)];
  const MatchedSet* set = slot.load(std::memory_order_acquire);
  if (!set) {
    std::vector<const Candidate*> found;
    index_->Collect(labels, &found);
    set = index_->Intern(*table_, found);
    slot.store(set, std::memory_order_release);
  }
  for (const Candidate& c : set->candidates) {
    if (c.CanChange(labels, value)) fn(c.target);
  }
}

}  // namespace perfwatch::alert
