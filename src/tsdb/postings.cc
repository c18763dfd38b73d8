#include "tsdb/postings.h"

#include <algorithm>
#include <mutex>

namespace perfwatch::tsdb {

namespace {

void InsertSorted(Postings& p, SeriesRef ref) {
  if (p.empty() || p.back() < ref) {
    p.push_back(ref);
    return;
  }
  auto it = std::lower_bound(p.begin(), p.end(), ref);
  if (it == p.end() || *it != ref) p.insert(it, ref);
}

}  // namespace

Postings IntersectPostings(const Postings& a, const Postings& b) {
  Postings out;
  out.reserve(std::min(a.size(), b.size()));
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

Postings SubtractPostings(const Postings& a, const Postings& b) {
  Postings out;
  out.reserve(a.size());
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

Postings MergePostings(std::vector<Postings> lists) {
  if (lists.empty()) return {};
  if (lists.size() == 1) return std::move(lists[0]);
  size_t total = 0;
  for (const auto& l : lists) total += l.size();
  Postings out;
  out.reserve(total);
  for (const auto& l : lists) out.insert(out.end(), l.begin(), l.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void MemPostings::Add(SeriesRef ref, std::span<const LabelView> labels) {
  std::vector<LabelView> interned;
  interned.reserve(labels.size());
  for (const LabelView& l : labels) interned.push_back(LabelView{symbols_.Intern(l.name), symbols_.Intern(l.value)});
  std::unique_lock lock(mu_);
  for (const LabelView& l : interned) InsertSorted(index_[l.name][l.value], ref);
  InsertSorted(all_, ref);
}

Postings MemPostings::Collect(const Matcher& m, bool match) const {
  auto it = index_.find(m.name());
  if (it == index_.end()) return {};
  if (m.type() == MatchType::kEqual && match) {
    auto v = it->second.find(m.value());
    return v == it->second.end() ? Postings{} : v->second;
  }
  std::vector<Postings> lists;
  for (const auto& [value, refs] : it->second) {
    if (m.Matches(value) == match) lists.push_back(refs);
  }
  return MergePostings(std::move(lists));
}

namespace {

// Keeps the refs of `result` that `other` has. When `result` is much smaller (a selective
// matcher next to a metric name with many series), each ref is looked up by binary search
// in the rest of `other`, so the large list is neither copied nor walked.
void IntersectInPlace(Postings& result, const Postings& other) {
  if (result.size() * 16 < other.size()) {
    auto from = other.begin();
    size_t kept = 0;
    for (SeriesRef ref : result) {
      from = std::lower_bound(from, other.end(), ref);
      if (from == other.end()) break;
      if (*from == ref) result[kept++] = ref;
    }
    result.resize(kept);
    return;
  }
  result = IntersectPostings(result, other);
}

}  // namespace

Postings MemPostings::Select(std::span<const Matcher> matchers) const {
  std::shared_lock lock(mu_);
  // Positive sets (matchers that do not match ""): series must carry a matching value.
  // Others (match ""): remove the series whose value does NOT match; series without the
  // label are kept. Positive lists are intersected smallest first; equality matchers
  // borrow their lists from the index instead of copying them.
  std::vector<const Postings*> positive;
  std::vector<Postings> collected;
  collected.reserve(matchers.size());
  std::vector<const Matcher*> negative;
  for (const Matcher& m : matchers) {
    if (m.MatchesEmpty()) {
      negative.push_back(&m);
      continue;
    }
    if (m.type() == MatchType::kEqual) {
      auto it = index_.find(m.name());
      if (it == index_.end()) return {};
      auto v = it->second.find(m.value());
      if (v == it->second.end() || v->second.empty()) return {};
      positive.push_back(&v->second);
      continue;
    }
    collected.push_back(Collect(m, true));
    if (collected.back().empty()) return {};
    positive.push_back(&collected.back());
  }
  Postings result;
  if (positive.empty()) {
    result = all_;
  } else {
    std::sort(positive.begin(), positive.end(), [](const Postings* a, const Postings* b) { return a->size() < b->size(); });
    result = *positive[0];
    for (size_t i = 1; i < positive.size() && !result.empty(); ++i) IntersectInPlace(result, *positive[i]);
    if (result.empty()) return result;
  }
  for (const Matcher* m : negative) {
    Postings drop = Collect(*m, false);
    if (!drop.empty()) result = SubtractPostings(result, drop);
  }
  return result;
}

Postings MemPostings::All() const {
  std::shared_lock lock(mu_);
  return all_;
}

std::vector<std::string> MemPostings::LabelNames() const {
  std::shared_lock lock(mu_);
  std::vector<std::string> out;
  for (const auto& [name, values] : index_) {
    if (!values.empty()) out.emplace_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> MemPostings::LabelValues(std::string_view name) const {
  std::shared_lock lock(mu_);
  std::vector<std::string> out;
  auto it = index_.find(name);
  if (it == index_.end()) return out;
  for (const auto& [value, refs] : it->second) {
    if (!refs.empty()) out.emplace_back(value);
  }
  std::sort(out.begin(), out.end());
  return out;
}

size_t MemPostings::num_series() const {
  std::shared_lock lock(mu_);
  return all_.size();
}

}  // namespace perfwatch::tsdb
