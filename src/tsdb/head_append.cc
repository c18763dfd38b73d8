// Head::AppendBatch: validates label sets, groups series by shard, applies the sample
// rules under each shard lock once, and logs the batch with one WAL write(2).
#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "tsdb/head_internal.h"
#include "tsdb/record.h"
#include "tsdb/wal.h"

namespace perfwatch::tsdb {

namespace {

struct Item {
  uint64_t hash;
  uint32_t index;  // into the batch
  uint32_t shard;
  uint32_t labels_begin;  // into Scratch::fixed when normalised, else UINT32_MAX
  uint32_t labels_size;
};

// Per-thread buffers reused across batches so the hot path does not allocate.
struct Scratch {
  std::vector<Item> items;
  std::vector<uint32_t> order;
  std::vector<LabelView> fixed;  // normalised copies of unsorted label sets
  std::vector<Sample> accepted;
  std::vector<LabelView> label_scratch;  // a stored series' labels, decoded
  std::string series_rec;
  std::string samples_rec;
};

Scratch& ThreadScratch() {
  thread_local Scratch s;
  return s;
}

// Checks and, when needed, normalises one label set. Returns the reason on failure.
std::optional<RejectReason> CheckLabels(std::span<const LabelView> in, const HeadLimits& lim, Scratch& sc,
                                        Item& item) {
  bool clean = true;
  for (size_t j = 0; j < in.size(); ++j) {
    if (in[j].name.empty()) return RejectReason::kInvalidLabels;
    if (in[j].value.empty() || (j > 0 && in[j].name <= in[j - 1].name)) clean = false;
  }
  std::span<const LabelView> labels = in;
  if (!clean) {
    size_t begin = sc.fixed.size();
    for (const LabelView& l : in) {
      if (!l.value.empty()) sc.fixed.push_back(l);
    }
    auto first = sc.fixed.begin() + static_cast<ptrdiff_t>(begin);
    std::sort(first, sc.fixed.end(), [](const LabelView& a, const LabelView& b) { return a.name < b.name; });
    for (auto it = first; it != sc.fixed.end() && it + 1 != sc.fixed.end(); ++it) {
      if (it->name == (it + 1)->name) return RejectReason::kInvalidLabels;
    }
    item.labels_begin = static_cast<uint32_t>(begin);
    item.labels_size = static_cast<uint32_t>(sc.fixed.size() - begin);
    labels = std::span<const LabelView>(sc.fixed.data() + begin, item.labels_size);
  }
  if (labels.empty()) return RejectReason::kInvalidLabels;
  if (lim.max_labels_per_series && labels.size() > lim.max_labels_per_series) return RejectReason::kLabelLimit;
  if (lim.max_label_name_length || lim.max_label_value_length) {
    for (const LabelView& l : labels) {
      if (lim.max_label_name_length && l.name.size() > lim.max_label_name_length) return RejectReason::kLabelLimit;
      if (lim.max_label_value_length && l.value.size() > lim.max_label_value_length) return RejectReason::kLabelLimit;
    }
  }
  return std::nullopt;
}

std::string Describe(RejectReason r, std::span<const LabelView> labels, int64_t t, const HeadLimits& lim) {
  std::string what;
  switch (r) {
    case RejectReason::kOutOfOrder: what = "out of order sample (older than the series' last sample)"; break;
    case RejectReason::kDuplicateTimestamp: what = "duplicate sample for timestamp with a different value"; break;
    case RejectReason::kInvalidLabels: what = "invalid label set (empty, empty or repeated label name)"; break;
    case RejectReason::kLabelLimit:
      what = "label limits exceeded (max " + std::to_string(lim.max_labels_per_series) + " labels, name " +
             std::to_string(lim.max_label_name_length) + " bytes, value " +
             std::to_string(lim.max_label_value_length) + " bytes)";
      break;
    case RejectReason::kSeriesLimit: what = "series limit of " + std::to_string(lim.max_series) + " reached"; break;
    case RejectReason::kSeriesRateLimit:
      what = "series creation rate limit of " + std::to_string(lim.max_series_per_second) + "/s exceeded";
      break;
  }
  std::string series = LabelsToString(labels);
  if (series.size() > 200) series = series.substr(0, 200) + "...";
  return what + " for series " + series + " at t=" + std::to_string(t);
}

}  // namespace

Status Head::AppendBatch(std::span<const SeriesSamples> batch, AppendResult* result, std::span<SeriesRef> refs) {
  const HeadLimits lim = limits();  // once per batch (SetLimits may change them meanwhile)
  AppendResult res;
  Scratch& sc = ThreadScratch();
  sc.items.clear();
  sc.fixed.clear();
  sc.series_rec.clear();
  sc.samples_rec.clear();
  std::string first_error;
  auto reject = [&](RejectReason r, uint64_t n, std::span<const LabelView> labels, int64_t t) {
    if (n == 0) return;
    res.rejected += n;
    res.rejected_by_reason[static_cast<size_t>(r)] += n;
    if (first_error.empty()) first_error = Describe(r, labels, t, lim);
  };

  // 1. Validate and hash label sets.
  int64_t base_t = 0;
  bool have_base = false;
  for (uint32_t i = 0; i < batch.size(); ++i) {
    const SeriesSamples& ss = batch[i];
    if (ss.samples.empty()) continue;
    if (!have_base) {
      base_t = ss.samples[0].t;
      have_base = true;
    }
    Item item{0, i, 0, UINT32_MAX, 0};
    if (auto bad = CheckLabels(ss.labels, lim, sc, item)) {
      reject(*bad, ss.samples.size(), ss.labels, ss.samples[0].t);
      continue;
    }
    std::span<const LabelView> labels =
        item.labels_begin == UINT32_MAX ? ss.labels : std::span<const LabelView>(&sc.fixed[item.labels_begin], item.labels_size);
    item.hash = HashLabels(labels);
    item.shard = ShardOf(item.hash);
    sc.items.push_back(item);
  }
  auto labels_of = [&](const Item& item) {
    return item.labels_begin == UINT32_MAX ? batch[item.index].labels
                                           : std::span<const LabelView>(&sc.fixed[item.labels_begin], item.labels_size);
  };

  // 2. Group by shard (counting sort).
  uint32_t counts[kHeadShards + 1] = {};
  for (const Item& item : sc.items) ++counts[item.shard + 1];
  for (size_t s = 0; s < kHeadShards; ++s) counts[s + 1] += counts[s];
  sc.order.resize(sc.items.size());
  {
    uint32_t pos[kHeadShards];
    std::copy(counts, counts + kHeadShards, pos);
    for (uint32_t k = 0; k < sc.items.size(); ++k) sc.order[pos[sc.items[k].shard]++] = k;
  }

  // 3. Per shard: find or create series, apply samples, encode the WAL records.
  const bool log = wal_ != nullptr;
  size_t samples_rec_start = 0;
  size_t series_rec_start = 0;
  if (log && !sc.items.empty()) {
    samples_rec_start = BeginWalRecord(sc.samples_rec);
    EncodeSamplesRecordStart(sc.samples_rec, base_t);
  }
  std::vector<MemSeries*> created;
  for (size_t shard_index = 0; shard_index < kHeadShards; ++shard_index) {
    if (counts[shard_index] == counts[shard_index + 1]) continue;
    Shard& shard = shards_[shard_index];
    std::lock_guard lock(shard.mu);
    const uint32_t group_end = counts[shard_index + 1];
    // The lookups are memory-bound (slot, series, labels, open chunk): prefetch them in a
    // pipeline, slots for the whole group first, then series two items ahead and their
    // labels and chunk one item ahead.
    if (!shard.slots.empty()) {
      for (uint32_t k = counts[shard_index]; k < group_end; ++k) {
        __builtin_prefetch(&shard.slots[shard.Home(sc.items[sc.order[k]].hash)]);
      }
    }
    auto first_slot_series = [&](uint32_t k) -> MemSeries* {
      if (k >= group_end || shard.slots.empty()) return nullptr;
      const Shard::Slot& slot = shard.slots[shard.Home(sc.items[sc.order[k]].hash)];
      return !slot.empty() && slot.TagMatches(sc.items[sc.order[k]].hash) ? shard.At(slot) : nullptr;
    };
    for (uint32_t k = counts[shard_index]; k < group_end; ++k) {
      if (MemSeries* ahead = first_slot_series(k + 2)) __builtin_prefetch(ahead);
      if (MemSeries* next = first_slot_series(k + 1)) {
        __builtin_prefetch(next->labels);
        if (next->open.tail() != 0) __builtin_prefetch(shard.segments.Payload(next->open.tail()));
      }
      const Item& item = sc.items[sc.order[k]];
      std::span<const LabelView> labels = labels_of(item);
      std::span<const Sample> samples = batch[item.index].samples;
      MemSeries* s = Find(shard, item.hash, labels);
      if (!s) {
        if (lim.max_series && num_series_.load(std::memory_order_relaxed) >= lim.max_series) {
          reject(RejectReason::kSeriesLimit, samples.size(), labels, samples[0].t);
          continue;
        }
        if (lim.max_series_per_second && !TakeSeriesToken(lim.max_series_per_second)) {
          reject(RejectReason::kSeriesRateLimit, samples.size(), labels, samples[0].t);
          continue;
        }
        s = Create(shard, static_cast<uint32_t>(shard_index), item.hash,
                   next_ref_.fetch_add(1, std::memory_order_relaxed), labels);
        if (!refs.empty()) refs[item.index] = s->ref();
        created.push_back(s);
        ++res.series_created;
        if (log) {
          if (sc.series_rec.empty()) {
            series_rec_start = BeginWalRecord(sc.series_rec);
            EncodeSeriesRecordStart(sc.series_rec);
          }
          EncodeSeriesEntry(sc.series_rec, s->ref(), DecodeLabels(*s, &sc.label_scratch));
        }
      }
      if (!refs.empty()) refs[item.index] = s->ref();
      size_t ok = 0;
      bool all_ok = true;
      for (size_t j = 0; j < samples.size(); ++j) {
        const Sample& smp = samples[j];
        AppendOutcome o = AppendSample(*s, smp.t, smp.v);
        if (o == AppendOutcome::kAppended) {
          ++ok;
          if (!all_ok) sc.accepted.push_back(smp);
          continue;
        }
        if (all_ok) {
          all_ok = false;
          sc.accepted.assign(samples.begin(), samples.begin() + static_cast<ptrdiff_t>(j));
        }
        if (o == AppendOutcome::kDuplicate) {
          ++res.duplicates;
        } else {
          reject(o == AppendOutcome::kOutOfOrder ? RejectReason::kOutOfOrder : RejectReason::kDuplicateTimestamp, 1,
                 DecodeLabels(*s, &sc.label_scratch), smp.t);
        }
      }
      res.appended += ok;
      if (log && ok > 0) EncodeSamplesGroup(sc.samples_rec, base_t, s->ref(), all_ok ? samples : sc.accepted);
    }
  }
  for (MemSeries* s : created) postings_.Add(s->ref(), DecodeLabels(*s, &sc.label_scratch));

  // 4. One write(2) for the batch: new series first, then their samples.
  if (log && (res.appended > 0 || !sc.series_rec.empty())) {
    if (!sc.series_rec.empty()) FinishWalRecord(sc.series_rec, series_rec_start);
    std::string_view framed;
    if (res.appended > 0) {
      FinishWalRecord(sc.samples_rec, samples_rec_start);
      if (!sc.series_rec.empty()) {
        sc.series_rec.append(sc.samples_rec);
        framed = sc.series_rec;
      } else {
        framed = sc.samples_rec;
      }
    } else {
      framed = sc.series_rec;
    }
    Status s = wal_->Append(framed);
    if (!s.ok()) {
      if (result) *result = res;
      return s.WithContext("append to the write-ahead log");
    }
  }

  return FinishAppend(res, first_error, result);
}

Status Head::FinishAppend(const AppendResult& res, const std::string& first_error, AppendResult* result) {
  samples_appended_->Inc(res.appended);
  if (res.duplicates) samples_duplicate_->Inc(res.duplicates);
  for (size_t r = 0; r < kNumRejectReasons; ++r) {
    if (res.rejected_by_reason[r]) samples_rejected_[r]->Inc(res.rejected_by_reason[r]);
  }
  if (result) *result = res;
  if (res.rejected == 0) return Status::Ok();
  std::string msg = "rejected " + std::to_string(res.rejected) + " of " +
                    std::to_string(res.rejected + res.appended + res.duplicates) + " samples (";
  bool first = true;
  for (size_t r = 0; r < kNumRejectReasons; ++r) {
    if (!res.rejected_by_reason[r]) continue;
    if (!first) msg += ", ";
    first = false;
    msg += std::string(RejectReasonName(static_cast<RejectReason>(r))) + "=" +
           std::to_string(res.rejected_by_reason[r]);
  }
  msg += "); first: " + first_error;
  if (res.rejected_by_reason[static_cast<size_t>(RejectReason::kSeriesRateLimit)]) {
    return ResourceExhausted(std::move(msg));
  }
  return InvalidArgument(std::move(msg));
}

Status Head::AppendRefs(std::span<const RefSample> batch, AppendResult* result, std::vector<uint32_t>* unknown) {
  AppendResult res;
  Scratch& sc = ThreadScratch();
  sc.samples_rec.clear();
  std::string first_error;
  const bool log = wal_ != nullptr && !batch.empty();
  const int64_t base_t = batch.empty() ? 0 : batch[0].sample.t;
  size_t rec_start = 0;
  if (log) {
    rec_start = BeginWalRecord(sc.samples_rec);
    EncodeSamplesRecordStart(sc.samples_rec, base_t);
  }
  for (uint32_t i = 0; i < batch.size(); ++i) {
    MemSeries* s = GetByRef(batch[i].ref);
    if (s == nullptr) {
      if (unknown) unknown->push_back(i);
      continue;
    }
    const Sample& smp = batch[i].sample;
    AppendOutcome o;
    {
      std::lock_guard lock(shards_[s->shard()].mu);
      o = AppendSample(*s, smp.t, smp.v);
    }
    if (o == AppendOutcome::kAppended) {
      ++res.appended;
      if (log) EncodeSamplesGroup(sc.samples_rec, base_t, s->ref(), std::span<const Sample>(&smp, 1));
    } else if (o == AppendOutcome::kDuplicate) {
      ++res.duplicates;
    } else {
      RejectReason r = o == AppendOutcome::kOutOfOrder ? RejectReason::kOutOfOrder : RejectReason::kDuplicateTimestamp;
      ++res.rejected;
      ++res.rejected_by_reason[static_cast<size_t>(r)];
      if (first_error.empty()) first_error = Describe(r, DecodeLabels(*s, &sc.label_scratch), smp.t, limits());
    }
  }
  if (log && res.appended > 0) {
    FinishWalRecord(sc.samples_rec, rec_start);
    Status st = wal_->Append(sc.samples_rec);
    if (!st.ok()) {
      if (result) *result = res;
      return st.WithContext("append to the write-ahead log");
    }
  }
  return FinishAppend(res, first_error, result);
}

}  // namespace perfwatch::tsdb
