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
#include "analysis/vitals_series.h"
#include "clickhouse/error_reader.h"
#include "clickhouse/event_reader.h"
#include "clickhouse/forwarder.h"
#include "clickhouse/span_reader.h"
#include "clickhouse/schema.h"
#include "clickhouse/tsv.h"
#include "clickhouse/vitals_query.h"
#include "common/time.h"
#include "events/error_store.h"
#include "events/event_store.h"
#include "events/span_store.h"
#include "query/errors_api.h"
#include "query/traces_api.h"
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
    if (!server_->running()) {  // an earlier test stopped it
      ASSERT_TRUE(server_->Start());
    }
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
  // One row per migration, each applied once.
  EXPECT_EQ(server_->Scalar("SELECT count(), max(version) FROM " + database_ + ".schema_version"),
            std::to_string(kSchemaVersion) + "\t" + std::to_string(kSchemaVersion));
  EXPECT_EQ(server_->Scalar("SELECT partition_key, sorting_key FROM system.tables WHERE database = '" + database_ +
                            "' AND name = 'events'"),
            "toYYYYMMDD(time)\tapp, page, metric, time_ms");
  EXPECT_EQ(server_->Scalar("SELECT partition_key, sorting_key FROM system.tables WHERE database = '" + database_ +
                            "' AND name = 'spans'"),
            "toYYYYMMDD(time)\tservice, name, start_ns");
  EXPECT_EQ(server_->Scalar("SELECT partition_key, sorting_key FROM system.tables WHERE database = '" + database_ +
                            "' AND name = 'errors'"),
            "toYYYYMMDD(time)\tscope, fingerprint, time_ms");
  EXPECT_EQ(server_->Scalar("SELECT engine, sorting_key FROM system.tables WHERE database = '" + database_ +
                            "' AND name = 'error_groups'"),
            "ReplacingMergeTree\tfingerprint, source");
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
    if (c.vital != events::Vital::kFCP) {
      EXPECT_FALSE(local->empty());
    }
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

