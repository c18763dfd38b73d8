#include "clickhouse/schema.h"

#include <charconv>
#include <mutex>

#include "clickhouse/tsv.h"
#include "common/hex.h"

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

// Hex of an id; "" when it is all zeros (none: a root span's parent, an error without a trace).
void AppendIdentity(std::string& out, std::string_view source, int64_t partition_start_ms, uint32_t row) {
  AppendTsvField(out, source);
  out += '\t';
  AppendInt(out, partition_start_ms);
  out += '\t';
  AppendUint(out, row);
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
  if (version == 2) {
    out.push_back("CREATE TABLE IF NOT EXISTS " + db + ".`" + std::string(kSpansTable) +
                  "` ("
                  "trace_id String, span_id String, parent_span_id String, service String, name String, route String, "
                  "kind UInt8, status_code UInt8, status_message String, start_ns UInt64, end_ns UInt64, "
                  "time DateTime('UTC') DEFAULT toDateTime(intDiv(start_ns, 1000000000), 'UTC'), "
                  "duration_ns UInt64 DEFAULT end_ns - start_ns, attributes String, events String, "
                  "source String, log_partition Int64, log_row UInt32, span_index UInt16"
                  ") ENGINE = MergeTree PARTITION BY toYYYYMMDD(time) ORDER BY (service, name, start_ns)");
    out.push_back("CREATE TABLE IF NOT EXISTS " + db + ".`" + std::string(kErrorsTable) +
                  "` ("
                  "fingerprint String, error_source String, type String, message String, scope String, "
                  "location String, browser String, session_id String, user_id String, raw_message String, "
                  "trace_id String, span_id String, "
                  "time_ms Int64, time DateTime('UTC') DEFAULT toDateTime(intDiv(time_ms, 1000), 'UTC'), "
                  "source String, log_partition Int64, log_row UInt32"
                  ") ENGINE = MergeTree PARTITION BY toYYYYMMDD(time) ORDER BY (scope, fingerprint, time_ms)");
  }
  if (version == 3) {
    out.push_back("CREATE TABLE IF NOT EXISTS " + db + ".`" + std::string(kErrorGroupsTable) +
                  "` ("
                  "fingerprint String, error_source String, scope String, type String, message String, "
                  "sample_message String, sample_stack String, frames String, first_seen_ms Int64, source String"
                  ") ENGINE = ReplacingMergeTree ORDER BY (fingerprint, source)");
  }
  return out;
}

Result<uint32_t> EnsureSchema(const Client& client, const std::atomic<bool>* cancel) {
  // The forwarders of one process (events, spans, errors) start together: one migrates,
  // the others then find the version in place (schema_version is a TinyLog, which takes no
  // concurrent writes).
  static std::mutex mu;
  std::lock_guard lock(mu);
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
  AppendIdentity(out, source, partition_start_ms, row);
  out += '\n';
}


void EncodeSpanRow(std::string& out, const events::SpanRecord& s, std::string_view source, int64_t partition_start_ms,
                   uint32_t block, uint32_t index) {
  events::AppendHexId(out, s.trace_id);  // always in full (a span has ids; OTLP's all-zero ones stay visible)
  out += '\t';
  events::AppendHexId(out, s.span_id);
  out += '\t';
  events::AppendHexIdOrEmpty(out, s.parent_span_id);  // '' for a root
  // route: the first string http.route attribute, as the span store indexes it.
  std::string_view route;
  for (const events::SpanAttribute& a : s.attributes) {
    if (a.key == "http.route" && a.type == events::SpanAttribute::Type::kString) {
      route = a.string_value;
      break;
    }
  }
  for (std::string_view f : {std::string_view(s.service), std::string_view(s.name), route}) {
    out += '\t';
    AppendTsvField(out, f);
  }
  out += '\t';
  AppendUint(out, s.kind);
  out += '\t';
  AppendUint(out, s.status_code);
  out += '\t';
  AppendTsvField(out, s.status_message);
  out += '\t';
  AppendUint(out, s.start_time_unix_nano);
  out += '\t';
  AppendUint(out, s.end_time_unix_nano);
  std::string json;
  events::AppendSpanAttributesJson(json, s.attributes);
  out += '\t';
  AppendTsvField(out, json);
  json.clear();
  events::AppendSpanEventsJson(json, s.events);
  out += '\t';
  AppendTsvField(out, json);
  out += '\t';
  AppendIdentity(out, source, partition_start_ms, block);
  out += '\t';
  AppendUint(out, index);
  out += '\n';
}

void EncodeErrorRow(std::string& out, const events::ErrorGroup& group, const events::ErrorOccurrenceView& o,
                    std::string_view source, int64_t partition_start_ms, uint32_t row) {
  out += Hex64(group.info.fingerprint);  // 16 hex digits, as /api/v1/errors shows it
  for (std::string_view f : {events::ErrorSourceName(group.info.source), std::string_view(group.info.type),
                             std::string_view(group.info.message), o.scope, o.location, o.browser, o.session_id,
                             o.user_id, o.message}) {
    out += '\t';
    AppendTsvField(out, f);
  }
  out += '\t';
  events::AppendHexIdOrEmpty(out, o.trace_id);
  out += '\t';
  events::AppendHexIdOrEmpty(out, o.span_id);
  out += '\t';
  AppendInt(out, o.time_ms);
  out += '\t';
  AppendIdentity(out, source, partition_start_ms, row);
  out += '\n';
}

void EncodeErrorGroupRow(std::string& out, const events::ErrorGroup& group, std::string_view source) {
  const events::ErrorGroupInfo& g = group.info;
  out += Hex64(g.fingerprint);
  for (std::string_view f : {events::ErrorSourceName(g.source), std::string_view(g.scope), std::string_view(g.type),
                             std::string_view(g.message), std::string_view(g.sample_message),
                             std::string_view(g.sample_stack)}) {
    out += '\t';
    AppendTsvField(out, f);
  }
  std::string frames;
  events::AppendErrorFramesJson(frames, g.frames);
  out += '\t';
  AppendTsvField(out, frames);
  out += '\t';
  AppendInt(out, group.first_seen_ms);
  out += '\t';
  AppendTsvField(out, source);
  out += '\n';
}

}  // namespace perfwatch::clickhouse
