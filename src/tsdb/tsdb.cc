#include "tsdb/tsdb.h"

#include <unistd.h>

#include <algorithm>
#include <limits>
#include <set>
#include <cstdio>

#include "common/file_util.h"
#include "common/snapshot_files.h"
#include "common/log.h"
#include "common/thread_name.h"
#include "common/time.h"
#include "tsdb/compactor.h"
#include "tsdb/merge_querier.h"
#include "tsdb/record.h"
#include "tsdb/wal.h"

namespace perfwatch::tsdb {

namespace {

constexpr std::string_view kCheckpointPrefix = "checkpoint.";

// Checkpoint directories in `dir`: (index, path), sorted; unfinished ".tmp" ones removed.
std::vector<std::pair<uint32_t, std::filesystem::path>> ListCheckpoints(const std::filesystem::path& dir) {
  std::vector<std::pair<uint32_t, std::filesystem::path>> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind(kCheckpointPrefix, 0) != 0) continue;
    std::string rest = name.substr(kCheckpointPrefix.size());
    if (rest.size() != 8 || !std::all_of(rest.begin(), rest.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      std::filesystem::remove_all(entry.path(), ec);  // an interrupted checkpoint
      continue;
    }
    out.emplace_back(static_cast<uint32_t>(std::stoul(rest)), entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

Tsdb::Tsdb(TsdbOptions opts, MetricsRegistry* metrics)
    : opts_(std::move(opts)),
      own_metrics_(metrics ? nullptr : std::make_unique<MetricsRegistry>()),
      metrics_(metrics ? metrics : own_metrics_.get()),
      wal_dir_(opts_.dir / "wal") {
  runtime_ = TsdbRuntimeOptions{.limits = opts_.head.limits,
                                .retention_ms = opts_.retention_ms,
                                .max_block_bytes = opts_.max_block_bytes,
                                .wal_hold_max_bytes = opts_.wal_hold_max_bytes,
                                .wal_fsync_interval = opts_.wal_fsync_interval};
  wal_fsync_interval_ms_.store(opts_.wal_fsync_interval.count(), std::memory_order_relaxed);
  wal_fsyncs_ = metrics_->GetCounter("perfwatch_tsdb_wal_fsyncs_total", "fdatasync calls on the TSDB WAL.");
  wal_fsync_errors_ =
      metrics_->GetCounter("perfwatch_tsdb_wal_fsync_errors_total", "Failed fdatasync calls on the TSDB WAL.");
  wal_corruptions_ = metrics_->GetCounter("perfwatch_tsdb_wal_corruptions_total",
                                          "Torn tails and corrupt records found when replaying the TSDB WAL.");
  checkpoints_ = metrics_->GetCounter("perfwatch_tsdb_checkpoints_total", "TSDB WAL checkpoints written.");
  wal_held_dropped_ = metrics_->GetCounter(
      "perfwatch_tsdb_wal_held_segments_dropped_total",
      "WAL segments a reader (remote write out) still needed, deleted because the held segments exceeded "
      "tsdb.wal_hold_max_bytes.");
}

Tsdb::~Tsdb() { Stop(); }

Result<std::unique_ptr<Tsdb>> Tsdb::Open(TsdbOptions opts, MetricsRegistry* metrics) {
  if (opts.out_of_order_window_ms < 0) return InvalidArgument("tsdb: out_of_order_window_ms must not be negative");
  if (opts.out_of_order_window_ms > 0) opts.head.out_of_order_window_ms = opts.out_of_order_window_ms;
  if (opts.head.chunk_max_samples == 0 || opts.head.chunk_max_samples >= kMaxChunkSamples ||
      opts.head.chunk_range_ms <= 0) {
    return InvalidArgument("tsdb: chunk_max_samples must be in [1, 65534] and chunk_range_ms positive");
  }
  std::unique_ptr<Tsdb> db(new Tsdb(std::move(opts), metrics));
  std::error_code ec;
  std::filesystem::create_directories(db->wal_dir_, ec);
  if (ec) return IoError("create " + db->wal_dir_.string(), ec.value());
  auto blocks = BlockStore::Open(db->opts_.dir / "blocks", db->opts_.blocks);
  if (!blocks.ok()) return blocks.status().WithContext("open blocks in " + (db->opts_.dir / "blocks").string());
  db->blocks_ = std::move(blocks).value();
  for (const std::string& problem : db->blocks_->problems()) {
    PW_LOG_WARN("tsdb block skipped", "detail={}", LogQuote(problem));
  }
  db->head_ = std::make_shared<Head>(db->opts_.head, db->metrics_);
  PW_RETURN_IF_ERROR(db->Replay().WithContext("replay TSDB WAL in " + db->wal_dir_.string()));
  return db;
}

Status Tsdb::Replay() {
  auto start = std::chrono::steady_clock::now();
  ReplayReport& rep = replay_;
  Head& head = *head_;

  auto apply = [&](std::string_view payload) -> Status {
    switch (static_cast<RecordType>(static_cast<uint8_t>(payload[0]))) {
      case RecordType::kSeries:
        return DecodeSeriesRecord(payload, [&](uint64_t ref, std::span<const LabelView> labels) {
          ++rep.series;
          return head.ReplaySeries(ref, labels);
        });
      case RecordType::kSamples:
        return DecodeSamplesRecord(payload, [&](uint64_t ref, std::span<const Sample> samples) {
          rep.samples += samples.size();
          head.ReplaySamples(ref, samples);
          return Status::Ok();
        });
      case RecordType::kChunks:
        return DecodeChunksRecord(payload, [&](uint64_t ref, int64_t mint, int64_t maxt, std::string_view bytes) {
          return head.ReplayChunk(ref, mint, maxt, bytes);
        });
    }
    return DataLoss("unknown record type " + std::to_string(static_cast<uint8_t>(payload[0])));
  };
  auto problem = [&](std::string what) {
    wal_corruptions_->Inc();
    PW_LOG_WARN("tsdb wal replay problem", "detail={}", LogQuote(what));
    rep.problems.push_back(std::move(what));
  };
  // Replays one segment file; `repair` truncates it at a torn tail or corrupt record.
  auto replay_file = [&](const std::filesystem::path& path, bool repair) -> Status {
    auto reader = WalSegmentReader::Open(path);
    if (!reader.ok()) {
      if (reader.status().code() != StatusCode::kDataLoss) return reader.status();
      problem(reader.status().message());
      if (repair) {
        std::error_code ec;
        std::filesystem::rename(path, path.string() + ".corrupt", ec);
      }
      return Status::Ok();
    }
    ++rep.segments;
    std::string_view payload;
    for (;;) {
      auto outcome = (*reader)->Next(&payload);
      if (outcome == WalSegmentReader::Outcome::kRecord) {
        ++rep.records;
        Status s = apply(payload);
        if (!s.ok()) problem(path.string() + " offset " + std::to_string((*reader)->offset()) + ": " + s.message());
        continue;
      }
      if (outcome == WalSegmentReader::Outcome::kEnd) break;
      uint64_t at = (*reader)->offset();
      uint64_t dropped = (*reader)->size() - at;
      bool torn = outcome == WalSegmentReader::Outcome::kTornTail;
      problem(path.string() + " offset " + std::to_string(at) + ": " +
              (torn ? "torn tail" : "corrupt record (checksum mismatch)") + ", " + std::to_string(dropped) +
              " bytes dropped");
      if (repair) {
        reader->reset();
        if (::truncate(path.c_str(), static_cast<off_t>(at)) != 0) return IoError("truncate " + path.string(), errno);
      }
      break;
    }
    return Status::Ok();
  };

  auto checkpoints = ListCheckpoints(wal_dir_);
  uint32_t covered = 0;
  if (!checkpoints.empty()) {
    auto [index, path] = checkpoints.back();
    covered = index;
    rep.checkpoint = index;
    PW_ASSIGN_OR_RETURN(auto files, ListWalSegments(path));
    for (uint32_t f : files) PW_RETURN_IF_ERROR(replay_file(path / WalSegmentName(f), /*repair=*/false));
  }
  PW_ASSIGN_OR_RETURN(auto segments, ListWalSegments(wal_dir_));
  uint32_t last = covered;
  for (uint32_t index : segments) {
    if (index <= covered) continue;  // left over from an interrupted cleanup
    PW_RETURN_IF_ERROR(replay_file(wal_dir_ / WalSegmentName(index), /*repair=*/true));
    last = index;
  }
  rep.orphan_samples = head.FinishReplay();
  if (rep.orphan_samples) problem(std::to_string(rep.orphan_samples) + " samples of unknown series dropped");

  PW_ASSIGN_OR_RETURN(wal_, WalWriter::Open(wal_dir_, WalOptions{opts_.wal_segment_bytes}, last + 1));
  head.SetWal(wal_.get());
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  PW_LOG_INFO("tsdb wal replayed", "segments={} records={} series={} samples={} checkpoint={} seconds={:.3f}",
              rep.segments, rep.records, head.num_series(), rep.samples, rep.checkpoint, rep.seconds);
  metrics_->AddCollector([this](std::string& out) {
    out += "# HELP perfwatch_tsdb_wal_bytes_written_total Bytes appended to the TSDB WAL.\n"
           "# TYPE perfwatch_tsdb_wal_bytes_written_total counter\n";
    out += "perfwatch_tsdb_wal_bytes_written_total " + std::to_string(wal_->bytes_written()) + "\n";
    // The current head's series (reported here, not by the Head: a flush replaces the
    // head, and a registry must never call into a destroyed one).
    out += "# HELP perfwatch_tsdb_head_series Series in the head.\n# TYPE perfwatch_tsdb_head_series gauge\n";
    out += "perfwatch_tsdb_head_series " + std::to_string(CurrentHead()->num_series()) + "\n";
  });
  return Status::Ok();
}

Status Tsdb::Start() {
  std::lock_guard lock(mu_);
  if (started_) return Status::Ok();
  started_ = true;
  stopping_ = false;
  // Also with an interval of 0 (appends fsync themselves): a reload may set one.
  sync_thread_ = NamedThread("pw-tsdb-sync", [this] { SyncLoop(); });
  if (opts_.maintenance_interval.count() > 0) {
    maintenance_thread_ = NamedThread("pw-tsdb-maint", [this] { MaintenanceLoop(); });
  }
  return Status::Ok();
}

void Tsdb::Stop() {
  std::thread sync, maintenance;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    started_ = false;
    sync = std::move(sync_thread_);
    maintenance = std::move(maintenance_thread_);
  }
  cv_.notify_all();
  if (sync.joinable()) sync.join();
  if (maintenance.joinable()) maintenance.join();
  if (wal_) (void)Sync();
}

void Tsdb::MaintenanceLoop() {
  int64_t last_flush_ms = NowMs();
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, opts_.maintenance_interval, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    // Flush when the head spans 1.5 chunk ranges (bounding its memory), and at least
    // hourly so that block compaction and retention run on an idle store too.
    HeadStats st = CurrentHead()->Stats();
    const int64_t span = st.samples > 0 ? st.max_time - st.min_time : 0;
    const int64_t now = NowMs();
    if (span >= opts_.head.chunk_range_ms * 3 / 2 || now - last_flush_ms >= 3600'000) {
      last_flush_ms = now;
      Status s = Flush();
      if (!s.ok()) PW_LOG_ERROR("tsdb background flush failed", "error={}", LogQuote(s.ToString()));
    }
    lock.lock();
  }
}

void Tsdb::SyncLoop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    const uint64_t generation = sync_generation_;
    const auto interval = std::chrono::milliseconds(wal_fsync_interval_ms_.load(std::memory_order_relaxed));
    auto woken = [this, generation] { return stopping_ || sync_generation_ != generation; };
    if (interval.count() == 0) {
      cv_.wait(lock, woken);  // appends fsync themselves; wait for a new interval
    } else {
      cv_.wait_for(lock, interval, woken);
    }
    if (stopping_) break;
    lock.unlock();
    Status s = Sync();
    if (!s.ok()) PW_LOG_ERROR("tsdb wal fsync failed", "error={}", LogQuote(s.ToString()));
    lock.lock();
  }
}

