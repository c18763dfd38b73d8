// The head's read path: HeadQuerier selects series through the postings index and copies
// the chunks overlapping the query range under each series' shard lock.
#include <algorithm>
#include <unordered_set>

#include "tsdb/head_internal.h"

namespace perfwatch::tsdb {

// ---------------------------------------------------------------------------------------
// SeriesIterator

SeriesIterator::SeriesIterator(std::span<const uint8_t> data, std::span<const uint32_t> chunk_ends, int64_t mint,
                               int64_t maxt, std::span<const Sample> extra)
    : extra_(extra), data_(data), chunk_ends_(chunk_ends), mint_(mint), maxt_(maxt) {}

bool SeriesIterator::OpenChunk() {
  if (next_chunk_ >= chunk_ends_.size()) return false;
  uint32_t begin = next_chunk_ == 0 ? 0 : chunk_ends_[next_chunk_ - 1];
  uint32_t end = chunk_ends_[next_chunk_++];
  it_ = std::make_unique<ChunkIterator>(data_.subspan(begin, end - begin));
  return true;
}

bool SeriesIterator::NextFromChunks() {
  for (;;) {
    if (!it_ && !OpenChunk()) return false;
    while (it_->Next()) {
      int64_t t = it_->t();
      if (t < mint_) continue;
      if (t > maxt_) {
        next_chunk_ = chunk_ends_.size();  // chunks are in time order: nothing further
        it_.reset();
        return false;
      }
      chunk_t_ = t;
      chunk_v_ = it_->v();
      return true;
    }
    if (!it_->status().ok()) {
      status_ = it_->status();
      it_.reset();
      next_chunk_ = chunk_ends_.size();
      return false;
    }
    it_.reset();
  }
}

std::optional<Sample> LastSample(SeriesIterator& it) {
  std::optional<Sample> last;
  while (it.Next()) last = Sample{it.t(), it.v()};
  return last;
}

bool SeriesIterator::Next() {
  if (!status_.ok()) return false;
  if (!primed_) {
    primed_ = true;
    chunk_valid_ = NextFromChunks();
  }
  while (next_extra_ < extra_.size() && (extra_[next_extra_].t < mint_ || extra_[next_extra_].t > maxt_)) {
    ++next_extra_;
  }
  bool have_extra = next_extra_ < extra_.size();
  if (!chunk_valid_ && !have_extra) return false;
  if (chunk_valid_ && (!have_extra || chunk_t_ <= extra_[next_extra_].t)) {
    if (have_extra && chunk_t_ == extra_[next_extra_].t) ++next_extra_;  // never stored twice; be safe
    t_ = chunk_t_;
    v_ = chunk_v_;
    chunk_valid_ = NextFromChunks();
    return true;
  }
  t_ = extra_[next_extra_].t;
  v_ = extra_[next_extra_].v;
  ++next_extra_;
  return true;
}

Status Series::AppendSamples(std::vector<Sample>* out) const {
  auto by_t = [](const Sample& a, int64_t t) { return a.t < t; };
  if (chunk_ends_.empty()) {  // samples only (a series merged from several blocks)
    auto lo = std::lower_bound(extra_.begin(), extra_.end(), mint_, by_t);
    auto hi = lo;
    while (hi != extra_.end() && hi->t <= maxt_) ++hi;
    out->insert(out->end(), lo, hi);
    return Status::Ok();
  }
  if (!extra_.empty()) {  // merged with the chunks' samples: the iterator's job
    SeriesIterator it = Iterator();
    while (it.Next()) out->push_back(Sample{it.t(), it.v()});
    return it.status();
  }
  size_t start = 0;
  for (uint32_t end : chunk_ends_) {
    const size_t first = out->size();
    Status st = DecodeChunk(std::span<const uint8_t>(data_).subspan(start, end - start), out);
    start = end;
    // Keep [mint_, maxt_] of this chunk's samples (chunks are in time order).
    auto lo = std::lower_bound(out->begin() + static_cast<ptrdiff_t>(first), out->end(), mint_, by_t);
    auto hi = std::lower_bound(lo, out->end(), maxt_ + (maxt_ < INT64_MAX ? 1 : 0), by_t);
    if (maxt_ == INT64_MAX) hi = out->end();
    out->erase(hi, out->end());
    out->erase(out->begin() + static_cast<ptrdiff_t>(first), lo);
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------
// HeadQuerier

namespace {

bool Overlaps(int64_t a_min, int64_t a_max, int64_t b_min, int64_t b_max) { return a_min <= b_max && b_min <= a_max; }

}  // namespace

// Copies the chunks of `s` overlapping [mint, maxt]; false when it has no sample there.
bool LoadSeries(const Head& head, const Head::MemSeries& s, int64_t mint, int64_t maxt, Series* out);

class HeadQuerier final : public Querier {
 public:
  HeadQuerier(const Head& head, int64_t mint, int64_t maxt) : Querier(mint, maxt), head_(head) {}

  std::unique_ptr<SeriesSet> Select(std::span<const Matcher> matchers) const override;
  Result<std::vector<std::string>> LabelNames(std::span<const Matcher> matchers) const override;
  Result<std::vector<std::string>> LabelValues(std::string_view name,
                                               std::span<const Matcher> matchers) const override;

 private:
  // Series matching `matchers` whose time span overlaps the range (unsorted).
  std::vector<const Head::MemSeries*> Matching(std::span<const Matcher> matchers) const {
    Postings refs = matchers.empty() ? head_.postings_.All() : head_.postings_.Select(matchers);
    std::vector<const Head::MemSeries*> out;
    out.reserve(refs.size());
    for (SeriesRef ref : refs) {
      const Head::MemSeries* s = head_.GetByRef(ref);
      if (s && InRange(*s)) out.push_back(s);
    }
    return out;
  }
  bool InRange(const Head::MemSeries& s) const {
    Head::Shard& shard = head_.shards_[s.shard()];
    std::lock_guard lock(shard.mu);
    return !s.empty() && Overlaps(s.first_t(shard.segments), s.last_t, mint(), maxt());
  }

  const Head& head_;
};

bool LoadSeries(const Head& head, const Head::MemSeries& s, int64_t mint, int64_t maxt, Series* out) {
  std::vector<uint8_t> data;
  std::vector<uint32_t> ends;
  std::vector<Sample> extra;
  bool edge_in_range = false;  // a chunk's first or last sample is in range
  auto in_range = [&](int64_t t) { return t >= mint && t <= maxt; };
  {
    const ChunkSegments& segs = head.shard_segments(s.shard());
    std::lock_guard lock(head.shard_mutex(s.shard()));
    for (const HeadChunk& c : s.chunks()) {
      if (!Overlaps(c.mint, c.maxt, mint, maxt)) continue;
      edge_in_range |= in_range(c.mint) || in_range(c.maxt);
      data.insert(data.end(), c.bytes.begin(), c.bytes.end());
      ends.push_back(static_cast<uint32_t>(data.size()));
    }
    const int64_t open_mint = s.has_open() ? s.open.min_time(segs) : INT64_MAX;
    if (s.has_open() && Overlaps(open_mint, s.last_t, mint, maxt)) {
      edge_in_range |= in_range(open_mint) || in_range(s.last_t);
      s.open.AppendTo(segs, &data);
      ends.push_back(static_cast<uint32_t>(data.size()));
    }
    for (const Sample& smp : s.ooo()) {
      if (smp.t >= mint && smp.t <= maxt) extra.push_back(smp);
    }
  }
  if (ends.empty() && extra.empty()) return false;
  // A range may fall between two samples of one chunk: make sure one sample is in range.
  if (!edge_in_range && extra.empty()) {
    SeriesIterator probe(data, ends, mint, maxt, extra);
    if (!probe.Next() && probe.status().ok()) return false;
  }
  std::vector<LabelView> views;
  *out = Series(Labels::FromViews(head.DecodeLabels(s, &views)), std::move(data), std::move(ends), mint, maxt, std::move(extra));
  return true;
}

namespace {

// Holds the Head (which must outlive it), not the Querier.
class HeadSeriesSet final : public SeriesSet {
 public:
  HeadSeriesSet(const Head& head, int64_t mint, int64_t maxt, std::vector<const Head::MemSeries*> series)
      : head_(head), mint_(mint), maxt_(maxt), series_(std::move(series)) {}
  bool Next() override {
    while (pos_ < series_.size()) {
      if (LoadSeries(head_, *series_[pos_++], mint_, maxt_, &current_)) return true;
    }
    return false;
  }
  const Series& At() const override { return current_; }
  Series Take() override { return std::move(current_); }
  Status status() const override { return Status::Ok(); }

 private:
  const Head& head_;
  const int64_t mint_;
  const int64_t maxt_;
  std::vector<const Head::MemSeries*> series_;
  size_t pos_ = 0;
  Series current_;
};

}  // namespace

std::unique_ptr<SeriesSet> HeadQuerier::Select(std::span<const Matcher> matchers) const {
  std::vector<const Head::MemSeries*> series = Matching(matchers);
  // Decode each series' labels once, then sort by them.
  std::vector<LabelView> views;
  std::vector<std::pair<size_t, size_t>> ranges(series.size());  // (first view, count)
  for (size_t i = 0; i < series.size(); ++i) {
    size_t first = views.size();
    ranges[i] = {first, head_.AppendLabels(*series[i], &views)};
  }
  std::vector<uint32_t> order(series.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  auto labels_of = [&](uint32_t i) { return std::span<const LabelView>(views.data() + ranges[i].first, ranges[i].second); };
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return CompareLabels(labels_of(a), labels_of(b)) < 0; });
  std::vector<const Head::MemSeries*> sorted(series.size());
  for (size_t i = 0; i < order.size(); ++i) sorted[i] = series[order[i]];
  return std::make_unique<HeadSeriesSet>(head_, mint(), maxt(), std::move(sorted));
}

Result<std::vector<std::string>> HeadQuerier::LabelNames(std::span<const Matcher> matchers) const {
  std::unordered_set<std::string_view> names;  // views into the head's symbols
  std::vector<LabelView> views;
  for (const Head::MemSeries* s : Matching(matchers)) {
    for (const LabelView& l : head_.DecodeLabels(*s, &views)) names.insert(l.name);
  }
  std::vector<std::string> out(names.begin(), names.end());
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::vector<std::string>> HeadQuerier::LabelValues(std::string_view name,
                                                          std::span<const Matcher> matchers) const {
  std::unordered_set<std::string_view> values;  // views into the head's symbols
  std::vector<LabelView> views;
  for (const Head::MemSeries* s : Matching(matchers)) {
    for (const LabelView& l : head_.DecodeLabels(*s, &views)) {
      if (l.name == name) values.insert(l.value);
    }
  }
  std::vector<std::string> out(values.begin(), values.end());
  std::sort(out.begin(), out.end());
  return out;
}

std::unique_ptr<Querier> Head::NewQuerier(int64_t mint, int64_t maxt) const {
  return std::make_unique<HeadQuerier>(*this, mint, maxt);
}

std::span<const LabelView> Head::SeriesLabels(SeriesRef ref, std::vector<LabelView>* scratch) const {
  const MemSeries* s = GetByRef(ref);
  if (!s) {
    scratch->clear();
    return {};
  }
  return DecodeLabels(*s, scratch);  // labels never change after creation: no lock needed
}

}  // namespace perfwatch::tsdb
