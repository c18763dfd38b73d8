// The network analysis (GET /api/v1/network) over the real event store: crafted page
// views with known resources, each finding with its evidence, the critical path, exact
// percentiles (computed by hand below), beacons of the core build, bad parameters.
#include "analysis/network.h"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "analysis/network_api.h"
#include "events/event_store.h"

namespace perfwatch::analysis {
namespace {

TEST(NetworkUrlTest, TemplatesLikeTheRouteTemplater) {
  EXPECT_EQ(ResourceUrlTemplate("https://cdn.example/img/42/a.jpg?w=1#x"), "https://cdn.example/img/:id/a.jpg");
  EXPECT_EQ(ResourceUrlTemplate("/api/users/3f2a9b1c-0d4e-4f5a-8b6c-7d8e9f0a1b2c/orders"), "/api/users/:id/orders");
  EXPECT_EQ(ResourceUrlTemplate("https://x.example/b/0123456789abcdef0123/app.js"), "https://x.example/b/:id/app.js");
  EXPECT_EQ(ResourceUrlTemplate("https://x.example/b/abc123/app.js"), "https://x.example/b/abc123/app.js");
  EXPECT_EQ(ResourceUrlTemplate("https://x.example"), "https://x.example");
  EXPECT_EQ(UrlOrigin("https://x.example:8443/a?b"), "https://x.example:8443");
  EXPECT_EQ(UrlOrigin("/a/b"), "");
}

TEST(NetworkUrlTest, ClassifiesLikeTheSdk) {
  EXPECT_EQ(ClassifyResource("fetch", "/a.js"), ResourceType::kFetch);
  EXPECT_EQ(ClassifyResource("link", "/a.mjs?x=1"), ResourceType::kScript);
  EXPECT_EQ(ClassifyResource("script", "/a"), ResourceType::kScript);
  EXPECT_EQ(ClassifyResource("link", "/main.CSS"), ResourceType::kCss);
  EXPECT_EQ(ClassifyResource("css", "/hero.webp"), ResourceType::kImg);
  EXPECT_EQ(ClassifyResource("img", "/pixel"), ResourceType::kImg);
  EXPECT_EQ(ClassifyResource("css", "/f.woff2"), ResourceType::kFont);
  EXPECT_EQ(ClassifyResource("other", "/x.d/y"), ResourceType::kOther);
}

TEST(NetworkDecodeTest, ReadsBothBuildsAndToleratesBadFields) {
  simdjson::dom::parser parser;
  ResourceBeacon b;
  ASSERT_TRUE(DecodeResourceBeacon(parser,
                                   R"({"pageViewId":"pv","summary":{"byType":{"script":{"n":3},"img":{"n":2},"x":1},
                                       "firstParty":{"transfer":100},"thirdParty":{"transfer":20}},
                                       "resources":[{"u":"/a.js","i":"script","t":"script","s":1,"d":2,"dns":3,"tcp":"no",
                                       "z":5,"e":5,"b":9,"rb":1},{"i":"img"},7,{"u":"/b","s":-1,"lcp":1}]})",
                                   &b)
                  .ok());
  EXPECT_EQ(b.page_view_id, "pv");
  EXPECT_TRUE(b.has_summary);
  EXPECT_EQ(b.summary_resources, 5);
  EXPECT_EQ(b.summary_transfer, 120);
  ASSERT_EQ(b.resources.size(), 2u);  // no "u": skipped; 7: skipped
  EXPECT_EQ(b.resources[0].dns, 3);
  EXPECT_TRUE(std::isnan(b.resources[0].connect));  // wrong type: unknown
  EXPECT_EQ(b.resources[0].render_blocking, 1);
  EXPECT_EQ(b.resources[0].cache_hit, 0);  // full record: absent flag is "no"
  EXPECT_EQ(b.resources[1].start, 0);      // negative: unknown, 0
  EXPECT_EQ(b.resources[1].render_blocking, -1);  // core record: unknown
  EXPECT_TRUE(b.resources[1].lcp);
  EXPECT_FALSE(DecodeResourceBeacon(parser, "[1]", &b).ok());
  EXPECT_FALSE(DecodeResourceBeacon(parser, "{", &b).ok());
  ASSERT_TRUE(DecodeResourceBeacon(parser, "{}", &b).ok());
  EXPECT_TRUE(b.resources.empty());
}

constexpr int64_t kT = 1'700'000'000'000;