Status Tsdb::Sync() {
  uint64_t before = wal_->syncs();
  Status s = wal_->Sync();
  if (!s.ok()) {
    wal_fsync_errors_->Inc();
    return s;
  }
  if (wal_->syncs() != before) wal_fsyncs_->Inc();
  return Status::Ok();
}

template <typename AppendFn>
Status Tsdb::Append(int64_t min_t, AppendFn&& append) {
  if (wal_broken_.load(std::memory_order_acquire)) {
    // A failed WAL write left samples in the head that the log does not have (a retry
    // would see them as duplicates and never log them): a checkpoint must capture them
    // before anything else is acknowledged.
    Status s = Checkpoint();
    if (!s.ok()) return Unavailable("write-ahead log unavailable after a write error: " + s.message());
  }
  Status s;
  {
    std::shared_lock lock(head_mu_);  // Flush swaps heads under the exclusive lock
    s = append(*head_);
  }
  // Before returning: a reader that sees the new samples must also see the change.
  if (min_t != INT64_MAX) changes_.Record(min_t);
  if (s.code() == StatusCode::kIo) {
    wal_broken_.store(true, std::memory_order_release);
    return s;
  }
  if (wal_fsync_interval_ms_.load(std::memory_order_relaxed) == 0) {
    Status synced = Sync();
    if (!synced.ok()) return synced.WithContext("fsync TSDB WAL");
  }
  return s;
}

