#pragma once
// What a Forwarder (forwarder.h) tails: one local store's partitions, as rows of one
// ClickHouse table. A partition is a time range of the store with rows [0, rows) that are
// appended and never change (the store's log order), so (source, log_partition, log_row)
// names each row for good, and every ClickHouse row made from a local row carries it.
//  - EventsSource: the event store (events/event_store.h), one row per record, table `events`;
//  - SpansSource: the span store, one local row per block of up to 1,024 spans, one
//    ClickHouse row per span, table `spans`;
//  - ErrorsSource: the error store's occurrences, one row each with its group, table `errors`;
//    before a batch, groups go to `error_groups`: with the first batch after a start
//    every group of the store, then those a batch names that were not sent yet (the table
//    is read deduplicated, so groups sent again count once).
// Schema of the tables: schema.h, docs/format/clickhouse.md.
// Thread safety: List, Encode and BeforeInsert are called by the one forwarder thread that
// owns the source; the stores they read are thread-safe.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace perfwatch::events {
class EventStore;
class SpanStore;
class ErrorStore;
}  // namespace perfwatch::events

namespace perfwatch::clickhouse {

class Client;

class ForwardSource {
 public:
  struct Part {
    std::shared_ptr<const void> handle;  // the store's partition (keeps it readable)
    int64_t start_ms = 0;
    uint32_t rows = 0;
  };
  virtual ~ForwardSource() = default;
  // The ClickHouse table, also the name in metrics and the cursor file.
  virtual std::string_view table() const = 0;
  // The INSERT column list, "(a, b, ...)", in Encode's order.
  virtual std::string_view columns() const = 0;
  // Local rows per INSERT for the configured batch_size (ClickHouse rows).
  virtual uint32_t RowsPerBatch(uint32_t batch_size) const { return batch_size; }
  // Every partition as of now, in time order.
  virtual std::vector<Part> List() const = 0;
  // The store's retention (<= 0: none): ClickHouse partitions (days) that ended before
  // now - retention are dropped.
  virtual int64_t retention_ms() const = 0;
  // Appends rows [from, to) of `part` as TabSeparated rows; returns how many ClickHouse
  // rows it wrote.
  virtual Result<uint64_t> Encode(const Part& part, uint32_t from, uint32_t to, std::string_view source,
                                  std::string& out) const = 0;
  // Runs after Encode and before the batch's INSERT: rows other tables must hold first
  // (ErrorsSource: the batch's groups). An error fails the batch (it is retried).
  virtual Status BeforeInsert(const Client& client, const std::atomic<bool>* stop) {
    (void)client;
    (void)stop;
    return Status::Ok();
  }
};

std::unique_ptr<ForwardSource> EventsSource(const events::EventStore* store);
std::unique_ptr<ForwardSource> SpansSource(const events::SpanStore* store);
std::unique_ptr<ForwardSource> ErrorsSource(const events::ErrorStore* store);

}  // namespace perfwatch::clickhouse