class NetworkStoreTest : public ::testing::Test {
 public:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("pw-network-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
    auto s = events::EventStore::Open(dir_, EventsConfig{}, nullptr);
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(s).value();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Add(events::EventType type, events::Vital vital, std::string_view page, std::string_view session,
           std::string_view id, double value, const std::string& attrs, int64_t time_ms = kT) {
    events::EventInput e;
    e.type = type;
    e.vital = vital;
    e.time_ms = e.received_ms = time_ms;
    e.value = value;
    e.dims[events::kApp] = "shop";
    e.dims[events::kPage] = page;
    e.session_id = session;
    e.id = id;
    e.attrs_json = attrs;
    ASSERT_TRUE(store_->Append(std::span(&e, 1)).ok());
  }
  void Resources(std::string_view page, std::string_view session, const std::string& pv, const std::string& list,
                 int n, int transfer) {
    Add(events::EventType::kResource, events::Vital::kNone, page, session, pv + "-r", n,
        R"({"pageViewId":")" + pv + R"(","summary":{"byType":{"other":{"n":)" + std::to_string(n) +
            R"(}},"firstParty":{"transfer":)" + std::to_string(transfer) + R"(}},"resources":[)" + list + "]}");
  }
  void Lcp(std::string_view session, const std::string& pv, double value, const std::string& url) {
    Add(events::EventType::kVital, events::Vital::kLCP, "/p/:id", session, pv + "-lcp", value,
        R"({"pageViewId":")" + pv + R"(","attribution":{"element":"img","url":")" + url + R"("}})");
  }
  Result<NetworkReport> Run(std::optional<std::string> page = std::nullopt) {
    NetworkRequest r;
    r.app = "shop";
    r.page = page;
    r.from_ms = kT - 1000;
    r.to_ms = kT + 1000;
    // The handler's cached path answers the same (tests/analysis/record_cache_test.cc).
    auto plain = ComputeNetwork(*store_, r);
    auto cached = ComputeNetwork(*store_, r, cache_);
    EXPECT_EQ(plain.ok(), cached.ok());
    if (plain.ok() && cached.ok()) {
      EXPECT_EQ(RenderNetworkJson(*cached), RenderNetworkJson(*plain));
    }
    return plain;
  }
  NetworkCache cache_;
  std::filesystem::path dir_;
  std::unique_ptr<events::EventStore> store_;
};

// Three page views of /p/:id: pv1 and pv2 in session s1, pv3 in s2.
constexpr char kCss[] = "https://shop.example/css/main.css";
constexpr char kApp[] = "https://shop.example/static/app.js";
constexpr char kHero[] = "https://shop.example/img/hero/1234/large.jpg";
constexpr char kBanner[] = "https://shop.example/img/banner.png";
constexpr char kLib[] = "https://cdn.third.example/lib.js";

std::string R(const std::string& fields) { return "{" + fields + "}"; }

void AddShop(NetworkStoreTest& t) {
  const std::string css = std::string(R"("u":")") + kCss + R"(","i":"link","t":"css","rb":1,)";
  const std::string app = std::string(R"("u":")") + kApp + R"(","i":"script","t":"script",)";
  const std::string hero = std::string(R"("u":")") + kHero + R"(","i":"img","t":"img","lcp":1,)";
  // pv1: a render-blocking stylesheet, an uncompressed script, a late LCP image, an
  // oversized banner, a third-party script.
  t.Resources("/p/:id", "s1", "pv1",
              R(css + R"("s":20,"d":300,"dns":5,"tcp":10,"tls":15,"req":100,"res":170,"z":5000,"e":4000,"b":20000)") + "," +
                  R(app + R"("s":50,"d":200,"z":30300,"e":30000,"b":30000)") + "," +
                  R(hero + R"("s":900,"d":600,"z":300300,"e":300000,"b":300000)") + "," +
                  R(std::string(R"("u":")") + kBanner + R"(","i":"img","t":"img","s":400,"d":100,"z":900000,"e":900000,"b":900000)") +
                  "," + R(std::string(R"("u":")") + kLib + R"(","i":"script","t":"script","tp":1,"s":30,"d":100,"z":10000,"e":3000,"b":10000)"),
              5, 1245600);
  t.Lcp("s1", "pv1", 2000, kHero);
  t.Add(events::EventType::kNavigation, events::Vital::kNone, "/p/:id", "s1", "pv1-nav", 2500,
        R"({"pageViewId":"pv1","load":2500})");
  // pv2 (same session): the stylesheet and script come from the cache, the image again from the network.
  t.Resources("/p/:id", "s1", "pv2",
              R(css + R"("s":10,"d":5,"z":0,"e":4000,"b":20000,"c":1)") + "," +
                  R(app + R"("s":12,"d":3,"z":0,"e":30000,"b":30000,"c":1)") + "," +
                  R(hero + R"("s":1000,"d":500,"z":300300,"e":300000,"b":300000)"),
              3, 300300);
  t.Lcp("s1", "pv2", 3000, kHero);
  // pv3 (session s2).
  t.Resources("/p/:id", "s2", "pv3",
              R(css + R"("s":20,"d":300,"z":5000,"e":4000,"b":20000)") + "," +
                  R(hero + R"("s":400,"d":1800,"z":300300,"e":300000,"b":300000)"),
              2, 305300);
  t.Lcp("s2", "pv3", 1000, kHero);
}

simdjson::dom::element Parse(simdjson::dom::parser& p, const std::string& s) {
  simdjson::dom::element e;
  EXPECT_FALSE(p.parse(s).get(e)) << s;
  return e;
}

const NetworkFinding* FindKind(const PageNetwork& p, std::string_view kind, std::string_view url = {}) {
  for (const NetworkFinding& f : p.findings) {
    if (f.kind == kind && (url.empty() || f.evidence_json.find(std::string(url)) != std::string::npos)) return &f;
  }
  return nullptr;
}

TEST_F(NetworkStoreTest, MedianViewWaterfallAndCriticalPath) {
  AddShop(*this);
  auto r = Run();
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->pages.size(), 1u);
  const PageNetwork& p = r->pages[0];
  EXPECT_EQ(p.app, "shop");
  EXPECT_EQ(p.page, "/p/:id");
  EXPECT_EQ(p.views, 3);
  // LCPs 1000 (pv3), 2000 (pv1), 3000 (pv2): the median view is pv1, its resources by start.
  ASSERT_EQ(p.waterfall.size(), 5u);
  EXPECT_EQ(p.waterfall[0].url, kCss);
  EXPECT_EQ(p.waterfall[0].dns, 5);
  EXPECT_EQ(p.waterfall[0].connect, 10);
  EXPECT_EQ(p.waterfall[0].tls, 15);
  EXPECT_EQ(p.waterfall[0].request, 100);
  EXPECT_EQ(p.waterfall[0].response, 170);
  EXPECT_EQ(p.waterfall[0].render_blocking, 1);
  EXPECT_EQ(p.waterfall[1].url, kLib);
  EXPECT_EQ(p.waterfall[1].third_party, 1);
  EXPECT_EQ(p.waterfall[4].url, kHero);
  EXPECT_TRUE(p.waterfall[4].lcp);
  // Critical path: the blocking stylesheet, then the LCP image; ends at 900 + 600.
  ASSERT_EQ(p.critical_path.resources.size(), 2u);
  EXPECT_EQ(p.critical_path.resources[0].url, kCss);
  EXPECT_EQ(p.critical_path.resources[0].share_of_lcp, 300.0 / 2000);
  EXPECT_EQ(p.critical_path.resources[1].url, kHero);
  EXPECT_EQ(p.critical_path.resources[1].share_of_lcp, 600.0 / 2000);
  EXPECT_EQ(p.critical_path.duration, 1500);
  EXPECT_EQ(p.critical_path.lcp, 2000);
  // Summary: pv1's counts; p75 of (5, 3, 2) = 3 + 0.5 · 2 = 4; of transfers
  // (1245600, 300300, 305300) = 305300 + 0.5 · 940300 = 775450.
  EXPECT_EQ(p.summary.resources, 5);
  EXPECT_EQ(p.summary.transfer_bytes, 1245600);
  EXPECT_EQ(p.summary.p75_resources, 4);
  EXPECT_EQ(p.summary.p75_transfer_bytes, 775450);
}

TEST_F(NetworkStoreTest, ResourceTableHasExactPercentiles) {
  AddShop(*this);
  auto r = Run("/p/:id");
  ASSERT_TRUE(r.ok());
  const PageNetwork& p = r->pages.at(0);
  const ResourceRow* hero = nullptr;
  const ResourceRow* css = nullptr;
  for (const ResourceRow& row : p.resources) {
    if (row.url == "https://shop.example/img/hero/:id/large.jpg") hero = &row;
    if (row.url == kCss) css = &row;
  }
  ASSERT_NE(hero, nullptr);
  ASSERT_NE(css, nullptr);
  EXPECT_EQ(hero->type, "img");
  EXPECT_EQ(hero->count, 3);
  EXPECT_EQ(hero->p75_duration, 1200);  // (500, 600, 1800): 600 + 0.5 · 1200
  EXPECT_EQ(hero->p75_transfer, 300300);
  EXPECT_EQ(hero->cache_hit_rate, 0);
  EXPECT_EQ(hero->compression, 1);
  EXPECT_EQ(hero->third_party, 0);
  EXPECT_EQ(css->count, 3);
  EXPECT_EQ(css->p75_duration, 300);  // (5, 300, 300)
  EXPECT_EQ(css->p75_transfer, 5000);  // (0, 5000, 5000)
  EXPECT_DOUBLE_EQ(css->cache_hit_rate, 1.0 / 3);
  EXPECT_EQ(css->compression, 0.2);  // 12000 / 60000
  EXPECT_EQ(css->render_blocking, 1);
  EXPECT_EQ(p.resources[0].count, 3);  // most fetched first
}

TEST_F(NetworkStoreTest, EachFindingWithItsEvidence) {
  AddShop(*this);
  auto r = Run();
  ASSERT_TRUE(r.ok());
  const PageNetwork& p = r->pages.at(0);
  simdjson::dom::parser parser;
  auto num = [&](const NetworkFinding* f, const char* key) {
    return double(Parse(parser, f->evidence_json)[key]);
  };
  const NetworkFinding* f = FindKind(p, "uncompressed_text");
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->evidence_json.find(kApp), std::string::npos);
  EXPECT_EQ(num(f, "count"), 1);  // pv2's copy came from the cache
  EXPECT_EQ(num(f, "p75_decoded_bytes"), 30000);
  EXPECT_EQ(FindKind(p, "uncompressed_text", kCss), nullptr);  // compressed

  f = FindKind(p, "cache_miss_repeat");
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->evidence_json.find("https://shop.example/img/hero/:id/large.jpg"), std::string::npos);
  EXPECT_EQ(num(f, "sessions"), 1);
  EXPECT_EQ(num(f, "repeat_views"), 1);
  EXPECT_EQ(num(f, "repeat_transfer_bytes"), 300300);
  int repeats = 0;
  for (const NetworkFinding& x : p.findings) repeats += x.kind == "cache_miss_repeat";
  EXPECT_EQ(repeats, 1);  // pv3 is another session; the stylesheet came from the cache

  f = FindKind(p, "render_blocking");
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->evidence_json.find(kCss), std::string::npos);
  EXPECT_EQ(num(f, "views"), 3);
  EXPECT_EQ(num(f, "p75_duration"), 300);
  EXPECT_EQ(FindKind(p, "render_blocking", kLib), nullptr);

  f = FindKind(p, "lcp_late_discovery");
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->evidence_json.find(kHero), std::string::npos);
  EXPECT_EQ(num(f, "views"), 3);
  EXPECT_EQ(num(f, "p75_start"), 950);  // (400, 900, 1000)
  EXPECT_EQ(num(f, "p75_lcp"), 2500);   // (1000, 2000, 3000)

  f = FindKind(p, "lcp_not_preloaded");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(num(f, "p75_delay_ms"), 935);  // (380, 880, 990)

  f = FindKind(p, "oversized_image");
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->evidence_json.find(kBanner), std::string::npos);
  EXPECT_EQ(num(f, "p75_decoded_bytes"), 900000);
  EXPECT_EQ(FindKind(p, "oversized_image", "hero"), nullptr);

