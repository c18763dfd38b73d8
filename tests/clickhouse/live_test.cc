// Against a real clickhouse-server (Debian's 18.16), started per test suite: escaping,
// the schema, the forwarder's exactly-once delivery across outages and restarts, and the
// vitals query's agreement with the local store. Skipped when clickhouse-server is missing.
#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <random>
#include <thread>

#include "analysis/vitals_handler.h"
#include "analysis/vitals_report.h"
#include "clickhouse/forwarder.h"
#include "clickhouse/schema.h"
#include "clickhouse/tsv.h"
#include "clickhouse/vitals_query.h"
#include "common/time.h"
#include "events/event_store.h"
#include "support/clickhouse_server.h"

namespace perfwatch::clickhouse {
namespace {

using testing::ClickHouseServer;

template <class F>
bool WaitFor(F&& f, int seconds = 60) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return f();
}

class ClickHouseLiveTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!ClickHouseServer::Available()) return;
    server_ = new ClickHouseServer();
    if (!server_->Start()) {
      delete server_;
      server_ = nullptr;
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    if (!ClickHouseServer::Available()) GTEST_SKIP() << "clickhouse-server is not installed (apt-get install clickhouse-server)";
    ASSERT_NE(server_, nullptr) << "clickhouse-server did not start";
    if (!server_->running()) ASSERT_TRUE(server_->Start());  // an earlier test stopped it
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    database_ = std::string("t_") + info->name();
    dir_ = std::filesystem::temp_directory_path() / ("pw-ch-live-" + std::to_string(::getpid()) + "-" + info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    config_.url = server_->url();
    config_.database = database_;
    config_.batch_size = 256;
    config_.poll_interval_ms = 20;
    config_.min_backoff_ms = 20;
    config_.max_backoff_ms = 200;
    config_.timeout_ms = 10'000;
    client_ = std::shared_ptr<const Client>(Client::Create(config_, "").value());
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::unique_ptr<events::EventStore> OpenStore() {
    auto s = events::EventStore::Open(dir_ / "events", EventsConfig{}, nullptr);
    EXPECT_TRUE(s.ok()) << s.status().message();
    return std::move(s).value();
  }
  std::unique_ptr<Forwarder> MakeForwarder(const events::EventStore* store) {
    auto f = Forwarder::Create(config_, client_, store, dir_ / "clickhouse", nullptr);
    EXPECT_TRUE(f.ok()) << f.status().message();
    return std::move(f).value();
  }
  std::string Count(const std::string& what = "count()") {
    return server_->Scalar("SELECT " + what + " FROM " + database_ + ".events");
  }

  static ClickHouseServer* server_;
  std::string database_;
  std::filesystem::path dir_;
  ClickHouseConfig config_;
  std::shared_ptr<const Client> client_;
};

ClickHouseServer* ClickHouseLiveTest::server_ = nullptr;

// Strings kept alive for EventInput's views.
struct Beacons {
  std::deque<std::string> strings;
  std::vector<events::EventInput> events;
  std::string_view Keep(std::string s) { return strings.emplace_back(std::move(s)); }
};

Beacons MakeVitals(int n, int64_t base_ms, uint32_t seed, int pair_repeat_every = 0) {
  Beacons b;
  std::mt19937 rng(seed);
  const char* pages[] = {"/", "/p/:id", "/cart", "/a'b\\c"};
  const char* devices[] = {"mobile", "desktop", "tablet"};
  const events::Vital vitals[] = {events::Vital::kLCP, events::Vital::kINP, events::Vital::kCLS};
  for (int i = 0; i < n; ++i) {
    events::EventInput e;
    e.type = events::EventType::kVital;
    e.vital = vitals[rng() % 3];
    e.time_ms = base_ms + static_cast<int64_t>(rng() % 3'600'000);
    e.received_ms = e.time_ms;
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    e.value = e.vital == events::Vital::kCLS ? u * 0.5 : (rng() % 2 ? std::round(u * 60000) / 10 : u * 6000);
    e.dims[events::kApp] = "shop";
    e.dims[events::kPage] = pages[rng() % 4];
    e.dims[events::kDevice] = devices[rng() % 3];
    e.dims[events::kConnection] = "4g";
    e.dims[events::kBrowser] = "Chrome";
    e.name = events::VitalName(e.vital);
    // Every pair_repeat_every-th beacon repeats an earlier (session, id) pair.
    const int pair = pair_repeat_every && i % pair_repeat_every == 0 && i > 0 ? static_cast<int>(rng() % i) : i;
    e.session_id = b.Keep("s" + std::to_string(pair / 3));
    e.id = b.Keep("v" + std::to_string(pair));
    b.events.push_back(e);
  }
  return b;
}

TEST_F(ClickHouseLiveTest, UntrustedStringsRoundTripExactly) {
  ASSERT_TRUE(EnsureSchema(*client_).ok());
  std::string nasty = std::string("q'uo\"te \\ back\ttab\nline\r") + std::string(1, '\0') + "nul \xff\xfe bad \xc3(";
  events::EventRecord e;
  e.type = events::EventType::kError;
  e.time_ms = NowMs();
  e.received_ms = e.time_ms;
  e.value = std::nan("");
  e.dims = {"app", nasty, "", "", ""};
  e.name = nasty;
  e.attrs_json = nasty;
  std::string rows;
  EncodeEventRow(rows, e, "test", 0, 0);
  ASSERT_TRUE(client_->Insert("`" + database_ + "`.events " + std::string(kEventColumns), rows).ok());
  auto answer = client_->Query("SELECT page, name, attrs, type, metric FROM events FORMAT TabSeparated");
  ASSERT_TRUE(answer.ok()) << answer.status().message();
  auto parsed = ParseTsv(*answer, 5);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ((*parsed)[0][0], nasty);
  EXPECT_EQ((*parsed)[0][1], nasty);
  EXPECT_EQ((*parsed)[0][2], nasty);
  EXPECT_EQ((*parsed)[0][3], "error");
  EXPECT_EQ((*parsed)[0][4], "");
  // The same bytes as a SQL literal select the row.
  auto hit = client_->Query("SELECT count() FROM events WHERE page = " + SqlString(nasty) + " FORMAT TabSeparated");
  ASSERT_TRUE(hit.ok()) << hit.status().message();
  EXPECT_EQ(*hit, "1\n");
  auto miss = client_->Query("SELECT count() FROM events WHERE page = " + SqlString(nasty + "'") + " FORMAT TabSeparated");
  ASSERT_TRUE(miss.ok()) << miss.status().message();
  EXPECT_EQ(*miss, "0\n");
}

TEST_F(ClickHouseLiveTest, SchemaIsVersionedAndIdempotent) {
  auto v = EnsureSchema(*client_);
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_EQ(*v, kSchemaVersion);
  ASSERT_TRUE(EnsureSchema(*client_).ok());
  EXPECT_EQ(server_->Scalar("SELECT count(), max(version) FROM " + database_ + ".schema_version"),
            "1\t" + std::to_string(kSchemaVersion));
  EXPECT_EQ(server_->Scalar("SELECT partition_key, sorting_key FROM system.tables WHERE database = '" + database_ +
                            "' AND name = 'events'"),
            "toYYYYMMDD(time)\tapp, page, metric, time_ms");
  // A newer schema than this perfwatch knows is refused.
  ASSERT_EQ(server_->Query("INSERT INTO " + database_ + ".schema_version VALUES (99, now())").status, 200);
  auto newer = EnsureSchema(*client_);
  ASSERT_FALSE(newer.ok());
  EXPECT_NE(newer.status().message().find("newer"), std::string::npos);
}

TEST_F(ClickHouseLiveTest, WrongPasswordIsAnError) {
  ClickHouseConfig c = config_;
  c.user = "pw";
  auto bad = Client::Create(c, "wrong").value();
  auto r = bad->Query("SELECT 1 FORMAT TabSeparated", false);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("401"), std::string::npos) << r.status().message();
  auto good = Client::Create(c, "s3cret").value();
  auto ok = good->Query("SELECT 1 FORMAT TabSeparated", false);
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(*ok, "1\n");
}

