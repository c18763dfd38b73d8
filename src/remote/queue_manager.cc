#include "remote/queue_manager.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <snappy.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <span>
#include <sstream>
#include <unordered_map>

#include "alert/http_post.h"
#include "common/coding.h"
#include "common/file_util.h"
#include "common/fork_join.h"
#include "common/log.h"
#include "common/thread_name.h"
#include "common/time.h"

namespace perfwatch::remote {
namespace {

constexpr std::string_view kProgressMagic = "perfwatch-remote-write-progress 1";

// Deterministic across restarts (a resumed round must split the same way).
uint32_t ShardOf(uint64_t ref, int shards) {
  return static_cast<uint32_t>(((ref * 0x9E3779B97F4A7C15ull) >> 32) % static_cast<uint64_t>(shards));
}

std::string TrimSpace(std::string s) {
  const char* ws = " \t\r\n";
  s.erase(s.find_last_not_of(ws) + 1);
  s.erase(0, std::min(s.size(), s.find_first_not_of(ws)));
  return s;
}

template <typename T>
void AtomicMax(std::atomic<T>& a, T v) {
  T cur = a.load(std::memory_order_relaxed);
  while (v > cur && !a.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

}  // namespace

// The committed position and the round in flight (see the header).
struct Progress {
  WalPosition committed;
  bool has_round = false;
  WalPosition round_end;
  std::vector<uint64_t> acked;  // per shard: batches acknowledged

  std::string Encode() const {
    std::ostringstream o;
    o << kProgressMagic << "\ncommitted " << committed.segment << " " << committed.offset << "\n";
    if (has_round) {
      o << "round " << round_end.segment << " " << round_end.offset << " " << acked.size();
      for (uint64_t a : acked) o << " " << a;
      o << "\n";
    }
    return o.str();
  }
  static Progress Decode(const std::string& text) {
    Progress p;
    std::istringstream in(text);
    std::string line;
    if (!std::getline(in, line) || line != kProgressMagic) return p;
    while (std::getline(in, line)) {
      std::istringstream l(line);
      std::string key;
      l >> key;
      if (key == "committed") {
        l >> p.committed.segment >> p.committed.offset;
      } else if (key == "round") {
        size_t n = 0;
        l >> p.round_end.segment >> p.round_end.offset >> n;
        if (!l || n == 0 || n > static_cast<size_t>(kMaxShardThreads)) continue;
        p.acked.assign(n, 0);
        for (auto& a : p.acked) l >> a;
        p.has_round = static_cast<bool>(l);
      }
    }
    if (!p.has_round) p.acked.clear();
    return p;
  }
};

class RemoteQueue {
 public:
  RemoteQueue(RemoteWriteConfig config, Relabeler relabel, alert::HttpUrl url, ForwarderOptions opts,
              MetricsRegistry* metrics)
      : config_(std::move(config)),
        name_(config_.RemoteName()),
        relabel_(std::move(relabel)),
        url_(std::move(url)),
        opts_(std::move(opts)),
        progress_path_(opts_.state_dir / name_ / "progress"),
        reader_(opts_.wal_dir, &relabel_, opts_.unknown_ref_grace_ms) {
    const MetricLabels labels = {{"remote_name", name_}, {"url", config_.url}};
    sent_ = metrics->GetCounter("prometheus_remote_storage_samples_total",
                                "Samples sent to remote storage and acknowledged.", labels);
    failed_ = metrics->GetCounter("prometheus_remote_storage_samples_failed_total",
                                  "Samples dropped on a non-retryable answer (a 4xx other than 429).", labels);
    dropped_ = metrics->GetCounter("prometheus_remote_storage_samples_dropped_total",
                                   "Samples dropped by write_relabel_configs before sending.", labels);
    retried_ = metrics->GetCounter("prometheus_remote_storage_samples_retried_total",
                                   "Samples of sends that failed recoverably (429, 5xx, connection) and were retried.",
                                   labels);
    pending_ = metrics->GetGauge("prometheus_remote_storage_samples_pending",
                                 "Samples read from the WAL and not yet acknowledged.", labels);
    highest_read_ = metrics->GetGauge("prometheus_remote_storage_highest_timestamp_in_seconds",
                                      "Highest sample timestamp read from the WAL for this remote, in seconds.", labels);
    highest_sent_ = metrics->GetGauge("prometheus_remote_storage_queue_highest_sent_timestamp_seconds",
                                      "Highest sample timestamp acknowledged by this remote, in seconds.", labels);
    shards_ = metrics->GetGauge("prometheus_remote_storage_shards", "Shards (parallel senders) of the last round.",
                                labels);
    segments_skipped_ = metrics->GetCounter(
        "perfwatch_remote_write_wal_segments_skipped_total",
        "WAL segments deleted (flush, checkpoint) before this remote read them; their samples were not forwarded.",
        labels);
    unknown_series_ = metrics->GetCounter("perfwatch_remote_write_unknown_series_samples_total",
                                          "Samples whose series record never appeared in the WAL (not forwarded).",
                                          labels);
  }

  ~RemoteQueue() { Stop(); }

  Status Prepare() {
    headers_ = {{"Content-Encoding", "snappy"},
                {"Content-Type", "application/x-protobuf"},
                {"X-Prometheus-Remote-Write-Version", "0.1.0"},
                {"User-Agent", opts_.user_agent}};
    if (config_.has_basic_auth) {
      std::string password = config_.basic_auth_password;
      if (!config_.basic_auth_password_file.empty()) {
        auto text = ReadFile(config_.basic_auth_password_file);
        if (!text.ok()) return text.status().WithContext("remote_write " + name_ + ": basic_auth.password_file");
        password = TrimSpace(*text);
      }
      headers_.emplace_back("Authorization", alert::BasicAuthHeader(config_.basic_auth_username, password));
    } else if (config_.has_authorization) {
      std::string credentials = config_.authorization_credentials;
      if (!config_.authorization_credentials_file.empty()) {
        auto text = ReadFile(config_.authorization_credentials_file);
        if (!text.ok()) return text.status().WithContext("remote_write " + name_ + ": authorization.credentials_file");
        credentials = TrimSpace(*text);
      }
      headers_.emplace_back("Authorization", config_.authorization_type + " " + credentials);
    }
    for (const auto& h : config_.headers) headers_.push_back(h);
    std::error_code ec;
    std::filesystem::create_directories(progress_path_.parent_path(), ec);
    if (ec) return IoError("create " + progress_path_.parent_path().string(), ec.value());
    return Status::Ok();
  }

  void Start() {
    stopping_.store(false);
    thread_ = NamedThread("pw-remote-write", [this] { Run(); });
  }

  void Stop() {
    {
      std::lock_guard lock(mu_);
      stopping_.store(true);
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  // Everything before it is acknowledged (what a restart reads from; segment 0: all).
  WalPosition Committed() const {
    std::lock_guard lock(progress_mu_);
    return progress_.committed;
  }

  RemoteStats Stats() const {
    RemoteStats s;
    s.samples_sent = sent_->Value();
    s.samples_failed = failed_->Value();
    s.samples_dropped = dropped_->Value();
    s.samples_retried = retried_->Value();
    s.samples_pending = static_cast<uint64_t>(pending_->Value());
    s.batches_sent = batches_.load();
    s.wal_segments_skipped = segments_skipped_->Value();
    s.unknown_series_samples = unknown_series_->Value();
    s.highest_read_timestamp_s = static_cast<double>(highest_read_ms_.load()) / 1000.0;
    s.highest_sent_timestamp_s = static_cast<double>(highest_sent_ms_.load()) / 1000.0;
    s.shards = static_cast<int>(shards_->Value());
    return s;
  }
  const std::string& name() const { return name_; }
  const std::string& url() const { return config_.url; }
  const RemoteWriteConfig& config() const { return config_; }
  const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }

 private:
  enum class SendOutcome { kSent, kDropped, kStopped };

  bool stopping() const { return stopping_.load(std::memory_order_acquire); }

  // Sleeps up to `ms`; false when stopping.
  bool Sleep(int64_t ms) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping(); });
    return !stopping();
  }

