#include "events/span_store.h"

#include <fcntl.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <shared_mutex>

#include "common/coding.h"
#include "common/crc32c.h"
#include "common/file_util.h"
#include "common/log.h"
#include "common/periodic_thread.h"
#include "common/time.h"
#include "events/log_file.h"
#include "events/partition_retention.h"
#include "events/span_codec.h"

namespace perfwatch::events {

namespace {

constexpr char kLogName[] = "spans.log";
constexpr uint8_t kCodecRaw = 0;
constexpr uint8_t kCodecZstd = 1;
constexpr int64_t kRetentionCheckMs = 60'000;

uint64_t TraceKey(const std::array<uint8_t, 16>& id) {
  uint64_t a, b;
  std::memcpy(&a, id.data(), 8);
  std::memcpy(&b, id.data() + 8, 8);
  uint64_t k = (a ^ (b * 0x9E3779B97F4A7C15ull)) * 0xBF58476D1CE4E5B9ull;
  k ^= k >> 31;
  return k ? k : 1;
}

// trace key -> block ids (one entry per distinct (trace, block)); linear probing.
class TraceTable {
 public:
  void Insert(uint64_t key, uint32_t block) {
    if ((size_ + 1) * 10 > keys_.size() * 7) Grow();
    size_t mask = keys_.size() - 1;
    size_t i = Home(key);
    while (keys_[i] != 0) i = (i + 1) & mask;
    keys_[i] = key;
    blocks_[i] = block;
    ++size_;
  }
  template <typename Fn>
  void ForEach(uint64_t key, Fn&& fn) const {
    if (keys_.empty()) return;
    size_t mask = keys_.size() - 1;
    for (size_t i = Home(key); keys_[i] != 0; i = (i + 1) & mask) {
      if (keys_[i] == key) fn(blocks_[i]);
    }
  }
  size_t MemoryBytes() const { return keys_.capacity() * 8 + blocks_.capacity() * 4; }

 private:
  size_t Home(uint64_t key) const { return static_cast<size_t>(key >> shift_); }
  void Grow() {
    std::vector<uint64_t> keys = std::move(keys_);
    std::vector<uint32_t> blocks = std::move(blocks_);
    size_t cap = keys.empty() ? 1024 : keys.size() * 2;
    keys_.assign(cap, 0);
    blocks_.assign(cap, 0);
    shift_ = 64 - std::countr_zero(cap);
    size_ = 0;
    for (size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] != 0) Insert(keys[i], blocks[i]);
    }
  }
  std::vector<uint64_t> keys_;  // 0: empty
  std::vector<uint32_t> blocks_;
  size_t size_ = 0;
  int shift_ = 64;
};

struct Entry {
  int64_t start_ns;
  uint64_t duration_ns;
  uint32_t service, name, route, block;
  uint16_t index;  // in the block
  uint8_t status;
};

struct Partition {
  int64_t start_ms = 0;
  int64_t length_ms = 0;
  std::filesystem::path dir;
  std::unique_ptr<LogWriter> writer;
  SpanDictionary dict;
  struct Block {
    uint64_t offset;  // of the record (framing included)
    uint32_t size;
  };
  std::vector<Block> blocks;
  TraceTable traces;
  std::vector<Entry> entries;
  uint64_t spans = 0;

  int64_t end_ms() const { return start_ms + length_ms; }
  uint64_t base_ns() const { return static_cast<uint64_t>(start_ms) * 1'000'000; }
  size_t MemoryBytes() const {
    return dict.strings.MemoryBytes() + dict.values_per_key.capacity() * 4 + blocks.capacity() * sizeof(Block) +
           traces.MemoryBytes() + entries.capacity() * sizeof(Entry);
  }
  // Indexes a block written at `offset` (requires exclusive access).
  void AddBlock(uint64_t offset, uint32_t size, std::span<const SpanRecord* const> block_spans,
                std::span<const SpanIds> ids) {
    const auto& spans_in = block_spans;
    uint32_t id = static_cast<uint32_t>(blocks.size());
    blocks.push_back({offset, size});
    std::vector<uint64_t> keys;
    keys.reserve(spans_in.size());
    for (size_t i = 0; i < spans_in.size(); ++i) {
      const SpanRecord& s = *spans_in[i];
      keys.push_back(TraceKey(s.trace_id));
      if (!s.is_entry()) continue;
      uint64_t dur = s.end_time_unix_nano >= s.start_time_unix_nano ? s.end_time_unix_nano - s.start_time_unix_nano : 0;
      entries.push_back({static_cast<int64_t>(s.start_time_unix_nano), dur, ids[i].service, ids[i].name, ids[i].route,
                         id, static_cast<uint16_t>(i), s.status_code});
    }
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    for (uint64_t k : keys) traces.Insert(k, id);
    spans += spans_in.size();
  }
};

