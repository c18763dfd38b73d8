// The caches of parsed events behind GET /api/v1/network, /api/v1/vitals/attribution and
// /api/v1/journeys (analysis/record_cache.h): after every round of appends (new events,
// events replacing earlier ones, views spread over several partitions), each cached answer
// equals the uncached one byte for byte, new events count at once, dropped partitions are
// forgotten, and a tight memory bound evicts without changing any answer.
#include "analysis/record_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>

#include "analysis/attribution_api.h"
#include "analysis/journeys_api.h"
#include "analysis/network_api.h"
#include "events/event_store.h"
#include "events/test_events.h"

namespace perfwatch::analysis {
namespace {

using events::EventType;
using events::Vital;
using events::testing::kHour;
using events::testing::kT0;
using events::testing::OwnedEvent;

// Events of page views over several hourly partitions (TestConfig), from a seed: resource
// beacons (full and core build, some without a pageViewId), LCP / INP / CLS with
// attribution, navigations, journeys; some re-sent with the same (session, id) so they
// replace the earlier one; LCP and navigation sometimes in another hour than the resources.
class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  std::vector<OwnedEvent> Round(int views) {
    std::vector<OwnedEvent> out;
    for (int v = 0; v < views; ++v) AddView(out);
    return out;
  }

 private:
  double U() { return std::uniform_real_distribution<double>(0, 1)(rng_); }
  int I(int n) { return static_cast<int>(rng_() % static_cast<uint64_t>(n)); }
  std::string Num(double v) {
    char b[32];
    std::snprintf(b, sizeof(b), "%.*f", I(3), v);
    return b;
  }

  OwnedEvent Base(EventType type, Vital vital, int64_t t, const std::string& page, const std::string& session,
                  std::string id, double value, std::string attrs, std::string name = "") {
    OwnedEvent e = events::testing::Vitals(vital == Vital::kNone ? Vital::kLCP : vital, t, value, page, session,
                                           std::move(id));
    e.type = type;
    e.vital = vital;
    if (type != EventType::kVital) e.name = std::move(name);
    e.dims[events::kApp] = I(5) == 0 ? "blog" : "shop";
    e.attrs_json = std::move(attrs);
    return e;
  }