namespace perfwatch::clickhouse {
namespace {

// One record as text, every field (the value by its bits), for exact comparison.
std::string RecordText(const events::EventRecord& e) {
  std::string s = std::string(events::EventTypeName(e.type)) + "|" + std::string(events::VitalName(e.vital)) + "|" +
                  std::to_string(e.time_ms) + "|" + std::to_string(e.received_ms) + "|" +
                  std::to_string(DoubleBits(e.value));
  for (std::string_view d : e.dims) s += "|" + std::string(d);
  s += "|" + std::string(e.session_id) + "|" + std::string(e.id) + "|" + std::string(e.name) + "|" +
       std::string(e.attrs_json);
  return s;
}

std::vector<std::string> Records(const events::EventReader& reader, const events::RecordScan& scan) {
  std::vector<std::string> out;
  Status st = reader.ScanRecords(scan, [&](const events::EventRecord& e) { out.push_back(RecordText(e)); });
  EXPECT_TRUE(st.ok()) << st.message();
  return out;
}

// Every event type, with attributes, repeats (newer, older and equal times) and the strings
// ClickHouse must keep byte for byte.
Beacons MakeMixed(int n, int64_t base_ms, uint32_t seed) {
  Beacons b = MakeVitals(n, base_ms, seed, 4);
  std::mt19937 rng(seed + 100);
  const events::EventType types[] = {events::EventType::kNavigation, events::EventType::kResource,
                                     events::EventType::kError, events::EventType::kJourney,
                                     events::EventType::kMemory, events::EventType::kMeasure};
  for (int i = 0; i < n / 2; ++i) {
    events::EventInput e = b.events[rng() % b.events.size()];
    e.type = types[rng() % 6];
    e.vital = events::Vital::kNone;
    e.value = rng() % 5 ? std::uniform_real_distribution<double>(0, 9000)(rng) : std::nan("");
    e.name = b.Keep(e.type == events::EventType::kJourney ? "checkout" : "n\t\"x" + std::to_string(i % 7));
    e.attrs_json = b.Keep(R"({"k":)" + std::to_string(i) + R"(,"s":"a\tb\u0000\n"})");
    e.session_id = i % 3 ? b.Keep("m" + std::to_string(i / 2)) : std::string_view();
    e.id = i % 3 ? b.Keep("r" + std::to_string(i % 50)) : std::string_view();
    b.events.push_back(e);
  }
  // A repeat at the very same time as the event it repeats: the later one wins.
  events::EventInput same = b.events.front();
  same.value += 1;
  b.events.push_back(same);
  return b;
}

// The reader behind the event APIs (attribution, network, journeys, score, vitals series
// and histogram) gives, record for record and in the same order, what the local store gives.
TEST_F(ClickHouseLiveTest, EventReaderReadsWhatTheLocalStoreReads) {
  auto store = OpenStore();
  const int64_t now = NowMs();
  Beacons a = MakeMixed(3000, now - 26 * 3600 * 1000, 31);
  Beacons b = MakeMixed(3000, now - 2 * 3600 * 1000, 32);
  ASSERT_TRUE(store->Append(a.events).ok());
  ASSERT_TRUE(store->Append(b.events).ok());
  auto fwd = MakeForwarder(store.get());
  fwd->Start();
  const uint64_t total = a.events.size() + b.events.size();
  ASSERT_TRUE(WaitFor([&] { return fwd->Stats().events_pending == 0 && fwd->Stats().events_sent == total; }));
  EventReader remote(client_);

  std::vector<events::RecordScan> scans(7);
  scans[1].type = events::EventType::kJourney;
  scans[2].type = events::EventType::kVital;
  scans[2].vital = events::Vital::kLCP;
  scans[2].filters[events::kPage] = "/a'b\\c";
  scans[3].from_ms = now - 3 * 3600 * 1000;
  scans[3].to_ms = now;
  scans[3].filters[events::kDevice] = "mobile";
  scans[4].type = events::EventType::kResource;
  scans[4].filters[events::kApp] = "nope";
  scans[5].vital = events::Vital::kINP;
  scans[6].type = events::EventType::kError;
  scans[6].from_ms = now - 30LL * 3600 * 1000;
  scans[6].to_ms = now - 20LL * 3600 * 1000;
  for (size_t i = 0; i < scans.size(); ++i) {
    auto local = Records(*store, scans[i]);
    auto ch = Records(remote, scans[i]);
    if (i != 4) {
      EXPECT_FALSE(local.empty()) << i;
    }
    EXPECT_EQ(ch.size(), local.size()) << "scan " << i;
    EXPECT_TRUE(ch == local) << "scan " << i;
  }
  EXPECT_LT(store->Stats().events, total);  // replaced events were sent, and resolved

  // Vitals grouped and stepped: the series and histogram answers are the local ones.
  for (events::Vital v : {events::Vital::kLCP, events::Vital::kCLS}) {
    analysis::VitalsRequest r;
    r.scan.vital = v;
    r.scan.from_ms = now - 30LL * 3600 * 1000;
    r.scan.to_ms = now;
    r.scan.group_by[events::kPage] = true;
    r.percentile = 90;
    auto ls = analysis::ComputeVitalSeries(*store, r, 3'600'000);
    auto rs = analysis::ComputeVitalSeries(remote, r, 3'600'000);
    ASSERT_TRUE(ls.ok() && rs.ok()) << rs.status().message();
    ASSERT_EQ(rs->size(), ls->size());
    for (size_t i = 0; i < ls->size(); ++i) {
      EXPECT_EQ((*rs)[i].key, (*ls)[i].key);
      EXPECT_EQ((*rs)[i].step_starts_ms, (*ls)[i].step_starts_ms);
      EXPECT_EQ((*rs)[i].counts, (*ls)[i].counts);
      EXPECT_EQ((*rs)[i].values, (*ls)[i].values);
    }
    auto lh = analysis::ComputeVitalHistogram(*store, r, 20, {});
    auto rh = analysis::ComputeVitalHistogram(remote, r, 20, {});
    ASSERT_TRUE(lh.ok() && rh.ok()) << rh.status().message();
    EXPECT_EQ(rh->counts, lh->counts);
    EXPECT_EQ(rh->edges, lh->edges);
    EXPECT_EQ(rh->p75, lh->p75);
  }
  // The same step limit and error as the local store.
  events::VitalScan wide;
  wide.from_ms = 0;
  wide.to_ms = now;
  auto nop = [](const auto&, int64_t, std::span<const double>) {};
  Status l = store->ScanVitalSteps(wide, 1000, 100, nop), r = remote.ScanVitalSteps(wide, 1000, 100, nop);
  EXPECT_EQ(l.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.message(), l.message());

  // ClickHouse down: Unavailable, which the APIs answer as 503.
  server_->Stop();
  Status down = remote.ScanRecords(scans[0], [](const events::EventRecord&) {});
  EXPECT_EQ(down.code(), StatusCode::kUnavailable) << down.message();
}

}  // namespace
}  // namespace perfwatch::clickhouse