std::string PartDirName(int64_t start_ms) { return "part-" + std::to_string(start_ms); }

// Frames a block body as a log record: codec byte, then the body (zstd or raw).
void AppendBlockRecord(std::string& out, std::string_view raw, int level, std::string& scratch) {
  scratch.clear();
  if (raw.size() >= 64) {
    scratch.resize(1 + ZSTD_compressBound(raw.size()));
    size_t n = ZSTD_compress(scratch.data() + 1, scratch.size() - 1, raw.data(), raw.size(), level);
    if (!ZSTD_isError(n) && n < raw.size()) {
      scratch[0] = static_cast<char>(kCodecZstd);
      scratch.resize(1 + n);
      AppendRecord(out, scratch);
      return;
    }
    scratch.clear();
  }
  scratch.push_back(static_cast<char>(kCodecRaw));
  scratch.append(raw);
  AppendRecord(out, scratch);
}

// The block body of a record payload.
Status PayloadBody(std::string_view payload, std::string& body) {
  if (payload.empty()) return DataLoss("span block: empty record");
  uint8_t codec = static_cast<uint8_t>(payload[0]);
  payload.remove_prefix(1);
  if (codec == kCodecRaw) {
    body.assign(payload);
    return Status::Ok();
  }
  if (codec != kCodecZstd) return DataLoss("span block: unknown codec");
  unsigned long long size = ZSTD_getFrameContentSize(payload.data(), payload.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > kMaxRecordBytes) {
    return DataLoss("span block: bad zstd frame");
  }
  body.resize(static_cast<size_t>(size));
  size_t n = ZSTD_decompress(body.data(), body.size(), payload.data(), payload.size());
  if (ZSTD_isError(n) || n != size) return DataLoss("span block: zstd decompression failed");
  return Status::Ok();
}

// Reads one block's record from the log and returns its body.
Status ReadBlockBody(const Partition& p, const Partition::Block& b, std::string& scratch, std::string& body) {
  PW_RETURN_IF_ERROR(p.writer->ReadAt(b.offset, b.size, scratch));
  if (scratch.size() != b.size || b.size < 5) return DataLoss("span block: short read in " + p.writer->path().string());
  Decoder d(scratch.data() + 4, scratch.size() - 4);
  uint64_t len;
  if (!d.Varint(&len) || len != d.remaining()) return DataLoss("span block: bad record length");
  uint32_t crc = Crc32c(scratch.data() + 4, scratch.size() - 4);
  if (crc != LoadFixed32(scratch.data())) return DataLoss("span block: checksum mismatch");
  return PayloadBody(std::string_view(d.position(), d.remaining()), body);
}

// Reads one block from the log (no lock: pread on the partition's log) and decodes it
// with the partition's dictionary under `state_mu` shared (the dictionary grows under the
// exclusive lock; a published block's strings are all defined). `keep` as DecodeSpanBlock.
Status ReadBlockSpans(std::shared_mutex& state_mu, const Partition& p, const Partition::Block& b, std::string& scratch,
                      std::string& body, std::vector<SpanRecord>* out,
                      const std::function<bool(size_t index, const SpanRecord& span)>& keep = {}) {
  PW_RETURN_IF_ERROR(ReadBlockBody(p, b, scratch, body));
  out->clear();
  std::shared_lock lock(state_mu);
  return DecodeSpanBlock(body, p.base_ns(), nullptr, p.dict.strings, out, nullptr, keep);
}

