// A browser check through the real binary (issue 18 point 2; docs/synthetic.md): headless
// Chromium loads a local page with the embedded rum.js, runs the scripted steps, and the
// server stores probe_browser_vital / probe_step_duration_seconds and the steps as a
// journey of the check's app (GET /api/v1/journeys). Needs `chromium` (scripts/setup).
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "support/http_client.h"
#include "support/server_process.h"
#include "support/webhook_receiver.h"

namespace perfwatch {
namespace {

using testing::HttpClient;
using testing::HttpResponse;
using testing::ServerProcess;
using testing::WebhookReceiver;

bool Contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST(SyntheticBrowserServer, StepsBecomeSeriesAndAJourney) {
  if (::system("command -v chromium >/dev/null 2>&1") != 0) GTEST_SKIP() << "chromium is not installed";
  WebhookReceiver site;  // answers "ok" (text/plain) to every path
  ASSERT_TRUE(site.Start());
  const std::string config = "synthetic:\n  checks:\n"
                             "    - name: shop-journey\n"
                             "      interval: 1h\n"
                             "      browser:\n"
                             "        url: \"" + site.url("/home") + "\"\n"
                             "        app: lab\n"
                             "        timeout: 45s\n"
                             "        steps:\n"
                             "          - goto: \"" + site.url("/cart") + "\"\n"
                             "            name: cart\n"
                             "          - assert_text: ok\n"
                             "            name: read\n";
  ServerProcess server({}, config);
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient client(server.port());
  HttpResponse run = client.Post("/api/v1/checks/shop-journey/run", "");
  ASSERT_EQ(run.status, 200) << run.body;
  EXPECT_TRUE(Contains(run.body, R"("success":true)")) << run.body;
  EXPECT_TRUE(Contains(run.body, R"("steps":[{"name":"cart","ok":true)")) << run.body;
  EXPECT_TRUE(Contains(run.body, R"({"name":"read","ok":true)")) << run.body;

  HttpResponse steps = client.Get("/api/v1/query?query=" +
                                  testing::UrlEncode("count(probe_step_duration_seconds{check=\"shop-journey\"})"));
  EXPECT_TRUE(Contains(steps.body, R"("value":[)") && Contains(steps.body, R"(,"2"])")) << steps.body;
  HttpResponse ok = client.Get("/api/v1/query?query=" + testing::UrlEncode("probe_success{check=\"shop-journey\"}"));
  EXPECT_TRUE(Contains(ok.body, R"(,"1"])")) << ok.body;
  if (client.Get("/rum.js").status == 200) {
    // rum.js is embedded: the page's TTFB was measured by it.
    HttpResponse ttfb = client.Get("/api/v1/query?query=" +
                                   testing::UrlEncode("probe_browser_vital{check=\"shop-journey\",vital=\"ttfb\"}"));
    EXPECT_TRUE(Contains(ttfb.body, R"("vital":"ttfb")")) << ttfb.body;
  }
  // The run as a journey of app "lab", completed, with its two steps.
  HttpResponse journeys = client.Get("/api/v1/journeys?app=lab");
  ASSERT_EQ(journeys.status, 200) << journeys.body;
  EXPECT_TRUE(Contains(journeys.body, R"("app":"lab","name":"shop-journey","started":1,"completed":1)")) << journeys.body;
  EXPECT_TRUE(Contains(journeys.body, R"({"name":"cart",)")) << journeys.body;
}

}  // namespace
}  // namespace perfwatch