  // Requires progress_mu_. `durable`: write, fsync, rename, fsync the directory (after a
  // round); otherwise write and rename only (after each batch: survives the process
  // dying, and a power loss falls back to the last durable save, i.e. resends one round).
  void SaveProgress(bool durable = false) {
    const std::string text = progress_.Encode();
    Status s;
    if (durable) {
      s = WriteFileAtomically(progress_path_, text);
    } else {
      const std::filesystem::path tmp = progress_path_.string() + ".tmp";
      int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0) {
        s = IoError("open " + tmp.string(), errno);
      } else {
        s = WriteAll(fd, text);
        ::close(fd);
        if (s.ok() && ::rename(tmp.c_str(), progress_path_.c_str()) != 0) s = IoError("rename " + tmp.string(), errno);
      }
    }
    if (!s.ok()) PW_LOG_WARN("remote write: cannot save progress", "remote={} error={}", name_, LogQuote(s.message()));
  }

  void PullReaderStats() {
    const WalReaderStats& rs = reader_.stats();
    dropped_->Inc(rs.relabel_dropped_samples - seen_.relabel_dropped_samples);
    segments_skipped_->Inc(rs.segments_skipped - seen_.segments_skipped);
    unknown_series_->Inc(rs.unknown_series_samples - seen_.unknown_series_samples);
    seen_ = rs;
  }