Status SaveCorruptTail(const std::filesystem::path& log, std::string_view tail, uint64_t offset) {
  std::filesystem::path out = log;
  out += ".corrupt-" + std::to_string(offset);
  int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("create " + out.string(), errno);
  Status s = WriteAll(fd, tail);
  if (s.ok() && ::fsync(fd) != 0) s = IoError("fsync " + out.string(), errno);
  ::close(fd);
  return s;
}

}  // namespace

struct SpanStore::Impl {
  std::filesystem::path dir;
  SpanStoreOptions options;
  std::atomic<int64_t> fsync_interval_ms{0};  // events.fsync_interval (SetFsyncInterval)
  std::unique_ptr<MetricsRegistry> own_metrics;
  Counter* appended = nullptr;
  Counter* fsyncs = nullptr;
  Counter* replay_truncations = nullptr;
  Gauge* stored_gauge = nullptr;
  Gauge* partitions_gauge = nullptr;
  Gauge* disk_bytes_gauge = nullptr;

  std::mutex append_mu;  // serialises Append, EnforceRetention
  mutable std::shared_mutex state_mu;  // partitions map and their in-memory state
  std::map<int64_t, std::shared_ptr<Partition>> partitions;
  std::atomic<uint64_t> stored{0};
  std::atomic<uint64_t> disk_bytes{0};
  PeriodicThread bg;
  int64_t next_retention_ms = 0;  // used by the background thread only
  std::atomic<int64_t> retention_ms{0};  // otlp.span_retention (SetRetention)

  Result<Partition*> PartitionFor(int64_t t_ms);
  Status Replay();
  Status SyncAll();
  void UpdateGauges() {
    stored_gauge->Set(static_cast<double>(stored.load()));
    disk_bytes_gauge->Set(static_cast<double>(disk_bytes.load()));
    std::shared_lock lock(state_mu);
    partitions_gauge->Set(static_cast<double>(partitions.size()));
  }
  std::vector<std::shared_ptr<Partition>> Snapshot() const {
    std::shared_lock lock(state_mu);
    std::vector<std::shared_ptr<Partition>> out;
    for (auto& [start, p] : partitions) out.push_back(p);
    return out;
  }
};

SpanStore::SpanStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SpanStore::~SpanStore() { Stop(); }

Result<std::unique_ptr<SpanStore>> SpanStore::Open(std::filesystem::path dir, SpanStoreOptions options,
                                                   MetricsRegistry* metrics) {
  if (options.partition_ms <= 0) return InvalidArgument("span store: partition_ms must be > 0");
  if (options.fsync_interval_ms < 0) return InvalidArgument("span store: fsync_interval_ms must be >= 0");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return IoError("create " + dir.string(), ec.value());
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  impl->options = options;
  impl->fsync_interval_ms.store(options.fsync_interval_ms, std::memory_order_relaxed);
  if (!metrics) {
    impl->own_metrics = std::make_unique<MetricsRegistry>();
    metrics = impl->own_metrics.get();
  }
  impl->appended = metrics->GetCounter("perfwatch_span_store_appended_total", "Spans appended to the span store.");
  impl->fsyncs = metrics->GetCounter("perfwatch_span_store_fsyncs_total", "fsync calls on span store logs.");
  impl->replay_truncations = metrics->GetCounter("perfwatch_span_store_replay_truncations_total",
                                                 "Span store logs truncated at a bad record during replay.");
  impl->stored_gauge = metrics->GetGauge("perfwatch_span_store_spans", "Spans stored in the span store.");
  impl->partitions_gauge = metrics->GetGauge("perfwatch_span_store_partitions", "Live span store partitions.");
  impl->disk_bytes_gauge = metrics->GetGauge("perfwatch_span_store_disk_bytes", "Bytes of span store logs on disk.");
  impl->retention_ms.store(options.retention_ms, std::memory_order_relaxed);
  PW_RETURN_IF_ERROR(impl->Replay().WithContext("open span store " + dir.string()));
  impl->UpdateGauges();
  return std::unique_ptr<SpanStore>(new SpanStore(std::move(impl)));
}

