#include "clickhouse/vitals_query.h"

#include <algorithm>
#include <cmath>

#include "analysis/vitals_handler.h"
#include "analysis/web_vitals.h"
#include "clickhouse/event_reader.h"
#include "clickhouse/schema.h"
#include "clickhouse/tsv.h"
#include "common/time.h"

namespace perfwatch::clickhouse {
namespace {

// An exact Float64 constant.
std::string Float(double v) {
  return "reinterpretAsFloat64(reinterpretAsString(toUInt64(" + std::to_string(DoubleBits(v)) + ")))";
}

// The percentiles asked, in answer order: the requested one, then p50, p75, p95.
std::array<double, 4> Percentiles(const analysis::VitalsRequest& r) { return {r.percentile, 50, 75, 95}; }

}  // namespace

std::string BuildVitalsSql(const analysis::VitalsRequest& request, std::string_view database) {
  const events::VitalScan& scan = request.scan;
  const std::string table = "`" + std::string(database) + "`.`" + std::string(kEventsTable) + "`";
  const auto thresholds = analysis::ThresholdsFor(scan.vital);
  const double good = thresholds ? thresholds->good : 0, poor = thresholds ? thresholds->poor : 0;

  std::string keys;
  for (int d = 0; d < events::kDimCount; ++d) {
    if (!scan.group_by[d]) continue;
    if (!keys.empty()) keys += ", ";
    keys += DimColumn(d);
  }
  // Outer: per group, the counts and, per percentile, its rank and the order statistics
  // at rank and rank + 1 (not the array itself).
  std::string sql = "SELECT ";
  if (!keys.empty()) sql += keys + ", ";
  sql += "c, g, p, length(s) AS n";
  const auto ps = Percentiles(request);
  for (size_t i = 0; i < ps.size(); ++i) {
    const std::string lo = "lo" + std::to_string(i);
    // The same operations in the same order as ExactPercentiles: p / 100 * (n - 1).
    sql += ", toUInt64(floor(" + Float(std::clamp(ps[i], 0.0, 100.0)) + " / 100 * (greatest(n, 1) - 1))) AS " + lo;
    sql += ", reinterpretAsUInt64(reinterpretAsString(s[" + lo + " + 1]))";
    sql += ", reinterpretAsUInt64(reinterpretAsString(s[least(" + lo + " + 2, n)]))";
  }
  sql += " FROM (SELECT ";
  if (!keys.empty()) sql += keys + ", ";
  sql += "count() AS c, countIf(value <= " + Float(good) + ") AS g, countIf(value > " + Float(poor) +
         ") AS p, arraySort(groupArray(value)) AS s";
  // The live events (replace-on-repeat resolved as the event store does: event_reader.h).
  LiveMatch m{.from_ms = scan.from_ms, .to_ms = scan.to_ms, .vital = scan.vital, .filters = scan.filters};
  static constexpr std::string_view kColumns[] = {"app", "page", "device", "connection", "browser", "value"};
  sql += " FROM (" + LiveEventsSql(table, m, kColumns) + ")";
  if (!keys.empty()) sql += " GROUP BY " + keys;
  sql += ") FORMAT TabSeparated";
  return sql;
}

Result<std::vector<analysis::VitalsGroup>> ParseVitalsAnswer(std::string_view answer,
                                                             const analysis::VitalsRequest& request) {
  size_t nkeys = 0;
  for (int d = 0; d < events::kDimCount; ++d) nkeys += request.scan.group_by[d];
  const auto ps = Percentiles(request);
  const size_t columns = nkeys + 4 + ps.size() * 3;
  PW_ASSIGN_OR_RETURN(auto rows, ParseTsv(answer, columns));
  std::vector<analysis::VitalsGroup> groups;
  for (const auto& r : rows) {
    analysis::VitalsGroup g;
    size_t k = 0;
    for (int d = 0; d < events::kDimCount; ++d) {
      if (request.scan.group_by[d]) g.key[d] = r[k++];
    }
    PW_ASSIGN_OR_RETURN(uint64_t count, ParseUint(r[k]));
    PW_ASSIGN_OR_RETURN(uint64_t good, ParseUint(r[k + 1]));
    PW_ASSIGN_OR_RETURN(uint64_t poor, ParseUint(r[k + 2]));
    PW_ASSIGN_OR_RETURN(uint64_t n, ParseUint(r[k + 3]));
    if (count == 0) continue;  // no GROUP BY and nothing matched
    if (n != count || good + poor > count) return InvalidArgument("clickhouse answer: inconsistent counts");
    double q[4];
    for (size_t i = 0; i < ps.size(); ++i) {
      const size_t c = k + 4 + i * 3;
      PW_ASSIGN_OR_RETURN(uint64_t lo_ch, ParseUint(r[c]));
      PW_ASSIGN_OR_RETURN(uint64_t lo_bits, ParseUint(r[c + 1]));
      PW_ASSIGN_OR_RETURN(uint64_t hi_bits, ParseUint(r[c + 2]));
      // ExactPercentiles, given the order statistics at lo and lo + 1.
      const double rank = std::clamp(ps[i], 0.0, 100.0) / 100.0 * static_cast<double>(n - 1);
      const size_t lo = static_cast<size_t>(std::floor(rank));
      if (lo != lo_ch) return InvalidArgument("clickhouse answer: percentile rank mismatch");
      const double frac = rank - static_cast<double>(lo);
      const double lo_v = DoubleFromBits(lo_bits);
      double v = lo_v;
      if (frac > 0 && lo + 1 < n) v = lo_v + (DoubleFromBits(hi_bits) - lo_v) * frac;
      q[i] = v;
    }
    g.count = count;
    g.value = q[0];
    g.p50 = q[1];
    g.p75 = q[2];
    g.p95 = q[3];
    const double nd = static_cast<double>(count);
    g.good = static_cast<double>(good) / nd;
    g.poor = static_cast<double>(poor) / nd;
    g.needs_improvement = static_cast<double>(count - good - poor) / nd;
    groups.push_back(std::move(g));
  }
  std::sort(groups.begin(), groups.end(),
            [](const analysis::VitalsGroup& a, const analysis::VitalsGroup& b) { return a.key < b.key; });
  return groups;
}

Result<std::vector<analysis::VitalsGroup>> QueryVitals(const Client& client, const analysis::VitalsRequest& request) {
  PW_RETURN_IF_ERROR(SqlIdentifier(client.database()).status());
  PW_ASSIGN_OR_RETURN(std::string answer, client.Query(BuildVitalsSql(request, client.database())));
  return ParseVitalsAnswer(answer, request);
}

void RegisterClickHouseVitals(http::Router& router, std::shared_ptr<const Client> client) {
  auto handler = [client](const http::Request& req, http::Response& res) {
    auto request = analysis::ParseVitalsRequest(req, NowMs());
    if (!request.ok()) {
      http::WriteApiError(res, 400, "bad_data", request.status().message());
      return;
    }
    auto groups = QueryVitals(*client, *request);
    if (!groups.ok()) {
      http::WriteApiError(res, 503, "unavailable", groups.status().message());
      return;
    }
    res.status = 200;
    res.content_type = "application/json";
    res.body = analysis::RenderVitalsJson(*request, *groups);
  };
  router.Handle("GET", "/api/v1/vitals", handler, {.scope = http::Scope::kRead, .route_class = http::RouteClass::kQuery});
  router.Handle("POST", "/api/v1/vitals", handler, {.scope = http::Scope::kRead, .route_class = http::RouteClass::kQuery});
}

}  // namespace perfwatch::clickhouse