  // A shard's reusable buffers (they keep their capacity from batch to batch).
  struct ShardBuffers {
    std::string request;
    std::string compressed;
  };

  // Bytes of the TimeSeries message for batch[i..j) (a run of one series' samples): its
  // labels, then per sample Sample{value (1, fixed64), timestamp (2, varint)}.
  static size_t TimeSeriesBytes(std::span<const WalSample> batch, size_t i, size_t j) {
    size_t n = batch[i].labels_pb->size();
    for (size_t k = i; k < j; ++k) {
      const size_t sample_len = 10 + static_cast<size_t>(VarintLength(static_cast<uint64_t>(batch[k].t)));
      n += 1 + static_cast<size_t>(VarintLength(sample_len)) + sample_len;
    }
    return n;
  }
  static size_t RunEnd(std::span<const WalSample> batch, size_t i) {
    size_t j = i + 1;
    while (j < batch.size() && batch[j].ref == batch[i].ref) ++j;
    return j;
  }

  // The batch as a snappy-compressed WriteRequest in `b.compressed`: one TimeSeries per
  // run of consecutive samples of a series (a run is a WAL record's group, so a series
  // rarely appears twice; receivers accept that anyway). The request's size is computed
  // first and its bytes written in place (the labels are pre-encoded per series).
  static void Encode(std::span<const WalSample> batch, ShardBuffers& b) {
    size_t total = 0;
    for (size_t i = 0; i < batch.size();) {
      const size_t j = RunEnd(batch, i);
      const size_t ts_len = TimeSeriesBytes(batch, i, j);
      total += 1 + static_cast<size_t>(VarintLength(ts_len)) + ts_len;
      i = j;
    }
    if (b.request.size() < total) b.request.resize(total);  // only grows: no zero-filling per batch
    char* p = b.request.data();
    for (size_t i = 0; i < batch.size();) {
      const size_t j = RunEnd(batch, i);
      *p++ = 0x0a;  // WriteRequest.timeseries (1, length-delimited)
      p = WriteVarint(p, TimeSeriesBytes(batch, i, j));
      const std::string& labels = *batch[i].labels_pb;
      std::memcpy(p, labels.data(), labels.size());
      p += labels.size();
      for (size_t k = i; k < j; ++k) {
        const uint64_t t = static_cast<uint64_t>(batch[k].t);
        *p++ = 0x12;  // TimeSeries.samples (2, length-delimited)
        *p++ = static_cast<char>(10 + VarintLength(t));  // < 128: one byte
        *p++ = 0x09;  // Sample.value (1, fixed64)
        std::memcpy(p, &batch[k].v, 8);
        p += 8;
        *p++ = 0x10;  // Sample.timestamp (2, varint)
        p = WriteVarint(p, t);
      }
      i = j;
    }
    snappy::Compress(b.request.data(), total, &b.compressed);
  }

