#include "clickhouse/forwarder.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <vector>

#include "clickhouse/schema.h"
#include "clickhouse/tsv.h"
#include "common/file_util.h"
#include "common/log.h"
#include "common/thread_name.h"
#include "common/time.h"

namespace perfwatch::clickhouse {
namespace {

constexpr std::string_view kCursorMagic = "perfwatch-clickhouse-cursor 1";
constexpr int64_t kRetentionEveryMs = 3600'000;
constexpr int64_t kDayMs = 24LL * 3600 * 1000;

// Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

}  // namespace

std::string EncodeCursor(const std::string& url, const std::string& database, const std::map<int64_t, uint32_t>& cursor) {
  std::string out(kCursorMagic);
  out += ' ';
  out += url;
  out += ' ';
  out += database;
  out += '\n';
  for (const auto& [start, row] : cursor) out += std::to_string(start) + " " + std::to_string(row) + "\n";
  return out;
}

Result<std::map<int64_t, uint32_t>> DecodeCursor(std::string_view text, const std::string& url,
                                                 const std::string& database) {
  std::map<int64_t, uint32_t> out;
  size_t nl = text.find('\n');
  if (nl == std::string_view::npos) return DataLoss("clickhouse cursor: no header line");
  std::string_view header = text.substr(0, nl);
  if (header.substr(0, kCursorMagic.size()) != kCursorMagic) return DataLoss("clickhouse cursor: bad header");
  std::string want = EncodeCursor(url, database, {});
  want.pop_back();
  if (header != want) {
    return out;  // written for another destination: start from what ClickHouse holds
  }
  text.remove_prefix(nl + 1);
  size_t line = 2;
  while (!text.empty()) {
    nl = text.find('\n');
    std::string_view l = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    size_t sp = l.find(' ');
    if (sp == std::string_view::npos) return DataLoss("clickhouse cursor line " + std::to_string(line) + ": malformed");
    auto start = ParseInt(l.substr(0, sp));
    auto row = ParseUint(l.substr(sp + 1));
    if (!start.ok() || !row.ok() || *row > UINT32_MAX) {
      return DataLoss("clickhouse cursor line " + std::to_string(line) + ": malformed");
    }
    out[*start] = static_cast<uint32_t>(*row);
    ++line;
  }
  return out;
}

Result<std::unique_ptr<Forwarder>> Forwarder::Create(ClickHouseConfig config, std::shared_ptr<const Client> client,
                                                     const events::EventStore* store, std::filesystem::path state_dir,
                                                     MetricsRegistry* metrics) {
  return Create(std::move(config), std::move(client), EventsSource(store), std::move(state_dir), metrics);
}

Result<std::unique_ptr<Forwarder>> Forwarder::Create(ClickHouseConfig config, std::shared_ptr<const Client> client,
                                                     std::unique_ptr<ForwardSource> source,
                                                     std::filesystem::path state_dir, MetricsRegistry* metrics) {
  std::unique_ptr<Forwarder> f(new Forwarder());
  f->config_ = std::move(config);
  f->client_ = std::move(client);
  f->from_ = std::move(source);
  f->state_dir_ = std::move(state_dir);
  std::error_code ec;
  std::filesystem::create_directories(f->state_dir_, ec);
  if (ec) return IoError("create " + f->state_dir_.string(), ec.value());
  // This instance's id, made once: rows of several perfwatch instances share the tables.
  const auto source_path = f->state_dir_ / "source";
  {
    std::ifstream in(source_path);
    std::getline(in, f->source_);
  }
  if (f->source_.size() != 16 || f->source_.find_first_not_of("0123456789abcdef") != std::string::npos) {
    std::random_device rd;
    char buf[17];
    std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
    f->source_ = buf;
    PW_RETURN_IF_ERROR(WriteFileAtomically(source_path, f->source_ + "\n").WithContext("clickhouse source id"));
  }
  const auto path = f->state_dir_ / f->CursorName();
  if (std::filesystem::exists(path)) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    auto cursor = DecodeCursor(ss.str(), f->client_->url(), f->client_->database());
    if (cursor.ok()) {
      f->cursor_ = std::move(cursor).value();
    } else {
      // ClickHouse's own record of what it holds is the truth; the file only saves a scan.
      PW_LOG_WARN("clickhouse: ignoring an unreadable cursor file", "path={} error={}", LogQuote(path.string()),
                  LogQuote(cursor.status().message()));
    }
  }
  if (metrics == nullptr) {
    f->own_metrics_ = std::make_unique<MetricsRegistry>();
    metrics = f->own_metrics_.get();
  }
  const std::string prefix = "perfwatch_clickhouse_" + std::string(f->from_->table());
  const std::string what(f->from_->table());
  f->sent_ = metrics->GetCounter(prefix + "_sent_total",
                                 "Rows written to the ClickHouse " + what + " table (events.backend: clickhouse).");
  f->failed_ = metrics->GetCounter(prefix + "_failed_total", "Local " + what +
                                                                 " rows in ClickHouse inserts that failed (retried "
                                                                 "with backoff).");
  f->batches_ = metrics->GetCounter("perfwatch_clickhouse_batches_sent_total", "Inserts ClickHouse acknowledged.");
  f->dropped_ = metrics->GetCounter("perfwatch_clickhouse_partitions_dropped_total",
                                    "Day partitions of the ClickHouse tables dropped by the local retention.");
  f->pending_gauge_ = metrics->GetGauge(prefix + "_pending", "Local " + what +
                                                                 " rows (spans: blocks) not yet acknowledged by "
                                                                 "ClickHouse.");
  return f;
}

