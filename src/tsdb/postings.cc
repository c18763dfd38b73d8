#include "tsdb/postings.h"

#include <algorithm>
#include <mutex>
#include <stdexcept>

namespace perfwatch::tsdb {

namespace {

// Lists past 256 entries grow by a quarter instead of doubling (libstdc++): a head's large
// lists (a metric name, device="desktop") then carry ~10 % slack instead of ~33 %, for a
// few more copies while series are created.
template <typename V>
void InsertSorted(V& p, typename V::value_type ref) {
  if (p.size() == p.capacity() && p.size() >= 256) p.reserve(p.size() + p.size() / 4);
  if (p.empty() || p.back() < ref) {
    p.push_back(ref);
    return;
  }
  auto it = std::lower_bound(p.begin(), p.end(), ref);
  if (it == p.end() || *it != ref) p.insert(it, ref);
}

}  // namespace

template <typename V>
V Intersect(const V& a, const V& b) {
  V out;
  out.reserve(std::min(a.size(), b.size()));
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

template <typename V>
V Subtract(const V& a, const V& b) {
  V out;
  out.reserve(a.size());
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

template <typename V>
V Merge(std::vector<V> lists) {
  if (lists.empty()) return {};
  if (lists.size() == 1) return std::move(lists[0]);
  size_t total = 0;
  for (const auto& l : lists) total += l.size();
  V out;
  out.reserve(total);
  for (const auto& l : lists) out.insert(out.end(), l.begin(), l.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Postings IntersectPostings(const Postings& a, const Postings& b) { return Intersect(a, b); }
Postings SubtractPostings(const Postings& a, const Postings& b) { return Subtract(a, b); }
Postings MergePostings(std::vector<Postings> lists) { return Merge(std::move(lists)); }

uint32_t MemPostings::Offset(SeriesRef ref) {
  constexpr SeriesRef kHalf = SeriesRef{1} << 31;
  if (!has_base_) {
    base_ = ref;
    has_base_ = true;
  }
  // Refs may arrive below the base (concurrent appenders create series out of order, a
  // replayed checkpoint starts anywhere): both directions get 2^31 of room.
  const bool in_range = ref >= base_ ? ref - base_ < kHalf : base_ - ref <= kHalf;
  if (!in_range) throw std::length_error("postings: series ref out of range");
  return static_cast<uint32_t>(ref - base_ + kHalf);
}

Postings MemPostings::ToRefs(const Offsets& offsets) const {
  constexpr SeriesRef kHalf = SeriesRef{1} << 31;
  Postings out(offsets.size());
  for (size_t i = 0; i < offsets.size(); ++i) out[i] = base_ + offsets[i] - kHalf;
  return out;
}

void MemPostings::Add(SeriesRef ref, std::span<const LabelView> labels) {
  std::vector<LabelView> interned;
  interned.reserve(labels.size());
  for (const LabelView& l : labels) interned.push_back(LabelView{symbols_.Intern(l.name), symbols_.Intern(l.value)});
  std::unique_lock lock(mu_);
  const uint32_t off = Offset(ref);
  for (const LabelView& l : interned) InsertSorted(index_[l.name][l.value], off);
  InsertSorted(all_, off);
}

MemPostings::Offsets MemPostings::Collect(const Matcher& m, bool match) const {
  auto it = index_.find(m.name());
  if (it == index_.end()) return {};
  if (m.type() == MatchType::kEqual && match) {
    auto v = it->second.find(m.value());
    return v == it->second.end() ? Offsets{} : v->second;
  }
  std::vector<Offsets> lists;
  for (const auto& [value, refs] : it->second) {
    if (m.Matches(value) == match) lists.push_back(refs);
  }
  return Merge(std::move(lists));
}

namespace {

// Keeps the refs of `result` that `other` has. When `result` is much smaller (a selective
// matcher next to a metric name with many series), each ref is looked up by binary search
// in the rest of `other`, so the large list is neither copied nor walked.
template <typename V>
void IntersectInPlace(V& result, const V& other) {
  if (result.size() * 16 < other.size()) {
    auto from = other.begin();
    size_t kept = 0;
    for (auto ref : result) {
      from = std::lower_bound(from, other.end(), ref);
      if (from == other.end()) break;
      if (*from == ref) result[kept++] = ref;
    }
    result.resize(kept);
    return;
  }
  result = Intersect(result, other);
}

}  // namespace

Postings MemPostings::Select(std::span<const Matcher> matchers) const {
  std::shared_lock lock(mu_);
  // Positive sets (matchers that do not match ""): series must carry a matching value.
  // Others (match ""): remove the series whose value does NOT match; series without the
  // label are kept. Positive lists are intersected smallest first; equality matchers
  // borrow their lists from the index instead of copying them.
  std::vector<const Offsets*> positive;
  std::vector<Offsets> collected;
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
  Offsets result;
  if (positive.empty()) {
    result = all_;
  } else {
    std::sort(positive.begin(), positive.end(), [](const Offsets* a, const Offsets* b) { return a->size() < b->size(); });
    result = *positive[0];
    for (size_t i = 1; i < positive.size() && !result.empty(); ++i) IntersectInPlace(result, *positive[i]);
    if (result.empty()) return {};
  }
  for (const Matcher* m : negative) {
    Offsets drop = Collect(*m, false);
    if (!drop.empty()) result = Subtract(result, drop);
  }
  return ToRefs(result);
}

Postings MemPostings::All() const {
  std::shared_lock lock(mu_);
  return ToRefs(all_);
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

namespace {

// Keeps the `limit` largest by count (ties: smaller name first), in that order.
void KeepTop(std::vector<PostingsStat>& stats, size_t limit) {
  auto larger = [](const PostingsStat& a, const PostingsStat& b) {
    return a.count != b.count ? a.count > b.count : a.name < b.name;
  };
  if (stats.size() > limit) {
    std::nth_element(stats.begin(), stats.begin() + static_cast<std::ptrdiff_t>(limit), stats.end(), larger);
    stats.resize(limit);
  }
  std::sort(stats.begin(), stats.end(), larger);
}

}  // namespace

PostingsStats MemPostings::Stats(std::string_view metric_label, size_t limit) const {
  PostingsStats out;
  std::shared_lock lock(mu_);
  for (const auto& [name, values] : index_) {
    uint64_t distinct = 0, bytes = 0;
    for (const auto& [value, refs] : values) {
      if (refs.empty()) continue;
      ++distinct;
      bytes += value.size();
      if (name == metric_label) out.series_by_metric.push_back({std::string(value), refs.size()});
      std::string pair;
      pair.reserve(name.size() + 1 + value.size());
      pair.append(name).append("=").append(value);
      out.series_by_pair.push_back({std::move(pair), refs.size()});
      // Bounded memory for large indexes: trim the pairs list as it grows.
      if (out.series_by_pair.size() >= 4 * limit + 4096) KeepTop(out.series_by_pair, limit);
    }
    if (distinct == 0) continue;
    out.num_label_pairs += distinct;
    out.values_by_label.push_back({std::string(name), distinct});
    out.bytes_by_label.push_back({std::string(name), bytes});
  }
  lock.unlock();
  KeepTop(out.series_by_metric, limit);
  KeepTop(out.values_by_label, limit);
  KeepTop(out.bytes_by_label, limit);
  KeepTop(out.series_by_pair, limit);
  return out;
}

size_t MemPostings::num_series() const {
  std::shared_lock lock(mu_);
  return all_.size();
}

}  // namespace perfwatch::tsdb