TEST_F(ClickHouseLiveTest, ForwardsExactlyOnceAcrossCursorLossOutageAndRestart) {
  auto store = OpenStore();
  const int64_t now = NowMs();
  // Two UTC days: two partitions of the store, two of ClickHouse.
  Beacons first = MakeVitals(3000, now - 20 * 3600 * 1000, 1);
  ASSERT_TRUE(store->Append(first.events).ok());
  auto fwd = MakeForwarder(store.get());
  fwd->Start();
  ASSERT_TRUE(WaitFor([&] { return fwd->Stats().events_sent == 3000 && fwd->Stats().events_pending == 0; }))
      << fwd->Stats().events_sent;
  EXPECT_EQ(Count(), "3000");
  EXPECT_GE(fwd->Stats().batches_sent, 3000u / 256);
  fwd.reset();

  // A crash between ClickHouse's 200 and the cursor write: the cursor is lost. Nothing
  // is sent again.
  std::filesystem::remove(dir_ / "clickhouse" / "cursor");
  fwd = MakeForwarder(store.get());
  fwd->Start();
  ASSERT_TRUE(WaitFor([&] { return std::filesystem::exists(dir_ / "clickhouse" / "cursor"); }));
  ASSERT_TRUE(WaitFor([&] { return fwd->Stats().schema_ready && fwd->Stats().events_pending == 0; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(fwd->Stats().events_sent, 0u);
  EXPECT_EQ(Count(), "3000");

  // ClickHouse goes away mid-load; perfwatch's forwarder restarts during the outage.
  server_->Stop(/*kill=*/true);
  Beacons second = MakeVitals(2000, now - 3600 * 1000, 2);
  ASSERT_TRUE(store->Append(std::span(second.events).first(1000)).ok());
  ASSERT_TRUE(WaitFor([&] { return fwd->Stats().events_failed > 0; }));
  EXPECT_EQ(fwd->Stats().events_pending, 1000u);
  fwd.reset();
  ASSERT_TRUE(store->Append(std::span(second.events).subspan(1000)).ok());
  fwd = MakeForwarder(store.get());
  fwd->Start();
  ASSERT_TRUE(WaitFor([&] { return fwd->Stats().request_failures > 0; }));
  EXPECT_EQ(fwd->Stats().events_pending, 2000u);
  ASSERT_TRUE(server_->Start());
  ASSERT_TRUE(WaitFor([&] { return fwd->Stats().events_pending == 0 && Count() == "5000"; }))
      << Count() << " pending " << fwd->Stats().events_pending;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(Count(), "5000");
  EXPECT_EQ(Count("uniqExact(log_partition, log_row)"), "5000");
  EXPECT_EQ(Count("uniqExact(source)"), "1");
  // Every logged value arrived bit for bit.
  EXPECT_EQ(Count("countIf(reinterpretAsUInt64(reinterpretAsString(value)) != value_bits)"), "0");
}

TEST_F(ClickHouseLiveTest, VitalsAnswerAsTheLocalStore) {
  auto store = OpenStore();
  const int64_t now = NowMs();
  // Repeated (session, id) pairs, earlier and later, across both partitions.
  Beacons a = MakeVitals(4000, now - 26 * 3600 * 1000, 3, 7);
  Beacons b = MakeVitals(4000, now - 2 * 3600 * 1000, 4, 5);
  // b's pairs also repeat a's: "v<N>" ids of the same sessions.
  ASSERT_TRUE(store->Append(a.events).ok());
  ASSERT_TRUE(store->Append(b.events).ok());
  auto fwd = MakeForwarder(store.get());
  fwd->Start();
  ASSERT_TRUE(WaitFor([&] { return fwd->Stats().events_pending == 0 && fwd->Stats().events_sent == 8000; }));

  struct Case {
    events::Vital vital;
    double percentile;
    std::vector<int> by;
    std::vector<std::pair<int, std::string>> filters;
    int64_t window_ms;
  };
  const std::vector<Case> cases = {
      {events::Vital::kLCP, 75, {}, {}, 48LL * 3600 * 1000},
      {events::Vital::kLCP, 99.9, {events::kPage}, {}, 48LL * 3600 * 1000},
      {events::Vital::kINP, 33.3, {events::kPage, events::kDevice}, {}, 48LL * 3600 * 1000},
      {events::Vital::kCLS, 0, {events::kDevice}, {{events::kPage, "/a'b\\c"}}, 48LL * 3600 * 1000},
      {events::Vital::kCLS, 100, {}, {{events::kDevice, "mobile"}}, 3LL * 3600 * 1000},
      {events::Vital::kLCP, 50, {events::kApp}, {}, 24LL * 3600 * 1000},
      {events::Vital::kFCP, 75, {}, {}, 48LL * 3600 * 1000},  // nothing matches
  };
  for (const Case& c : cases) {
    analysis::VitalsRequest r;
    r.scan.vital = c.vital;
    r.percentile = c.percentile;
    r.scan.to_ms = now;
    r.scan.from_ms = now - c.window_ms;
    for (int d : c.by) r.scan.group_by[d] = true;
    for (const auto& f : c.filters) r.scan.filters[f.first] = f.second;
    auto local = analysis::ComputeVitals(*store, r);
    ASSERT_TRUE(local.ok()) << local.status().message();
    auto remote = QueryVitals(*client_, r);
    ASSERT_TRUE(remote.ok()) << remote.status().message();
    if (c.vital != events::Vital::kFCP) EXPECT_FALSE(local->empty());
    EXPECT_EQ(analysis::RenderVitalsJson(r, *remote), analysis::RenderVitalsJson(r, *local))
        << events::VitalName(c.vital) << " p" << c.percentile;
  }
  // Replaced events are in ClickHouse (every logged record), resolved at query time.
  EXPECT_EQ(Count(), "8000");
  EXPECT_LT(store->Stats().events, 8000u);
}

}  // namespace
}  // namespace perfwatch::clickhouse

namespace perfwatch::clickhouse {
namespace {

// Two perfwatch instances (two stores, two state dirs) forward into one database: their
// rows have the same (log_partition, log_row) numbers but different sources, and a lost
// cursor of one resumes from its own rows only.
TEST_F(ClickHouseLiveTest, TwoInstancesShareOneDatabase) {
  const int64_t now = NowMs();
  auto store_a = OpenStore();
  auto b_dir = dir_ / "b";
  auto store_b = events::EventStore::Open(b_dir / "events", EventsConfig{}, nullptr).value();
  Beacons a = MakeVitals(1500, now - 3600 * 1000, 21);
  Beacons b = MakeVitals(700, now - 3600 * 1000, 22);
  ASSERT_TRUE(store_a->Append(a.events).ok());
  ASSERT_TRUE(store_b->Append(b.events).ok());
  auto fa = MakeForwarder(store_a.get());
  auto fb = Forwarder::Create(config_, client_, store_b.get(), b_dir / "clickhouse", nullptr).value();
  EXPECT_NE(fa->source(), fb->source());
  fa->Start();
  ASSERT_TRUE(WaitFor([&] { return fa->Stats().events_sent == 1500; }));
  // b starts after a's rows are in: its resync must not take a's rows for its own.
  std::filesystem::remove(b_dir / "clickhouse" / "cursor");
  fb->Start();
  ASSERT_TRUE(WaitFor([&] { return fb->Stats().events_sent == 700 && fb->Stats().events_pending == 0; }));
  EXPECT_EQ(Count(), "2200");
  EXPECT_EQ(Count("uniqExact(source, log_partition, log_row)"), "2200");
}

}  // namespace
}  // namespace perfwatch::clickhouse