Status SpanStore::Impl::Replay() {
  std::lock_guard append_lock(append_mu);
  std::error_code ec;
  std::vector<std::filesystem::path> dirs;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (entry.is_directory() && name.rfind("part-", 0) == 0) dirs.push_back(entry.path());
  }
  if (ec) return IoError("list " + dir.string(), ec.value());
  std::string body;
  std::vector<SpanRecord> spans;
  std::vector<const SpanRecord*> ptrs;
  std::vector<SpanIds> ids;
  for (const auto& pdir : dirs) {
    std::string name = pdir.filename().string();
    int64_t start = 0;
    auto [ptr, perr] = std::from_chars(name.data() + 5, name.data() + name.size(), start);
    if (perr != std::errc() || ptr != name.data() + name.size()) continue;
    std::filesystem::path log = pdir / kLogName;
    std::error_code size_ec;
    uint64_t size = std::filesystem::file_size(log, size_ec);
    if (size_ec || size < kLogHeaderBytes) {
      PW_LOG_WARN("removing span partition without a complete log header", "dir={}", pdir.string());
      std::filesystem::remove_all(pdir, size_ec);
      continue;
    }
    PW_ASSIGN_OR_RETURN(auto reader, LogReader::Open(log));
    if (reader->header().start_ms != start) return DataLoss(log.string() + ": header does not match directory name");
    auto p = std::make_shared<Partition>();
    p->start_ms = start;
    p->length_ms = reader->header().length_ms;
    p->dir = pdir;
    std::optional<uint64_t> cut;
    bool corrupt = false;
    std::string reason;
    for (;;) {
      std::string_view payload;
      uint64_t offset = 0;
      LogReader::Outcome o = reader->Next(&payload, &offset);
      if (o == LogReader::Outcome::kEnd) break;
      if (o != LogReader::Outcome::kRecord) {
        cut = reader->good_bytes();
        corrupt = o == LogReader::Outcome::kCorrupt;
        reason = corrupt ? "checksum mismatch" : "torn tail";
        break;
      }
      spans.clear();
      ids.clear();
      uint32_t dict_mark = p->dict.strings.size();
      Status s = PayloadBody(payload, body);
      if (s.ok()) s = DecodeSpanBlock(body, p->base_ns(), &p->dict, p->dict.strings, &spans, &ids);
      if (!s.ok()) {
        p->dict.strings.Truncate(dict_mark);
        cut = offset;
        corrupt = reader->good_bytes() < reader->file_size();
        reason = s.message();
        break;
      }
      ptrs.clear();
      for (const SpanRecord& r : spans) ptrs.push_back(&r);
      p->AddBlock(offset, static_cast<uint32_t>(reader->good_bytes() - offset), ptrs, ids);
    }
    if (cut) {
      replay_truncations->Inc();
      if (corrupt) {
        PW_LOG_ERROR("span log corrupt; cutting it at the bad record", "file={} offset={} reason={}", log.string(),
                     *cut, LogQuote(reason));
        PW_RETURN_IF_ERROR(SaveCorruptTail(log, reader->data().substr(*cut), *cut));
      } else {
        PW_LOG_WARN("span log has a torn tail; truncating", "file={} offset={} reason={}", log.string(), *cut,
                    LogQuote(reason));
      }
    }
    LogHeader header = reader->header();
    reader.reset();
    PW_ASSIGN_OR_RETURN(p->writer, LogWriter::Open(log, header, cut));
    stored.fetch_add(p->spans);
    disk_bytes.fetch_add(p->writer->size());
    partitions.emplace(start, std::move(p));
  }
  return Status::Ok();
}

