#include "events/error_store.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "common/coding.h"
#include "common/file_util.h"
#include "common/json_writer.h"
#include "common/log.h"
#include "common/periodic_thread.h"
#include "common/time.h"
#include "events/log_file.h"

namespace perfwatch::events {
namespace {

constexpr char kGroupRecord = 'G';
constexpr char kOccurrenceRecord = 'O';
constexpr int64_t kGroupsLogLength = INT64_MAX;  // groups.log is not a time partition

void PutString(std::string& out, std::string_view s) {
  PutVarint(out, s.size());
  out.append(s);
}

std::string_view CutUtf8(std::string_view s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

// Interned strings (stable addresses: a deque never moves its elements).
class Interner {
 public:
  uint32_t Intern(std::string_view s) {
    auto it = index_.find(s);
    if (it != index_.end()) return it->second;
    strings_.emplace_back(s);
    uint32_t id = static_cast<uint32_t>(strings_.size() - 1);
    index_.emplace(strings_.back(), id);
    return id;
  }
  std::string_view Get(uint32_t id) const { return strings_[id]; }

 private:
  std::deque<std::string> strings_;
  std::unordered_map<std::string_view, uint32_t> index_;
};

struct Occurrence {
  int64_t time_ms;
  ErrorGroup* group;
  uint32_t scope, location, browser, session, user, message;
  std::array<uint8_t, 16> trace_id;
  std::array<uint8_t, 8> span_id;
};

// One day's occurrences log. Rows (record indexes in the log) are the occurrences in
// order, except the `gaps`: rows whose record holds no occurrence in memory (error_store.h).
struct Partition {
  std::unique_ptr<LogWriter> writer;
  std::vector<Occurrence> occurrences;
  std::vector<uint32_t> gaps;  // ascending

  uint32_t rows() const { return static_cast<uint32_t>(occurrences.size() + gaps.size()); }
};

bool AllZero(std::span<const uint8_t> b) {
  for (uint8_t x : b)
    if (x) return false;
  return true;
}

void EncodeOccurrence(std::string& out, uint64_t fp, const ErrorOccurrenceInput& in) {
  out.push_back(kOccurrenceRecord);
  PutFixed64(out, fp);
  PutVarint(out, ZigZag(in.time_ms));
  PutString(out, in.scope);
  PutString(out, in.location);
  PutString(out, in.browser);
  PutString(out, in.session_id);
  PutString(out, in.user_id);
  PutString(out, CutUtf8(in.message, ErrorStore::kMaxMessageBytes));
  const bool ids = !AllZero(in.trace_id) || !AllZero(in.span_id);
  out.push_back(ids ? 1 : 0);
  if (ids) {
    out.append(reinterpret_cast<const char*>(in.trace_id.data()), 16);
    out.append(reinterpret_cast<const char*>(in.span_id.data()), 8);
  }
}

ErrorOccurrenceView View(const Occurrence& o, const Interner& strings) {
  return ErrorOccurrenceView{o.time_ms,
                             strings.Get(o.scope),
                             strings.Get(o.location),
                             strings.Get(o.browser),
                             strings.Get(o.session),
                             strings.Get(o.user),
                             strings.Get(o.message),
                             o.trace_id,
                             o.span_id};
}

}  // namespace

std::string_view ErrorSourceName(ErrorSource source) {
  return source == ErrorSource::kBackend ? "backend" : "browser";
}

std::string EncodeErrorGroupRecord(const ErrorGroupInfo& info, int64_t first_seen_ms) {
  std::string out;
  out.push_back(kGroupRecord);
  PutFixed64(out, info.fingerprint);
  out.push_back(static_cast<char>(info.source));
  PutVarint(out, ZigZag(first_seen_ms));
  PutString(out, info.scope);
  PutString(out, info.type);
  PutString(out, info.message);
  PutString(out, CutUtf8(info.sample_message, ErrorStore::kMaxMessageBytes));
  PutString(out, CutUtf8(info.sample_stack, ErrorStore::kMaxStackBytes));
  PutVarint(out, info.frames.size());
  for (const ErrorFrame& f : info.frames) {
    PutString(out, f.function);
    PutString(out, f.file);
    PutVarint(out, ZigZag(f.line));
    PutVarint(out, ZigZag(f.column));
    out.push_back(f.in_app ? 1 : 0);
  }
  return out;
}

Status DecodeErrorGroupRecord(std::string_view payload, ErrorGroupInfo* info, int64_t* first_seen_ms) {
  Decoder d(payload);
  uint8_t kind = 0, source = 0;
  uint64_t first = 0, nframes = 0;
  std::string_view scope, type, message, sample, stack;
  if (!d.Byte(&kind) || kind != kGroupRecord || !d.Fixed64(&info->fingerprint) || !d.Byte(&source) || source > 1 ||
      !d.Varint(&first) || !d.LengthPrefixed(&scope) || !d.LengthPrefixed(&type) || !d.LengthPrefixed(&message) ||
      !d.LengthPrefixed(&sample) || !d.LengthPrefixed(&stack) || !d.Varint(&nframes) || nframes > d.remaining()) {
    return DataLoss("malformed error group record");
  }
  info->source = static_cast<ErrorSource>(source);
  *first_seen_ms = UnZigZag(first);
  info->scope = scope;
  info->type = type;
  info->message = message;
  info->sample_message = sample;
  info->sample_stack = stack;
  info->frames.clear();
  for (uint64_t i = 0; i < nframes; ++i) {
    ErrorFrame f;
    std::string_view fn, file;
    uint64_t line = 0, col = 0;
    uint8_t in_app = 0;
    if (!d.LengthPrefixed(&fn) || !d.LengthPrefixed(&file) || !d.Varint(&line) || !d.Varint(&col) || !d.Byte(&in_app)) {
      return DataLoss("malformed error group record frame");
    }
    f.function = fn;
    f.file = file;
    f.line = UnZigZag(line);
    f.column = UnZigZag(col);
    f.in_app = in_app != 0;
    info->frames.push_back(std::move(f));
  }
  if (!d.done()) return DataLoss("trailing bytes in error group record");
  return Status::Ok();
}

struct ErrorStore::Impl {
  std::filesystem::path dir;
  ErrorStoreOptions options;  // retention and fsync interval: as opened (the atomics below)
  std::atomic<int64_t> retention_ms{0};
  std::atomic<int64_t> fsync_interval_ms{0};
  Counter* appended = nullptr;