  f = FindKind(p, "third_party_cost");
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->evidence_json.find("https://cdn.third.example"), std::string::npos);
  EXPECT_EQ(num(f, "transfer_bytes_per_view"), 3333.333);  // rounded to 3 decimals

  // Critical paths 1500, 1500, 2200: p75 1850 > 1500.
  f = FindKind(p, "over_budget_critical_path");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(num(f, "p75_critical_path_ms"), 1850);
  EXPECT_EQ(p.findings[0].kind, "over_budget_critical_path");  // critical first
  EXPECT_EQ(FindKind(p, "over_budget_resources"), nullptr);
  EXPECT_EQ(FindKind(p, "over_budget_bytes"), nullptr);
}

TEST_F(NetworkStoreTest, BudgetsOfResourcesAndBytes) {
  for (int i = 0; i < 4; ++i) {
    const std::string pv = "b" + std::to_string(i);
    Resources("/big", "s" + pv, pv, R"({"u":"/a.js","t":"script","s":1,"d":2,"z":10,"e":5,"b":10})", 150 + i,
              3 * 1024 * 1024);
  }
  auto r = Run("/big");
  ASSERT_TRUE(r.ok());
  const PageNetwork& p = r->pages.at(0);
  ASSERT_NE(FindKind(p, "over_budget_resources"), nullptr);
  EXPECT_NE(FindKind(p, "over_budget_resources")->evidence_json.find(R"("p75_resources":152.25)"), std::string::npos);
  ASSERT_NE(FindKind(p, "over_budget_bytes"), nullptr);
  // No LCP and no navigation: the median view by the end of its last resource (all 3):
  // the lower median of the tie by key, b1.
  EXPECT_EQ(p.summary.resources, 151);
  EXPECT_EQ(FindKind(p, "over_budget_critical_path"), nullptr);  // 0: nothing blocks
}

