// Head construction, series creation and lookup, the per-sample rules and chunk cutting.
// AppendBatch: head_append.cc; reads: head_read.cc; WAL replay and snapshots: head_wal.cc.
#include <algorithm>
#include <bit>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include "tsdb/head_internal.h"

namespace perfwatch::tsdb {

std::string_view RejectReasonName(RejectReason r) {
  switch (r) {
    case RejectReason::kOutOfOrder: return "out_of_order";
    case RejectReason::kDuplicateTimestamp: return "duplicate_timestamp";
    case RejectReason::kInvalidLabels: return "invalid_labels";
    case RejectReason::kLabelLimit: return "label_limit";
    case RejectReason::kSeriesLimit: return "series_limit";
    case RejectReason::kSeriesRateLimit: return "series_rate_limit";
  }
  return "unknown";
}

Head::Head(HeadOptions opts, MetricsRegistry* metrics)
    : opts_(opts),
      own_metrics_(metrics ? nullptr : std::make_unique<MetricsRegistry>()),
      metrics_(metrics ? metrics : own_metrics_.get()),
      symbols_(std::make_unique<HeadSymbols>()),
      shards_(new Shard[kHeadShards]),
      by_ref_(std::make_unique<SeriesTable>()) {
  next_ref_.store(std::max<uint64_t>(1, opts_.first_series_ref), std::memory_order_relaxed);
  samples_appended_ = metrics_->GetCounter("perfwatch_tsdb_samples_appended_total", "Samples appended to the head.");
  samples_duplicate_ = metrics_->GetCounter("perfwatch_tsdb_samples_duplicate_total",
                                            "Samples dropped because the same (timestamp, value) was already stored.");
  for (size_t i = 0; i < kNumRejectReasons; ++i) {
    samples_rejected_[i] = metrics_->GetCounter(
        "perfwatch_tsdb_samples_rejected_total", "Samples rejected, by reason.",
        {{"reason", std::string(RejectReasonName(static_cast<RejectReason>(i)))}});
  }
  series_created_ = metrics_->GetCounter("perfwatch_tsdb_series_created_total", "Series created in the head.");
  SetLimits(opts_.limits);
  rate_tokens_ = opts_.limits.max_series_per_second;
  rate_last_ns_ = std::chrono::steady_clock::now().time_since_epoch().count();
}

Head::~Head() = default;

std::mutex& Head::shard_mutex(uint32_t shard) const { return shards_[shard].mu; }
const ChunkSegments& Head::shard_segments(uint32_t shard) const { return shards_[shard].segments; }

Head::MemSeries* Head::GetByRef(SeriesRef ref) const { return by_ref_->Get(ref); }

std::span<const LabelView> Head::DecodeLabels(const MemSeries& s, std::vector<LabelView>* scratch) const {
  scratch->clear();
  AppendEncodedLabels(*symbols_, s.labels, scratch);
  return *scratch;
}

size_t Head::AppendLabels(const MemSeries& s, std::vector<LabelView>* out) const {
  return AppendEncodedLabels(*symbols_, s.labels, out);
}

Head::MemSeries* Head::Find(Shard& shard, uint64_t hash, std::span<const LabelView> labels) const {
  if (shard.slots.empty()) return nullptr;
  for (size_t i = shard.Home(hash);; i = (i + 1) & (shard.slots.size() - 1)) {
    const Shard::Slot& slot = shard.slots[i];
    if (slot.empty()) return nullptr;
    if (slot.TagMatches(hash) && EncodedLabelsEqual(*symbols_, shard.At(slot)->labels, labels)) return shard.At(slot);
  }
}

Head::MemSeries* Head::Create(Shard& shard, uint32_t shard_index, uint64_t hash, SeriesRef ref,
                              std::span<const LabelView> labels) {
  if (ref > MemSeries::kRefMask) throw std::length_error("head: series ref above 2^56");
  const uint8_t* encoded = shard.label_arena.Add(*symbols_, labels);
  const uint32_t handle = shard.series.emplace_back();
  MemSeries* raw = &shard.series.at(handle);
  raw->ref_shard = ref | (uint64_t{shard_index} << MemSeries::kShardShift);
  raw->labels = encoded;
  shard.Insert(hash, handle, [this](const MemSeries& s) {
    std::vector<LabelView> scratch;
    AppendLabels(s, &scratch);
    return HashLabels(scratch);
  });
  by_ref_->Set(ref, raw);
  num_series_.fetch_add(1, std::memory_order_relaxed);
  series_created_->Inc();
  return raw;
}

void Head::CutChunk(MemSeries& s) {
  if (!s.has_open()) return;
  ChunkSegments& segs = shards_[s.shard()].segments;
  HeadChunk c{s.open.min_time(segs), s.last_t, s.open.num_samples(), {}};
  c.bytes.reserve(s.open.size());
  s.open.AppendTo(segs, &c.bytes);
  HeadSeriesCold& cold = s.Cold();
  cold.min_t = std::min(cold.min_t, c.mint);
  cold.chunks.push_back(std::move(c));
  s.open.Clear(segs);
}

int64_t Head::ChunkRangeEnd(int64_t t) const {
  const int64_t range = opts_.chunk_range_ms;
  int64_t q = t / range;
  if (t % range < 0) --q;  // floor division
  int64_t start = q * range;
  return start > INT64_MAX - range ? INT64_MAX : start + range;
}

Head::AppendOutcome Head::AppendSample(MemSeries& s, int64_t t, double v) {
  uint64_t bits = std::bit_cast<uint64_t>(v);
  if (t > s.last_t || s.empty()) {
    // The open chunk's samples share one chunk range, so its last one (last_t) names it.
    // A step of 2^32 ms or more (only with a chunk range that long) also cuts: OpenChunk
    // keeps the last delta in 32 bits.
    if (!s.has_open() || s.open.num_samples() >= opts_.chunk_max_samples || t >= ChunkRangeEnd(s.last_t) ||
        static_cast<uint64_t>(t) - static_cast<uint64_t>(s.last_t) > UINT32_MAX) {
      CutChunk(s);
    }
    s.open.Append(shards_[s.shard()].segments, t, bits, s.last_t, s.last_bits);
    s.last_t = t;
    s.last_bits = bits;
    return AppendOutcome::kAppended;
  }
  if (t == s.last_t) return bits == s.last_bits ? AppendOutcome::kDuplicate : AppendOutcome::kDuplicateTimestamp;
  // Older than the last sample: a resent identical sample is a duplicate; inside the
  // out-of-order window a new one goes to the out-of-order buffer.
  const int64_t window = opts_.out_of_order_window_ms;
  const bool in_window =
      window > 0 && static_cast<uint64_t>(s.last_t) - static_cast<uint64_t>(t) <= static_cast<uint64_t>(window);
  if (in_window || (s.has_open() && t >= s.open.min_time(shards_[s.shard()].segments))) {
    int found = FindStored(s, t, bits);
    if (found == 1) return AppendOutcome::kDuplicate;
    if (found == 2) return AppendOutcome::kDuplicateTimestamp;
  }
  if (!in_window) return AppendOutcome::kOutOfOrder;
  HeadSeriesCold& cold = s.Cold();
  std::vector<Sample>& ooo = cold.ooo;
  auto pos = std::lower_bound(ooo.begin(), ooo.end(), t, [](const Sample& a, int64_t x) { return a.t < x; });
  ooo.insert(pos, Sample{t, v});
  cold.min_t = std::min(cold.min_t, t);
  if (ooo.size() >= opts_.chunk_max_samples) RebuildSeries(s, {});
  return AppendOutcome::kAppended;
}

int Head::FindStored(const MemSeries& s, int64_t t, uint64_t bits) const {
  auto verdict = [bits](double v) { return std::bit_cast<uint64_t>(v) == bits ? 1 : 2; };
  std::span<const Sample> ooo = s.ooo();
  auto pos = std::lower_bound(ooo.begin(), ooo.end(), t, [](const Sample& a, int64_t x) { return a.t < x; });
  if (pos != ooo.end() && pos->t == t) return verdict(pos->v);
  auto search = [&](std::span<const uint8_t> bytes) {
    ChunkIterator it(bytes);
    while (it.Next()) {
      if (it.t() < t) continue;
      return it.t() == t ? verdict(it.v()) : 0;
    }
    return 0;
  };
  const ChunkSegments& segs = shards_[s.shard()].segments;
  if (s.has_open() && t >= s.open.min_time(segs)) {
    std::vector<uint8_t> bytes;
    s.open.AppendTo(segs, &bytes);
    return search(bytes);
  }
  std::span<const HeadChunk> chunks = s.chunks();
  for (auto c = chunks.rbegin(); c != chunks.rend(); ++c) {
    if (t > c->maxt) return 0;
    if (t >= c->mint) return search(c->bytes);
  }
  return 0;
}

void Head::RebuildSeries(MemSeries& s, std::span<const Sample> extra) {
  std::vector<Sample> all;
  auto decode = [&all](std::span<const uint8_t> bytes) {
    ChunkIterator it(bytes);
    while (it.Next()) all.push_back(Sample{it.t(), it.v()});
  };
  for (const HeadChunk& c : s.chunks()) decode(c.bytes);
  ChunkSegments& segs = shards_[s.shard()].segments;
  if (s.has_open()) {
    std::vector<uint8_t> bytes;
    s.open.AppendTo(segs, &bytes);
    decode(bytes);
  }
  std::span<const Sample> ooo = s.ooo();
  all.insert(all.end(), ooo.begin(), ooo.end());
  all.insert(all.end(), extra.begin(), extra.end());
  std::stable_sort(all.begin(), all.end(), [](const Sample& a, const Sample& b) { return a.t < b.t; });
  if (s.cold) {
    std::vector<Sample> late = std::move(s.cold->late);  // replay's, kept for FinishReplay
    s.cold.reset();
    if (!late.empty()) s.Cold().late = std::move(late);
  }
  s.open.Clear(segs);
  s.last_t = INT64_MIN;
  for (const Sample& smp : all) (void)AppendSample(s, smp.t, smp.v);  // sorted: never out of order
}

void Head::SetLimits(const HeadLimits& limits) {
  max_series_.store(limits.max_series, std::memory_order_relaxed);
  max_labels_per_series_.store(limits.max_labels_per_series, std::memory_order_relaxed);
  max_label_name_length_.store(limits.max_label_name_length, std::memory_order_relaxed);
  max_label_value_length_.store(limits.max_label_value_length, std::memory_order_relaxed);
  max_series_per_second_.store(limits.max_series_per_second, std::memory_order_relaxed);
}

HeadLimits Head::limits() const {
  return HeadLimits{.max_series = max_series_.load(std::memory_order_relaxed),
                    .max_labels_per_series = max_labels_per_series_.load(std::memory_order_relaxed),
                    .max_label_name_length = max_label_name_length_.load(std::memory_order_relaxed),
                    .max_label_value_length = max_label_value_length_.load(std::memory_order_relaxed),
                    .max_series_per_second = max_series_per_second_.load(std::memory_order_relaxed)};
}

bool Head::TakeSeriesToken(uint32_t rate) {
  std::lock_guard lock(rate_mu_);
  int64_t now = std::chrono::steady_clock::now().time_since_epoch().count();
  rate_tokens_ = std::min<double>(rate, rate_tokens_ + static_cast<double>(now - rate_last_ns_) * 1e-9 * rate);
  rate_last_ns_ = now;
  if (rate_tokens_ < 1) return false;
  rate_tokens_ -= 1;
  return true;
}

HeadStats Head::Stats() const {
  HeadStats st;
  st.min_time = INT64_MAX;
  st.max_time = INT64_MIN;
  for (size_t i = 0; i < kHeadShards; ++i) {
    std::lock_guard lock(shards_[i].mu);
    const ChunkSegments& segs = shards_[i].segments;
    shards_[i].series.ForEach([&](const MemSeries& s) {
      ++st.series;
      for (const HeadChunk& c : s.chunks()) {
        ++st.chunks;
        st.chunk_bytes += c.bytes.size();
        st.samples += c.num_samples;
      }
      if (s.has_open()) {
        ++st.chunks;
        st.chunk_bytes += s.open.size();
        st.samples += s.open.num_samples();
      }
      st.samples += s.ooo().size();
      if (!s.empty()) {
        st.min_time = std::min(st.min_time, s.first_t(segs));
        st.max_time = std::max(st.max_time, s.last_t);
      }
    });
  }
  return st;
}

}  // namespace perfwatch::tsdb