  mutable std::shared_mutex mu;
  std::unordered_map<uint64_t, std::unique_ptr<ErrorGroup>> groups;  // mu
  Interner strings;                                                   // mu
  std::map<int64_t, std::shared_ptr<Partition>> partitions;           // mu; by start
  std::unique_ptr<LogWriter> groups_log;                              // mu (writes)
  PeriodicThread syncer;
  std::atomic<int64_t> last_retention_ms{0};  // read by the background thread unlocked

  std::filesystem::path PartitionPath(int64_t start) const {
    return dir / ("occurrences-" + std::to_string(start) + ".log");
  }
  int64_t PartitionStart(int64_t t) const { return FloorDiv(t, options.partition_ms) * options.partition_ms; }

  // Requires mu (exclusive).
  void AddOccurrence(Partition& p, ErrorGroup* g, const ErrorOccurrenceInput& in) {
    Occurrence o{in.time_ms,
                 g,
                 strings.Intern(in.scope),
                 strings.Intern(in.location),
                 strings.Intern(in.browser),
                 strings.Intern(in.session_id),
                 strings.Intern(in.user_id),
                 strings.Intern(CutUtf8(in.message, kMaxMessageBytes)),
                 in.trace_id,
                 in.span_id};
    p.occurrences.push_back(o);
    g->first_seen_ms = std::min(g->first_seen_ms, in.time_ms);
    g->last_seen_ms = std::max(g->last_seen_ms, in.time_ms);
    ++g->total;
  }

  // Replays one log; `fn` gets each record. Truncates a torn tail (returns the valid size).
  Result<std::optional<uint64_t>> Replay(const std::filesystem::path& path,
                                         const std::function<Status(std::string_view)>& fn) {
    PW_ASSIGN_OR_RETURN(auto reader, LogReader::Open(path));
    std::string_view payload;
    uint64_t offset = 0;
    while (true) {
      switch (reader->Next(&payload, &offset)) {
        case LogReader::Outcome::kRecord:
          PW_RETURN_IF_ERROR(fn(payload).WithContext(path.string() + " at offset " + std::to_string(offset)));
          continue;
        case LogReader::Outcome::kEnd:
          return std::optional<uint64_t>();
        case LogReader::Outcome::kTornTail:
          PW_LOG_WARN("error store: torn tail truncated", "file={} offset={}", LogQuote(path.string()),
                      reader->good_bytes());
          return std::optional<uint64_t>(reader->good_bytes());
        case LogReader::Outcome::kCorrupt:
          return DataLoss("corrupt record in " + path.string() + " at offset " + std::to_string(reader->good_bytes()));
      }
    }
  }

