#include "clickhouse/event_reader.h"

#include <algorithm>
#include <map>
#include <vector>

#include "clickhouse/schema.h"
#include "clickhouse/tsv.h"

namespace perfwatch::clickhouse {
namespace {

constexpr std::string_view kDimColumns[events::kDimCount] = {"app", "page", "device", "connection", "browser"};

// ScanRecords' columns, in EventRecord's order, then the log position it is sorted by.
constexpr std::string_view kRecordColumns[] = {"type",   "metric",     "time_ms", "received_ms", "value_bits",
                                               "app",    "page",       "device",  "connection",  "browser",
                                               "session_id", "id",     "name",    "attrs",       "log_partition",
                                               "source", "log_row"};
constexpr std::string_view kVitalColumns[] = {"app", "page", "device", "connection", "browser", "time_ms", "value_bits"};

std::string Join(std::span<const std::string_view> columns) {
  std::string out;
  for (std::string_view c : columns) {
    if (!out.empty()) out += ", ";
    out += c;
  }
  return out;
}

// `time >= ...`: implied by the time_ms bound, it lets ClickHouse skip whole day
// partitions (their min/max index is on `time`).
std::string TimeFloor(int64_t from_ms) {
  return "time >= toDateTime(" + std::to_string(std::max<int64_t>(0, from_ms) / 1000) + ", 'UTC')";
}

std::string Condition(const LiveMatch& m) {
  std::string c = TimeFloor(m.from_ms) + " AND time_ms >= " + std::to_string(m.from_ms) +
                  " AND time_ms <= " + std::to_string(m.to_ms);
  if (m.vital) {
    c += " AND type = 'vital' AND metric = " + SqlString(events::VitalName(*m.vital));
  } else if (m.type) {
    c += " AND type = " + SqlString(events::EventTypeName(*m.type));
  }
  for (int d = 0; d < events::kDimCount; ++d) {
    if (m.filters[d]) c += " AND " + std::string(kDimColumns[d]) + " = " + SqlString(*m.filters[d]);
  }
  return c;
}

std::string Table(const Client& client) {
  return "`" + client.database() + "`.`" + std::string(kEventsTable) + "`";
}

}  // namespace

std::string_view DimColumn(int d) { return kDimColumns[d]; }

std::string LiveEventsSql(std::string_view table, const LiveMatch& m, std::span<const std::string_view> columns) {
  const std::string cond = Condition(m);
  // The pair's winning row must carry what the condition reads, besides `columns`.
  std::vector<std::string_view> needed(columns.begin(), columns.end());
  auto need = [&](std::string_view c) {
    for (std::string_view n : needed) {
      if (n == c) return;
    }
    needed.push_back(c);
  };
  need("time");
  need("time_ms");
  need("type");
  need("metric");
  for (int d = 0; d < events::kDimCount; ++d) {
    if (m.filters[d]) need(kDimColumns[d]);
  }
  const std::string cols = Join(columns);
  std::string sql = "SELECT " + cols + " FROM " + std::string(table) + " WHERE " + cond +
                    " AND (session_id = '' OR id = '') UNION ALL SELECT " + cols + " FROM (SELECT ";
  for (size_t i = 0; i < needed.size(); ++i) {
    if (i) sql += ", ";
    sql += "w." + std::to_string(i + 1) + " AS " + std::string(needed[i]);
  }
  sql += " FROM (SELECT argMax(tuple(" + Join(needed) +
         "), tuple(time_ms, source, log_partition, log_row)) AS w FROM " + std::string(table) +
         // A pair's winner is its newest row, so not older than the row that matched: older
         // rows (and their partitions) are not read.
         " WHERE " + TimeFloor(m.from_ms) + " AND time_ms >= " + std::to_string(m.from_ms) +
         " AND session_id != '' AND id != '' AND (session_id, id) IN (SELECT session_id, id FROM " +
         std::string(table) + " WHERE " + cond + " AND session_id != '' AND id != '') GROUP BY session_id, id)) WHERE " +
         cond;
  return sql;
}

Status EventReader::ScanRecords(const events::RecordScan& scan,
                                const std::function<void(const events::EventRecord&)>& fn) const {
  PW_RETURN_IF_ERROR(SqlIdentifier(client_->database()).status());
  LiveMatch m{.from_ms = scan.from_ms, .to_ms = scan.to_ms, .type = scan.type, .vital = scan.vital,
              .filters = scan.filters};
  if (m.vital && m.type && *m.type != events::EventType::kVital) return Status::Ok();  // nothing matches
  const std::string sql = "SELECT " + Join(kRecordColumns) + " FROM (" +
                          LiveEventsSql(Table(*client_), m, kRecordColumns) +
                          ") ORDER BY log_partition, source, log_row FORMAT TabSeparated";
  PW_ASSIGN_OR_RETURN(std::string answer, client_->Query(sql));
  PW_ASSIGN_OR_RETURN(auto rows, ParseTsv(answer, std::size(kRecordColumns)));
  for (const auto& r : rows) {
    auto type = events::ParseEventType(r[0]);
    if (!type) continue;  // written by a newer perfwatch: a type this one does not read
    events::EventRecord e;
    e.type = *type;
    e.vital = r[1].empty() ? events::Vital::kNone : events::ParseVital(r[1]).value_or(events::Vital::kNone);
    PW_ASSIGN_OR_RETURN(e.time_ms, ParseInt(r[2]));
    PW_ASSIGN_OR_RETURN(e.received_ms, ParseInt(r[3]));
    PW_ASSIGN_OR_RETURN(uint64_t bits, ParseUint(r[4]));
    e.value = DoubleFromBits(bits);
    for (int d = 0; d < events::kDimCount; ++d) e.dims[d] = r[5 + d];
    e.session_id = r[10];
    e.id = r[11];
    e.name = r[12];
    e.attrs_json = r[13];
    fn(e);
  }
  return Status::Ok();
}

Status EventReader::Vitals(const events::VitalScan& scan, int64_t step_ms, const events::VitalStepFn& fn) const {
  PW_RETURN_IF_ERROR(SqlIdentifier(client_->database()).status());
  LiveMatch m{.from_ms = scan.from_ms, .to_ms = scan.to_ms, .vital = scan.vital, .filters = scan.filters};
  const std::string sql = LiveEventsSql(Table(*client_), m, kVitalColumns) + " FORMAT TabSeparated";
  PW_ASSIGN_OR_RETURN(std::string answer, client_->Query(sql));
  PW_ASSIGN_OR_RETURN(auto rows, ParseTsv(answer, std::size(kVitalColumns)));
  std::map<std::array<std::string, events::kDimCount>, std::map<int64_t, std::vector<double>>> groups;
  for (auto& r : rows) {
    std::array<std::string, events::kDimCount> key;
    for (int d = 0; d < events::kDimCount; ++d) {
      if (scan.group_by[d]) key[d] = std::move(r[d]);
    }
    PW_ASSIGN_OR_RETURN(int64_t time_ms, ParseInt(r[5]));
    PW_ASSIGN_OR_RETURN(uint64_t bits, ParseUint(r[6]));
    groups[key][step_ms > 0 ? events::VitalStepStart(time_ms, step_ms) : 0].push_back(DoubleFromBits(bits));
  }
  for (const auto& [key, steps] : groups) {
    std::array<std::string_view, events::kDimCount> views;
    for (int d = 0; d < events::kDimCount; ++d) views[d] = key[d];
    for (const auto& [step, values] : steps) fn(views, step, values);
  }
  return Status::Ok();
}

Status EventReader::ScanVitals(const events::VitalScan& scan, const events::VitalGroupFn& fn) const {
  return Vitals(scan, 0, [&](const auto& key, int64_t, std::span<const double> values) { fn(key, values); });
}

Status EventReader::ScanVitalSteps(const events::VitalScan& scan, int64_t step_ms, int64_t max_steps,
                                   const events::VitalStepFn& fn) const {
  if (step_ms <= 0) return InvalidArgument("step must be positive");
  PW_RETURN_IF_ERROR(events::CheckVitalSteps(scan, step_ms, max_steps));
  return Vitals(scan, step_ms, fn);
}

}  // namespace perfwatch::clickhouse