  SendOutcome Send(std::span<const WalSample> batch, ShardBuffers& buffers) {
    Encode(batch, buffers);
    const std::string_view body = buffers.compressed;
    int64_t backoff = config_.queue.min_backoff_ms;
    for (;;) {
      alert::HttpPostRequest req;
      req.url = url_;
      req.headers = headers_;
      req.body = body;
      req.timeout_ms = config_.remote_timeout_ms;
      req.cancel = &stopping_;
      alert::HttpPostResult res = alert::HttpPost(req);
      if (res.status >= 200 && res.status < 300) return SendOutcome::kSent;
      if (stopping()) return SendOutcome::kStopped;
      const bool retry = res.status == 0 || res.status == 429 || res.status >= 500;
      const std::string why = res.status == 0 ? res.error : "HTTP " + std::to_string(res.status) + ": " + res.body;
      if (!retry) {
        failed_->Inc(batch.size());
        PW_LOG_ERROR("remote write: receiver refused a batch; dropped", "remote={} samples={} error={}", name_,
                     batch.size(), LogQuote(why));
        return SendOutcome::kDropped;
      }
      retried_->Inc(batch.size());
      const int64_t now = NowMs();
      if (now - last_retry_log_ms_.load() >= 10'000) {
        last_retry_log_ms_.store(now);
        PW_LOG_WARN("remote write: send failed; retrying with backoff", "remote={} backoff_ms={} error={}", name_,
                    backoff, LogQuote(why));
      }
      if (!Sleep(backoff)) return SendOutcome::kStopped;
      backoff = std::min(backoff * 2, config_.queue.max_backoff_ms);
    }
  }

  // Sends `samples` (read up to `end`) in `shards` shards, skipping the batches `acked`
  // says were acknowledged; false when stopped before everything was.
  bool SendRound(const std::vector<WalSample>& samples, WalPosition end, std::vector<uint64_t> acked) {
    const int shards = static_cast<int>(acked.size());
    const size_t mps = static_cast<size_t>(config_.queue.max_samples_per_send);
    std::vector<std::vector<WalSample>>& split = split_;
    for (int i = 0; i < shards; ++i) split[i].clear();
    for (const WalSample& s : samples) split[ShardOf(s.ref, shards)].push_back(s);
    uint64_t pending = 0;
    for (int i = 0; i < shards; ++i) {
      const uint64_t skip = std::min<uint64_t>(split[i].size(), acked[i] * mps);
      pending += split[i].size() - skip;
    }
    pending_->Set(static_cast<double>(pending));
    shards_->Set(shards);
    {
      std::lock_guard lock(progress_mu_);
      progress_.has_round = true;
      progress_.round_end = end;
      progress_.acked = acked;
      SaveProgress();
    }
    std::atomic<bool> complete{true};
    auto shard_loop = [&](int i) {
      const std::vector<WalSample>& mine = split[i];
      for (uint64_t b = acked[i]; b * mps < mine.size(); ++b) {
        std::span<const WalSample> batch(mine.data() + b * mps, std::min(mps, mine.size() - b * mps));
        SendOutcome o = Send(batch, buffers_[i]);
        if (o == SendOutcome::kStopped) {
          complete.store(false);
          return;
        }
        if (o == SendOutcome::kSent) {
          sent_->Inc(batch.size());
          batches_.fetch_add(1);
        }
        int64_t max_t = INT64_MIN;
        for (const WalSample& s : batch) max_t = std::max(max_t, s.t);
        std::lock_guard lock(progress_mu_);
        if (o == SendOutcome::kSent) {
          AtomicMax(highest_sent_ms_, max_t);
          highest_sent_->Set(static_cast<double>(highest_sent_ms_.load()) / 1000.0);
        }
        pending_->Add(-static_cast<double>(batch.size()));
        progress_.acked[i] = b + 1;
        // At most every 100 ms (a rename costs more than a batch): a crash resends at most
        // that much; a stop saves below.
        const int64_t now = NowMs();
        if (now - last_batch_save_ms_ >= 100) {
          last_batch_save_ms_ = now;
          SaveProgress();
        }
      }
    };
    shard_threads_.Run(shards, shard_loop);
    std::lock_guard lock(progress_mu_);
    if (!complete.load()) {
      SaveProgress(/*durable=*/true);  // what was acknowledged before the stop
      return false;
    }
    progress_.committed = end;
    progress_.has_round = false;
    progress_.acked.clear();
    // fsync at most once a second: a power loss then resends at most a second of rounds.
    const int64_t now = NowMs();
    const bool durable = now - last_durable_save_ms_ >= 1'000;
    if (durable) last_durable_save_ms_ = now;
    SaveProgress(durable);
    return true;
  }