  Status ReplayOccurrence(Partition& p, std::string_view payload) {
    Decoder d(payload);
    uint8_t kind = 0, ids = 0;
    uint64_t fp = 0, t = 0;
    ErrorOccurrenceInput in;
    std::string_view trace, span;
    if (!d.Byte(&kind) || kind != kOccurrenceRecord || !d.Fixed64(&fp) || !d.Varint(&t) ||
        !d.LengthPrefixed(&in.scope) || !d.LengthPrefixed(&in.location) || !d.LengthPrefixed(&in.browser) ||
        !d.LengthPrefixed(&in.session_id) || !d.LengthPrefixed(&in.user_id) || !d.LengthPrefixed(&in.message) ||
        !d.Byte(&ids) || (ids && (!d.Bytes(16, &trace) || !d.Bytes(8, &span))) || !d.done()) {
      return DataLoss("malformed error occurrence record");
    }
    in.time_ms = UnZigZag(t);
    if (ids) {
      std::memcpy(in.trace_id.data(), trace.data(), 16);
      std::memcpy(in.span_id.data(), span.data(), 8);
    }
    auto it = groups.find(fp);
    if (it == groups.end()) {
      PW_LOG_WARN("error store: occurrence of an unknown group skipped", "fingerprint={:016x}", fp);
      p.gaps.push_back(p.rows());  // its row stays taken: rows follow the log
      return Status::Ok();
    }
    AddOccurrence(p, it->second.get(), in);
    return Status::Ok();
  }