  void AddView(std::vector<OwnedEvent>& out) {
    const int n = next_++;
    const std::string pv = "pv" + std::to_string(n);
    const std::string session = "s" + std::to_string(n / 3);
    const std::string page = "/p" + std::to_string(I(4));
    const int64_t hour = I(4);
    const int64_t t = kT0 + hour * kHour + I(3'000'000);
    const int64_t other = kT0 + ((hour + 1 + I(2)) % 4) * kHour + I(1000);  // maybe another partition
    const bool full = I(3) != 0;
    const bool with_pv = I(6) != 0;
    // Resources, maybe re-sent with more of them (the earlier beacon is replaced).
    const int sends = 1 + (I(4) == 0);
    std::string list;
    for (int s = 0; s < sends; ++s) {
      for (int r = 0; r < 2 + I(4); ++r) {
        const int k = I(8);
        const int type = k % 5;
        static const char* kExt[] = {".js", ".css", ".jpg", ".woff2", ".json"};
        if (!list.empty()) list += ',';
        list += R"({"u":")" + std::string(k == 7 ? "https://cdn.other.example" : "https://shop.example") + "/a/" +
                std::to_string(k) + "/" + std::to_string(I(30)) + "/f" + kExt[type] + R"(","i":")" +
                (type == 4 ? "fetch" : type == 1 ? "link" : "img") + R"(","s":)" + Num(U() * 2000) + R"(,"d":)" +
                Num(20 + U() * 900) + R"(,"z":)" + std::to_string(I(3) == 0 ? 0 : 1000 + I(300000));
        if (full) {
          static const char* kTypes[] = {"script", "css", "img", "font", "fetch"};
          list += R"(,"t":")" + std::string(kTypes[type]) + R"(","dns":)" + Num(U() * 20) + R"(,"tcp":1.5,"req":)" +
                  Num(U() * 100) + R"(,"res":)" + Num(U() * 300) + R"(,"e":)" + std::to_string(5000 + k * 1000) +
                  R"(,"b":)" + std::to_string(k % 2 ? 5000 + k * 1000 : 20000 + k * 100000);
        }
        if (I(3) == 0) list += R"(,"rb":1)";
        if (I(4) == 0) list += R"(,"c":1)";
        if (k == 7) list += R"(,"tp":1)";
        if (r == 0 && I(2) == 0) list += R"(,"lcp":1)";
        list += "}";
      }
      std::string attrs = "{";
      if (with_pv) attrs += R"("pageViewId":")" + pv + "\",";
      if (full) attrs += R"("summary":{"byType":{"img":{"n":)" + std::to_string(3 + s) + R"(}},"firstParty":{"transfer":)" +
                         std::to_string(10000 * (s + 1)) + "}},";
      attrs += R"("resources":[)" + list + "]}";
      out.push_back(Base(EventType::kResource, Vital::kNone, t, page, session, pv + "-r", 1, attrs));
    }
    if (I(10) == 0) out.push_back(Base(EventType::kResource, Vital::kNone, t, page, session, pv + "-bad", 1, "[1"));
    // LCP (maybe twice: the larger wins), navigation.
    for (int s = 0; s < 1 + (I(5) == 0); ++s) {
      out.push_back(Base(EventType::kVital, Vital::kLCP, I(3) == 0 ? other : t, page, session,
                         pv + "-lcp" + std::to_string(s), std::round(500 + U() * 4000),
                         R"({"pageViewId":")" + pv + R"(","attribution":{"element":"#el)" + std::to_string(I(6)) +
                             R"(","url":"https://shop.example/a/2/)" + std::to_string(I(30)) +
                             R"(/f.jpg","ttfb":)" + Num(U() * 300) + R"(,"loadDelay":)" + Num(U() * 500) +
                             R"(,"loadDuration":)" + Num(U() * 900) + R"(,"renderDelay":)" + Num(U() * 100) + "}}"));
    }
    out.push_back(Base(EventType::kNavigation, Vital::kNone, I(3) == 0 ? other : t, page, session, pv + "-nav",
                       std::round(800 + U() * 3000), R"({"pageViewId":")" + pv + R"(","load":1})"));
    // INP re-sent as it grows (replace-on-repeat), CLS.
    for (int s = 0; s < 1 + I(3); ++s) {
      std::string scripts;
      for (int k = 0; k < I(3); ++k) {
        scripts += std::string(k ? "," : "") + R"({"src":"https://shop.example/s)" + std::to_string(I(4)) +
                   R"(.js","fn":"f","invoker":"BUTTON.onclick","dur":)" + Num(U() * 200) + "}";
      }
      out.push_back(Base(EventType::kVital, Vital::kINP, t + 10 * s, page, session, pv + "-inp",
                         std::round(50 + U() * 500 + 100 * s),
                         R"({"pageViewId":")" + pv + R"(","attribution":{"target":"#btn)" + std::to_string(I(5)) +
                             R"(","inputDelay":)" + Num(U() * 50) + R"(,"processing":)" + Num(U() * 200) +
                             R"(,"presentation":)" + Num(U() * 80) + R"(,"scripts":[)" + scripts + "]}}"));
    }
    out.push_back(Base(EventType::kVital, Vital::kCLS, t, page, session, pv + "-cls", std::round(U() * 1000) / 10000,
                       I(4) == 0 ? "" : R"({"attribution":{"target":"div.ad)" + std::to_string(I(3)) + R"("}})"));
    // A journey every other view: started, maybe finished later (replacing it).
    if (I(2) == 0) {
      const std::string name = I(3) == 0 ? "signup" : "checkout";
      auto journey = [&](const char* outcome, int steps, int64_t at) {
        std::string s = "[";
        static const char* kSteps[] = {"cart", "address", "pay", "confirm"};
        for (int i = 0; i < steps; ++i) {
          s += std::string(i ? "," : "") + R"({"name":")" + kSteps[i] + R"(","d":)" + Num(100 + U() * 2000) + "}";
        }
        s += "]";
        out.push_back(Base(EventType::kJourney, Vital::kNone, at, page, session, pv + "-j", 1000 + I(9000),
                           R"({"outcome":")" + std::string(outcome) + R"(","target":)" + std::to_string(3000 + I(3) * 1000) +
                               R"(,"steps":)" + s + "}",
                           name));
      };
      journey("abandoned", 1 + I(3), t);
      if (I(2) == 0) journey(I(4) == 0 ? "failed" : "completed", 2 + I(3), t + 5000);
    }
  }

  std::mt19937_64 rng_;
  int next_ = 0;
};

class RecordCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = events::EventStore::Open(dir_.path() / "events", events::testing::TestConfig(), nullptr);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }
  void Store(const std::vector<OwnedEvent>& evs) {
    // In batches of varying size, as beacons arrive.
    for (size_t i = 0; i < evs.size();) {
      const size_t n = std::min<size_t>(evs.size() - i, 1 + i % 7);
      std::vector<OwnedEvent> part(evs.begin() + static_cast<std::ptrdiff_t>(i),
                                   evs.begin() + static_cast<std::ptrdiff_t>(i + n));
      ASSERT_TRUE(store_->Append(events::testing::Views(part)).ok());
      i += n;
    }
  }

  // Every request shape the test compares: all apps, one app, one page, a narrow window.
  struct Shape {
    std::optional<std::string> app, page;
    int64_t from_ms, to_ms;
  };
  std::vector<Shape> Shapes() const {
    return {{std::nullopt, std::nullopt, kT0 - kHour, kT0 + 5 * kHour},
            {"shop", std::nullopt, kT0 - kHour, kT0 + 5 * kHour},
            {"shop", "/p1", kT0 - kHour, kT0 + 5 * kHour},
            {std::nullopt, std::nullopt, kT0 + kHour / 2, kT0 + 2 * kHour + 17}};
  }

  // Compares cached and uncached answers of the three APIs over every shape; returns the
  // number of views / events the answers counted (to see new events arrive).
  uint64_t ExpectSameAnswers() {
    uint64_t counted = 0;
    for (const Shape& s : Shapes()) {
      NetworkRequest n{s.app, s.page, s.from_ms, s.to_ms};
      auto plain_n = ComputeNetwork(*store_, n);
      auto cached_n = ComputeNetwork(*store_, n, network_);
      EXPECT_TRUE(plain_n.ok() && cached_n.ok());
      if (!plain_n.ok() || !cached_n.ok()) return 0;
      EXPECT_EQ(RenderNetworkJson(*cached_n), RenderNetworkJson(*plain_n));
      for (const PageNetwork& p : plain_n->pages) counted += static_cast<uint64_t>(p.views);

      for (Vital m : {Vital::kLCP, Vital::kINP, Vital::kCLS}) {
        AttributionRequest a;
        a.metric = m;
        a.app = s.app;
        a.page = s.page;
        a.from_ms = s.from_ms;
        a.to_ms = s.to_ms;
        auto plain_a = ComputeAttribution(*store_, a);
        auto cached_a = ComputeAttribution(*store_, a, attribution_);
        EXPECT_TRUE(plain_a.ok() && cached_a.ok());
        if (!plain_a.ok() || !cached_a.ok()) return 0;
        EXPECT_EQ(RenderAttributionJson(*cached_a), RenderAttributionJson(*plain_a)) << events::VitalName(m);
        counted += plain_a->views;
      }

      JourneysRequest j;
      j.app = s.app;
      j.from_ms = s.from_ms;
      j.to_ms = s.to_ms;
      const int64_t now = kT0 + 4 * kHour;
      auto plain_j = ComputeJourneys(*store_, j, now, 30 * 60 * 1000);
      auto cached_j = ComputeJourneys(*store_, j, now, 30 * 60 * 1000, journeys_);
      EXPECT_TRUE(plain_j.ok() && cached_j.ok());
      if (!plain_j.ok() || !cached_j.ok()) return 0;
      EXPECT_EQ(RenderJourneysJson(*cached_j), RenderJourneysJson(*plain_j));
      for (const JourneyReport& r : *plain_j) counted += r.started;
      j.name = "signup";
      plain_j = ComputeJourneys(*store_, j, now, 30 * 60 * 1000);
      cached_j = ComputeJourneys(*store_, j, now, 30 * 60 * 1000, journeys_);
      EXPECT_EQ(RenderJourneysJson(*cached_j), RenderJourneysJson(*plain_j));
    }
    return counted;
  }

  perfwatch::testing::TempDir dir_;
  std::unique_ptr<events::EventStore> store_;
  NetworkCache network_;
  AttributionCache attribution_;
  JourneysCache journeys_;
};

TEST_F(RecordCacheTest, CachedAnswersEqualUncachedAfterEveryRoundOfAppends) {
  Generator gen(16);
  uint64_t last = 0;
  for (int round = 0; round < 6; ++round) {
    Store(gen.Round(round == 0 ? 120 : 25));
    const uint64_t counted = ExpectSameAnswers();
    EXPECT_GT(counted, last) << "round " << round << ": the events just appended must count";
    last = counted;
  }
  // Only what was appended since the previous request was parsed: each event once.
  const RecordCacheStats s = network_.Stats();
  EXPECT_GE(s.partitions, 4u);
  EXPECT_GT(s.entries, 0u);
  EXPECT_GT(s.bytes, 0u);
  EXPECT_EQ(s.evictions, 0u);
  // A second request with nothing appended parses nothing.
  const uint64_t parsed = network_.Stats().parsed + attribution_.Stats().parsed + journeys_.Stats().parsed;
  ExpectSameAnswers();
  EXPECT_EQ(network_.Stats().parsed + attribution_.Stats().parsed + journeys_.Stats().parsed, parsed);
}

