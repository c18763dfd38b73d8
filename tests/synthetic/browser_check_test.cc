// Browser checks against a real headless Chromium and a local page server
// (src/synthetic/browser/, docs/synthetic.md "Browser checks"). One Chromium at a time.
#include "synthetic/browser/browser_check.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/temp_dir.h"
#include "synthetic/browser/cdp_message.h"
#include "synthetic/browser/chromium.h"
#include "synthetic/browser/rum_capture.h"
#include "synthetic/fixtures/browser/page_server.h"

namespace perfwatch::synthetic {
namespace {

namespace fs = std::filesystem;
using browser::ChromiumProcess;
using testing::PageResponse;
using testing::PageServer;
using testing::TempDir;

std::string FindChromium() {
  for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
    if (fs::exists(p)) return p;
  }
  return "";
}

std::string ReadRumJs() {
  const fs::path p = fs::path(__FILE__).parent_path() / "../../sdk/browser/dist/rum.js";
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class BrowserCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    chromium_ = FindChromium();
    if (chromium_.empty()) GTEST_SKIP() << "chromium is not installed (scripts/setup installs it)";
    options_.chromium = chromium_;
    options_.work_dir = work_.path();
    // Built by the front-end step (PERFWATCH_FRONTEND, or `npm run build` in sdk/browser);
    // without it the checks run without vitals and the tests of vitals are skipped.
    options_.rum_js = ReadRumJs();
    ASSERT_TRUE(ChromiumProcess::ProcessesUsing(work_.path().string()).empty());
  }
  void TearDown() override {
    if (chromium_.empty()) return;
    // Nothing of the check's browser is left: no process names its profile, no profile dir.
    EXPECT_TRUE(ChromiumProcess::ProcessesUsing(work_.path().string()).empty());
    EXPECT_TRUE(fs::is_empty(work_.path())) << "a profile directory was left behind";
  }

  static BrowserStep Step(BrowserStep::Kind kind, std::string name, std::string target, std::string value = "",
                          int64_t timeout_ms = 5000) {
    BrowserStep s;
    s.kind = kind;
    s.name = std::move(name);
    s.target = std::move(target);
    s.value = std::move(value);
    s.timeout_ms = timeout_ms;
    return s;
  }

  std::string chromium_;
  TempDir work_{"pw_browser_check_"};
  BrowserOptions options_;
  PageServer server_;
};

// The page's own PerformanceObserver reports its LCP to the server when the page is hidden,
// the same moment rum.js sends its last beacons.
constexpr char kLcpPage[] = R"(<!doctype html><html><head><title>lcp</title>
<script>
let lcp = -1;
new PerformanceObserver((l) => {
  for (const e of l.getEntries()) {
    lcp = e.startTime;
    fetch('/observed?lcp=' + lcp, {keepalive: true});
  }
}).observe({type: 'largest-contentful-paint', buffered: true});
</script></head><body style="margin:0"><img src="/slow.svg" width="600" height="400" alt=""></body></html>)";

// An image with enough detail: Chromium leaves low-entropy images (under 0.05 bits per
// pixel, e.g. one flat rectangle) out of LCP.
std::string DetailedSvg() {
  std::string svg = R"(<svg xmlns="http://www.w3.org/2000/svg" width="600" height="400">)";
  unsigned x = 12345;
  for (int i = 0; i < 120; ++i) {
    x = x * 1103515245u + 12345u;
    char rect[160];
    std::snprintf(rect, sizeof(rect), R"(<rect x="%u" y="%u" width="%u" height="%u" fill="#%06x"/>)", (x >> 8) % 560,
                  (x >> 12) % 360, 10 + (x >> 4) % 90, 10 + (x >> 16) % 70, (x >> 5) & 0xffffff);
    svg += rect;
  }
  return svg + "</svg>";
}

