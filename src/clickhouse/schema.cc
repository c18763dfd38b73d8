#include "clickhouse/schema.h"

#include <charconv>

#include "clickhouse/tsv.h"

namespace perfwatch::clickhouse {
namespace {

void AppendInt(std::string& out, int64_t v) {
  char buf[24];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, p);
}

void AppendUint(std::string& out, uint64_t v) {
  char buf[24];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, p);
}

}  // namespace

std::vector<std::string> MigrationStatements(uint32_t version, std::string_view database) {
  const std::string db = "`" + std::string(database) + "`";
  std::vector<std::string> out;
  if (version == 1) {
    out.push_back("CREATE TABLE IF NOT EXISTS " + db + ".`" + std::string(kEventsTable) +
                  "` ("
                  "app String, page String, metric String, "
                  "time_ms Int64, time DateTime('UTC') DEFAULT toDateTime(intDiv(time_ms, 1000), 'UTC'), "
                  "received_ms Int64, type String, "
                  "value_bits UInt64, value Float64 DEFAULT reinterpretAsFloat64(reinterpretAsString(value_bits)), "
                  "device String, connection String, browser String, name String, session_id String, id String, "
                  "attrs String, source String, log_partition Int64, log_row UInt32"
                  ") ENGINE = MergeTree PARTITION BY toYYYYMMDD(time) ORDER BY (app, page, metric, time_ms)");
  }
  return out;
}

Result<uint32_t> EnsureSchema(const Client& client, const std::atomic<bool>* cancel) {
  PW_ASSIGN_OR_RETURN(std::string db, SqlIdentifier(client.database()));
  PW_RETURN_IF_ERROR(client.Query("CREATE DATABASE IF NOT EXISTS " + db, false, cancel).status());
  PW_RETURN_IF_ERROR(client
                         .Query("CREATE TABLE IF NOT EXISTS " + db + ".`" + std::string(kVersionTable) +
                                    "` (version UInt32, applied_at DateTime('UTC')) ENGINE = TinyLog",
                                false, cancel)
                         .status());
  PW_ASSIGN_OR_RETURN(std::string answer,
                      client.Query("SELECT max(version) FROM " + db + ".`" + std::string(kVersionTable) +
                                       "` FORMAT TabSeparated",
                                   false, cancel));
  PW_ASSIGN_OR_RETURN(auto rows, ParseTsv(answer, 1));
  uint64_t current = 0;
  if (!rows.empty()) {
    PW_ASSIGN_OR_RETURN(current, ParseUint(rows[0][0]));
  }
  if (current > kSchemaVersion) {
    return Internal("clickhouse database " + client.database() + " has schema version " +
                              std::to_string(current) + ", newer than this perfwatch's " +
                              std::to_string(kSchemaVersion) + ": upgrade perfwatch");
  }
  for (uint32_t v = static_cast<uint32_t>(current) + 1; v <= kSchemaVersion; ++v) {
    for (const std::string& sql : MigrationStatements(v, client.database())) {
      PW_RETURN_IF_ERROR(client.Query(sql, false, cancel).status().WithContext("schema migration " + std::to_string(v)));
    }
    PW_RETURN_IF_ERROR(client
                           .Query("INSERT INTO " + db + ".`" + std::string(kVersionTable) + "` VALUES (" +
                                      std::to_string(v) + ", now())",
                                  false, cancel)
                           .status()
                           .WithContext("schema migration " + std::to_string(v)));
  }
  return kSchemaVersion;
}

void EncodeEventRow(std::string& out, const events::EventRecord& e, std::string_view source,
                    int64_t partition_start_ms, uint32_t row) {
  AppendTsvField(out, e.dims[events::kApp]);
  out += '\t';
  AppendTsvField(out, e.dims[events::kPage]);
  out += '\t';
  out += events::VitalName(e.vital);  // "" for kNone
  out += '\t';
  AppendInt(out, e.time_ms);
  out += '\t';
  AppendInt(out, e.received_ms);
  out += '\t';
  AppendTsvField(out, events::EventTypeName(e.type));
  out += '\t';
  AppendUint(out, DoubleBits(e.value));
  for (int d : {events::kDevice, events::kConnection, events::kBrowser}) {
    out += '\t';
    AppendTsvField(out, e.dims[d]);
  }
  for (std::string_view s : {e.name, e.session_id, e.id, e.attrs_json}) {
    out += '\t';
    AppendTsvField(out, s);
  }
  out += '\t';
  AppendTsvField(out, source);
  out += '\t';
  AppendInt(out, partition_start_ms);
  out += '\t';
  AppendUint(out, row);
  out += '\n';
}

}  // namespace perfwatch::clickhouse