namespace perfwatch::clickhouse {
namespace {

events::SpanRecord Span(uint8_t trace, uint8_t id, uint64_t start_ns, std::string service) {
  events::SpanRecord s;
  s.trace_id.fill(0);
  s.trace_id[15] = trace;
  s.span_id[7] = id;
  if (id > 1) s.parent_span_id[7] = 1;
  s.service = std::move(service);
  s.name = "GET /items/{id}";
  s.kind = id == 1 ? events::kSpanKindServer : 3;
  s.status_code = id % 7 == 0 ? events::kSpanStatusError : 0;
  s.status_message = "tab\there";
  s.start_time_unix_nano = start_ns;
  s.end_time_unix_nano = start_ns + 1'500'000;
  s.attributes = {events::SpanAttribute::String("http.route", "/items/{id}"), events::SpanAttribute::Int("n", id)};
  s.events.push_back({"exception", start_ns + 10, {events::SpanAttribute::String("exception.message", "boom\n")}});
  return s;
}

// Spans and error occurrences reach their tables once each, with their fields, also when
// the cursors are lost (the resync finds what ClickHouse holds).
TEST_F(ClickHouseLiveTest, SpansAndErrorsAreForwardedExactlyOnce) {
  const int64_t now = NowMs();
  auto spans = events::SpanStore::Open(dir_ / "spans", {}, nullptr).value();
  auto errors = events::ErrorStore::Open(dir_ / "errors", {}, nullptr).value();
  // Two hours of spans (two partitions), in batches: more blocks than one INSERT takes.
  uint64_t total_spans = 0;
  for (int batch = 0; batch < 6; ++batch) {
    std::vector<events::SpanRecord> b;
    const uint64_t base = static_cast<uint64_t>(now - (batch < 3 ? 2 : 0) * 3'600'000) * 1'000'000;
    for (int i = 0; i < 700; ++i) b.push_back(Span(static_cast<uint8_t>(batch), static_cast<uint8_t>(i % 200 + 1), base + i, "api"));
    ASSERT_TRUE(spans->Append(b).ok());
    total_spans += b.size();
  }
  events::ErrorGroupInfo g1, g2;
  g1.fingerprint = 0xabcdef0123456789ull;
  g1.type = "TypeError";
  g1.message = "x is undefined";
  g2.fingerprint = 42;
  g2.source = events::ErrorSource::kBackend;
  g2.type = "ValueError";
  g2.message = "bad \t value";
  std::vector<events::ErrorOccurrenceInput> occ;
  for (int i = 0; i < 900; ++i) {
    events::ErrorOccurrenceInput o;
    o.group = i % 3 ? &g1 : &g2;
    o.time_ms = now - (i % 2 ? 26 : 1) * 3'600'000 + i;
    o.scope = i % 3 ? "shop" : "api";
    o.location = "/cart";
    o.session_id = "s1";
    o.message = "raw\nmessage";
    if (i % 5 == 0) o.trace_id[0] = 0x7f;
    occ.push_back(o);
  }
  ASSERT_TRUE(errors->Append(occ).ok());

  config_.batch_size = 2048;  // two span blocks per INSERT
  auto fs = Forwarder::Create(config_, client_, SpansSource(spans.get()), dir_ / "clickhouse", nullptr).value();
  auto fe = Forwarder::Create(config_, client_, ErrorsSource(errors.get()), dir_ / "clickhouse", nullptr).value();
  EXPECT_EQ(fs->source(), fe->source());
  fs->Start();
  fe->Start();
  // (pending is 0 until the first look at the store: wait for what was sent.)
  ASSERT_TRUE(WaitFor([&] { return fs->Stats().events_sent == total_spans && fe->Stats().events_sent == 900; }));
  ASSERT_TRUE(WaitFor([&] { return fs->Stats().events_pending == 0 && fe->Stats().events_pending == 0; }));
  auto count = [&](const std::string& table, const std::string& what = "count()") {
    return server_->Scalar("SELECT " + what + " FROM " + database_ + "." + table);
  };
  EXPECT_EQ(count("spans"), std::to_string(total_spans));
  EXPECT_EQ(fs->Stats().events_sent, total_spans);
  EXPECT_EQ(count("spans", "uniqExact(log_partition, log_row, span_index)"), std::to_string(total_spans));
  EXPECT_EQ(count("errors"), "900");
  EXPECT_EQ(count("errors", "uniqExact(log_partition, log_row)"), "900");
  // Fields as stored, byte for byte.
  EXPECT_EQ(server_->Scalar("SELECT concat(trace_id, ' ', span_id, ' ', parent_span_id, ' ', toString(kind), ' ', "
                            "toString(duration_ns), ' ', attributes) FROM " + database_ +
                            ".spans WHERE span_id = '0000000000000002' AND trace_id LIKE '%05' LIMIT 1"),
            "00000000000000000000000000000005 0000000000000002 0000000000000001 3 1500000 "
            "{\"http.route\":\"/items/{id}\",\"n\":2}");
  EXPECT_EQ(server_->Scalar("SELECT count() FROM " + database_ + ".spans WHERE status_message = 'tab\\there' AND "
                            "position(events, 'boom\\\\n') > 0"),
            std::to_string(total_spans));
  EXPECT_EQ(count("spans WHERE route = '/items/{id}' AND service = 'api'"), std::to_string(total_spans));
  EXPECT_EQ(count("errors WHERE fingerprint = 'abcdef0123456789' AND error_source = 'browser'"), "600");
  EXPECT_EQ(count("errors WHERE fingerprint = '000000000000002a' AND message = 'bad \\t value' AND "
                  "raw_message = 'raw\\nmessage' AND error_source = 'backend'"),
            "300");
  EXPECT_EQ(count("errors WHERE trace_id != ''"), "180");

  // Lost cursors and more rows: only the new ones are sent.
  fs->Stop();
  fe->Stop();
  std::filesystem::remove(dir_ / "clickhouse" / "cursor-spans");
  std::filesystem::remove(dir_ / "clickhouse" / "cursor-errors");
  ASSERT_TRUE(spans->Append(std::vector<events::SpanRecord>{Span(9, 1, static_cast<uint64_t>(now) * 1'000'000, "web")}).ok());
  ASSERT_TRUE(errors->Append(std::span(occ.data(), 10)).ok());
  auto fs2 = Forwarder::Create(config_, client_, SpansSource(spans.get()), dir_ / "clickhouse", nullptr).value();
  auto fe2 = Forwarder::Create(config_, client_, ErrorsSource(errors.get()), dir_ / "clickhouse", nullptr).value();
  fs2->Start();
  fe2->Start();
  ASSERT_TRUE(WaitFor([&] { return fs2->Stats().events_sent >= 1 && fe2->Stats().events_sent >= 10; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // nothing more follows
  EXPECT_EQ(fs2->Stats().events_pending, 0u);
  EXPECT_EQ(fs2->Stats().events_sent, 1u);
  EXPECT_EQ(fe2->Stats().events_sent, 10u);
  EXPECT_EQ(count("spans"), std::to_string(total_spans + 1));
  EXPECT_EQ(count("errors"), "910");
}

}  // namespace
}  // namespace perfwatch::clickhouse

namespace perfwatch::clickhouse {
namespace {

// The traces API's reader gives from ClickHouse what the local span store gives: whole
// traces (in start order, orphans and truncation included) and the entry-span lists.
TEST_F(ClickHouseLiveTest, SpanReaderReadsWhatTheLocalStoreReads) {
  const int64_t now = NowMs();
  auto spans = events::SpanStore::Open(dir_ / "spans", {}, nullptr).value();
  std::mt19937 rng(5);
  uint64_t total = 0;
  for (int batch = 0; batch < 4; ++batch) {
    std::vector<events::SpanRecord> b;
    for (int i = 0; i < 500; ++i) {
      // Distinct start times and durations: the lists have no ties to break.
      const uint64_t start = static_cast<uint64_t>(now - 3 * 3'600'000) * 1'000'000 + (batch * 500 + i) * 7'000'003ull;
      events::SpanRecord s = Span(static_cast<uint8_t>(i % 40), static_cast<uint8_t>(i % 9 + 1), start,
                                  i % 3 ? "api" : "web");
      s.trace_id[0] = static_cast<uint8_t>(batch);
      s.end_time_unix_nano = start + 1'000'000 + (batch * 500 + i) * 1'013ull;
      s.status_code = rng() % 4 == 0 ? events::kSpanStatusError : rng() % 2;
      s.attributes.push_back(events::SpanAttribute::Int("big", -static_cast<int64_t>(rng())));
      events::SpanAttribute d;
      d.key = "ratio";
      d.type = events::SpanAttribute::Type::kDouble;
      d.double_value = std::uniform_real_distribution<double>(0, 1)(rng);
      s.attributes.push_back(d);
      events::SpanAttribute flag;
      flag.key = "cached";
      flag.type = events::SpanAttribute::Type::kBool;
      flag.bool_value = i % 2;
      s.attributes.push_back(flag);
      if (i % 50 == 0) s.attributes[0].string_value = "/a'b\\c\t\"";
      b.push_back(std::move(s));
    }
    ASSERT_TRUE(spans->Append(b).ok());
    total += b.size();
  }
  auto f = Forwarder::Create(config_, client_, SpansSource(spans.get()), dir_ / "clickhouse", nullptr).value();
  f->Start();
  ASSERT_TRUE(WaitFor([&] { return f->Stats().events_sent == total; }));
  SpanReader remote(client_);

  auto list_json = [](const std::vector<events::SpanRecord>& v) {
    std::string out;
    for (const auto& s : v) {
      std::string id;
      events::AppendHexId(id, s.span_id);
      out += id + " " + std::to_string(s.start_time_unix_nano) + " ";
      events::AppendSpanAttributesJson(out, s.attributes);
      events::AppendSpanEventsJson(out, s.events);
      out += "\n";
    }
    return out;
  };
  for (int t = 0; t < 40; t += 7) {
    for (int batch : {0, 3}) {
      std::array<uint8_t, 16> id{};
      id[0] = static_cast<uint8_t>(batch);
      id[15] = static_cast<uint8_t>(t);
      for (size_t max : {size_t{10000}, size_t{5}}) {
        std::vector<events::SpanRecord> a, b;
        uint64_t ta = 0, tb = 0;
        ASSERT_TRUE(spans->GetTrace(id, max, &a, &ta).ok());
        Status st = remote.GetTrace(id, max, &b, &tb);
        ASSERT_TRUE(st.ok()) << st.message();
        EXPECT_FALSE(a.empty());
        EXPECT_EQ(tb, ta);
        EXPECT_EQ(query::TraceTreeJson(b, tb), query::TraceTreeJson(a, ta)) << "trace " << t << " max " << max;
      }
    }
  }
  std::vector<events::SpanRecord> none;
  uint64_t zero = 1;
  ASSERT_TRUE(remote.GetTrace(std::array<uint8_t, 16>{9, 9}, 100, &none, &zero).ok());
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(zero, 0u);

  std::vector<events::SpanListQuery> queries(6);
  queries[1].sort = events::SpanListQuery::Sort::kSlowest;
  queries[1].limit = 50;
  queries[2].service = "web";
  queries[2].status = events::kSpanStatusError;
  queries[3].route = "/items/{id}";
  queries[3].min_duration_ns = 2'000'000;
  queries[3].from_ns = (now - 3 * 3'600'000 + 7'000) * 1'000'000;  // the spans cover 14 s from now - 3 h
  queries[4].name = "nope";
  queries[5].sort = events::SpanListQuery::Sort::kSlowest;
  queries[5].to_ns = (now - 3 * 3'600'000 + 7'000) * 1'000'000;
  queries[5].limit = 1000;
  for (size_t i = 0; i < queries.size(); ++i) {
    std::vector<events::SpanRecord> a, b;
    ASSERT_TRUE(spans->ListEntrySpans(queries[i], &a).ok());
    Status st = remote.ListEntrySpans(queries[i], &b);
    ASSERT_TRUE(st.ok()) << st.message();
    if (i != 4) {
      EXPECT_FALSE(a.empty()) << i;
    }
    EXPECT_EQ(list_json(b), list_json(a)) << "query " << i;
  }
}

}  // namespace
}  // namespace perfwatch::clickhouse

namespace perfwatch::clickhouse {
namespace {

// GET /api/v1/errors over `reader`, as the server registers it.
std::pair<int, std::string> ErrorsApi(const events::ErrorReader* reader, const std::string& path,
                                      const std::string& query) {
  http::Router router;
  query::RegisterErrorsApi(router, reader);
  http::Request req;
  req.method = "GET";
  req.path = path;
  req.query = query;
  http::Response res;
  auto m = router.Find("GET", path);
  EXPECT_NE(m.handler, nullptr) << path;
  if (m.handler == nullptr) return {0, ""};
  (*m.handler)(req, res);
  return {res.status, res.body};
}

// The errors API's reader gives from ClickHouse what the local error store gives: the
// list (every filter and order), each group's detail (sample, stack, frames, hourly,
// recent), first seen moved back by a late occurrence, a group without occurrences in
// the window, an unknown fingerprint; also after a restart resent the groups.
TEST_F(ClickHouseLiveTest, ErrorReaderReadsWhatTheLocalStoreReads) {
  const int64_t now = NowMs();
  auto errors = events::ErrorStore::Open(dir_ / "errors", {}, nullptr).value();
  std::vector<events::ErrorGroupInfo> groups(4);
  groups[0].fingerprint = 0xabcdef0123456789ull;
  groups[0].type = "TypeError";
  groups[0].message = "x is undefined";
  groups[0].scope = "shop";
  groups[0].sample_message = "x is undefined \"quoted\"\ttab";
  groups[0].sample_stack = "TypeError: x\n    at f (https://shop.example/app.js:1:2)\n    at g (\xc3\xa9.js:3:4)";
  groups[0].frames = {{"f", "https://shop.example/app.js", 1, 2, true}, {"g", "\xc3\xa9.js", 3, 4, false}};
  groups[1].fingerprint = 42;
  groups[1].source = events::ErrorSource::kBackend;
  groups[1].type = "ValueError";
  groups[1].message = "bad \t value";
  groups[1].scope = "api";
  groups[1].sample_stack = "Traceback\\n";
  groups[2].fingerprint = 0x00ff00ff00ff00ffull;
  groups[2].type = "Error";
  groups[2].message = "old";
  groups[2].scope = "shop";
  groups[3].fingerprint = 7;
  groups[3].type = "RangeError";
  groups[3].message = "late";
  groups[3].scope = "blog";
  const char* pages[] = {"/", "/cart", "/p/:id", "/a'b\\c"};
  const char* browsers[] = {"Chrome", "Firefox", "Safari", ""};
  std::deque<std::string> keep;
  std::vector<events::ErrorOccurrenceInput> occ;
  std::mt19937 rng(11);
  for (int i = 0; i < 1200; ++i) {
    events::ErrorOccurrenceInput o;
    const int g = i % 7 == 0 ? 1 : i % 11 == 0 ? 2 : i % 13 == 0 ? 3 : 0;
    o.group = &groups[g];
    // Distinct times: group 2 only 30 h ago (outside the windows asked below but one).
    o.time_ms = g == 2 ? now - 30 * 3'600'000 + i : now - 5 * 3'600'000 + i * 14'000 + static_cast<int64_t>(rng() % 1000);
    o.scope = g == 1 ? "api" : g == 3 ? "blog" : i % 5 ? "shop" : "shop-eu";
    o.location = pages[rng() % 4];
    o.browser = browsers[rng() % 4];
    o.session_id = keep.emplace_back("s" + std::to_string(rng() % 300));
    o.user_id = i % 3 ? std::string_view(keep.emplace_back("u" + std::to_string(rng() % 50))) : std::string_view();
    o.message = keep.emplace_back("raw " + std::to_string(i) + (i % 9 ? "" : "\nline\ttab"));
    if (i % 4 == 0) o.trace_id[3] = static_cast<uint8_t>(i), o.span_id[7] = static_cast<uint8_t>(i + 1);
    occ.push_back(o);
  }
  ASSERT_TRUE(errors->Append(occ).ok());
  // Group 3 first seen by an occurrence older than its first one.
  events::ErrorOccurrenceInput late = occ[13];
  late.time_ms = now - 6 * 3'600'000;
  ASSERT_TRUE(errors->Append(std::span(&late, 1)).ok());

  auto forward = [&](uint64_t rows) {
    auto f = Forwarder::Create(config_, client_, ErrorsSource(errors.get()), dir_ / "clickhouse", nullptr).value();
    f->Start();
    EXPECT_TRUE(WaitFor([&] { return f->Stats().events_sent == rows && f->Stats().events_pending == 0; }))
        << f->Stats().events_sent;
    f->Stop();
  };
  config_.batch_size = 300;  // several batches, each naming groups already sent
  forward(occ.size() + 1);
  EXPECT_EQ(server_->Scalar("SELECT count() FROM " + database_ + ".error_groups"), "4");
  ErrorReader remote(client_);

  auto compare = [&](const std::string& what) {
    const std::string s = std::to_string(now / 1000 - 8 * 3600), e = std::to_string(now / 1000 + 60);
    const std::vector<std::string> lists = {
        "start=" + s + "&end=" + e,
        "start=" + s + "&end=" + e + "&app=shop",
        "start=" + s + "&end=" + e + "&service=api",
        "start=" + s + "&end=" + e + "&source=backend",
        // Groups 0 and 1 are new in it; group 3 not (its late occurrence is older).
        "start=" + std::to_string(now / 1000 - 5 * 3600 - 1800) + "&end=" + e + "&new=true",
        "start=" + std::to_string(now / 1000 - 40 * 3600) + "&end=" + e + "&sort=last_seen&limit=2",
        "start=" + std::to_string(now / 1000 - 40 * 3600) + "&end=" + e + "&app=blog",
        "start=" + std::to_string(now / 1000 + 3600) + "&end=" + std::to_string(now / 1000 + 7200)};
    for (const std::string& q : lists) {
      auto local = ErrorsApi(errors.get(), "/api/v1/errors", q);
      auto from_ch = ErrorsApi(&remote, "/api/v1/errors", q);
      ASSERT_EQ(local.first, 200) << q << ": " << local.second;
      if (q.find("&end=" + e) != std::string::npos) {
        EXPECT_GT(local.second.size(), 500u) << q << ": " << local.second;
      }
      EXPECT_EQ(from_ch.first, 200) << what << " " << q;
      EXPECT_EQ(from_ch.second, local.second) << what << " " << q;
    }
    for (const char* fp : {"abcdef0123456789", "000000000000002a", "00ff00ff00ff00ff", "0000000000000007",
                           "ABCDEF0123456789", "1111111111111111"}) {
      const std::string path = std::string("/api/v1/errors/") + fp;
      auto local = ErrorsApi(errors.get(), path, "start=" + s + "&end=" + e);
      auto from_ch = ErrorsApi(&remote, path, "start=" + s + "&end=" + e);
      EXPECT_EQ(local.first, fp[0] == '1' ? 404 : 200) << fp << ": " << local.second;
      EXPECT_EQ(from_ch.first, local.first) << what << " " << fp;
      EXPECT_EQ(from_ch.second, local.second) << what << " " << fp;
    }
  };
  compare("first forwarding");
  {
    auto local = ErrorsApi(errors.get(), "/api/v1/errors/0000000000000007", "");
    EXPECT_NE(local.second.find(R"("firstSeen":")" + FormatRfc3339Ms(now - 6 * 3'600'000)), std::string::npos)
        << local.second;
  }

  // A restart forgets which groups were sent: they are sent again, and read once.
  std::vector<events::ErrorOccurrenceInput> more(occ.begin(), occ.begin() + 20);
  for (auto& o : more) o.time_ms += 1;
  ASSERT_TRUE(errors->Append(more).ok());
  forward(more.size());
  EXPECT_NE(server_->Scalar("SELECT count() FROM " + database_ + ".error_groups"), "4");
  compare("after a restart");

  // Groups lost from ClickHouse (a database forwarded to by a perfwatch before schema
  // version 3): the first batch after a start carries every group again.
  ASSERT_EQ(server_->Query("DROP TABLE " + database_ + ".error_groups").status, 200);
  for (const std::string& sql : MigrationStatements(3, database_)) ASSERT_EQ(server_->Query(sql).status, 200) << sql;
  ASSERT_TRUE(errors->Append(std::span(occ.data() + 1, 1)).ok());  // one occurrence of group 0
  forward(1);
  EXPECT_EQ(server_->Scalar("SELECT uniqExact(fingerprint) FROM " + database_ + ".error_groups"), "4");
  compare("after error_groups was emptied");

  // ClickHouse unreachable: Unavailable, which the API answers 503.
  ErrorReader nowhere(std::shared_ptr<const Client>(Client::Create([&] {
    ClickHouseConfig c = config_;
    c.url = "http://127.0.0.1:1";
    return c;
  }(), "").value()));
  auto down = ErrorsApi(&nowhere, "/api/v1/errors", "");
  EXPECT_EQ(down.first, 503) << down.second;
  EXPECT_EQ(ErrorsApi(&nowhere, "/api/v1/errors/abcdef0123456789", "").first, 503);
}

}  // namespace
}  // namespace perfwatch::clickhouse