TEST_F(BrowserCheckTest, LcpMatchesTheBrowsersOwnMeasurement) {
  if (options_.rum_js.empty()) GTEST_SKIP() << "sdk/browser/dist/rum.js is not built";
  constexpr int kDelayMs = 800;
  server_.Route("/lcp", {.body = kLcpPage});
  server_.Route("/slow.svg", {.content_type = "image/svg+xml", .body = DetailedSvg(), .delay_ms = kDelayMs});
  server_.Route("/observed", {.content_type = "text/plain", .body = "ok"});
  BrowserSpec spec;
  spec.url = server_.Url("/lcp");
  spec.timeout_ms = 20'000;
  const CheckResult r = RunBrowserCheck(spec, {}, options_);
  ASSERT_TRUE(r.success) << r.error;
  EXPECT_TRUE(r.steps.empty());
  EXPECT_GT(r.duration_s, kDelayMs / 1000.0);
  EXPECT_TRUE(r.screenshot_png.empty());

  // The page reports each LCP candidate when the browser emits it, while it is open: a
  // report sent when the page was hidden (with rum.js' last beacons) arrived seconds late on
  // a loaded machine (fresh-clone CI run 19) or never, the browser closed first (run 31).
  // The last candidate is the LCP.
  ASSERT_FALSE(server_.WaitForRequest("/observed?lcp=", std::chrono::seconds(15)).empty())
      << "the page did not report its own LCP";
  std::string observed;
  for (const std::string& q : server_.Requests()) {
    if (q.rfind("/observed?lcp=", 0) == 0) observed = q;
  }
  const double browser_lcp = std::stod(observed.substr(observed.find('=') + 1));
  ASSERT_TRUE(r.vitals.count("lcp")) << "rum.js reported no LCP";
  const double lcp = r.vitals.at("lcp");
  EXPECT_GE(lcp, kDelayMs);
  EXPECT_NEAR(lcp, browser_lcp, 50.0);
  ASSERT_TRUE(r.vitals.count("fcp"));
  ASSERT_TRUE(r.vitals.count("ttfb"));
  ASSERT_TRUE(r.vitals.count("cls"));
  EXPECT_LE(r.vitals.at("ttfb"), r.vitals.at("fcp"));
  EXPECT_EQ(r.vitals.at("cls"), 0.0);
  // The waterfall rum.js sends holds the delayed image with about its delay.
  EXPECT_NE(r.resources_json.find("/slow.svg"), std::string::npos) << r.resources_json;
  browser::CdpJson res(r.resources_json);
  ASSERT_TRUE(res.valid()) << r.resources_json;
  bool found = false;
  for (size_t i = 0; i < res.ArraySize(""); ++i) {
    const std::string p = std::to_string(i);
    if (res.String(p + ".u").value_or("").find("/slow.svg") == std::string::npos) continue;
    found = true;
    EXPECT_GE(res.Number(p + ".d").value_or(0), kDelayMs - 5);
  }
  EXPECT_TRUE(found);
  EXPECT_TRUE(r.console_errors.empty()) << r.console_errors.front();
}

constexpr char kShopPage[] = R"(<!doctype html><html><head><title>shop</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head><body>
<h1>Shop</h1>
<button id="buy" onclick="document.getElementById('form').style.display = 'block'">Buy</button>
<div id="form" style="display:none">
  <input id="email">
  <button id="pay" onclick="document.getElementById('out').textContent = 'Thanks ' +
    document.getElementById('email').value">Pay</button>
</div>
<p id="out"></p>
</body></html>)";