Result<Partition*> SpanStore::Impl::PartitionFor(int64_t t) {
  auto next = partitions.upper_bound(t);
  int64_t prev_end = INT64_MIN;
  if (next != partitions.begin()) {
    auto prev = std::prev(next);
    if (t < prev->second->end_ms()) return prev->second.get();
    prev_end = prev->second->end_ms();
  }
  int64_t start = FloorDiv(t, options.partition_ms) * options.partition_ms;
  int64_t end = start + options.partition_ms;
  start = std::max(start, prev_end);
  if (next != partitions.end()) end = std::min(end, next->first);
  auto p = std::make_shared<Partition>();
  p->start_ms = start;
  p->length_ms = end - start;
  p->dir = dir / PartDirName(start);
  std::error_code ec;
  std::filesystem::create_directory(p->dir, ec);
  if (ec) return IoError("create " + p->dir.string(), ec.value());
  PW_RETURN_IF_ERROR(SyncDirectory(dir));
  PW_ASSIGN_OR_RETURN(p->writer, LogWriter::Open(p->dir / kLogName, LogHeader{start, end - start}, std::nullopt));
  disk_bytes.fetch_add(p->writer->size());
  Partition* raw = p.get();
  {
    std::unique_lock lock(state_mu);
    partitions.emplace(start, std::move(p));
    partitions_gauge->Set(static_cast<double>(partitions.size()));
  }
  PW_LOG_INFO("span partition created", "dir={} start_ms={} length_ms={}", raw->dir.string(), start, end - start);
  return raw;
}

Status SpanStore::Append(std::span<const SpanRecord> spans) {
  if (spans.empty()) return Status::Ok();
  Impl& m = *impl_;
  std::lock_guard append_lock(m.append_mu);
  struct Pending {
    std::vector<const SpanRecord*> spans;
    std::vector<SpanIds> ids;
    std::string raw;
    uint64_t offset = 0;  // in the partition's buffer
    uint32_t size = 0;
  };
  struct Touched {
    Partition* p;
    std::vector<const SpanRecord*> spans;
    std::vector<Pending> blocks;
    uint32_t dict_mark = 0;
    uint64_t log_size_before = 0;
    std::string buf;
  };
  std::vector<Touched> touched;
  // 1. Route to partitions (creating one does I/O: no state lock).
  for (const SpanRecord& s : spans) {
    int64_t t = static_cast<int64_t>(s.start_time_unix_nano / 1'000'000);
    PW_ASSIGN_OR_RETURN(Partition * p, m.PartitionFor(t));
    size_t i = 0;
    while (i < touched.size() && touched[i].p != p) ++i;
    if (i == touched.size()) touched.push_back(Touched{p, {}, {}, 0, 0, {}});
    touched[i].spans.push_back(&s);
  }
  // 2. Encode (defines dictionary strings: readers must not see them change).
  {
    std::unique_lock lock(m.state_mu);
    for (Touched& t : touched) {
      t.dict_mark = t.p->dict.strings.size();
      t.log_size_before = t.p->writer->size();
      for (size_t i = 0; i < t.spans.size(); i += kMaxSpansPerBlock) {
        Pending b;
        size_t n = std::min(kMaxSpansPerBlock, t.spans.size() - i);
        b.spans.assign(t.spans.begin() + i, t.spans.begin() + i + n);
        EncodeSpanBlock(b.spans, t.p->base_ns(), t.p->dict, b.raw, &b.ids);
        t.blocks.push_back(std::move(b));
      }
    }
  }
  // 3. Compress and frame (no lock), one write(2) per partition.
  std::string scratch;
  Status status;
  for (Touched& t : touched) {
    for (Pending& b : t.blocks) {
      b.offset = t.buf.size();
      AppendBlockRecord(t.buf, b.raw, m.options.zstd_level, scratch);
      if (t.buf.size() - b.offset > kMaxRecordBytes && status.ok()) {
        status = InvalidArgument("a block of " + std::to_string(b.spans.size()) +
                                 " spans is over the log's record limit even compressed");
      }
      b.size = static_cast<uint32_t>(t.buf.size() - b.offset);
      std::string().swap(b.raw);
    }
  }
  size_t written = 0;
  for (; written < touched.size() && status.ok(); ++written) status = touched[written].p->writer->Write(touched[written].buf);
  if (status.ok() && m.fsync_interval_ms.load(std::memory_order_relaxed) == 0) {
    for (size_t i = 0; i < touched.size() && status.ok(); ++i) {
      bool synced = false;
      status = touched[i].p->writer->Sync(&synced);
      if (synced) m.fsyncs->Inc();
    }
  }
  if (!status.ok()) {
    for (size_t i = 0; i < written; ++i) (void)touched[i].p->writer->Truncate(touched[i].log_size_before);
    std::unique_lock lock(m.state_mu);
    for (Touched& t : touched) t.p->dict.strings.Truncate(t.dict_mark);
    PW_LOG_ERROR("span append failed", "error={}", LogQuote(status.ToString()));
    return status.WithContext("append spans");
  }
  // 4. Publish.
  uint64_t bytes = 0;
  {
    std::unique_lock lock(m.state_mu);
    for (Touched& t : touched) {
      for (Pending& b : t.blocks) t.p->AddBlock(t.log_size_before + b.offset, b.size, b.spans, b.ids);
      bytes += t.buf.size();
    }
  }
  m.stored.fetch_add(spans.size());
  m.disk_bytes.fetch_add(bytes);
  m.appended->Inc(spans.size());
  m.stored_gauge->Set(static_cast<double>(m.stored.load()));
  m.disk_bytes_gauge->Set(static_cast<double>(m.disk_bytes.load()));
  return Status::Ok();
}