Status Tsdb::AppendBatch(std::span<const SeriesSamples> batch, AppendResult* result, std::span<SeriesRef> refs) {
  int64_t min_t = INT64_MAX;
  for (const SeriesSamples& ss : batch) {
    for (const Sample& smp : ss.samples) min_t = std::min(min_t, smp.t);
  }
  const bool observed = has_observer_.load(std::memory_order_acquire);
  if (observed && refs.empty()) {
    // The observer recognises series it has seen by ref; one buffer per appending thread.
    thread_local std::vector<SeriesRef> own_refs;
    own_refs.assign(batch.size(), 0);
    refs = own_refs;
  }
  uint64_t generation = 0;
  Status s = Append(min_t, [&](Head& head) {
    generation = head_generation_.load(std::memory_order_relaxed);  // stable under the head lock
    return head.AppendBatch(batch, result, refs);
  });
  if (observed && s.code() != StatusCode::kIo && s.code() != StatusCode::kUnavailable) {
    std::shared_lock lock(observer_mu_);
    if (observer_) observer_->OnAppend(batch, refs, generation);
  }
  return s;
}

Status Tsdb::AppendRefs(std::span<const RefSample> batch, AppendResult* result, std::vector<uint32_t>* unknown) {
  int64_t min_t = INT64_MAX;
  for (const RefSample& r : batch) min_t = std::min(min_t, r.sample.t);
  uint64_t generation = 0;
  Status s = Append(min_t, [&](Head& head) {
    generation = head_generation_.load(std::memory_order_relaxed);  // stable under the head lock
    return head.AppendRefs(batch, result, unknown);
  });
  if (has_observer_.load(std::memory_order_acquire) && s.code() != StatusCode::kIo &&
      s.code() != StatusCode::kUnavailable) {
    std::shared_lock lock(observer_mu_);
    // Refs the current head does not know resolve to no labels and are skipped.
    if (observer_) {
      std::shared_ptr<Head> head = CurrentHead();  // kept alive for the call
      // After a flush the refs name series of the replaced head: skip them (the next
      // scrape appends them by labels and learns new refs).
      if (head_generation() == generation) observer_->OnAppendRefs(batch, *head, generation);
    }
  }
  return s;
}

