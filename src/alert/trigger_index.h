#pragma once
// Which rules read a series: built from the vector selectors of every loaded rule, asked
// for each series an append carries, so that event-driven evaluation re-evaluates the
// rules whose selectors match new samples. Lookups cost one hash probe by metric name
// plus one per label of the series that some selector tests for equality, so 10,000
// rules over `metric{instance="i"}` cost a few probes per appended series, not 10,000
// matcher checks.
// Thread safety: immutable after Build; Match may run on many threads at once.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tsdb/labels.h"
#include "tsdb/matcher.h"

namespace perfwatch::alert {

class RuleGroup;
class Rule;

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
  size_t selectors() const { return selectors_; }

 private:
  struct Candidate {
    TriggerTarget target;
    const std::vector<tsdb::Matcher>* matchers;
    const Rule* rule;
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
  static void Add(Entry& entry, const Candidate& c, std::string_view skip_name);
  static void MatchEntry(const Entry& entry, std::span<const tsdb::LabelView> labels, double value,
                         const std::function<void(TriggerTarget)>& fn);

  StringMap<Entry> by_name_;  // selectors with __name__="x"
  Entry unnamed_;             // the rest: checked for every series
  bool has_unnamed_ = false;
  size_t selectors_ = 0;
};

}  // namespace perfwatch::alert