Status SpanStore::Impl::SyncAll() {
  Status first;
  for (auto& p : Snapshot()) {
    bool synced = false;
    Status s = p->writer->Sync(&synced);
    if (synced) fsyncs->Inc();
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

Status SpanStore::Sync() { return impl_->SyncAll(); }

Result<std::vector<PinnedFile>> SpanStore::PinForSnapshot(const std::filesystem::path& dest) const {
  std::lock_guard lock(impl_->append_mu);  // serialises appends and partition changes
  std::vector<PinnedFile> pins;
  for (const auto& entry : impl_->partitions) {
    if (!entry.second->writer) continue;
    PW_ASSIGN_OR_RETURN(PinnedFile pin, PinLog(*entry.second->writer, impl_->dir, dest));
    pins.push_back(std::move(pin));
  }
  return pins;
}

Status SpanStore::GetTrace(const std::array<uint8_t, 16>& trace_id, size_t max_spans, std::vector<SpanRecord>* out,
                           uint64_t* total) const {
  const Impl& m = *impl_;
  uint64_t key = TraceKey(trace_id);
  std::vector<std::pair<std::shared_ptr<Partition>, Partition::Block>> found;
  {
    std::shared_lock lock(m.state_mu);
    for (auto& entry : m.partitions) {
      const std::shared_ptr<Partition>& p = entry.second;  // (clang 14: no capture of bindings)
      p->traces.ForEach(key, [&](uint32_t b) { found.emplace_back(p, p->blocks[b]); });
    }
  }
  std::vector<SpanRecord> all, block;
  std::string scratch, body;
  for (auto& [p, b] : found) {
    PW_RETURN_IF_ERROR(ReadBlockSpans(m.state_mu, *p, b, scratch, body, &block,
                                      [&](size_t, const SpanRecord& s) { return s.trace_id == trace_id; }));
    for (SpanRecord& s : block) all.push_back(std::move(s));
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const SpanRecord& a, const SpanRecord& b) { return a.start_time_unix_nano < b.start_time_unix_nano; });
  *total = all.size();
  if (all.size() > max_spans) all.resize(max_spans);
  *out = std::move(all);
  return Status::Ok();
}

Status SpanStore::ListEntrySpans(const SpanListQuery& q, std::vector<SpanRecord>* out) const {
  out->clear();
  if (q.limit == 0 || q.from_ns > q.to_ns) return Status::Ok();
  const Impl& m = *impl_;
  struct Candidate {
    int64_t k1, k2;  // sort keys, larger first
    Partition* p;
    uint32_t block;
    uint16_t index;
    bool operator<(const Candidate& o) const { return k1 != o.k1 ? k1 > o.k1 : k2 > o.k2; }  // min-heap order
  };
  std::vector<Candidate> heap;  // the best `limit` so far; heap.front() is the worst of them
  std::vector<std::shared_ptr<Partition>> held;
  const bool slowest = q.sort == SpanListQuery::Sort::kSlowest;
  {
    std::shared_lock lock(m.state_mu);
    for (auto& entry : m.partitions) {
      const std::shared_ptr<Partition>& p = entry.second;  // (clang 14: no capture of bindings)
      int64_t pstart = p->start_ms * 1'000'000, pend = p->end_ms() > INT64_MAX / 1'000'000 ? INT64_MAX : p->end_ms() * 1'000'000;
      if (pstart > q.to_ns || pend <= q.from_ns) continue;
      auto resolve = [&](const std::optional<std::string>& s, uint32_t* id) {
        if (!s) return true;
        auto found = p->dict.strings.Find(*s);
        if (!found) return false;
        *id = *found;
        return true;
      };
      uint32_t service = kNoId, route = kNoId, name = kNoId;
      if (!resolve(q.service, &service) || !resolve(q.route, &route) || !resolve(q.name, &name)) continue;
      held.push_back(p);
      for (const Entry& e : p->entries) {
        if (e.start_ns < q.from_ns || e.start_ns > q.to_ns || e.duration_ns < q.min_duration_ns) continue;
        if ((q.service && e.service != service) || (q.route && e.route != route) || (q.name && e.name != name)) continue;
        if (q.status && e.status != *q.status) continue;
        Candidate c{slowest ? static_cast<int64_t>(e.duration_ns) : e.start_ns, slowest ? e.start_ns : 0, p.get(),
                    e.block, e.index};
        if (heap.size() < q.limit) {
          heap.push_back(c);
          std::push_heap(heap.begin(), heap.end());
        } else if (c < heap.front()) {
          std::pop_heap(heap.begin(), heap.end());
          heap.back() = c;
          std::push_heap(heap.begin(), heap.end());
        }
      }
    }
  }
  std::sort_heap(heap.begin(), heap.end());  // best first
  // Decode each block once.
  std::vector<size_t> order(heap.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::tie(heap[a].p, heap[a].block) < std::tie(heap[b].p, heap[b].block);
  });
  out->resize(heap.size());
  std::vector<SpanRecord> block;
  std::vector<size_t> wanted;  // indexes in the current block, ascending
  std::string scratch, body;
  for (size_t i = 0; i < order.size();) {
    const Candidate& c = heap[order[i]];
    size_t j = i;
    wanted.clear();
    for (; j < order.size() && heap[order[j]].p == c.p && heap[order[j]].block == c.block; ++j) {
      wanted.push_back(heap[order[j]].index);
    }
    std::sort(wanted.begin(), wanted.end());
    Partition::Block b;
    {
      std::shared_lock lock(m.state_mu);
      b = c.p->blocks[c.block];
    }
    PW_RETURN_IF_ERROR(ReadBlockSpans(m.state_mu, *c.p, b, scratch, body, &block, [&](size_t index, const SpanRecord&) {
      return std::binary_search(wanted.begin(), wanted.end(), index);
    }));
    for (; i < j; ++i) {
      const Candidate& d = heap[order[i]];
      size_t k = std::lower_bound(wanted.begin(), wanted.end(), size_t{d.index}) - wanted.begin();
      if (k >= block.size()) return DataLoss("span store: entry index beyond its block");
      (*out)[order[i]] = block[k];
    }
  }
  return Status::Ok();
}