void Tsdb::SetAppendObserver(AppendObserver* observer) {
  std::unique_lock lock(observer_mu_);
  observer_ = observer;
  has_observer_.store(observer != nullptr, std::memory_order_release);
}

Status Tsdb::Checkpoint() {
  std::lock_guard lock(flush_mu_);
  {
    std::shared_lock head_lock(head_mu_);
    // The flushing head's data lives only in the segments a checkpoint would drop.
    if (flushing_) return Unavailable("a flush has not finished persisting; flush again first");
  }
  std::shared_ptr<Head> head = CurrentHead();
  PW_ASSIGN_OR_RETURN(uint32_t next, wal_->Cut());
  const uint32_t covered = next - 1;
  const std::filesystem::path final_dir = wal_dir_ / (std::string(kCheckpointPrefix) + WalSegmentName(covered));
  const std::filesystem::path tmp_dir = final_dir.string() + ".tmp";
  std::error_code ec;
  std::filesystem::remove_all(tmp_dir, ec);
  std::filesystem::create_directory(tmp_dir, ec);
  if (ec) return IoError("create " + tmp_dir.string(), ec.value());
  {
    PW_ASSIGN_OR_RETURN(auto writer, WalWriter::Open(tmp_dir, WalOptions{opts_.wal_segment_bytes}, 1));
    PW_RETURN_IF_ERROR(head->WriteSnapshot([&](std::string_view framed) { return writer->Append(framed); })
                           .WithContext("write checkpoint " + tmp_dir.string()));
    PW_RETURN_IF_ERROR(writer->Sync());
  }
  std::filesystem::remove_all(final_dir, ec);
  std::filesystem::rename(tmp_dir, final_dir, ec);
  if (ec) return IoError("rename " + tmp_dir.string(), ec.value());
  PW_RETURN_IF_ERROR(SyncDirectory(wal_dir_));
  // The checkpoint now stands for everything up to `covered`: drop what it replaces.
  PW_RETURN_IF_ERROR(DropCoveredWal(covered, /*flush=*/false));
  checkpoints_->Inc();
  wal_broken_.store(false, std::memory_order_release);
  return Status::Ok();
}