TEST_F(BrowserCheckTest, JourneyReportsTheFailingStepAndAScreenshot) {
  server_.Route("/", {.body = "<!doctype html><title>home</title><p>home</p><img src=\"/home.svg\" width=\"300\">"});
  server_.Route("/home.svg", {.content_type = "image/svg+xml", .body = DetailedSvg()});
  server_.Route("/shop", {.body = kShopPage});
  BrowserSpec spec;
  spec.url = server_.Url("/");
  spec.timeout_ms = 30'000;
  using K = BrowserStep::Kind;
  spec.steps = {Step(K::kGoto, "open shop", "/shop"),
                Step(K::kClick, "click #buy", "#buy"),
                Step(K::kFill, "fill #email", "#email", "ann@example.com"),
                Step(K::kAssert, "assert_text Total: 42 EUR", "Total: 42 EUR", "", 700),
                Step(K::kClick, "click #pay", "#pay")};
  const CheckResult r = RunBrowserCheck(spec, {}, options_);
  EXPECT_FALSE(r.success);
  ASSERT_EQ(r.steps.size(), 4u) << "the step after the failing one must not run";
  EXPECT_TRUE(r.steps[0].ok) << r.steps[0].error;
  EXPECT_TRUE(r.steps[1].ok) << r.steps[1].error;
  EXPECT_TRUE(r.steps[2].ok) << r.steps[2].error;
  EXPECT_FALSE(r.steps[3].ok);
  EXPECT_EQ(r.steps[3].name, "assert_text Total: 42 EUR");
  EXPECT_NE(r.error.find("step \"assert_text Total: 42 EUR\""), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("not found"), std::string::npos) << r.error;
  EXPECT_GE(r.steps[3].duration_s, 0.7);
  ASSERT_GE(r.screenshot_png.size(), 8u);
  EXPECT_EQ(r.screenshot_png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  for (const auto& req : server_.Requests()) EXPECT_EQ(req.find("pay"), std::string::npos);
  // The vitals and resources are the first page's ("/"), flushed before the goto left it.
  if (!options_.rum_js.empty()) {
    EXPECT_NE(r.resources_json.find("/home.svg"), std::string::npos) << r.resources_json;
    EXPECT_TRUE(r.vitals.count("fcp"));
    EXPECT_TRUE(r.vitals.count("lcp"));
    EXPECT_TRUE(r.vitals.count("cls"));
  }
}

TEST_F(BrowserCheckTest, JourneyPassesWithMeasureAndCollectsConsoleErrors) {
  std::string page = kShopPage;
  page.replace(page.find("</body>"), 7,
               "<script>console.error('boom', 42); setTimeout(() => { throw new Error('kaput'); });</script></body>");
  server_.Route("/shop", {.body = page});
  BrowserSpec spec;
  spec.url = server_.Url("/shop");
  spec.device = "mobile";
  spec.throttling = "4g";
  using K = BrowserStep::Kind;
  BrowserStep wait = Step(K::kWaitFor, "thanks", "Thanks ann@example.com");
  wait.by_text = true;
  BrowserStep measure = Step(K::kMeasure, "checkout", "");
  measure.from = "click #buy";
  measure.to = "thanks";
  spec.steps = {Step(K::kClick, "click #buy", "#buy"), Step(K::kFill, "fill #email", "#email", "ann@example.com"),
                Step(K::kClick, "click #pay", "#pay"), wait, Step(K::kAssert, "width", "412"), measure};
  // The page shows what the device profile made of it.
  page.replace(page.find("<p id=\"out\">"), 12,
               "<p id=\"w\"></p><script>document.getElementById('w').textContent = innerWidth + 'x' + "
               "devicePixelRatio + (navigator.userAgent.includes('moto g power') ? ' moto' : '');</script><p id=\"out\">");
  server_.Route("/shop", {.body = page});
  spec.steps[4] = Step(K::kAssert, "device", "412x1.75 moto");
  Assertion max;
  max.kind = Assertion::Kind::kMaxDuration;
  max.max_duration_ms = 25'000;
  const CheckResult r = RunBrowserCheck(spec, {max}, options_);
  ASSERT_TRUE(r.success) << r.error;
  ASSERT_EQ(r.steps.size(), 6u);
  for (const auto& s : r.steps) EXPECT_TRUE(s.ok) << s.name << ": " << s.error;
  EXPECT_EQ(r.steps[5].name, "checkout");
  EXPECT_GE(r.steps[5].duration_s, r.steps[0].duration_s + r.steps[3].duration_s);
  EXPECT_LE(r.steps[5].duration_s, r.duration_s);
  EXPECT_TRUE(r.screenshot_png.empty());
  bool boom = false, kaput = false;
  for (const auto& e : r.console_errors) {
    boom = boom || e == "boom 42";
    kaput = kaput || e.find("Error: kaput") != std::string::npos;
  }
  EXPECT_TRUE(boom) << ::testing::PrintToString(r.console_errors);
  EXPECT_TRUE(kaput) << ::testing::PrintToString(r.console_errors);
  if (!options_.rum_js.empty()) {
    EXPECT_TRUE(r.vitals.count("fcp"));
  }
}

TEST_F(BrowserCheckTest, MaxDurationFailsTheCheck) {
  server_.Route("/", {.body = "<!doctype html><p>hi</p>", .delay_ms = 300});
  BrowserSpec spec;
  spec.url = server_.Url("/");
  Assertion max;
  max.kind = Assertion::Kind::kMaxDuration;
  max.max_duration_ms = 100;
  const CheckResult r = RunBrowserCheck(spec, {max}, options_);
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.failed_assertion, 0);
  EXPECT_NE(r.error.find("more than 100ms"), std::string::npos) << r.error;
  EXPECT_FALSE(r.screenshot_png.empty());
}