  int ShardsFor(size_t samples) const {
    const int64_t batches =
        static_cast<int64_t>((samples + config_.queue.max_samples_per_send - 1) / config_.queue.max_samples_per_send);
    const int64_t hi = std::min(config_.queue.max_shards, kMaxShardThreads);
    const int64_t lo = std::min(config_.queue.min_shards, hi);
    return static_cast<int>(std::clamp(batches, lo, hi));
  }

  void NoteRead(const std::vector<WalSample>& samples, size_t from) {
    int64_t max_t = highest_read_ms_.load();
    for (size_t i = from; i < samples.size(); ++i) max_t = std::max(max_t, samples[i].t);
    AtomicMax(highest_read_ms_, max_t);
    highest_read_->Set(static_cast<double>(highest_read_ms_.load()) / 1000.0);  // reader thread only
  }

  void Run() {
    if (opts_.nice > 0) {
      // Ingest first: on a busy machine this thread and its shard threads (created from it,
      // so they inherit it) get less CPU than the threads answering writers; the WAL holds
      // what they have not sent yet. Linux sets nice per thread; relative to this one's.
      const id_t tid = static_cast<id_t>(::syscall(SYS_gettid));
      errno = 0;
      const int base = ::getpriority(PRIO_PROCESS, tid);
      if (errno != 0 || ::setpriority(PRIO_PROCESS, tid, std::min(19, base + opts_.nice)) != 0) {
        PW_LOG_WARN("remote write: cannot lower the forwarder's priority", "remote={} error={}", name_,
                    LogQuote(std::strerror(errno)));
      }
    }
    auto text = ReadFile(progress_path_);
    Progress loaded = text.ok() ? Progress::Decode(*text) : Progress();
    {
      std::lock_guard lock(progress_mu_);
      progress_ = loaded;
    }
    Status s = reader_.Start(loaded.committed);
    if (!s.ok()) {
      PW_LOG_ERROR("remote write: cannot read the WAL", "remote={} error={}", name_, LogQuote(s.message()));
      return;
    }
    PW_LOG_INFO("remote write: forwarding", "remote={} url={} segment={} offset={} series={}", name_,
                LogQuote(config_.url), loaded.committed.segment, loaded.committed.offset, reader_.num_series());
    std::vector<WalSample> samples;
    if (loaded.has_round) {
      // The round a stop interrupted: the same records, split the same way.
      Status r = reader_.NextSamples(SIZE_MAX, &samples, &loaded.round_end);
      PullReaderStats();
      if (!r.ok()) PW_LOG_WARN("remote write: WAL read error", "remote={} error={}", name_, LogQuote(r.message()));
      NoteRead(samples, 0);
      std::vector<uint64_t> acked = loaded.acked;
      if (!(reader_.position() == loaded.round_end)) {
        acked.assign(acked.size(), 0);  // the WAL changed under us: resend what we have
      }
      if (!SendRound(samples, reader_.position(), acked)) return;
    }
    const size_t capacity = static_cast<size_t>(config_.queue.capacity);
    const size_t mps = static_cast<size_t>(config_.queue.max_samples_per_send);
    int64_t last_save_ms = NowMs();
    while (!stopping()) {
      samples.clear();
      int64_t first_ms = 0;
      for (;;) {
        const size_t before = samples.size();
        Status r = reader_.NextSamples(capacity - samples.size(), &samples);
        PullReaderStats();
        if (!r.ok()) PW_LOG_WARN("remote write: WAL read error", "remote={} error={}", name_, LogQuote(r.message()));
        NoteRead(samples, before);
        pending_->Set(static_cast<double>(samples.size()));
        if (samples.size() >= capacity) break;
        const int64_t now = NowMs();
        if (first_ms == 0 && !samples.empty()) first_ms = now;
        if (samples.size() >= mps || (first_ms && now - first_ms >= config_.queue.batch_send_deadline_ms)) break;
        if (samples.empty() && now - last_save_ms >= 1'000) {
          // Records without samples to send (series, relabel drops) still move us on.
          last_save_ms = now;
          std::lock_guard lock(progress_mu_);
          if (!(progress_.committed == reader_.position())) {
            progress_.committed = reader_.position();
            SaveProgress(/*durable=*/true);
          }
        }
        if (!Sleep(opts_.poll_interval_ms)) break;
      }
      if (samples.empty()) continue;
      if (!SendRound(samples, reader_.position(), std::vector<uint64_t>(ShardsFor(samples.size()), 0))) return;
    }
    // Stopping between rounds: what was read but not sent is re-read at the next start.
  }