Result<Tsdb::SnapshotStats> Tsdb::Snapshot(const std::filesystem::path& dest, bool with_head) {
  namespace fs = std::filesystem;
  std::error_code exists_ec;
  if (fs::exists(dest, exists_ec)) return InvalidArgument("snapshot destination " + dest.string() + " exists");
  std::lock_guard lock(flush_mu_);
  uint32_t cut = 0;  // segments below it are closed
  if (with_head) {
    std::unique_lock head_lock(head_mu_);
    PW_ASSIGN_OR_RETURN(cut, wal_->Cut());
  }
  SnapshotStats stats;
  std::error_code ec;
  fs::create_directories(dest / "blocks", ec);
  if (ec) return IoError("create " + (dest / "blocks").string(), ec.value());
  auto link_dir = [&](const fs::path& from, const fs::path& to) -> Status {
    std::error_code dir_ec;
    for (const auto& entry : fs::directory_iterator(from, dir_ec)) {
      if (!entry.is_regular_file(dir_ec)) continue;
      PW_RETURN_IF_ERROR(LinkOrCopyFile(entry.path(), to / entry.path().filename()));
      ++stats.files;
      stats.bytes += entry.file_size(dir_ec);
    }
    if (dir_ec) return IoError("list " + from.string(), dir_ec.value());
    return Status::Ok();
  };
  for (const auto& block : blocks_->Blocks()) {
    PW_RETURN_IF_ERROR(link_dir(block->dir(), dest / "blocks" / block->dir().filename()));
    ++stats.blocks;
  }
  fs::create_directories(dest / "wal", ec);
  if (ec) return IoError("create " + (dest / "wal").string(), ec.value());
  if (with_head) {
    for (const auto& entry : fs::directory_iterator(wal_dir_, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind(kCheckpointPrefix, 0) == 0 && entry.is_directory(ec) && entry.path().extension() != ".tmp") {
        PW_RETURN_IF_ERROR(link_dir(entry.path(), dest / "wal" / name));
      }
    }
    if (ec) return IoError("list " + wal_dir_.string(), ec.value());
    PW_ASSIGN_OR_RETURN(auto segments, ListWalSegments(wal_dir_));
    for (uint32_t index : segments) {
      if (index >= cut) continue;
      const fs::path from = wal_dir_ / WalSegmentName(index);
      PW_RETURN_IF_ERROR(LinkOrCopyFile(from, dest / "wal" / WalSegmentName(index)));
      ++stats.files;
      stats.bytes += fs::file_size(from, ec);
    }
  }
  return stats;
}

