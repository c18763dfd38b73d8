#include "clickhouse/error_reader.h"

#include <algorithm>
#include <unordered_map>

#include "clickhouse/error_row.h"
#include "clickhouse/schema.h"
#include "clickhouse/tsv.h"
#include "common/hex.h"

namespace perfwatch::clickhouse {
namespace {

std::string Table(const Client& client, std::string_view table) {
  return "`" + client.database() + "`.`" + std::string(table) + "`";
}

// The rows of [from_ms, to_ms]; the condition on `time` lets ClickHouse skip whole days.
std::string WindowCondition(int64_t from_ms, int64_t to_ms) {
  std::string out = "time_ms >= " + std::to_string(from_ms) + " AND time_ms <= " + std::to_string(to_ms);
  if (from_ms > 0) out += " AND time >= toDateTime(" + std::to_string(from_ms / 1000) + ", 'UTC')";
  if (to_ms >= 0 && to_ms / 1000 < 4'294'967'295LL) {
    out += " AND time <= toDateTime(" + std::to_string(to_ms / 1000) + ", 'UTC')";
  }
  return out;
}

struct Scan {
  std::vector<events::ErrorGroup> groups;
  std::vector<std::vector<std::string>> rows;  // the occurrences' fields, viewed by the callback
};

}  // namespace

Status ErrorReader::ReadGroups(const std::string& fingerprints, std::vector<events::ErrorGroup>* out) const {
  out->clear();
  PW_RETURN_IF_ERROR(SqlIdentifier(client_->database()).status());
  const std::string groups = Table(*client_, kErrorGroupsTable), errors = Table(*client_, kErrorsTable);
  // The group rows (one per instance that sent the group), the earliest first seen's wins.
  PW_ASSIGN_OR_RETURN(
      std::string answer,
      client_->Query("SELECT fingerprint, argMin(error_source, first_seen_ms), argMin(scope, first_seen_ms), "
                     "argMin(type, first_seen_ms), argMin(message, first_seen_ms), "
                     "argMin(sample_message, first_seen_ms), argMin(sample_stack, first_seen_ms), "
                     "argMin(frames, first_seen_ms), min(first_seen_ms), toInt64(0) FROM " + groups +
                     " WHERE fingerprint IN (" + fingerprints + ") GROUP BY fingerprint FORMAT TabSeparated"));
  PW_ASSIGN_OR_RETURN(auto rows, ParseTsv(answer, kErrorGroupReadColumnCount));
  if (rows.empty()) return Status::Ok();
  // First and last seen over the occurrences (an occurrence older than the group's row
  // moves first seen back, as in the local store).
  PW_ASSIGN_OR_RETURN(std::string seen,
                      client_->Query("SELECT fingerprint, min(time_ms), max(time_ms) FROM " + errors +
                                     " WHERE fingerprint IN (" + fingerprints +
                                     ") GROUP BY fingerprint FORMAT TabSeparated"));
  PW_ASSIGN_OR_RETURN(auto seen_rows, ParseTsv(seen, 3));
  std::unordered_map<uint64_t, std::pair<int64_t, int64_t>> span;
  for (const auto& r : seen_rows) {
    uint64_t fp = 0;
    if (!ParseHex64(r[0], &fp)) return InvalidArgument("clickhouse answer: bad fingerprint");
    PW_ASSIGN_OR_RETURN(int64_t first, ParseInt(r[1]));
    PW_ASSIGN_OR_RETURN(int64_t last, ParseInt(r[2]));
    span[fp] = {first, last};
  }
  out->reserve(rows.size());
  for (const auto& r : rows) {
    events::ErrorGroup g;
    PW_RETURN_IF_ERROR(ParseErrorGroupRow(r, &g));
    g.last_seen_ms = INT64_MIN;
    if (auto it = span.find(g.info.fingerprint); it != span.end()) {
      g.first_seen_ms = std::min(g.first_seen_ms, it->second.first);
      g.last_seen_ms = it->second.second;
    }
    out->push_back(std::move(g));
  }
  return Status::Ok();
}

Result<std::optional<events::ErrorGroup>> ErrorReader::ReadGroup(uint64_t fingerprint) const {
  std::vector<events::ErrorGroup> groups;
  PW_RETURN_IF_ERROR(ReadGroups("'" + Hex64(fingerprint) + "'", &groups));
  if (groups.empty()) return std::optional<events::ErrorGroup>();
  return std::optional<events::ErrorGroup>(std::move(groups.front()));
}

Result<std::shared_ptr<const void>> ErrorReader::ScanWindow(int64_t from_ms, int64_t to_ms,
                                                            std::optional<uint64_t> only,
                                                            const events::ErrorOccurrenceFn& fn) const {
  auto scan = std::make_shared<Scan>();
  if (from_ms > to_ms) return std::shared_ptr<const void>(scan);
  PW_RETURN_IF_ERROR(SqlIdentifier(client_->database()).status());
  const std::string errors = Table(*client_, kErrorsTable);
  std::string where = WindowCondition(from_ms, to_ms);
  if (only) where += " AND fingerprint = '" + Hex64(*only) + "'";
  PW_RETURN_IF_ERROR(ReadGroups("SELECT DISTINCT fingerprint FROM " + errors + " WHERE " + where, &scan->groups));
  std::unordered_map<uint64_t, const events::ErrorGroup*> by_fp;
  for (const events::ErrorGroup& g : scan->groups) by_fp.emplace(g.info.fingerprint, &g);
  PW_ASSIGN_OR_RETURN(std::string answer,
                      client_->Query("SELECT " + std::string(kErrorReadColumns) + " FROM " + errors + " WHERE " +
                                     where + " ORDER BY log_partition, source, log_row FORMAT TabSeparated"));
  PW_ASSIGN_OR_RETURN(scan->rows, ParseTsv(answer, kErrorReadColumnCount));
  for (const auto& r : scan->rows) {
    uint64_t fp = 0;
    events::ErrorOccurrenceView o;
    PW_RETURN_IF_ERROR(ParseErrorOccurrenceRow(r, &fp, &o));
    auto it = by_fp.find(fp);
    if (it != by_fp.end()) fn(*it->second, o);
  }
  return std::shared_ptr<const void>(scan);
}

}  // namespace perfwatch::clickhouse