TEST_F(NetworkStoreTest, CoreBuildBeaconsWithoutTheNewFields) {
  // Two flushes of the core build (fresh ids), then the LCP vital names the image.
  Add(events::EventType::kResource, events::Vital::kNone, "/old", "s9", "o-1", 300,
      R"({"pageViewId":"o","resources":[{"u":"/s/app.js","i":"script","s":10,"d":300,"w":100,"z":5000},
          {"u":"/i/7.png","i":"img","s":500,"d":400,"w":50,"z":0}]})");
  Add(events::EventType::kResource, events::Vital::kNone, "/old", "s9", "o-2", 90,
      R"({"pageViewId":"o","resources":[{"u":"/api/items/42","i":"fetch","s":1200,"d":90,"w":80,"z":800}]})");
  Add(events::EventType::kVital, events::Vital::kLCP, "/old", "s9", "o-lcp", 1000,
      R"({"pageViewId":"o","attribution":{"url":"/i/7.png"}})");
  // A resource beacon of a very old SDK without a pageViewId: a view of its own.
  Add(events::EventType::kResource, events::Vital::kNone, "/old", "s9", "x-1", 10,
      R"({"resources":[{"u":"/s/app.js","i":"script","s":5,"d":10,"z":5000}]})");
  Add(events::EventType::kResource, events::Vital::kNone, "/old", "s9", "x-2", 10, "not json");
  auto r = Run("/old");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->undecodable, 1);
  const PageNetwork& p = r->pages.at(0);
  EXPECT_EQ(p.views, 2);
  ASSERT_EQ(p.waterfall.size(), 3u);  // view "o" (the only one with LCP)
  EXPECT_TRUE(std::isnan(p.waterfall[0].dns));
  EXPECT_EQ(p.waterfall[0].render_blocking, -1);
  EXPECT_EQ(p.waterfall[1].url, "/i/7.png");
  EXPECT_TRUE(p.waterfall[1].lcp);  // from the LCP vital's attribution url
  EXPECT_EQ(p.waterfall[2].type, "fetch");
  ASSERT_EQ(p.critical_path.resources.size(), 1u);
  EXPECT_EQ(p.critical_path.duration, 900);
  EXPECT_EQ(p.summary.resources, 3);  // listed ones (no summary)
  EXPECT_EQ(p.summary.transfer_bytes, 5800);
  const ResourceRow* app = nullptr;
  for (const ResourceRow& row : p.resources) {
    if (row.url == "/s/app.js") app = &row;
    if (row.url == "/api/items/:id") {
      EXPECT_EQ(row.type, "fetch");
    }
  }
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->count, 2);
  EXPECT_TRUE(std::isnan(app->cache_hit_rate));
  EXPECT_TRUE(std::isnan(app->compression));
  EXPECT_EQ(app->render_blocking, -1);
  const std::string json = RenderNetworkJson(*r);
  EXPECT_NE(json.find(R"("url":"/s/app.js","type":"script","count":2,"p75_duration":227.5,"p75_transfer":5000,"cache_hit_rate":null,"compression":null,"third_party":null,"render_blocking":null})"),
            std::string::npos)
      << json;
  // Not enough known to judge: no uncompressed / render-blocking finding from unknowns.
  EXPECT_EQ(FindKind(p, "uncompressed_text"), nullptr);
  EXPECT_EQ(FindKind(p, "render_blocking"), nullptr);
}