std::shared_ptr<Head> Tsdb::CurrentHead() const {
  std::shared_lock lock(head_mu_);
  return head_;
}

namespace {

// A head's querier that keeps the head alive for as long as it or a series set it
// returned is in use (Flush may replace the head meanwhile).
class PinnedHeadQuerier : public Querier {
 public:
  PinnedHeadQuerier(std::shared_ptr<Head> head, int64_t mint, int64_t maxt)
      : Querier(mint, maxt), head_(std::move(head)), inner_(head_->NewQuerier(mint, maxt)) {}

  std::unique_ptr<SeriesSet> Select(std::span<const Matcher> matchers) const override {
    return std::make_unique<PinnedSet>(head_, inner_->Select(matchers));
  }
  Result<std::vector<std::string>> LabelNames(std::span<const Matcher> matchers) const override {
    return inner_->LabelNames(matchers);
  }
  Result<std::vector<std::string>> LabelValues(std::string_view name,
                                               std::span<const Matcher> matchers) const override {
    return inner_->LabelValues(name, matchers);
  }

 private:
  class PinnedSet : public SeriesSet {
   public:
    PinnedSet(std::shared_ptr<Head> head, std::unique_ptr<SeriesSet> inner)
        : head_(std::move(head)), inner_(std::move(inner)) {}
    bool Next() override { return inner_->Next(); }
    const Series& At() const override { return inner_->At(); }
    Series Take() override { return inner_->Take(); }
    Status status() const override { return inner_->status(); }

   private:
    std::shared_ptr<Head> head_;
    std::unique_ptr<SeriesSet> inner_;
  };

  std::shared_ptr<Head> head_;
  std::unique_ptr<Querier> inner_;
};

}  // namespace

std::unique_ptr<Querier> Tsdb::NewQuerier(int64_t mint, int64_t maxt) const {
  std::shared_ptr<Head> head, flushing;
  {
    std::shared_lock lock(head_mu_);
    head = head_;
    flushing = flushing_;
  }
  // Read the heads before the blocks: a flush makes its blocks visible before it drops
  // the flushing head, so no sample can fall between the two.
  std::vector<std::unique_ptr<Querier>> children = blocks_->BlockQueriers(mint, maxt);
  if (flushing) children.push_back(std::make_unique<PinnedHeadQuerier>(std::move(flushing), mint, maxt));
  children.push_back(std::make_unique<PinnedHeadQuerier>(std::move(head), mint, maxt));  // last: wins ties
  if (children.size() == 1) return std::move(children.front());
  return NewMergeQuerier(std::move(children), mint, maxt);
}