std::vector<SpanPartitionView> SpanStore::ListPartitions() const {
  const Impl& m = *impl_;
  std::vector<SpanPartitionView> out;
  std::shared_lock lock(m.state_mu);
  out.reserve(m.partitions.size());
  for (const auto& [start, p] : m.partitions) {
    SpanPartitionView v;
    v.partition = p;
    v.start_ms = p->start_ms;
    v.block_count = static_cast<uint32_t>(p->blocks.size());
    out.push_back(std::move(v));
  }
  return out;
}

Status SpanStore::ReadBlocks(const std::shared_ptr<const void>& partition, uint32_t from_block, uint32_t to_block,
                             const std::function<void(uint32_t block, std::span<const SpanRecord> spans)>& fn) const {
  const Impl& m = *impl_;
  if (!partition) return InvalidArgument("span store: read blocks: no partition");
  const Partition& p = *static_cast<const Partition*>(partition.get());
  if (!p.writer) return NotFound("span store: read blocks: the partition has no log");
  std::vector<Partition::Block> blocks;
  {
    std::shared_lock lock(m.state_mu);
    if (from_block > to_block || to_block > p.blocks.size()) {
      return InvalidArgument("span store: read blocks [" + std::to_string(from_block) + ", " + std::to_string(to_block) +
                             ") of a partition of " + std::to_string(p.blocks.size()));
    }
    blocks.assign(p.blocks.begin() + from_block, p.blocks.begin() + to_block);
  }
  std::vector<SpanRecord> spans;
  std::string scratch, body;
  for (size_t i = 0; i < blocks.size(); ++i) {
    const uint32_t block = from_block + static_cast<uint32_t>(i);
    PW_RETURN_IF_ERROR(ReadBlockSpans(m.state_mu, p, blocks[i], scratch, body, &spans)
                           .WithContext("span store: block " + std::to_string(block) + " of partition " +
                                        std::to_string(p.start_ms)));
    fn(block, spans);
  }
  return Status::Ok();
}