Forwarder::~Forwarder() { Stop(); }

void Forwarder::Start() {
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = NamedThread("pw-clickhouse", [this] { Loop(); });
}

void Forwarder::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

ForwarderStats Forwarder::Stats() const {
  ForwarderStats s;
  s.events_sent = sent_->Value();
  s.events_failed = failed_->Value();
  s.events_pending = pending_.load();
  s.batches_sent = batches_->Value();
  s.partitions_dropped = dropped_->Value();
  s.request_failures = request_failures_.load();
  s.schema_ready = schema_ready_.load();
  return s;
}

bool Forwarder::SleepFor(int64_t ms) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stop_.load(); });
  return !stop_.load();
}

std::string Forwarder::CursorName() const {
  return from_->table() == kEventsTable ? "cursor" : "cursor-" + std::string(from_->table());
}

std::string Forwarder::Table() const { return "`" + client_->database() + "`.`" + std::string(from_->table()) + "`"; }

Status Forwarder::SaveCursor() {
  return WriteFileAtomically(state_dir_ / CursorName(), EncodeCursor(client_->url(), client_->database(), cursor_))
      .WithContext("clickhouse cursor");
}

Status Forwarder::Resync() {
  if (!schema_ready_) {
    PW_RETURN_IF_ERROR(EnsureSchema(*client_, &stop_).status().WithContext("clickhouse schema"));
    schema_ready_ = true;
  }
  PW_RETURN_IF_ERROR(SqlIdentifier(client_->database()).status());
  // Only the days the local store still holds matter (older rows are never resent):
  // the condition on `time` lets ClickHouse skip older partitions.
  const std::vector<ForwardSource::Part> parts = from_->List();
  const int64_t oldest_ms = parts.empty() ? 0 : parts.front().start_ms;
  PW_ASSIGN_OR_RETURN(std::string answer,
                      client_->Query("SELECT log_partition, max(log_row) + 1 FROM " + Table() +
                                         " WHERE time >= toDateTime(" +
                                         std::to_string(std::max<int64_t>(oldest_ms / 1000, 0)) +
                                         ", 'UTC') AND log_partition >= " + std::to_string(oldest_ms) +
                                         " AND source = " + SqlString(source_) +
                                         " GROUP BY log_partition FORMAT TabSeparated",
                                     true, &stop_));
  PW_ASSIGN_OR_RETURN(auto rows, ParseTsv(answer, 2));
  bool changed = false;
  for (const auto& r : rows) {
    PW_ASSIGN_OR_RETURN(int64_t part, ParseInt(r[0]));
    PW_ASSIGN_OR_RETURN(uint64_t next, ParseUint(r[1]));
    if (next > UINT32_MAX) return Internal("clickhouse answer: row number out of range");
    uint32_t& c = cursor_[part];
    if (next > c) {
      c = static_cast<uint32_t>(next);
      changed = true;
    }
  }
  if (changed) PW_RETURN_IF_ERROR(SaveCursor());
  return Status::Ok();
}

uint64_t Forwarder::UpdatePending(const std::vector<ForwardSource::Part>& parts, size_t* next) {
  uint64_t pending = 0;
  *next = parts.size();
  for (size_t i = 0; i < parts.size(); ++i) {
    auto it = cursor_.find(parts[i].start_ms);
    const uint32_t c = it == cursor_.end() ? 0 : it->second;
    if (parts[i].rows > c) {
      pending += parts[i].rows - c;
      if (*next == parts.size()) *next = i;
    }
  }
  pending_ = pending;
  pending_gauge_->Set(static_cast<double>(pending));
  return pending;
}