TEST_F(BrowserCheckTest, ErrorStatusOfTheDocumentFailsTheLoad) {
  server_.Route("/down", {.status = 503, .body = "<!doctype html><h1>Service Unavailable</h1>"});
  BrowserSpec spec;
  spec.url = server_.Url("/down");
  spec.throttling = "fast3g";
  const CheckResult r = RunBrowserCheck(spec, {}, options_);
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.error, "loading " + spec.url + " failed: HTTP status 503");
  EXPECT_FALSE(r.screenshot_png.empty());
  // fast3g adds 562.5 ms of latency to the request.
  EXPECT_GE(r.duration_s, 0.55);
}

TEST_F(BrowserCheckTest, HangingTargetIsKilledAtTheTimeout) {
  PageResponse hang;
  hang.hang = true;
  server_.Route("/hang", hang);
  BrowserSpec spec;
  spec.url = server_.Url("/hang");
  spec.timeout_ms = 3000;
  const auto t0 = std::chrono::steady_clock::now();
  const CheckResult r = RunBrowserCheck(spec, {}, options_);
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_FALSE(r.success);
  EXPECT_NE(r.error.find("timeout after 3s"), std::string::npos) << r.error;
  EXPECT_GE(took, 3.0);
  EXPECT_LT(took, 6.0);
  // TearDown: no process of the profile left.
}