  const RemoteWriteConfig config_;
  const std::string name_;
  const Relabeler relabel_;
  const alert::HttpUrl url_;
  const ForwarderOptions opts_;
  const std::filesystem::path progress_path_;
  std::vector<std::pair<std::string, std::string>> headers_;
  WalReader reader_;  // reader thread only
  std::vector<std::vector<WalSample>> split_ = std::vector<std::vector<WalSample>>(kMaxShardThreads);  // per round
  std::vector<ShardBuffers> buffers_ = std::vector<ShardBuffers>(kMaxShardThreads);  // one per shard thread
  ForkJoin shard_threads_;  // reader thread only: shard 0 runs on it, the others on kept threads
  int64_t last_durable_save_ms_ = 0;  // reader thread only
  int64_t last_batch_save_ms_ = 0;     // guarded by progress_mu_

  mutable std::mutex progress_mu_;
  Progress progress_;  // guarded by progress_mu_

  std::mutex mu_;  // with cv_: interruptible sleeps
  std::condition_variable cv_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;

  // Registry metrics (labelled remote_name, url); live as long as the registry.
  Counter* sent_;
  Counter* failed_;
  Counter* dropped_;
  Counter* retried_;
  Counter* segments_skipped_;
  Counter* unknown_series_;
  Gauge* pending_;
  Gauge* highest_read_;
  Gauge* highest_sent_;
  Gauge* shards_;
  WalReaderStats seen_;  // reader thread only: what PullReaderStats already counted
  std::atomic<uint64_t> batches_{0};
  std::atomic<int64_t> highest_read_ms_{0}, highest_sent_ms_{0};
  std::atomic<int64_t> last_retry_log_ms_{0};
};

// ---------------------------------------------------------------------------------------

Result<std::unique_ptr<RemoteQueue>> RemoteWriteForwarder::MakeQueue(
    RemoteWriteConfig config, const ForwarderOptions& options, MetricsRegistry* metrics) {
  PW_ASSIGN_OR_RETURN(Relabeler relabel, Relabeler::Create(config.write_relabel_configs, config.external_labels));
  PW_ASSIGN_OR_RETURN(alert::HttpUrl url, alert::ParseHttpUrl(config.url));
  auto q = std::make_unique<RemoteQueue>(std::move(config), std::move(relabel), std::move(url),
                                         options, metrics);
  PW_RETURN_IF_ERROR(q->Prepare());
  return q;
}

Result<std::unique_ptr<RemoteWriteForwarder>> RemoteWriteForwarder::Create(std::vector<RemoteWriteConfig> configs,
                                                                            ForwarderOptions options,
                                                                            MetricsRegistry* metrics) {
  std::unique_ptr<RemoteWriteForwarder> f(new RemoteWriteForwarder());
  if (!metrics) {
    f->own_metrics_ = std::make_unique<MetricsRegistry>();
    metrics = f->own_metrics_.get();
  }
  f->metrics_ = metrics;
  f->options_ = options;
  for (RemoteWriteConfig& c : configs) {
    PW_ASSIGN_OR_RETURN(std::unique_ptr<RemoteQueue> q, MakeQueue(std::move(c), options, metrics));
    f->queues_.push_back(std::move(q));
  }
  return f;
}

