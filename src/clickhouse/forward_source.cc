#include "clickhouse/forward_source.h"

#include <algorithm>
#include <unordered_set>

#include "clickhouse/client.h"
#include "clickhouse/schema.h"
#include "clickhouse/tsv.h"
#include "events/error_store.h"
#include "events/event_store.h"
#include "events/span_codec.h"
#include "events/span_store.h"

namespace perfwatch::clickhouse {
namespace {

class Events final : public ForwardSource {
 public:
  explicit Events(const events::EventStore* store) : store_(store) {}
  std::string_view table() const override { return kEventsTable; }
  std::string_view columns() const override { return kEventColumns; }
  std::vector<Part> List() const override {
    std::vector<Part> out;
    for (const events::SelectedRows& p : store_->ListPartitions()) out.push_back({p.partition, p.start_ms, p.row_count});
    return out;
  }
  int64_t retention_ms() const override { return store_->retention_ms(); }
  Result<uint64_t> Encode(const Part& part, uint32_t from, uint32_t to, std::string_view source,
                          std::string& out) const override {
    // Every logged record, replaced (dead) ones included: queries resolve replace-on-repeat.
    std::vector<uint32_t> rows(to - from);
    for (uint32_t i = 0; i < rows.size(); ++i) rows[i] = from + i;
    PW_RETURN_IF_ERROR(store_->ReadRows(part.handle, from, to, {}, rows,
                                        [&](uint32_t row, const events::EventRecord& e) {
                                          EncodeEventRow(out, e, source, part.start_ms, row);
                                        }));
    return uint64_t{to - from};
  }

 private:
  const events::EventStore* store_;
};

class Spans final : public ForwardSource {
 public:
  explicit Spans(const events::SpanStore* store) : store_(store) {}
  std::string_view table() const override { return kSpansTable; }
  std::string_view columns() const override { return kSpanColumns; }
  // A local row is a block of up to kMaxSpansPerBlock spans.
  uint32_t RowsPerBatch(uint32_t batch_size) const override {
    return std::max<uint32_t>(1, batch_size / static_cast<uint32_t>(events::kMaxSpansPerBlock));
  }
  std::vector<Part> List() const override {
    std::vector<Part> out;
    for (const events::SpanPartitionView& p : store_->ListPartitions()) {
      out.push_back({p.partition, p.start_ms, p.block_count});
    }
    return out;
  }
  int64_t retention_ms() const override { return store_->retention_ms(); }
  Result<uint64_t> Encode(const Part& part, uint32_t from, uint32_t to, std::string_view source,
                          std::string& out) const override {
    uint64_t n = 0;
    PW_RETURN_IF_ERROR(store_->ReadBlocks(part.handle, from, to,
                                          [&](uint32_t block, std::span<const events::SpanRecord> spans) {
                                            for (uint32_t i = 0; i < spans.size(); ++i) {
                                              EncodeSpanRow(out, spans[i], source, part.start_ms, block, i);
                                            }
                                            n += spans.size();
                                          }));
    return n;
  }

 private:
  const events::SpanStore* store_;
};

class Errors final : public ForwardSource {
 public:
  explicit Errors(const events::ErrorStore* store) : store_(store) {}
  std::string_view table() const override { return kErrorsTable; }
  std::string_view columns() const override { return kErrorColumns; }
  std::vector<Part> List() const override {
    std::vector<Part> out;
    for (const events::ErrorPartitionView& p : store_->ListPartitions()) {
      out.push_back({p.partition, p.start_ms, p.row_count});
    }
    return out;
  }
  int64_t retention_ms() const override { return store_->retention_ms(); }
  Result<uint64_t> Encode(const Part& part, uint32_t from, uint32_t to, std::string_view source,
                          std::string& out) const override {
    groups_.clear();
    batch_groups_.clear();
    if (sent_.empty()) {
      // The first batch since start carries every group the store holds: occurrences sent
      // before (by a perfwatch older than schema version 3, or before a lost table) get
      // their groups too.
      store_->ForEachGroup([&](const events::ErrorGroup& group) {
        batch_groups_.insert(group.info.fingerprint);
        EncodeErrorGroupRow(groups_, group, source);
      });
    }
    PW_RETURN_IF_ERROR(store_->ReadOccurrences(
        part.handle, from, to,
        [&](uint32_t row, const events::ErrorGroup& group, const events::ErrorOccurrenceView& o) {
          EncodeErrorRow(out, group, o, source, part.start_ms, row);
          const uint64_t fp = group.info.fingerprint;
          if (!sent_.contains(fp) && batch_groups_.insert(fp).second) EncodeErrorGroupRow(groups_, group, source);
        }));
    return uint64_t{to - from};
  }
  Status BeforeInsert(const Client& client, const std::atomic<bool>* stop) override {
    if (batch_groups_.empty()) return Status::Ok();
    PW_ASSIGN_OR_RETURN(std::string db, SqlIdentifier(client.database()));
    PW_RETURN_IF_ERROR(client.Insert(db + ".`" + std::string(kErrorGroupsTable) + "` " +
                                         std::string(kErrorGroupColumns),
                                     groups_, stop));
    sent_.insert(batch_groups_.begin(), batch_groups_.end());
    batch_groups_.clear();
    groups_.clear();
    return Status::Ok();
  }

 private:
  const events::ErrorStore* store_;
  // The groups of the batch Encode made (sent by BeforeInsert), and those sent since start.
  mutable std::string groups_;
  mutable std::unordered_set<uint64_t> batch_groups_;
  std::unordered_set<uint64_t> sent_;
};

}  // namespace

std::unique_ptr<ForwardSource> SpansSource(const events::SpanStore* store) { return std::make_unique<Spans>(store); }
std::unique_ptr<ForwardSource> ErrorsSource(const events::ErrorStore* store) { return std::make_unique<Errors>(store); }
std::unique_ptr<ForwardSource> EventsSource(const events::EventStore* store) { return std::make_unique<Events>(store); }

}  // namespace perfwatch::clickhouse