TEST_F(BrowserCheckTest, ChromiumKilledMidRunIsReportedWithoutHangingOrLeaking) {
  server_.Route("/", {.body = "<!doctype html><p>waiting</p>"});
  BrowserSpec spec;
  spec.url = server_.Url("/");
  spec.timeout_ms = 30'000;
  spec.steps = {Step(BrowserStep::Kind::kWaitFor, "wait_for #never", "#never", "", 20'000)};
  CheckResult r;
  std::thread run([&] { r = RunBrowserCheck(spec, {}, options_); });
  ASSERT_FALSE(server_.WaitForRequest("/", std::chrono::seconds(15)).empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // into the wait_for step
  // The browser process: the one naming the profile without a --type= (helpers have one).
  pid_t browser = -1;
  for (pid_t p : ChromiumProcess::ProcessesUsing(work_.path().string())) {
    std::ifstream in("/proc/" + std::to_string(p) + "/cmdline");
    std::string cmd((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmd.find("--type=") == std::string::npos) browser = p;
  }
  ASSERT_GT(browser, 0);
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(kill(browser, SIGKILL), 0);
  run.join();
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(took, 3.0);
  EXPECT_FALSE(r.success);
  EXPECT_NE(r.error.find("chromium exited unexpectedly"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("wait_for #never"), std::string::npos) << r.error;
  ASSERT_EQ(r.steps.size(), 1u);
  EXPECT_FALSE(r.steps[0].ok);
}

TEST_F(BrowserCheckTest, MissingChromiumAndBadProfilesAreClearErrors) {
  BrowserSpec spec;
  spec.url = server_.Url("/");
  BrowserOptions o = options_;
  o.chromium = "/nonexistent/chromium";
  CheckResult r = RunBrowserCheck(spec, {}, o);
  EXPECT_FALSE(r.success);
  EXPECT_NE(r.error.find("cannot start chromium"), std::string::npos) << r.error;
  spec.device = "tablet";
  r = RunBrowserCheck(spec, {}, options_);
  EXPECT_NE(r.error.find("unknown device \"tablet\""), std::string::npos) << r.error;
}

TEST(RumCapture, FirstPageViewsVitalsAndResources) {
  std::vector<browser::CapturedPageView> views;
  std::string why;
  ASSERT_TRUE(browser::AddRumPayload(
      "2000.5\n[{\"type\":\"vital\",\"name\":\"LCP\",\"value\":900},"
      "{\"type\":\"slow-resources\",\"resources\":[{\"u\":\"/b\",\"d\":3}]}]",
      &views, &why))
      << why;
  ASSERT_TRUE(browser::AddRumPayload(
      "1000\n[{\"type\":\"vital\",\"name\":\"LCP\",\"value\":800},{\"type\":\"vital\",\"name\":\"CLS\",\"value\":0.1},"
      "{\"type\":\"slow-resources\",\"resources\":[{\"u\":\"/a\",\"d\":1}]}]",
      &views, &why));
  ASSERT_TRUE(browser::AddRumPayload("1000\n{\"type\":\"slow-resources\",\"resources\":[{\"u\":\"/c\"}]}", &views, &why));
  EXPECT_FALSE(browser::AddRumPayload("[]", &views, &why));
  EXPECT_FALSE(browser::AddRumPayload("1\n[{", &views, &why));
  CheckResult r;
  browser::FillFromRum(views, &r);
  EXPECT_EQ(r.vitals.at("lcp"), 800);
  EXPECT_EQ(r.vitals.at("cls"), 0.1);
  EXPECT_EQ(r.resources_json, R"([{"u":"/a","d":1},{"u":"/c"}])");
}

TEST(CdpMessage, ParsesResponsesEventsAndRejectsJunk) {
  browser::CdpMessage m;
  std::string why;
  ASSERT_TRUE(browser::ParseCdpMessage(R"({"id":7,"result":{"a":[1, 2]},"sessionId":"S"})", &m, &why));
  EXPECT_EQ(m.id, 7);
  EXPECT_EQ(m.payload, R"({"a":[1,2]})");
  EXPECT_EQ(m.session_id, "S");
  ASSERT_TRUE(browser::ParseCdpMessage(R"({"id":8,"error":{"code":-32000,"message":"nope"}})", &m, &why));
  EXPECT_TRUE(m.is_error);
  EXPECT_EQ(m.error, "-32000 nope");
  ASSERT_TRUE(browser::ParseCdpMessage(R"({"method":"Page.loadEventFired","params":{"timestamp":1}})", &m, &why));
  EXPECT_TRUE(m.is_event());
  EXPECT_EQ(m.method, "Page.loadEventFired");
  EXPECT_FALSE(browser::ParseCdpMessage(R"({"id":-1})", &m, &why));
  EXPECT_FALSE(browser::ParseCdpMessage(R"({"x":1})", &m, &why));
  EXPECT_FALSE(browser::ParseCdpMessage("[1]", &m, &why));
  EXPECT_FALSE(browser::ParseCdpMessage("{", &m, &why));
  browser::CdpJson j(R"({"a":{"b":[{"c":"x"},2.5]}})");
  EXPECT_EQ(j.String("a.b.0.c"), "x");
  EXPECT_EQ(j.Number("a.b.1"), 2.5);
  EXPECT_FALSE(j.Number("a.b.2"));
  EXPECT_EQ(j.ArraySize("a.b"), 2u);
}

}  // namespace
}  // namespace perfwatch::synthetic
