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

Postings MemPostings::Select(std::span<const Matcher> matchers) const {
  std::shared_lock lock(mu_);
  // Positive sets (matchers that do not match ""): series must carry a matching value.
  // Others (match ""): remove the series whose value does NOT match; series without the
  // label are kept.
  bool have_positive = false;
  Postings result;
  std::vector<const Matcher*> negative;
  for (const Matcher& m : matchers) {
    if (m.MatchesEmpty()) {
      negative.push_back(&m);
      continue;
    }
    Postings p = Collect(m, true);
    result = have_positive ? IntersectPostings(result, p) : std::move(p);
    have_positive = true;
    if (result.empty()) return result;
  }
  if (!have_positive) result = all_;
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