Status Forwarder::SendOne(uint64_t* sent, uint64_t* attempted) {
  *sent = 0;
  *attempted = 0;
  const std::vector<ForwardSource::Part> parts = from_->List();
  size_t next_i = parts.size();
  const uint64_t pending = UpdatePending(parts, &next_i);
  const ForwardSource::Part* next = next_i < parts.size() ? &parts[next_i] : nullptr;
  // Partitions retention dropped locally need no cursor any more.
  bool pruned = false;
  for (auto it = cursor_.begin(); it != cursor_.end();) {
    bool live = false;
    for (const auto& p : parts) live |= p.start_ms == it->first;
    if (!live && !parts.empty() && it->first < parts.front().start_ms) {
      it = cursor_.erase(it);
      pruned = true;
    } else {
      ++it;
    }
  }
  if (pruned) PW_RETURN_IF_ERROR(SaveCursor());
  if (next == nullptr) return Status::Ok();

  const uint32_t from = cursor_.count(next->start_ms) ? cursor_[next->start_ms] : 0;
  const uint32_t to = static_cast<uint32_t>(
      std::min<uint64_t>(next->rows, uint64_t{from} + from_->RowsPerBatch(config_.batch_size)));
  batch_.clear();
  const int64_t start = next->start_ms;
  Result<uint64_t> written = from_->Encode(*next, from, to, source_, batch_);
  if (!written.ok()) return written.status().WithContext("clickhouse: read " + std::string(from_->table()));
  *attempted = to - from;
  PW_RETURN_IF_ERROR(SqlIdentifier(client_->database()).status());
  PW_RETURN_IF_ERROR(from_->BeforeInsert(*client_, &stop_));
  PW_RETURN_IF_ERROR(client_->Insert(Table() + " " + std::string(from_->columns()), batch_, &stop_));
  cursor_[start] = to;
  *sent = to - from;
  // The rows are in ClickHouse: count them even if the cursor cannot be saved (the next
  // Resync finds them there).
  sent_->Inc(*written);
  batches_->Inc();
  pending_ = pending - *sent;
  pending_gauge_->Set(static_cast<double>(pending - *sent));
  return SaveCursor();
}

Status Forwarder::DropExpired(int64_t now_ms) {
  const int64_t retention = from_->retention_ms();
  if (retention <= 0) return Status::Ok();
  PW_RETURN_IF_ERROR(SqlIdentifier(client_->database()).status());
  PW_ASSIGN_OR_RETURN(std::string answer,
                      client_->Query("SELECT DISTINCT partition FROM system.parts WHERE active AND database = " +
                                         SqlString(client_->database()) + " AND table = " +
                                         SqlString(from_->table()) + " FORMAT TabSeparated",
                                     true, &stop_));
  PW_ASSIGN_OR_RETURN(auto rows, ParseTsv(answer, 1));
  for (const auto& r : rows) {
    auto ymd = ParseUint(r[0]);
    if (!ymd.ok() || *ymd < 19700101 || *ymd > 99991231) continue;
    const int64_t day_end =
        (DaysFromCivil(static_cast<int64_t>(*ymd / 10000), static_cast<unsigned>(*ymd / 100 % 100),
                       static_cast<unsigned>(*ymd % 100)) + 1) * kDayMs;
    if (day_end > now_ms - retention) continue;
    PW_RETURN_IF_ERROR(client_
                           ->Query("ALTER TABLE " + Table() + " DROP PARTITION " +
                                       std::to_string(*ymd),
                                   true, &stop_)
                           .status());
    dropped_->Inc();
    PW_LOG_INFO("clickhouse: dropped an expired partition", "table={} partition={}", from_->table(), *ymd);
  }
  return Status::Ok();
}

void Forwarder::Loop() {
  bool need_sync = true;
  int64_t backoff = config_.min_backoff_ms;
  int64_t next_retention_ms = 0;
  int64_t last_warn_ms = 0;
  auto fail = [&](const Status& s, const char* what) {
    const int64_t now = NowMs();
    if (now - last_warn_ms >= 10'000) {  // one line per 10 s while ClickHouse is down
      PW_LOG_WARN("clickhouse: request failed; retrying with backoff", "table={} step={} backoff_ms={} error={}",
                  from_->table(), what, backoff, LogQuote(s.message()));
      last_warn_ms = now;
    }
    need_sync = true;
    request_failures_.fetch_add(1);
    size_t unused;
    UpdatePending(from_->List(), &unused);
    if (!SleepFor(backoff)) return;
    backoff = std::min(backoff * 2, config_.max_backoff_ms);
  };
  PW_LOG_INFO("clickhouse: forwarding", "table={} url={} database={}", from_->table(), client_->url(),
              client_->database());
  while (!stop_) {
    if (need_sync) {
      Status s = Resync();
      if (!s.ok()) {
        fail(s, "resync");
        continue;
      }
      need_sync = false;
    }
    const int64_t now = NowMs();
    if (now >= next_retention_ms) {
      Status s = DropExpired(now);
      if (!s.ok()) {
        fail(s, "retention");
        continue;
      }
      next_retention_ms = now + kRetentionEveryMs;
    }
    uint64_t sent = 0, attempted = 0;
    Status s = SendOne(&sent, &attempted);
    if (!s.ok()) {
      if (sent == 0) failed_->Inc(attempted);
      fail(s, "insert");
      continue;
    }
    backoff = config_.min_backoff_ms;
    if (sent == 0 && !SleepFor(config_.poll_interval_ms)) break;
  }
}

}  // namespace perfwatch::clickhouse
