// The head's side of WAL replay and checkpoints: recreating series by ref, applying logged
// samples (tolerating the reordering concurrent appenders can cause in the log), loading
// checkpointed chunks, and writing a snapshot of the whole head.
#include <algorithm>
#include <bit>

#include "tsdb/head_internal.h"
#include "tsdb/record.h"
#include "tsdb/wal.h"

namespace perfwatch::tsdb {

Status Head::ReplaySeries(SeriesRef ref, std::span<const LabelView> labels) {
  if (ref == 0) return DataLoss("series record with ref 0");
  if (ref > MemSeries::kRefMask) return DataLoss("series record with ref " + std::to_string(ref) + " above 2^56");
  if (GetByRef(ref)) return Status::Ok();  // a checkpoint and a segment may both hold it
  std::vector<LabelView> sorted(labels.begin(), labels.end());
  std::sort(sorted.begin(), sorted.end(), [](const LabelView& a, const LabelView& b) { return a.name < b.name; });
  uint64_t hash = HashLabels(sorted);
  uint32_t shard_index = ShardOf(hash);
  Shard& shard = shards_[shard_index];
  MemSeries* s;
  {
    std::lock_guard lock(shard.mu);
    if (MemSeries* existing = Find(shard, hash, sorted)) {  // same labels under another ref
      by_ref_->Set(ref, existing);
      return Status::Ok();
    }
    s = Create(shard, shard_index, hash, ref, sorted);
  }
  std::vector<LabelView> views;
  postings_.Add(ref, DecodeLabels(*s, &views));
  SeriesRef next = next_ref_.load(std::memory_order_relaxed);
  while (next <= ref && !next_ref_.compare_exchange_weak(next, ref + 1)) {
  }
  if (auto it = orphans_.find(ref); it != orphans_.end()) {
    std::vector<Sample> waiting = std::move(it->second);
    orphans_.erase(it);
    ReplaySamples(ref, waiting);
  }
  return Status::Ok();
}

void Head::ReplaySamples(SeriesRef ref, std::span<const Sample> samples) {
  MemSeries* s = GetByRef(ref);
  if (!s) {
    auto& waiting = orphans_[ref];
    waiting.insert(waiting.end(), samples.begin(), samples.end());
    return;
  }
  std::lock_guard lock(shards_[s->shard()].mu);
  uint64_t appended = 0;
  for (const Sample& smp : samples) {
    AppendOutcome o = AppendSample(*s, smp.t, smp.v);
    if (o == AppendOutcome::kAppended) {
      ++appended;
    } else if (o == AppendOutcome::kOutOfOrder) {
      std::vector<Sample>& late = s->Cold().late;
      if (late.empty()) late_series_.push_back(s);
      late.push_back(smp);
    }
  }
  samples_appended_->Inc(appended);
}

Status Head::ReplayChunk(SeriesRef ref, int64_t mint, int64_t maxt, std::string_view bytes) {
  MemSeries* s = GetByRef(ref);
  if (!s) return DataLoss("chunk for unknown series ref " + std::to_string(ref));
  std::span<const uint8_t> data(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  HeadChunk c{mint, maxt, 0, std::vector<uint8_t>(data.begin(), data.end())};
  int64_t last_t = INT64_MIN;
  uint64_t last_bits = 0;
  ChunkIterator it(data);
  while (it.Next()) {
    ++c.num_samples;
    last_t = it.t();
    last_bits = std::bit_cast<uint64_t>(it.v());
  }
  if (!it.status().ok()) return it.status().WithContext("checkpoint chunk of series " + std::to_string(ref));
  if (c.num_samples == 0) return Status::Ok();
  std::lock_guard lock(shards_[s->shard()].mu);
  if (!s->empty() && mint <= s->last_t) return DataLoss("checkpoint chunks out of order for series " + std::to_string(ref));
  // Seal the open chunk first: chunks stay in time order, and the open chunk's last
  // sample stays (last_t, last_bits).
  CutChunk(*s);
  s->last_t = last_t;
  s->last_bits = last_bits;
  HeadSeriesCold& cold = s->Cold();
  cold.min_t = std::min(cold.min_t, mint);
  cold.chunks.push_back(std::move(c));
  return Status::Ok();
}

uint64_t Head::FinishReplay() {
  for (MemSeries* s : late_series_) {
    std::lock_guard lock(shards_[s->shard()].mu);
    std::vector<Sample> late = std::move(s->Cold().late);
    s->cold->late = {};
    RebuildSeries(*s, late);
  }
  late_series_.clear();
  uint64_t dropped = 0;
  for (const auto& [ref, samples] : orphans_) dropped += samples.size();
  orphans_.clear();
  return dropped;
}

Status Head::WriteSnapshot(const std::function<Status(std::string_view framed)>& emit) const {
  std::string series_rec, chunks_rec, samples_rec;
  std::vector<Sample> open_samples;
  std::vector<uint8_t> open_bytes;
  std::vector<LabelView> label_scratch;
  for (size_t i = 0; i < kHeadShards; ++i) {
    series_rec.clear();
    chunks_rec.clear();
    samples_rec.clear();
    size_t series_start = BeginWalRecord(series_rec);
    EncodeSeriesRecordStart(series_rec);
    size_t chunks_start = BeginWalRecord(chunks_rec);
    EncodeChunksRecordStart(chunks_rec);
    size_t samples_start = BeginWalRecord(samples_rec);
    int64_t base_t = 0;
    bool any_samples = false, any_chunks = false, any_series = false;
    {
      std::lock_guard lock(shards_[i].mu);
      const ChunkSegments& segs = shards_[i].segments;
      shards_[i].series.ForEach([&](const MemSeries& series) {
        const MemSeries* s = &series;
        any_series = true;
        EncodeSeriesEntry(series_rec, s->ref(), DecodeLabels(*s, &label_scratch));
        for (const HeadChunk& c : s->chunks()) {
          any_chunks = true;
          EncodeChunkEntry(chunks_rec, s->ref(), c.mint, c.maxt, c.bytes);
        }
        if (s->has_open()) {
          open_samples.clear();
          open_bytes.clear();
          s->open.AppendTo(segs, &open_bytes);
          ChunkIterator it(open_bytes);
          while (it.Next()) open_samples.push_back(Sample{it.t(), it.v()});
          if (!any_samples) {
            base_t = s->open.min_time(segs);
            EncodeSamplesRecordStart(samples_rec, base_t);
            any_samples = true;
          }
          EncodeSamplesGroup(samples_rec, base_t, s->ref(), open_samples);
        }
        if (!s->ooo().empty()) {  // replays through the late path, merged by FinishReplay
          if (!any_samples) {
            base_t = s->ooo().front().t;
            EncodeSamplesRecordStart(samples_rec, base_t);
            any_samples = true;
          }
          EncodeSamplesGroup(samples_rec, base_t, s->ref(), s->ooo());
        }
      });
    }
    if (!any_series) continue;
    FinishWalRecord(series_rec, series_start);
    PW_RETURN_IF_ERROR(emit(series_rec));
    if (any_chunks) {
      FinishWalRecord(chunks_rec, chunks_start);
      PW_RETURN_IF_ERROR(emit(chunks_rec));
    }
    if (any_samples) {
      FinishWalRecord(samples_rec, samples_start);
      PW_RETURN_IF_ERROR(emit(samples_rec));
    }
  }
  return Status::Ok();
}

}  // namespace perfwatch::tsdb