std::pair<int, std::string> Get(http::Router& router, const std::string& query) {
  static std::string storage;
  storage = query;
  http::Request req;
  req.method = "GET";
  req.path = "/api/v1/network";
  req.query = storage;
  http::Response res;
  auto m = router.Find("GET", "/api/v1/network");
  EXPECT_NE(m.handler, nullptr);
  (*m.handler)(req, res);
  return {res.status, res.body};
}

TEST_F(NetworkStoreTest, HandlerAnswersAndRejectsBadParameters) {
  AddShop(*this);
  http::Router router;
  RegisterNetworkHandler(router, store_.get());
  auto [status, body] = Get(router, "app=shop&from=1699999999&to=1700000001");
  EXPECT_EQ(status, 200);
  simdjson::dom::parser parser;
  simdjson::dom::element root = Parse(parser, body);
  EXPECT_EQ(std::string_view(root["status"]), "success");
  simdjson::dom::element page = root["data"]["pages"].at(0);
  EXPECT_EQ(int64_t(page["views"]), 3);
  EXPECT_EQ(std::string_view(page["critical_path"]["resources"].at(1)["url"]), kHero);
  EXPECT_EQ(double(page["critical_path"]["resources"].at(0)["share_of_lcp"]), 0.15);
  EXPECT_TRUE(page["waterfall"].at(1)["dns"].is_null());
  EXPECT_EQ(std::string_view(page["findings"].at(0)["kind"]), "over_budget_critical_path");
  for (const char* q : {"window=soon", "window=-1h", "window=0s", "from=x", "to=yesterday",
                        "from=1700000100&to=1700000000"}) {
    auto [s, b] = Get(router, q);
    EXPECT_EQ(s, 400) << q;
    EXPECT_NE(b.find(R"("errorType":"bad_data")"), std::string::npos) << b;
  }
  // A bad request loses nothing: the same query still answers in full.
  auto [again, body2] = Get(router, "app=shop&from=1699999999&to=1700000001");
  EXPECT_EQ(again, 200);
  EXPECT_EQ(body2, body);
  auto [empty, none] = Get(router, "app=other&from=1699999999&to=1700000001");
  EXPECT_EQ(empty, 200);
  EXPECT_EQ(none, R"({"status":"success","data":{"pages":[]}})");
}

// A page's answer depends only on its own views: the same alone and among other pages, also
// where ties are broken (here two LCP images each late in one view of /a, and /b loading one
// of them first: the first of equal counts is the first within /a).
TEST_F(NetworkStoreTest, APageAnswersTheSameAloneAndAmongOthers) {
  auto img = [](const std::string& url, int start) {
    return R"({"u":")" + url + R"(","i":"img","t":"img","lcp":1,"s":)" + std::to_string(start) +
           R"(,"d":100,"z":1000,"e":1000,"b":1000})";
  };
  auto lcp = [&](const std::string& session, const std::string& pv) {  // on the page, unlike Lcp()
    Add(events::EventType::kVital, events::Vital::kLCP, "/a", session, pv + "-lcp", 1000,
        R"({"pageViewId":")" + pv + R"("})");
  };
  Resources("/b", "s0", "b1", img("https://shop.example/y.jpg", 10), 1, 1000);
  Resources("/a", "s1", "a1", img("https://shop.example/x.jpg", 900), 1, 1000);
  lcp("s1", "a1");
  Resources("/a", "s2", "a2", img("https://shop.example/y.jpg", 900), 1, 1000);
  lcp("s2", "a2");
  auto all = Run();
  auto alone = Run("/a");
  ASSERT_TRUE(all.ok() && alone.ok());
  ASSERT_EQ(all->pages.size(), 2u);
  ASSERT_EQ(alone->pages.size(), 1u);
  NetworkReport a_of_all;
  a_of_all.pages.push_back(all->pages[0]);
  EXPECT_EQ(RenderNetworkJson(a_of_all), RenderNetworkJson(*alone));
  const NetworkFinding* late = FindKind(alone->pages[0], "lcp_late_discovery");
  ASSERT_NE(late, nullptr);
  EXPECT_NE(late->evidence_json.find("x.jpg"), std::string::npos) << late->evidence_json;
}

