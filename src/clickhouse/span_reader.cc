#include "clickhouse/span_reader.h"

#include <algorithm>

#include "clickhouse/schema.h"
#include "clickhouse/tsv.h"

namespace perfwatch::clickhouse {
namespace {

std::string Table(const Client& client) {
  return "`" + client.database() + "`.`" + std::string(kSpansTable) + "`";
}

// Bounds on `time` (seconds, a DateTime) implied by the start_ns bounds: they let
// ClickHouse skip whole day partitions. Only within DateTime's range.
std::string TimeBounds(int64_t from_ns, int64_t to_ns) {
  std::string out;
  if (from_ns > 0) out += " AND time >= toDateTime(" + std::to_string(from_ns / 1'000'000'000) + ", 'UTC')";
  if (to_ns >= 0 && to_ns / 1'000'000'000 < 4'294'967'295LL) {
    out += " AND time <= toDateTime(" + std::to_string(to_ns / 1'000'000'000) + ", 'UTC')";
  }
  return out;
}

}  // namespace

Status SpanReader::Select(const std::string& where_order_limit, std::vector<events::SpanRecord>* out) const {
  PW_RETURN_IF_ERROR(SqlIdentifier(client_->database()).status());
  PW_ASSIGN_OR_RETURN(std::string answer, client_->Query("SELECT " + std::string(kSpanReadColumns) + " FROM " +
                                                         Table(*client_) + " " + where_order_limit +
                                                         " FORMAT TabSeparated"));
  PW_ASSIGN_OR_RETURN(auto rows, ParseTsv(answer, kSpanReadColumnCount));
  out->clear();
  out->reserve(rows.size());
  for (const auto& r : rows) PW_RETURN_IF_ERROR(ParseSpanRow(r, &out->emplace_back()));
  return Status::Ok();
}

Status SpanReader::GetTrace(const std::array<uint8_t, 16>& trace_id, size_t max_spans,
                            std::vector<events::SpanRecord>* out, uint64_t* total) const {
  std::string hex;
  events::AppendHexId(hex, trace_id);
  const std::string where = "WHERE trace_id = '" + hex + "'";
  PW_RETURN_IF_ERROR(Select(where + " ORDER BY start_ns, log_partition, source, log_row, span_index LIMIT " +
                                std::to_string(max_spans),
                            out));
  *total = out->size();
  if (out->size() == max_spans) {  // there may be more
    PW_ASSIGN_OR_RETURN(std::string answer, client_->Query("SELECT count() FROM " + Table(*client_) + " " + where +
                                                           " FORMAT TabSeparated"));
    PW_ASSIGN_OR_RETURN(auto rows, ParseTsv(answer, 1));
    if (rows.size() != 1) return InvalidArgument("clickhouse answer: no count");
    PW_ASSIGN_OR_RETURN(*total, ParseUint(rows[0][0]));
  }
  return Status::Ok();
}

Status SpanReader::ListEntrySpans(const events::SpanListQuery& q, std::vector<events::SpanRecord>* out) const {
  out->clear();
  if (q.limit == 0 || q.from_ns > q.to_ns) return Status::Ok();
  std::string where = "WHERE (kind = 2 OR parent_span_id = '') AND start_ns >= " +
                      std::to_string(std::max<int64_t>(q.from_ns, 0)) + " AND start_ns <= " +
                      std::to_string(std::max<int64_t>(q.to_ns, 0)) + TimeBounds(q.from_ns, q.to_ns) +
                      " AND duration_ns >= " + std::to_string(q.min_duration_ns);
  if (q.to_ns < 0) return Status::Ok();
  if (q.service) where += " AND service = " + SqlString(*q.service);
  if (q.route) where += " AND route = " + SqlString(*q.route);
  if (q.name) where += " AND name = " + SqlString(*q.name);
  if (q.status) where += " AND status_code = " + std::to_string(*q.status);
  const bool slowest = q.sort == events::SpanListQuery::Sort::kSlowest;
  where += slowest ? " ORDER BY duration_ns DESC, start_ns DESC" : " ORDER BY start_ns DESC";
  where += " LIMIT " + std::to_string(q.limit);
  return Select(where, out);
}

}  // namespace perfwatch::clickhouse
