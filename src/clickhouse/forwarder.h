#pragma once
// Forwarding of a local store's rows to ClickHouse (`events.backend: clickhouse`,
// docs/format/clickhouse.md), with the store's partition logs as the durable buffer, as
// remote write out reads the TSDB's WAL (src/remote/). One Forwarder per table: events,
// spans and error occurrences (forward_source.h says what a source is).
//
// One thread tails the source: per partition it sends rows [cursor, rows) in batches
// (batch_size ClickHouse rows at most), one INSERT ... FORMAT TabSeparated each, every row
// as it was logged (replaced events included: queries resolve replace-on-repeat). A
// batch's rows all fall in one UTC day, so ClickHouse writes the batch as one part of one
// partition: all or nothing.
//
// Exactly once: each row carries its identity (source = this instance's id, kept in
// `<state_dir>/source`, so several perfwatch instances can share one database;
// log_partition = the partition's start, log_row = its row number, fixed for the
// partition's life). After ClickHouse's 200 the cursor (`<state_dir>/cursor` for events,
// `cursor-<table>` for the others; text) is written and fsynced. At start and after every
// failed request the forwarder asks ClickHouse for max(log_row) per log_partition and
// moves each cursor past what ClickHouse already holds (batches of a partition are sent
// in order, each atomically), so a crash between the 200 and the cursor write, or a lost
// answer, never sends a row twice; the local cursor keeps ClickHouse's scan off the
// common path. Failures (no answer, any status but 200) are retried with exponential
// backoff (min_backoff doubling up to max_backoff) until they succeed or Stop().
// Retention: day partitions of the table that ended before now - the store's retention
// are dropped (ALTER TABLE ... DROP PARTITION) at start and hourly: 18.16 has no TTL.
//
// Metrics, <table> = events, spans, errors: perfwatch_clickhouse_<table>_sent_total
// (ClickHouse rows), _<table>_failed_total (local rows of failed attempts),
// _<table>_pending (local rows; spans: blocks), and, for all tables together,
// perfwatch_clickhouse_batches_sent_total and _partitions_dropped_total.
// Thread safety: Start/Stop from one thread; Stats is thread-safe.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "clickhouse/client.h"
#include "clickhouse/clickhouse_config.h"
#include "clickhouse/forward_source.h"
#include "common/metrics.h"
#include "common/status.h"

namespace perfwatch::clickhouse {

struct ForwarderStats {
  uint64_t events_sent = 0;
  uint64_t events_failed = 0;
  uint64_t events_pending = 0;
  uint64_t batches_sent = 0;
  uint64_t partitions_dropped = 0;
  uint64_t request_failures = 0;  // failed requests of any kind (insert, resync, retention)
  bool schema_ready = false;
};

// The cursor file's text and its parser (exposed for tests). Lines: a header naming the
// destination ("perfwatch-clickhouse-cursor 1 <url> <database>"), then
// "<partition start ms> <next row>" per partition.
std::string EncodeCursor(const std::string& url, const std::string& database, const std::map<int64_t, uint32_t>& cursor);
// Rows of a file written for another url or database are ignored (empty map).
Result<std::map<int64_t, uint32_t>> DecodeCursor(std::string_view text, const std::string& url,
                                                 const std::string& database);

class Forwarder {
 public:
  // Reads the cursor; registers the metrics in `metrics` (null: none).
  static Result<std::unique_ptr<Forwarder>> Create(ClickHouseConfig config, std::shared_ptr<const Client> client,
                                                   std::unique_ptr<ForwardSource> source,
                                                   std::filesystem::path state_dir, MetricsRegistry* metrics);
  // The event store's forwarder (EventsSource).
  static Result<std::unique_ptr<Forwarder>> Create(ClickHouseConfig config, std::shared_ptr<const Client> client,
                                                   const events::EventStore* store, std::filesystem::path state_dir,
                                                   MetricsRegistry* metrics);
  ~Forwarder();  // Stop()
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  void Start();
  // Abandons a request in flight (it is checked again at the next start). Idempotent.
  void Stop();

  ForwarderStats Stats() const;
  const std::string& source() const { return source_; }
  std::string_view table() const { return from_->table(); }

 private:
  Forwarder() = default;
  void Loop();
  Status Resync();       // schema, then cursors from ClickHouse
  Status SaveCursor();   // write + fsync + rename
  Status DropExpired(int64_t now_ms);
  // Sends one batch if any row is pending; *sent: rows sent (0: nothing pending).
  Status SendOne(uint64_t* sent, uint64_t* attempted);
  // Rows of the source's partitions past their cursors (the pending gauge); sets *next to
  // the oldest partition with such rows (end of `parts`: none).
  uint64_t UpdatePending(const std::vector<ForwardSource::Part>& parts, size_t* next);
  std::string Table() const;       // `db`.`table`
  std::string CursorName() const;  // "cursor" (events), "cursor-<table>"
  bool SleepFor(int64_t ms);  // false when stopping

  ClickHouseConfig config_;
  std::shared_ptr<const Client> client_;
  std::unique_ptr<ForwardSource> from_;
  std::filesystem::path state_dir_;
  std::string source_;  // this instance's id (16 hex digits)
  Counter* sent_ = nullptr;
  Counter* failed_ = nullptr;
  Counter* batches_ = nullptr;
  Counter* dropped_ = nullptr;
  Gauge* pending_gauge_ = nullptr;
  std::unique_ptr<MetricsRegistry> own_metrics_;

  std::map<int64_t, uint32_t> cursor_;  // forwarding thread only
  std::string batch_;                   // forwarding thread only
  std::atomic<uint64_t> pending_{0};
  std::atomic<uint64_t> request_failures_{0};
  std::atomic<bool> schema_ready_{false};

  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace perfwatch::clickhouse