RemoteWriteForwarder::~RemoteWriteForwarder() { Stop(); }

void RemoteWriteForwarder::Start() {
  started_ = true;
  std::lock_guard lock(mu_);
  for (auto& q : queues_) q->Start();
}

void RemoteWriteForwarder::Stop() {
  std::vector<std::shared_ptr<RemoteQueue>> queues;
  {
    std::lock_guard lock(mu_);
    queues = queues_;
  }
  for (auto& q : queues) q->Stop();  // without mu_: OldestPositionNeeded must not wait for a send
}

Status RemoteWriteForwarder::ApplyConfigs(std::vector<RemoteWriteConfig> configs) {
  PW_ASSIGN_OR_RETURN(PreparedQueues prepared, PrepareConfigs(std::move(configs)));
  CommitConfigs(std::move(prepared));
  return Status::Ok();
}

Result<RemoteWriteForwarder::PreparedQueues> RemoteWriteForwarder::PrepareConfigs(
    std::vector<RemoteWriteConfig> configs) const {
  PreparedQueues prepared;
  for (RemoteWriteConfig& c : configs) {
    PW_ASSIGN_OR_RETURN(std::unique_ptr<RemoteQueue> q,
                        MakeQueue(std::move(c), options_, metrics_));
    prepared.push_back(std::move(q));
  }
  return prepared;
}

void RemoteWriteForwarder::CommitConfigs(PreparedQueues prepared) {
  std::vector<std::shared_ptr<RemoteQueue>> stopping;  // changed or removed
  std::vector<RemoteQueue*> starting;                  // new or changed
  size_t kept = 0;
  {
    std::lock_guard lock(mu_);
    std::vector<std::shared_ptr<RemoteQueue>> old = std::move(queues_);
    std::vector<std::shared_ptr<RemoteQueue>> next;
    for (auto& q : prepared) {
      auto it = std::find_if(old.begin(), old.end(), [&](const std::shared_ptr<RemoteQueue>& o) {
        return o && o->name() == q->name();
      });
      if (it != old.end() && (*it)->config() == q->config() && (*it)->headers() == q->headers()) {
        next.push_back(std::move(*it));  // unchanged: keeps running
        ++kept;
        continue;
      }
      if (it != old.end()) stopping.push_back(std::move(*it));
      starting.push_back(q.get());
      next.push_back(std::move(q));
    }
    for (auto& o : old) {
      if (o) stopping.push_back(std::move(o));
    }
    // From here OldestPositionNeeded sees the new set: a queue not yet started reports
    // segment 0 (hold everything) until it has read its progress.
    queues_ = std::move(next);
  }
  // A stopped queue has saved its progress (the round in flight resumes in its successor).
  for (auto& q : stopping) q->Stop();
  stopping.clear();
  if (started_) {
    for (RemoteQueue* q : starting) q->Start();
  }
  PW_LOG_INFO("remote write: configuration applied", "remotes={} kept={} started={}", size(), kept,
              starting.size());
}

size_t RemoteWriteForwarder::size() const {
  std::lock_guard lock(mu_);
  return queues_.size();
}

RemoteStats RemoteWriteForwarder::Stats(size_t i) const {
  std::shared_ptr<RemoteQueue> q;
  {
    std::lock_guard lock(mu_);
    q = queues_.at(i);
  }
  return q->Stats();
}

std::vector<std::string> RemoteWriteForwarder::Names() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& q : queues_) out.push_back(q->name());
  return out;
}

tsdb::Tsdb::WalReadPosition RemoteWriteForwarder::OldestPositionNeeded() const {
  WalPosition oldest{UINT32_MAX, 0};
  std::lock_guard lock(mu_);
  for (const auto& q : queues_) oldest = std::min(oldest, q->Committed());
  return {.segment = oldest.segment, .offset = oldest.offset};
}

}  // namespace perfwatch::remote
