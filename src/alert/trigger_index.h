#pragma once
// Which rules read a series: built from the vector selectors of every loaded rule, asked
// for each series an append carries, so that event-driven evaluation re-evaluates the
// rules whose selectors match new samples. A lookup by labels costs one hash probe by
// metric name plus one per label of the series that some selector tests for equality, so
// 10,000 rules over `metric{instance="i"}` cost a few probes per appended series, not
// 10,000 matcher checks. MatchRef remembers the answer per series ref (one array read the
// next time the series is appended), in a table rebuilt when the head is replaced.
// Thread safety: the index is immutable after Build and the ref table is lock-free for
// readers; Match and MatchRef may run on many threads at once.
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "alert/rules.h"
#include "tsdb/labels.h"
#include "tsdb/matcher.h"

namespace perfwatch::alert {

class RuleGroup;

struct TriggerTarget {
  uint32_t group = 0;  // index into the manager's group list
  uint32_t rule = 0;   // index into the group's rules
};

class TriggerIndex {
 public:
  // One entry per selector of every rule of `groups` (which must outlive the index).
  static std::unique_ptr<TriggerIndex> Build(const std::vector<std::shared_ptr<RuleGroup>>& groups);

  // Calls fn(target) for every rule with a selector matching the series `labels` whose
  // result a new sample `value` of that series can change (Rule::SampleCanChange). A rule
  // with several matching selectors may be reported more than once.
  void Match(std::span<const tsdb::LabelView> labels, double value,
             const std::function<void(TriggerTarget)>& fn) const;
  struct RefTable;
  // Match for series known by ref, remembering each series' candidates: take one cursor
  // per append batch (it pins the ref table of `head_generation`), then MatchRef per series.
  class RefCursor {
   public:
    // `ref` 0 (rejected or unknown) takes the uncached path.
    void MatchRef(uint64_t ref, std::span<const tsdb::LabelView> labels, double value,
                  const std::function<void(TriggerTarget)>& fn) const;

   private:
    friend class TriggerIndex;
    const TriggerIndex* index_ = nullptr;
    std::shared_ptr<RefTable> table_;  // null: no cache for this generation
  };
  RefCursor Cursor(uint64_t head_generation) const;
  size_t selectors() const { return selectors_; }

 private:
  struct Candidate {
    TriggerTarget target;
    const std::vector<tsdb::Matcher>* matchers;
    const Rule* rule;
    Rule::ThresholdFilter filter;  // the rule's, copied: a healthy sample needs nothing else
    const std::atomic<uint32_t>* breaching;  // the rule's counter (kept side by side per group)
    // Rule::SampleCanChange without touching the rule in the common case.
    bool CanChange(std::span<const tsdb::LabelView> labels, double value) const {
      if (!filter.enabled) return true;
      bool was = breaching->load(std::memory_order_acquire) != 0 && rule->WasBreaching(labels);
      return filter.Breaches(value) != was;
    }
  };
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  template <typename V>
  using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;
  struct Entry {
    std::vector<Candidate> any;                                   // no equality matcher to key on
    StringMap<StringMap<std::vector<Candidate>>> by_label_value;  // label -> value -> candidates
  };
  // The candidates whose selectors match a series (values not considered).
  struct MatchedSet {
    std::vector<Candidate> candidates;
  };

 public:
  // MatchedSet per series ref, for one head generation: 2^14 lazily allocated segments of
  // 2^16 entries (refs beyond 2^30 take the slow path).
  struct RefTable {
    static constexpr unsigned kSegmentBits = 16;
    static constexpr size_t kSegments = size_t{1} << 14;
    explicit RefTable(uint64_t gen);
    ~RefTable();
    const uint64_t generation;
    std::unique_ptr<std::atomic<std::atomic<const MatchedSet*>*>[]> segments;
    std::mutex mu;
    std::deque<MatchedSet> sets;                                             // guarded by mu
    std::map<std::vector<std::pair<uint32_t, uint32_t>>, const MatchedSet*> interned;  // guarded by mu
  };

 private:

  static void Add(Entry& entry, const Candidate& c, std::string_view skip_name);
  static void CollectEntry(const Entry& entry, std::span<const tsdb::LabelView> labels,
                           std::vector<const Candidate*>* out);
  void Collect(std::span<const tsdb::LabelView> labels, std::vector<const Candidate*>* out) const;
  const MatchedSet* Intern(RefTable& table, const std::vector<const Candidate*>& found) const;

  StringMap<Entry> by_name_;  // selectors with __name__="x"
  Entry unnamed_;             // the rest: checked for every series
  bool has_unnamed_ = false;
  size_t selectors_ = 0;
  mutable std::atomic<std::shared_ptr<RefTable>> table_;
  static const MatchedSet kNoMatch;
};

}  // namespace perfwatch::alert