Status SpanStore::EnforceRetention(int64_t now_ms) {
  Impl& m = *impl_;
  const int64_t retention_ms = m.retention_ms.load(std::memory_order_relaxed);
  if (retention_ms <= 0) return Status::Ok();
  int64_t cutoff = now_ms - retention_ms;
  std::lock_guard append_lock(m.append_mu);
  Status first = DropPartitionsBefore(m.partitions, m.state_mu, cutoff, m.dir, [&m](Partition& p) {
    m.stored.fetch_sub(p.spans);
    m.disk_bytes.fetch_sub(p.writer->size());
    PW_LOG_INFO("span partition dropped by retention", "dir={} spans={}", p.dir.string(), p.spans);
    return p.dir;
  });
  m.UpdateGauges();
  return first;
}

void SpanStore::SetRetention(int64_t retention_ms) {
  impl_->retention_ms.store(retention_ms, std::memory_order_relaxed);
}

int64_t SpanStore::retention_ms() const { return impl_->retention_ms.load(std::memory_order_relaxed); }

SpanStoreStats SpanStore::Stats() const {
  SpanStoreStats s;
  std::shared_lock lock(impl_->state_mu);
  for (auto& [start, p] : impl_->partitions) {
    s.spans += p->spans;
    s.entry_spans += p->entries.size();
    s.blocks += p->blocks.size();
    s.disk_bytes += p->writer->size();
    s.memory_bytes += p->MemoryBytes();
  }
  s.partitions = impl_->partitions.size();
  return s;
}

Status SpanStore::Start() {
  Impl& m = *impl_;
  const int64_t fsync_ms = m.fsync_interval_ms.load(std::memory_order_relaxed);
  int64_t interval = fsync_ms > 0 ? fsync_ms : 1000;
  m.bg.Start("pw-spans", std::chrono::milliseconds(interval), [this, &m] {
    Status s = m.SyncAll();
    if (!s.ok()) PW_LOG_ERROR("span log fsync failed", "error={}", LogQuote(s.ToString()));
    int64_t now = NowMs();
    if (now >= m.next_retention_ms) {
      m.next_retention_ms = now + kRetentionCheckMs;
      Status r = EnforceRetention(now);
      if (!r.ok()) PW_LOG_ERROR("span retention failed", "error={}", LogQuote(r.ToString()));
    }
  });
  return Status::Ok();
}

Status SpanStore::SetFsyncInterval(int64_t fsync_interval_ms) {
  if (fsync_interval_ms < 0) return InvalidArgument("events.fsync_interval must not be negative");
  impl_->fsync_interval_ms.store(fsync_interval_ms, std::memory_order_relaxed);
  impl_->bg.SetInterval(std::chrono::milliseconds(fsync_interval_ms > 0 ? fsync_interval_ms : 1000));
  return Status::Ok();
}

void SpanStore::Stop() {
  impl_->bg.Stop();
  Status s = impl_->SyncAll();
  if (!s.ok()) PW_LOG_ERROR("span log fsync failed", "error={}", LogQuote(s.ToString()));
}

}  // namespace perfwatch::events