Status Tsdb::PersistHead(const Head& head) {
  HeadStats st = head.Stats();
  if (st.samples == 0) return Status::Ok();
  const int64_t range = opts_.head.chunk_range_ms;
  // The windows that hold samples (a head can span years with nothing in between).
  std::set<int64_t> windows;
  auto all = head.NewQuerier(st.min_time, st.max_time)->Select({});
  while (all->Next()) {
    auto it = all->At().Iterator();
    int64_t window_end = std::numeric_limits<int64_t>::min();  // samples come in time order
    while (it.Next()) {
      if (it.t() < window_end) continue;
      int64_t w = FloorDiv(it.t(), range) * range;
      windows.insert(w);
      window_end = w + range;
    }
    PW_RETURN_IF_ERROR(it.status());
  }
  PW_RETURN_IF_ERROR(all->status());
  for (int64_t w : windows) {
    auto meta = blocks_->WriteBlock(*head.NewQuerier(w, w + range - 1), w, w + range - 1);
    if (!meta.ok() && meta.status().code() != StatusCode::kNotFound) {
      return meta.status().WithContext("persist head window starting " + std::to_string(w));
    }
  }
  return Status::Ok();
}

void Tsdb::SetWalHold(std::function<WalReadPosition()> hold) {
  std::lock_guard lock(flush_mu_);
  wal_hold_ = std::move(hold);
}

Status Tsdb::DropCoveredWal(uint32_t covered, bool flush) {
  std::error_code ec;
  PW_ASSIGN_OR_RETURN(auto segments, ListWalSegments(wal_dir_));
  // What a WAL reader (remote write out) still needs is kept. After a checkpoint, its
  // snapshot holds the series, so only the segments from `hold` on are needed; after a
  // flush there is no snapshot, so a reader still inside the old head's segments needs all
  // of them (its series records may be in any).
  uint32_t hold = UINT32_MAX;  // the first segment the reader has not read to the end
  const uint64_t hold_max_bytes = runtime_options().wal_hold_max_bytes;
  if (wal_hold_ && hold_max_bytes > 0) {
    const WalReadPosition read = wal_hold_();
    hold = read.segment;
    if (read.segment != 0 && read.segment <= covered) {
      // A covered segment is complete: read to its end, it is no longer needed.
      const uint64_t size = std::filesystem::file_size(wal_dir_ / WalSegmentName(read.segment), ec);
      if (ec || read.offset >= size) hold = read.segment + 1;
    }
  }
  std::vector<uint32_t> drop, keep;
  for (uint32_t index : segments) {
    if (index > covered) continue;
    const bool needed = flush ? hold <= covered : index >= hold;
    (needed ? keep : drop).push_back(index);
  }
  // The newest kept segments up to wal_hold_max_bytes; older ones go, counted.
  uint64_t kept_bytes = 0;
  size_t first_kept = keep.size();
  while (first_kept > 0) {
    const uint64_t size = std::filesystem::file_size(wal_dir_ / WalSegmentName(keep[first_kept - 1]), ec);
    if (!ec && kept_bytes + size > hold_max_bytes) break;
    kept_bytes += ec ? 0 : size;
    --first_kept;
  }
  if (first_kept > 0) {
    PW_LOG_WARN("tsdb: deleted WAL segments a reader still needs (tsdb.wal_hold_max_bytes reached)",
                "segments={} first={} last={}", first_kept, keep.front(), keep[first_kept - 1]);
    wal_held_dropped_->Inc(first_kept);
    drop.insert(drop.end(), keep.begin(), keep.begin() + static_cast<std::ptrdiff_t>(first_kept));
    keep.erase(keep.begin(), keep.begin() + static_cast<std::ptrdiff_t>(first_kept));
  }
  // Replay skips the segments up to the newest checkpoint: after a flush, an empty
  // checkpoint says the kept segments are in blocks already. Written before anything goes.
  if (flush && !keep.empty()) {
    const std::filesystem::path marker = wal_dir_ / (std::string(kCheckpointPrefix) + WalSegmentName(covered));
    if (!std::filesystem::exists(marker, ec)) {
      std::filesystem::create_directory(marker, ec);
      if (ec) return IoError("create " + marker.string(), ec.value());
      PW_RETURN_IF_ERROR(SyncDirectory(wal_dir_));
    }
  }
  for (uint32_t index : drop) std::filesystem::remove(wal_dir_ / WalSegmentName(index), ec);
  // Checkpoints: a flush's blocks replace those up to `covered`, a checkpoint those before
  // it; while segments are kept, the checkpoint just before the oldest kept one and all
  // later ones stay (the reader finds the series of the kept segments there).
  const auto checkpoints = ListCheckpoints(wal_dir_);
  uint32_t floor = flush ? covered + 1 : covered;
  if (!keep.empty()) {
    floor = 0;
    for (const auto& [index, path] : checkpoints) {
      if (index < keep.front()) floor = index;
    }
  }
  for (const auto& [index, path] : checkpoints) {
    if (index < floor) std::filesystem::remove_all(path, ec);
  }
  return SyncDirectory(wal_dir_);
}