  Status Open() {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return IoError("create " + dir.string(), ec.value());
    const auto groups_path = dir / "groups.log";
    std::optional<uint64_t> valid;
    if (std::filesystem::exists(groups_path)) {
      PW_ASSIGN_OR_RETURN(valid, Replay(groups_path, [&](std::string_view payload) -> Status {
                            auto g = std::make_unique<ErrorGroup>();
                            int64_t first = 0;
                            PW_RETURN_IF_ERROR(DecodeErrorGroupRecord(payload, &g->info, &first));
                            g->first_seen_ms = first;
                            groups.emplace(g->info.fingerprint, std::move(g));  // the first record wins
                            return Status::Ok();
                          }));
    }
    PW_ASSIGN_OR_RETURN(groups_log, LogWriter::Open(groups_path, LogHeader{0, kGroupsLogLength}, valid));
    std::vector<std::pair<int64_t, std::filesystem::path>> logs;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      std::string name = entry.path().filename().string();
      if (name.rfind("occurrences-", 0) != 0 || entry.path().extension() != ".log") continue;
      try {
        logs.emplace_back(std::stoll(name.substr(12)), entry.path());
      } catch (...) {
        PW_LOG_WARN("error store: unknown file ignored", "file={}", LogQuote(entry.path().string()));
      }
    }
    if (ec) return IoError("list " + dir.string(), ec.value());
    for (const auto& [start, path] : logs) {
      auto& slot = partitions[start];
      slot = std::make_shared<Partition>();
      Partition& p = *slot;
      PW_ASSIGN_OR_RETURN(std::optional<uint64_t> valid_bytes,
                          Replay(path, [&](std::string_view payload) { return ReplayOccurrence(p, payload); }));
      PW_ASSIGN_OR_RETURN(p.writer, LogWriter::Open(path, LogHeader{start, options.partition_ms}, valid_bytes));
    }
    return Status::Ok();
  }
};

ErrorStore::ErrorStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ErrorStore::~ErrorStore() { Stop(); }

Result<std::unique_ptr<ErrorStore>> ErrorStore::Open(std::filesystem::path dir, ErrorStoreOptions options,
                                                     MetricsRegistry* metrics) {
  if (options.partition_ms <= 0) return InvalidArgument("error store: partition_ms must be > 0");
  auto impl = std::make_unique<Impl>();
  impl->dir = std::move(dir);
  impl->options = options;
  impl->retention_ms.store(options.retention_ms, std::memory_order_relaxed);
  impl->fsync_interval_ms.store(options.fsync_interval_ms, std::memory_order_relaxed);
  if (metrics) {
    impl->appended = metrics->GetCounter("perfwatch_error_occurrences_stored_total", "Error occurrences stored.");
  }
  PW_RETURN_IF_ERROR(impl->Open().WithContext("open error store"));
  return std::unique_ptr<ErrorStore>(new ErrorStore(std::move(impl)));
}

Status ErrorStore::Start() {
  const int64_t fsync_ms = impl_->fsync_interval_ms.load(std::memory_order_relaxed);
  const int64_t interval = fsync_ms > 0 ? fsync_ms : 1000;
  PW_RETURN_IF_ERROR(EnforceRetention(NowMs()));
  impl_->syncer.Start("pw-errors-sync", std::chrono::milliseconds(interval), [this] {
    Status s = Sync();
    if (!s.ok()) PW_LOG_WARN("error store fsync failed", "error={}", LogQuote(s.message()));
    const int64_t now = NowMs();
    if (now - impl_->last_retention_ms >= 60'000) (void)EnforceRetention(now);
  });
  return Status::Ok();
}

Status ErrorStore::SetPolicies(int64_t retention_ms, int64_t fsync_interval_ms) {
  if (retention_ms < 0) return InvalidArgument("events.retention must not be negative");
  if (fsync_interval_ms < 0) return InvalidArgument("events.fsync_interval must not be negative");
  impl_->retention_ms.store(retention_ms, std::memory_order_relaxed);
  impl_->fsync_interval_ms.store(fsync_interval_ms, std::memory_order_relaxed);
  {
    std::unique_lock lock(impl_->mu);
    impl_->last_retention_ms = 0;  // the next background pass applies the new retention
  }
  impl_->syncer.SetInterval(std::chrono::milliseconds(fsync_interval_ms > 0 ? fsync_interval_ms : 1000));
  return Status::Ok();
}

int64_t ErrorStore::retention_ms() const { return impl_->retention_ms.load(std::memory_order_relaxed); }

void ErrorStore::Stop() {
  impl_->syncer.Stop();
  (void)Sync();
}

Status ErrorStore::Append(std::span<const ErrorOccurrenceInput> batch, std::span<bool> is_new) {
  if (!is_new.empty() && is_new.size() != batch.size()) return InvalidArgument("is_new size mismatch");
  std::unique_lock lock(impl_->mu);
  Impl& s = *impl_;
  // Encode everything first: groups new to this batch, then occurrences per partition.
  std::string group_bytes;
  std::unordered_map<uint64_t, const ErrorGroupInfo*> batch_new;
  struct PartitionBytes {
    std::string bytes;
    uint32_t records = 0;
  };
  std::map<int64_t, PartitionBytes> by_partition;
  for (size_t i = 0; i < batch.size(); ++i) {
    const ErrorOccurrenceInput& in = batch[i];
    if (in.group == nullptr) return InvalidArgument("error occurrence without a group");
    const uint64_t fp = in.group->fingerprint;
    bool fresh = !s.groups.contains(fp) && batch_new.emplace(fp, in.group).second;
    if (fresh) AppendRecord(group_bytes, EncodeErrorGroupRecord(*in.group, in.time_ms));
    if (!is_new.empty()) is_new[i] = fresh;
    std::string payload;
    EncodeOccurrence(payload, fp, in);
    PartitionBytes& out = by_partition[s.PartitionStart(in.time_ms)];
    AppendRecord(out.bytes, payload);
    ++out.records;
  }
  // Write: groups first (an occurrence never precedes its group), then each partition; on
  // a failure roll every log back to where it was. An occurrences log that cannot be
  // truncated keeps the batch's records (replay will read them): their rows become gaps
  // so that the rows of later appends still follow the log.
  struct Written {
    LogWriter* log;
    uint64_t size;              // before the batch
    Partition* partition;       // null for groups.log
    uint32_t records;
  };
  std::vector<Written> written;
  auto rollback = [&](Status st) {
    for (const Written& w : written) {
      if (w.log->Truncate(w.size).ok() || w.partition == nullptr) continue;
      PW_LOG_ERROR("error store: a failed batch stays in its occurrences log", "file={} records={}",
                   LogQuote(w.log->path().string()), w.records);
      for (uint32_t i = 0; i < w.records; ++i) w.partition->gaps.push_back(w.partition->rows());
    }
    return st;
  };
  if (!group_bytes.empty()) {
    const uint64_t before = s.groups_log->size();
    PW_RETURN_IF_ERROR(s.groups_log->Write(group_bytes).WithContext("error store groups.log"));
    written.push_back({s.groups_log.get(), before, nullptr, 0});
  }
  std::vector<int64_t> created;
  for (auto& [start, out] : by_partition) {
    auto it = s.partitions.find(start);
    if (it == s.partitions.end()) {
      auto writer = LogWriter::Open(s.PartitionPath(start), LogHeader{start, s.options.partition_ms}, std::nullopt);
      if (!writer.ok()) return rollback(writer.status());
      auto p = std::make_shared<Partition>();
      p->writer = std::move(writer).value();
      it = s.partitions.emplace(start, std::move(p)).first;
      created.push_back(start);
    }
    Partition& p = *it->second;
    const uint64_t before = p.writer->size();
    Status st = p.writer->Write(out.bytes);
    if (!st.ok()) return rollback(st.WithContext("error store occurrences"));
    written.push_back({p.writer.get(), before, &p, out.records});
  }
  if (s.fsync_interval_ms.load(std::memory_order_relaxed) == 0) {
    for (const Written& w : written) {
      Status st = w.log->Sync();
      if (!st.ok()) return rollback(st);
    }
  }
  // Durable: apply in memory.
  for (auto& [fp, info] : batch_new) {
    auto g = std::make_unique<ErrorGroup>();
    g->info = *info;
    g->info.sample_message = std::string(CutUtf8(g->info.sample_message, kMaxMessageBytes));
    g->info.sample_stack = std::string(CutUtf8(g->info.sample_stack, kMaxStackBytes));
    s.groups.emplace(fp, std::move(g));
  }
  for (const ErrorOccurrenceInput& in : batch) {
    s.AddOccurrence(*s.partitions.at(s.PartitionStart(in.time_ms)), s.groups[in.group->fingerprint].get(), in);
  }
  if (s.appended) s.appended->Inc(batch.size());
  return Status::Ok();
}

Result<std::vector<PinnedFile>> ErrorStore::PinForSnapshot(const std::filesystem::path& dest) const {
  std::shared_lock lock(impl_->mu);  // appends hold it exclusively
  std::vector<PinnedFile> pins;
  PW_ASSIGN_OR_RETURN(PinnedFile groups, PinLog(*impl_->groups_log, impl_->dir, dest));
  pins.push_back(std::move(groups));
  for (const auto& entry : impl_->partitions) {
    PW_ASSIGN_OR_RETURN(PinnedFile pin, PinLog(*entry.second->writer, impl_->dir, dest));
    pins.push_back(std::move(pin));
  }
  return pins;
}

Status ErrorStore::Sync() {
  std::shared_lock lock(impl_->mu);
  if (impl_->groups_log) PW_RETURN_IF_ERROR(impl_->groups_log->Sync());
  for (auto& [start, p] : impl_->partitions) PW_RETURN_IF_ERROR(p->writer->Sync());
  return Status::Ok();
}

Status ErrorStore::EnforceRetention(int64_t now_ms) {
  std::unique_lock lock(impl_->mu);
  Impl& s = *impl_;
  s.last_retention_ms = now_ms;
  const int64_t retention_ms = s.retention_ms.load(std::memory_order_relaxed);
  if (retention_ms <= 0) return Status::Ok();
  const int64_t cutoff = now_ms - retention_ms;
  for (auto it = s.partitions.begin(); it != s.partitions.end();) {
    if (it->first + s.options.partition_ms > cutoff) break;
    for (const Occurrence& o : it->second->occurrences) --o.group->total;
    std::filesystem::path path = it->second->writer->path();
    it = s.partitions.erase(it);
    std::error_code ec;
    std::filesystem::remove(path, ec);
    if (ec) PW_LOG_WARN("error store: could not delete an expired log", "file={}", LogQuote(path.string()));
  }
  // last_seen of groups whose occurrences all expired stays as it was.
  return Status::Ok();
}

std::optional<ErrorGroup> ErrorStore::FindGroup(uint64_t fingerprint) const {
  std::shared_lock lock(impl_->mu);
  auto it = impl_->groups.find(fingerprint);
  if (it == impl_->groups.end()) return std::nullopt;
  return *it->second;
}

bool ErrorStore::HasGroup(uint64_t fingerprint) const {
  std::shared_lock lock(impl_->mu);
  return impl_->groups.contains(fingerprint);
}

void ErrorStore::ForEachGroup(const std::function<void(const ErrorGroup&)>& fn) const {
  std::shared_lock lock(impl_->mu);
  for (const auto& [fp, g] : impl_->groups) fn(*g);
}

void ErrorStore::ScanOccurrences(int64_t from_ms, int64_t to_ms,
                                 const std::function<void(const ErrorGroup&, const ErrorOccurrenceView&)>& fn) const {
  std::shared_lock lock(impl_->mu);
  const Impl& s = *impl_;
  for (auto it = s.partitions.upper_bound(s.PartitionStart(from_ms) - 1); it != s.partitions.end(); ++it) {
    if (it->first > to_ms) break;
    for (const Occurrence& o : it->second->occurrences) {
      if (o.time_ms < from_ms || o.time_ms > to_ms) continue;
      fn(*o.group, View(o, s.strings));
    }
  }
}

void AppendErrorFramesJson(std::string& out, const std::vector<ErrorFrame>& frames) {
  out.push_back('[');
  for (size_t i = 0; i < frames.size(); ++i) {
    const ErrorFrame& f = frames[i];
    if (i) out.push_back(',');
    out += "{\"function\":";
    AppendJsonString(out, f.function);
    out += ",\"file\":";
    AppendJsonString(out, f.file);
    out += ",\"line\":";
    AppendJsonInt(out, f.line);
    out += ",\"column\":";
    AppendJsonInt(out, f.column);
    out += f.in_app ? ",\"inApp\":true}" : ",\"inApp\":false}";
  }
  out.push_back(']');
}

Result<std::optional<ErrorGroup>> ErrorStore::ReadGroup(uint64_t fingerprint) const { return FindGroup(fingerprint); }

Result<std::shared_ptr<const void>> ErrorStore::ScanWindow(int64_t from_ms, int64_t to_ms, std::optional<uint64_t> only,
                                                           const ErrorOccurrenceFn& fn) const {
  ScanOccurrences(from_ms, to_ms, [&](const ErrorGroup& g, const ErrorOccurrenceView& o) {
    if (!only || g.info.fingerprint == *only) fn(g, o);
  });
  return std::shared_ptr<const void>();
}

ErrorStoreStats ErrorStore::Stats() const {
  std::shared_lock lock(impl_->mu);
  ErrorStoreStats st;
  st.groups = impl_->groups.size();
  st.partitions = impl_->partitions.size();
  for (const auto& [start, p] : impl_->partitions) st.occurrences += p->occurrences.size();
  return st;
}

std::vector<ErrorPartitionView> ErrorStore::ListPartitions() const {
  std::shared_lock lock(impl_->mu);
  std::vector<ErrorPartitionView> out;
  out.reserve(impl_->partitions.size());
  for (const auto& [start, p] : impl_->partitions) out.push_back({p, start, p->rows()});
  return out;
}

Status ErrorStore::ReadOccurrences(
    const std::shared_ptr<const void>& partition, uint32_t from_row, uint32_t to_row,
    const std::function<void(uint32_t row, const ErrorGroup& group, const ErrorOccurrenceView& occurrence)>& fn) const {
  if (!partition) return InvalidArgument("error store: read occurrences: no partition");
  const Partition& p = *static_cast<const Partition*>(partition.get());
  std::shared_lock lock(impl_->mu);  // appends (the only writers of a partition) hold it exclusively
  const uint32_t rows = p.rows();
  if (from_row > to_row || to_row > rows) {
    return InvalidArgument("error store: read occurrences [" + std::to_string(from_row) + ", " +
                           std::to_string(to_row) + ") of a partition of " + std::to_string(rows));
  }
  auto gap = std::lower_bound(p.gaps.begin(), p.gaps.end(), from_row);
  size_t index = from_row - static_cast<size_t>(gap - p.gaps.begin());  // occurrences before from_row
  for (uint32_t row = from_row; row < to_row; ++row) {
    if (gap != p.gaps.end() && *gap == row) {
      ++gap;
      continue;
    }
    const Occurrence& o = p.occurrences[index++];
    fn(row, *o.group, View(o, impl_->strings));
  }
  return Status::Ok();
}

}  // namespace perfwatch::events