TEST_F(RecordCacheTest, AppendedEventCountsInTheNextAnswer) {
  Generator gen(4711);
  Store(gen.Round(30));
  AttributionRequest a;
  a.metric = Vital::kLCP;
  a.from_ms = kT0 - kHour;
  a.to_ms = kT0 + 5 * kHour;
  auto before = ComputeAttribution(*store_, a, attribution_);
  ASSERT_TRUE(before.ok());
  OwnedEvent e = events::testing::Vitals(Vital::kLCP, kT0 + 10, 1234, "/p1", "fresh", "fresh-1");
  e.attrs_json = R"({"attribution":{"element":"img.fresh","loadDuration":700}})";
  ASSERT_TRUE(store_->Append(events::testing::Views({e})).ok());
  auto after = ComputeAttribution(*store_, a, attribution_);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->views, before->views + 1);
  bool found = false;
  for (const AttributionTarget& t : after->targets) found |= t.selector == "img.fresh" && t.count == 1;
  EXPECT_TRUE(found);
}

TEST_F(RecordCacheTest, PartitionsDroppedByRetentionAreForgotten) {
  Generator gen(7);
  Store(gen.Round(80));
  ExpectSameAnswers();
  const uint64_t partitions = network_.Stats().partitions;
  ASSERT_GE(partitions, 3u);
  // Drop the first hours: retention measured from a "now" that keeps only the last ones.
  ASSERT_TRUE(store_->EnforceRetention(kT0 + 2 * kHour + events::testing::TestConfig().retention_ms).ok());
  ExpectSameAnswers();
  EXPECT_LT(network_.Stats().partitions, partitions);
}

TEST(RecordCacheBoundTest, ATightMemoryBoundEvictsWithoutChangingAnswers) {
  perfwatch::testing::TempDir dir;
  auto store = events::EventStore::Open(dir.path() / "events", events::testing::TestConfig(), nullptr);
  ASSERT_TRUE(store.ok());
  Generator gen(99);
  std::vector<OwnedEvent> evs = gen.Round(100);
  ASSERT_TRUE((*store)->Append(events::testing::Views(evs)).ok());
  NetworkCache tiny(1);  // every partition evicted after each request
  NetworkRequest n{std::nullopt, std::nullopt, kT0 - kHour, kT0 + 5 * kHour};
  for (int i = 0; i < 2; ++i) {
    auto plain = ComputeNetwork(**store, n);
    auto cached = ComputeNetwork(**store, n, tiny);
    ASSERT_TRUE(plain.ok() && cached.ok());
    EXPECT_EQ(RenderNetworkJson(*cached), RenderNetworkJson(*plain));
  }
  const RecordCacheStats s = tiny.Stats();
  EXPECT_EQ(s.partitions, 0u);
  EXPECT_EQ(s.bytes, 0u);
  EXPECT_GT(s.evictions, 0u);
}

// Handlers run on several threads: queries while another thread appends; afterwards the
// cached answers still equal the uncached ones.
TEST_F(RecordCacheTest, ConcurrentQueriesAndAppends) {
  Generator gen(3);
  Store(gen.Round(40));
  std::vector<std::vector<OwnedEvent>> rounds;
  for (int r = 0; r < 10; ++r) rounds.push_back(gen.Round(8));
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (const auto& r : rounds) ASSERT_TRUE(store_->Append(events::testing::Views(r)).ok());
    done = true;
  });
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&, t] {
      NetworkRequest n{std::nullopt, std::nullopt, kT0 - kHour, kT0 + 5 * kHour};
      AttributionRequest a;
      a.metric = t == 0 ? Vital::kINP : Vital::kLCP;
      a.from_ms = n.from_ms;
      a.to_ms = n.to_ms;
      JourneysRequest j;
      j.from_ms = n.from_ms;
      j.to_ms = n.to_ms;
      do {
        EXPECT_TRUE(ComputeNetwork(*store_, n, network_).ok());
        EXPECT_TRUE(ComputeAttribution(*store_, a, attribution_).ok());
        EXPECT_TRUE(ComputeJourneys(*store_, j, kT0 + 4 * kHour, 1000, journeys_).ok());
      } while (!done);
    });
  }
  writer.join();
  for (auto& r : readers) r.join();
  ExpectSameAnswers();
}

}  // namespace
}  // namespace perfwatch::analysis