Status Tsdb::Flush() {
  std::lock_guard lock(flush_mu_);
  std::shared_ptr<Head> old;
  uint32_t covered = 0;
  {
    std::unique_lock head_lock(head_mu_);
    if (flushing_) {
      old = flushing_;  // an earlier flush failed to persist: finish it first
    } else if (head_->Stats().samples > 0) {
      PW_ASSIGN_OR_RETURN(uint32_t next, wal_->Cut());
      covered = next - 1;
      HeadOptions fresh_options = opts_.head;
      fresh_options.first_series_ref = head_->next_series_ref();
      fresh_options.limits = head_->limits();  // SetRuntimeOptions sets them under head_mu_ shared
      auto fresh = std::make_shared<Head>(fresh_options, metrics_);
      fresh->SetWal(wal_.get());
      old = std::exchange(head_, std::move(fresh));
      flushing_ = old;
      head_generation_.fetch_add(1, std::memory_order_acq_rel);
    }
  }
  if (old) {
    PW_RETURN_IF_ERROR(PersistHead(*old));  // on error flushing_ stays: data stays visible
    {
      std::unique_lock head_lock(head_mu_);
      flushing_.reset();
    }
    if (covered == 0) {
      // Retrying an earlier failed persist: its covered segments are all but the current one.
      PW_ASSIGN_OR_RETURN(uint32_t next, wal_->Cut());
      covered = next - 1;
    }
    // The blocks hold the old head now: drop the log that held it.
    PW_RETURN_IF_ERROR(DropCoveredWal(covered, /*flush=*/true));
    wal_broken_.store(false, std::memory_order_release);
  }
  PW_RETURN_IF_ERROR(blocks_->Compact().WithContext("compact blocks"));
  const TsdbRuntimeOptions runtime = runtime_options();
  auto deleted = blocks_->EnforceRetention(NowMs(), runtime.retention_ms, runtime.max_block_bytes);
  if (!deleted.ok()) return deleted.status().WithContext("block retention");
  if (*deleted > 0) changes_.InvalidateAll();
  return Status::Ok();
}

Status Tsdb::CheckRuntimeOptions(const TsdbRuntimeOptions& o) {
  if (o.retention_ms < 0) return InvalidArgument("tsdb.retention must not be negative");
  if (o.wal_fsync_interval.count() < 0) return InvalidArgument("tsdb.wal_fsync_interval must not be negative");
  return Status::Ok();
}

Status Tsdb::SetRuntimeOptions(const TsdbRuntimeOptions& o) {
  PW_RETURN_IF_ERROR(CheckRuntimeOptions(o));
  std::lock_guard lock(runtime_mu_);  // serialises setters: runtime_ and the head agree
  runtime_ = o;
  {
    std::shared_lock head_lock(head_mu_);  // Flush copies the head's limits under it, exclusively
    head_->SetLimits(o.limits);
  }
  if (wal_fsync_interval_ms_.exchange(o.wal_fsync_interval.count(), std::memory_order_relaxed) !=
      o.wal_fsync_interval.count()) {
    {
      std::lock_guard sync_lock(mu_);
      ++sync_generation_;
    }
    cv_.notify_all();  // the fsync thread waits with the new interval (and syncs once now)
  }
  return Status::Ok();
}

TsdbRuntimeOptions Tsdb::runtime_options() const {
  std::lock_guard lock(runtime_mu_);
  return runtime_;
}

}  // namespace perfwatch::tsdb