// The analysis reads the cached entries of each partition with that partition's string ids:
// a page whose views lie in two partitions has one table row per URL template, one
// third-party origin and one LCP URL across them (the same answer as one string table's,
// the uncached path's), whatever the ids each partition gave the strings.
TEST_F(NetworkStoreTest, APageAcrossPartitionsIsOnePage) {
  constexpr int64_t kDay = 24LL * 3600 * 1000;
  auto add = [&](int64_t t, events::EventType type, events::Vital vital, const std::string& id, double value,
                 const std::string& attrs) { Add(type, vital, "/p", "s" + id.substr(0, 1), id, value, attrs, t); };
  // Day 2 first interns other strings before the shared ones: its ids differ from day 1's.
  add(kT + 2 * kDay, events::EventType::kResource, events::Vital::kNone, "0x-r", 1,
      R"({"pageViewId":"x0","resources":[{"u":"https://shop.example/only-day2.css","t":"css","s":1,"d":2}]})");
  for (int i = 0; i < 6; ++i) {
    const int64_t t = i % 2 == 0 ? kT : kT + 2 * kDay;
    const std::string pv = std::to_string(i) + "v";
    add(t, events::EventType::kResource, events::Vital::kNone, pv + "-r", 3,
        R"({"pageViewId":")" + pv + R"(","resources":[{"u":"https://shop.example/img/)" + std::to_string(100 + i) +
            R"(/hero.jpg","t":"img","s":)" + std::to_string(600 + 10 * i) + R"(,"d":300,"z":9000,"e":9000,"b":9000},)" +
            R"({"u":"https://cdn.third.example/lib.js","t":"script","tp":1,"s":5,"d":)" + std::to_string(50 + i) +
            R"(,"z":2000,"e":1000,"b":3000},{"u":"https://shop.example/app.js","t":"script","s":10,"d":40,"z":0,"c":1}]})");
    add(t, events::EventType::kVital, events::Vital::kLCP, pv + "-lcp", 1000 + i,
        R"({"pageViewId":")" + pv + R"(","attribution":{"url":"https://shop.example/img/)" + std::to_string(100 + i) +
            R"(/hero.jpg"}})");
  }
  NetworkRequest req;
  req.app = "shop";
  req.from_ms = kT - 1000;
  req.to_ms = kT + 3 * kDay;
  auto cached = ComputeNetwork(*store_, req, cache_);
  auto plain = ComputeNetwork(*store_, req);
  ASSERT_TRUE(cached.ok() && plain.ok());
  EXPECT_GE(cache_.Stats().partitions, 2u);
  EXPECT_EQ(RenderNetworkJson(*cached), RenderNetworkJson(*plain));
  ASSERT_EQ(cached->pages.size(), 1u);
  const PageNetwork& page = cached->pages[0];
  EXPECT_EQ(page.views, 7);
  ASSERT_EQ(page.resources.size(), 4u);  // hero (:id), lib.js, app.js, only-day2.css
  EXPECT_EQ(page.resources[0].url, "https://shop.example/img/:id/hero.jpg");
  EXPECT_EQ(page.resources[0].count, 6);
  int third = 0;
  for (const NetworkFinding& f : page.findings) third += f.kind == "third_party_cost";
  EXPECT_EQ(third, 1);
  // The LCP image starts late in every view; each view names another URL, so the tie goes
  // to the first loaded within the page (view 0's, in the first partition).
  const NetworkFinding* late = FindKind(page, "lcp_late_discovery");
  ASSERT_NE(late, nullptr);
  EXPECT_NE(late->evidence_json.find("img/100/hero.jpg"), std::string::npos) << late->evidence_json;
  EXPECT_NE(late->evidence_json.find(R"("views":6)"), std::string::npos) << late->evidence_json;
}

// The page memo: pages whose events did not change come from it; a page with a new view, a
// replaced event or a moved window is analysed again — every answer equal to the uncached one.
TEST_F(NetworkStoreTest, PageMemoAnswersOnlyUnchangedPages) {
  auto view = [&](const std::string& page, const std::string& session, const std::string& pv, int d) {
    const std::string list = R"({"u":"https://shop.example)" + page + R"(/app.js","i":"script","t":"script","rb":1,"s":5,"d":)" +
                             std::to_string(d) + R"(,"z":3000,"e":3000,"b":9000},{"u":"https://shop.example/img/)" + pv +
                             R"(.jpg","i":"img","t":"img","lcp":1,"s":50,"d":)" + std::to_string(2 * d) +
                             R"(,"z":20000,"e":20000,"b":20000})";
    Resources(page, session, pv, list, 2, 23000);
    Lcp(session, pv, 10 * d, "https://shop.example/img/" + pv + ".jpg");
  };
  for (int i = 0; i < 12; ++i) view("/p" + std::to_string(i % 3), "s" + std::to_string(i / 2), "pv" + std::to_string(i), 100 + 7 * i);
  ASSERT_TRUE(Run().ok());
  const uint64_t bytes = cache_.Stats().bytes;
  auto again = Run();  // every page from the memo
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(cache_.Stats().bytes, bytes);
  EXPECT_EQ(cache_.Stats().parsed, 24u);
  // A new view of /p1 only.
  view("/p1", "s9", "pv12", 400);
  auto after = Run();
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->pages.size(), 3u);
  EXPECT_EQ(after->pages[1].views, 5);
  EXPECT_EQ(RenderNetworkJson(NetworkReport{{after->pages[0]}}), RenderNetworkJson(NetworkReport{{again->pages[0]}}));
  EXPECT_NE(RenderNetworkJson(NetworkReport{{after->pages[1]}}), RenderNetworkJson(NetworkReport{{again->pages[1]}}));
  // The resource event of pv0 (/p0) sent again (same session and id: replaces the first).
  view("/p0", "s0", "pv0", 900);
  auto replaced = Run();
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ(replaced->pages[0].views, 4);
  EXPECT_NE(RenderNetworkJson(NetworkReport{{replaced->pages[0]}}), RenderNetworkJson(NetworkReport{{after->pages[0]}}));
  // One page, then every page again (memo entries of other requests).
  ASSERT_TRUE(Run("/p2").ok());
  ASSERT_TRUE(Run().ok());
}

