#pragma once
// GET /api/v1/errors[/{fingerprint}] answered from ClickHouse (events.backend: clickhouse;
// schema.h, docs/format/clickhouse.md), so every perfwatch instance shows every edge's
// error groups with the JSON the local error store gives:
//  - a group is its `error_groups` row (the earliest-first-seen instance's, when several
//    edges sent it), first seen the earliest of those rows and of its occurrences, last
//    seen its latest occurrence: the local store's figures for one instance;
//  - ScanWindow reads the window's occurrences from `errors` (ordered by log position) and
//    the groups they name; an occurrence whose group row is missing is skipped (the
//    forwarder writes groups before their occurrences).
// Three queries per list (groups, their first and last seen, occurrences), two per group.
// ClickHouse unreachable: Unavailable (the API's 503).
// Thread safety: thread-safe (the client is; no state).
#include <memory>

#include "clickhouse/client.h"
#include "events/error_reader.h"

namespace perfwatch::clickhouse {

class ErrorReader final : public events::ErrorReader {
 public:
  explicit ErrorReader(std::shared_ptr<const Client> client) : client_(std::move(client)) {}
  Result<std::optional<events::ErrorGroup>> ReadGroup(uint64_t fingerprint) const override;
  Result<std::shared_ptr<const void>> ScanWindow(int64_t from_ms, int64_t to_ms, std::optional<uint64_t> only,
                                                 const events::ErrorOccurrenceFn& fn) const override;

 private:
  // The groups whose fingerprint the SQL expression `fingerprints` (a subquery or a
  // literal list) yields.
  Status ReadGroups(const std::string& fingerprints, std::vector<events::ErrorGroup>* out) const;
  std::shared_ptr<const Client> client_;
};

}  // namespace perfwatch::clickhouse
