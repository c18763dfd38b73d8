// ErrorRecorder's app cap on perfwatch_error_events_total and its reload (SetMaxApps):
// apps beyond rum.max_apps count as "other" in the series, a raised cap admits new apps
// from the next beacon, a lowered one keeps the apps already admitted.
#include "ingest/errors/error_recorder.h"

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"
#include "tsdb/matcher.h"
#include "tsdb/tsdb_test_util.h"

namespace perfwatch::ingest::errors {
namespace {

using tsdb::testing::TempDir;

// The non-empty values of `label` on perfwatch_error_events_total.
std::set<std::string> SeriesValues(const tsdb::Tsdb& db, std::string_view label) {
  auto m = tsdb::Matcher::Make(tsdb::MatchType::kEqual, "__name__", std::string(kErrorEventsMetric));
  EXPECT_TRUE(m.ok());
  auto q = db.NewQuerier(0, INT64_MAX);
  auto set = q->Select(std::span(&*m, 1));
  std::set<std::string> out;
  while (set->Next()) {
    std::string v(set->At().labels().Get(label));
    if (!v.empty()) out.insert(v);
  }
  EXPECT_TRUE(set->status().ok());
  return out;
}

// A recorder over a fresh TSDB and error store in a temp dir.
struct Fixture {
  TempDir dir;
  std::unique_ptr<tsdb::Tsdb> db;
  std::unique_ptr<events::ErrorStore> store;
  MetricsRegistry metrics;
  std::unique_ptr<ErrorRecorder> rec;
  const int64_t t0 = NowMs() / 1000 * 1000 - 60'000;

  explicit Fixture(ErrorRecorderOptions options) {
    tsdb::TsdbOptions o;
    o.dir = dir.path() / "tsdb";
    o.maintenance_interval = std::chrono::milliseconds(0);
    auto d = tsdb::Tsdb::Open(o, nullptr);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    if (d.ok()) db = std::move(d).value();
    auto st = events::ErrorStore::Open(dir.path() / "errors", {}, nullptr);
    EXPECT_TRUE(st.ok()) << st.status().ToString();
    if (st.ok()) store = std::move(st).value();
    if (!db || !store) return;
    auto r = ErrorRecorder::Create(options, store.get(), db.get(), &metrics, t0);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (r.ok()) rec = std::move(r).value();
  }
};

Status RecordError(ErrorRecorder& r, const std::string& app, int64_t t) {
  events::EventInput e;
  e.type = events::EventType::kError;
  e.time_ms = e.received_ms = t;
  e.dims[events::kApp] = app;
  e.dims[events::kPage] = "/";
  e.name = "TypeError: x is undefined";
  return r.RecordBeacons(std::span(&e, 1), t);
}

TEST(ErrorRecorderTest, AppCapAppliesAndReloads) {
  Fixture f(ErrorRecorderOptions{.max_apps = 1});
  ASSERT_NE(f.rec, nullptr);
  ErrorRecorder& r = *f.rec;
  const int64_t t0 = f.t0;

  ASSERT_TRUE(RecordError(r, "shop", t0).ok());
  ASSERT_TRUE(RecordError(r, "blog", t0 + 1000).ok());
  EXPECT_EQ(SeriesValues(*f.db, "app"), (std::set<std::string>{"shop", "other"}));

  r.SetMaxApps(3);  // raised: a new app gets its own series from the next beacon
  ASSERT_TRUE(RecordError(r, "docs", t0 + 2000).ok());
  EXPECT_EQ(SeriesValues(*f.db, "app"), (std::set<std::string>{"shop", "other", "docs"}));

  r.SetMaxApps(1);  // lowered: admitted apps keep their series, new ones are "other"
  ASSERT_TRUE(RecordError(r, "docs", t0 + 3000).ok());
  ASSERT_TRUE(RecordError(r, "wiki", t0 + 4000).ok());
  EXPECT_EQ(SeriesValues(*f.db, "app"), (std::set<std::string>{"shop", "other", "docs"}));

  r.SetMaxApps(0);  // no cap
  ASSERT_TRUE(RecordError(r, "wiki", t0 + 5000).ok());
  EXPECT_EQ(SeriesValues(*f.db, "app"), (std::set<std::string>{"shop", "other", "docs", "wiki"}));
}

Status RecordBackendError(ErrorRecorder& r, const std::string& service, int64_t t) {
  otlp::LogsRequest req;
  otlp::ResourceLogs rl;
  otlp::AnyValue name;
  name.type = otlp::AnyValue::Type::kString;
  name.string_value = service;
  rl.resource.attributes.push_back({"service.name", name});
  otlp::LogRecord rec;
  rec.time_unix_nano = static_cast<uint64_t>(t) * 1'000'000;
  rec.severity_number = 17;  // ERROR
  rec.body = name;
  otlp::ScopeLogs sl;
  sl.log_records.push_back(std::move(rec));
  rl.scope_logs.push_back(std::move(sl));
  req.resource_logs.push_back(std::move(rl));
  return r.RecordLogs(req, t);
}

// SetMaxServices (otlp.max_services reloaded), as SetMaxApps for the OTLP services.
TEST(ErrorRecorderTest, ServiceCapReloads) {
  Fixture f(ErrorRecorderOptions{.max_services = 1});
  ASSERT_NE(f.rec, nullptr);
  ErrorRecorder& r = *f.rec;
  const int64_t t0 = f.t0;
  ASSERT_TRUE(RecordBackendError(r, "api", t0).ok());
  ASSERT_TRUE(RecordBackendError(r, "auth", t0 + 1000).ok());
  EXPECT_EQ(SeriesValues(*f.db, "service"), (std::set<std::string>{"api", "other"}));
  r.SetMaxServices(3);
  ASSERT_TRUE(RecordBackendError(r, "auth", t0 + 2000).ok());
  EXPECT_EQ(SeriesValues(*f.db, "service"), (std::set<std::string>{"api", "other", "auth"}));
  r.SetMaxServices(1);
  ASSERT_TRUE(RecordBackendError(r, "auth", t0 + 3000).ok());
  ASSERT_TRUE(RecordBackendError(r, "cart", t0 + 4000).ok());
  EXPECT_EQ(SeriesValues(*f.db, "service"), (std::set<std::string>{"api", "other", "auth"}));
}

}  // namespace
}  // namespace perfwatch::ingest::errors