// The page state kept between requests follows views that arrive, change and leave the
// window (the dashboard's window ends now): each answer equals a fresh analysis of the
// same events, and most pages are updated rather than rebuilt.
TEST_F(NetworkStoreTest, IncrementalStateFollowsASlidingWindow) {
  std::mt19937 rng(16);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); };
  auto view = [&](int i, int variant) {
    const std::string page = "/p" + std::to_string(i % 3), session = "s" + std::to_string(i / 4);
    const std::string pv = "pv" + std::to_string(i);
    const int64_t t = kT + int64_t{i} * 1000;
    std::string list;
    int n = 0;
    auto res = [&](const std::string& fields) {
      list += (n++ ? "," : "") + std::string("{") + fields + "}";
    };
    const int lcp_start = 50 + pick(1500);
    res(R"("u":"https://shop.example/css/main.css","i":"link","t":"css","rb":1,"s":)" + std::to_string(pick(40)) +
        R"(,"d":)" + std::to_string(100 + pick(300)) + R"(,"z":)" + std::to_string(pick(2) ? 0 : 5000) +
        R"(,"e":4000,"b":)" + std::to_string(pick(2) ? 4000 : 20000) + (pick(3) ? "" : R"(,"c":1)"));
    res(R"("u":"https://shop.example/static/)" + std::to_string(pick(5)) + R"(/app.js","i":"script","t":"script","s":)" +
        std::to_string(10 + pick(60)) + R"(,"d":)" + std::to_string(pick(400)) + ".5" + R"(,"z":)" +
        std::to_string(3000 + pick(30000)) + R"(.25,"e":30000,"b":30000)" + (pick(4) ? "" : R"(,"rb":1)"));
    res(R"("u":"https://shop.example/img/hero/)" + std::to_string(pick(4)) + R"(/large.jpg","i":")" +
        (pick(3) ? "img" : "link") + R"(","t":"img")" + (variant % 2 ? "" : R"(,"lcp":1)") + R"(,"s":)" +
        std::to_string(lcp_start) + R"(,"d":)" + std::to_string(100 + pick(900)) + R"(,"z":)" +
        std::to_string(100000 + pick(800000)) + R"(,"e":300000,"b":)" + std::to_string(100000 + pick(900000)));
    for (int k = pick(4); k > 0; --k) {
      res(R"("u":"https://)" + std::string(pick(2) ? "cdn.third.example" : "ads.other.example") + "/t/" +
          std::to_string(pick(6)) + R"(.js","i":"script","t":"script","tp":1,"s":)" + std::to_string(pick(500)) +
          R"(,"d":)" + std::to_string(pick(300)) + R"(.125,"z":)" + std::to_string(pick(9000)) +
          (pick(2) ? R"(,"rb":1)" : ""));
    }
    if (pick(3) == 0) res(R"("u":"https://shop.example/api/cart.json","i":"fetch","s":700,"d":40,"z":900,"e":2000,"b":2000)");
    Add(events::EventType::kResource, events::Vital::kNone, page, session, pv + "-r", n,
        R"({"pageViewId":")" + pv + R"(","summary":{"byType":{"other":{"n":)" + std::to_string(n) +
            R"(}},"firstParty":{"transfer":)" + std::to_string(1000 * n + variant) + R"(}},"resources":[)" + list + "]}",
        t);
    if (pick(5)) {
      Add(events::EventType::kVital, events::Vital::kLCP, page, session, pv + "-lcp", lcp_start + 200 + pick(2000),
          R"({"pageViewId":")" + pv + R"(","attribution":{"url":"https://shop.example/img/hero/)" +
              std::to_string(pick(4)) + R"(/large.jpg"}})",
          t);
    }
    if (pick(2)) {
      Add(events::EventType::kNavigation, events::Vital::kNone, page, session, pv + "-nav", 1000 + pick(3000),
          R"({"pageViewId":")" + pv + R"("})", t);
    }
  };
  int next = 0;
  for (; next < 150; ++next) view(next, 0);
  NetworkCache cache(size_t{512} << 20, true, 1);
  int64_t incremental = 0;
  for (int round = 0; round < 14; ++round) {
    NetworkRequest req;
    req.app = "shop";
    req.from_ms = kT + int64_t{round} * 5000;
    req.to_ms = kT + int64_t{round} * 5000 + 130'000;
    auto fresh = ComputeNetwork(*store_, req);
    auto kept = ComputeNetwork(*store_, req, cache);
    ASSERT_TRUE(fresh.ok() && kept.ok());
    EXPECT_EQ(kept->undecodable, 0);
    ASSERT_EQ(fresh->pages.size(), 3u);
    EXPECT_EQ(RenderNetworkJson(*kept), RenderNetworkJson(*fresh)) << "round " << round;
    if (round > 0) incremental += kept->incremental;
    // Between requests: new views, a view sent again (replaced: the same event ids), a
    // late LCP for a view in the window.
    for (int k = 0; k < 4; ++k) view(next++, 0);
    view(next - 10 - pick(20), 1);
    const int old = next - 30 - pick(20);
    Add(events::EventType::kVital, events::Vital::kLCP, "/p" + std::to_string(old % 3), "s" + std::to_string(old / 4),
        "pv" + std::to_string(old) + "-lcp2", 9000 + round,
        R"({"pageViewId":"pv)" + std::to_string(old) + R"(","attribution":{"url":""}})", kT + int64_t{old} * 1000);
  }
  EXPECT_GE(incremental, 13 * 3 - 3);  // nearly every page of every later request was updated, not rebuilt
  // What the answers held: every finding the state keeps per template, origin and session.
  NetworkRequest last;
  last.app = "shop";
  last.from_ms = kT + 70'000;
  last.to_ms = kT + 200'000;
  auto final_answer = ComputeNetwork(*store_, last, cache);
  ASSERT_TRUE(final_answer.ok());
  std::set<std::string> kinds;
  for (const PageNetwork& p : final_answer->pages) {
    for (const NetworkFinding& f : p.findings) kinds.insert(f.kind);
  }
  for (const char* kind : {"render_blocking", "uncompressed_text", "cache_miss_repeat", "third_party_cost"}) {
    EXPECT_TRUE(kinds.count(kind)) << kind;
  }
  // Views in the next day's partition: a window over the end of the first day and the next
  // day, then one over the next day only. The views that left are in a partition the second
  // query does not read, so the state cannot undo them: the pages are analysed afresh.
  for (int i = 86'400; i < 86'520; ++i) view(i, 0);
  last.from_ms = kT + 200'000;
  last.to_ms = kT + 87'000'000;
  ASSERT_TRUE(ComputeNetwork(*store_, last, cache).ok());
  last.from_ms = kT + 86'000'000;
  auto next_day = ComputeNetwork(*store_, last, cache);
  auto next_day_fresh = ComputeNetwork(*store_, last);
  ASSERT_TRUE(next_day.ok() && next_day_fresh.ok());
  EXPECT_EQ(next_day->pages.size(), 3u);
  EXPECT_EQ(RenderNetworkJson(*next_day), RenderNetworkJson(*next_day_fresh));
  EXPECT_EQ(next_day->incremental, 0);
  EXPECT_EQ(next_day->incremental, 0);
}

