// MergeQuerier: k-way merge of sorted SeriesSets; a series present in several children is
// decoded and merged into one sorted sample list.
#include "tsdb/merge_querier.h"

#include <algorithm>

namespace perfwatch::tsdb {

namespace {

int Compare(const Labels& a, const Labels& b) {
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    if (int c = a[i].name.compare(b[i].name)) return c;
    if (int c = a[i].value.compare(b[i].value)) return c;
  }
  return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
}

class MergeSeriesSet final : public SeriesSet {
 public:
  MergeSeriesSet(std::vector<std::unique_ptr<SeriesSet>> sets, int64_t mint, int64_t maxt)
      : sets_(std::move(sets)), valid_(sets_.size(), false), mint_(mint), maxt_(maxt) {}

  bool Next() override {
    if (!status_.ok()) return false;
    if (!started_) {
      started_ = true;
      for (size_t i = 0; i < sets_.size(); ++i) valid_[i] = sets_[i]->Next();
    } else {
      for (size_t i : taken_) valid_[i] = sets_[i]->Next();
    }
    taken_.clear();
    for (size_t i = 0; i < sets_.size(); ++i) {
      if (!valid_[i] && !sets_[i]->status().ok()) {
        status_ = sets_[i]->status();
        return false;
      }
    }
    const Labels* min = nullptr;
    for (size_t i = 0; i < sets_.size(); ++i) {
      if (!valid_[i]) continue;
      const Labels& l = sets_[i]->At().labels();
      int c = min ? Compare(l, *min) : -1;
      if (c < 0) {
        min = &l;
        taken_.clear();
      }
      if (c <= 0) taken_.push_back(i);
    }
    if (taken_.empty()) return false;
    if (taken_.size() == 1) {
      current_ = &sets_[taken_[0]]->At();
      return true;
    }
    return Merge();
  }
  const Series& At() const override { return *current_; }
  Series Take() override {
    if (current_ == &merged_) return std::move(merged_);
    return sets_[taken_[0]]->Take();
  }
  Status status() const override { return status_; }

 private:
  // Merges the series in taken_ (ascending priority); equal timestamps keep the last.
  bool Merge() {
    std::vector<Sample> samples;  // handed to the merged Series (moved, not copied)
    bool sorted = true;  // children in time order (blocks of successive windows): no sort
    for (size_t i : taken_) {
      const size_t first = samples.size();
      Status st = sets_[i]->At().AppendSamples(&samples);
      if (!st.ok()) {
        status_ = st;
        return false;
      }
      if (first > 0 && first < samples.size() && samples[first].t <= samples[first - 1].t) sorted = false;
    }
    if (!sorted) {
      std::stable_sort(samples.begin(), samples.end(), [](const Sample& a, const Sample& b) { return a.t < b.t; });
    }
    // Equal timestamps (only possible when unsorted): the later, higher-priority one wins.
    // The merged samples become the Series' sorted extra samples: no re-encoding.
    if (!sorted) {
      size_t w = 0;
      for (size_t j = 0; j < samples.size(); ++j) {
        if (j + 1 < samples.size() && samples[j + 1].t == samples[j].t) continue;
        samples[w++] = samples[j];
      }
      samples.resize(w);
    }
    merged_ = Series(sets_[taken_[0]]->At().labels(), {}, {}, mint_, maxt_, std::move(samples));
    current_ = &merged_;
    return true;
  }

  std::vector<std::unique_ptr<SeriesSet>> sets_;
  std::vector<bool> valid_;
  std::vector<size_t> taken_;  // children positioned on the current series
  bool started_ = false;
  int64_t mint_, maxt_;
  const Series* current_ = nullptr;
  Series merged_;
  Status status_;
};

std::vector<std::string> Union(std::vector<std::vector<std::string>> lists) {
  std::vector<std::string> out;
  for (auto& l : lists) out.insert(out.end(), std::make_move_iterator(l.begin()), std::make_move_iterator(l.end()));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

class MergeQuerier final : public Querier {
 public:
  MergeQuerier(std::vector<std::unique_ptr<Querier>> children, int64_t mint, int64_t maxt)
      : Querier(mint, maxt), children_(std::move(children)) {}

  std::unique_ptr<SeriesSet> Select(std::span<const Matcher> matchers) const override {
    if (children_.size() == 1) return children_[0]->Select(matchers);
    std::vector<std::unique_ptr<SeriesSet>> sets;
    for (const auto& c : children_) sets.push_back(c->Select(matchers));
    return std::make_unique<MergeSeriesSet>(std::move(sets), mint(), maxt());
  }
  Result<std::vector<std::string>> LabelNames(std::span<const Matcher> matchers) const override {
    std::vector<std::vector<std::string>> lists;
    for (const auto& c : children_) {
      PW_ASSIGN_OR_RETURN(auto l, c->LabelNames(matchers));
      lists.push_back(std::move(l));
    }
    return Union(std::move(lists));
  }
  Result<std::vector<std::string>> LabelValues(std::string_view name,
                                               std::span<const Matcher> matchers) const override {
    std::vector<std::vector<std::string>> lists;
    for (const auto& c : children_) {
      PW_ASSIGN_OR_RETURN(auto l, c->LabelValues(name, matchers));
      lists.push_back(std::move(l));
    }
    return Union(std::move(lists));
  }

 private:
  std::vector<std::unique_ptr<Querier>> children_;
};

}  // namespace

std::unique_ptr<Querier> NewMergeQuerier(std::vector<std::unique_ptr<Querier>> children, int64_t mint,
                                         int64_t maxt) {
  return std::make_unique<MergeQuerier>(std::move(children), mint, maxt);
}

}  // namespace perfwatch::tsdb