// Pages are analysed on several threads when there is enough work (kParallelNetworkWork):
// the answer is the same as on one thread, with and without the page memo.
TEST_F(NetworkStoreTest, ParallelAnalysisAnswersTheSameAsOneThread) {
  constexpr int kPages = 12, kViews = 300, kPerView = 10;
  static_assert(kPages * kViews * 2 >= static_cast<int>(kParallelNetworkWork));  // a view and its event
  for (int v = 0; v < kPages * kViews; ++v) {
    const std::string page = "/p" + std::to_string(v % kPages), pv = "pv" + std::to_string(v);
    std::string list;
    for (int r = 0; r < kPerView; ++r) {
      const int d = 20 + (v * 37 + r * 11) % 900;
      if (r > 0) list += ",";
      list += R"({"u":"https://)" + std::string(r % 4 == 3 ? "cdn.third.example" : "shop.example") + "/static/" +
              std::to_string(r) + "/" + std::to_string(v % 7) + R"(.js","i":"script","t":"script","s":)" +
              std::to_string(r * 40) + R"(,"d":)" + std::to_string(d) + R"(,"z":)" + std::to_string(d * 30) +
              R"(,"e":)" + std::to_string(d * 30) + R"(,"b":)" + std::to_string(d * 90) +
              (r == 0 ? R"(,"rb":1)" : r == kPerView - 1 ? R"(,"lcp":1)" : "") + (r % 3 == 0 ? R"(,"tp":1)" : "") + "}";
    }
    Resources(page, "s" + std::to_string(v / 3), pv, list, kPerView, 5000 + v);
    Lcp("s" + std::to_string(v / 3), pv, 500 + (v * 13) % 2000, "");
  }
  NetworkRequest req;
  req.app = "shop";
  req.from_ms = kT - 1000;
  req.to_ms = kT + 1000;
  NetworkCache one(size_t{512} << 20, false, 1), four(size_t{512} << 20, false, 4), memo4(size_t{512} << 20, true, 4);
  auto a = ComputeNetwork(*store_, req, one);
  auto b = ComputeNetwork(*store_, req, four);
  auto c = ComputeNetwork(*store_, req, memo4);
  auto c2 = ComputeNetwork(*store_, req, memo4);  // every page from the memo
  auto plain = ComputeNetwork(*store_, req);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok() && c2.ok() && plain.ok());
  ASSERT_EQ(a->pages.size(), static_cast<size_t>(kPages));
  EXPECT_EQ(a->pages[0].views, kViews);
  EXPECT_FALSE(a->pages[0].findings.empty());
  const std::string want = RenderNetworkJson(*a);
  EXPECT_EQ(RenderNetworkJson(*b), want);
  EXPECT_EQ(RenderNetworkJson(*c), want);
  EXPECT_EQ(RenderNetworkJson(*c2), want);
  EXPECT_EQ(RenderNetworkJson(*plain), want);
}

}  // namespace
}  // namespace perfwatch::analysis
