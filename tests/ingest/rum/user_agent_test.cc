#include "ingest/rum/user_agent.h"

#include <gtest/gtest.h>

namespace perfwatch::ingest {
namespace {

struct Case {
  const char* what;
  const char* ua;
  std::string_view device;
  std::string_view browser;
};

TEST(UserAgentTest, RealUserAgents) {
  const Case cases[] = {
      {"iPhone Safari",
       "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
       "Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
       "mobile", "Safari"},
      {"iPad Safari",
       "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
       "Version/16.6 Mobile/15E148 Safari/604.1",
       "tablet", "Safari"},
      {"Android phone Chrome",
       "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/120.0.0.0 Mobile Safari/537.36",
       "mobile", "Chrome"},
      {"Android tablet Chrome",
       "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/120.0.0.0 Safari/537.36",
       "tablet", "Chrome"},
      {"Windows Chrome",
       "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/120.0.0.0 Safari/537.36",
       "desktop", "Chrome"},
      {"Windows Edge",
       "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
       "desktop", "Edge"},
      {"Legacy Edge",
       "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/70.0.3538.102 Safari/537.36 Edge/18.19582",
       "desktop", "Edge"},
      {"Edge Android",
       "Mozilla/5.0 (Linux; Android 10; HD1913) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/120.0.6099.193 Mobile Safari/537.36 EdgA/120.0.2210.115",
       "mobile", "Edge"},
      {"Edge iOS",
       "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
       "Gecko) EdgiOS/120.2210.126 Version/17.0 Mobile/15E148 Safari/604.1",
       "mobile", "Edge"},
      {"Windows Firefox",
       "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
       "desktop", "Firefox"},
      {"Android Firefox", "Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0",
       "mobile", "Firefox"},
      {"Android tablet Firefox", "Mozilla/5.0 (Android 14; Tablet; rv:121.0) Gecko/121.0 Firefox/121.0",
       "tablet", "Firefox"},
      {"FxiOS",
       "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
       "Gecko) FxiOS/121.0 Mobile/15E148 Safari/605.1.15",
       "mobile", "Firefox"},
      {"macOS Safari",
       "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
       "Version/17.1 Safari/605.1.15",
       "desktop", "Safari"},
      {"CriOS",
       "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
       "Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1",
       "mobile", "Chrome"},
      {"HeadlessChrome",
       "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
       "HeadlessChrome/120.0.0.0 Safari/537.36",
       "desktop", "Chrome"},
      {"Opera",
       "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/120.0.0.0 Safari/537.36 OPR/106.0.0.0",
       "desktop", "other"},
      {"Samsung Internet",
       "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
       "SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
       "mobile", "other"},
      {"Old Android browser",
       "Mozilla/5.0 (Linux; U; Android 4.0.3; ko-kr; LG-L160L Build/IML74K) AppleWebKit/534.30 "
       "(KHTML, like Gecko) Version/4.0 Mobile Safari/534.30",
       "mobile", "other"},
      {"IE 11", "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko", "desktop",
       "other"},
      {"curl", "curl/8.4.0", "desktop", "other"},
      {"empty", "", "desktop", "other"},
      {"placeholder", "Mozilla/5.0 ...", "desktop", "other"},
  };
  for (const Case& c : cases) {
    UserAgentClass got = ClassifyUserAgent(c.ua);
    EXPECT_EQ(got.device, c.device) << c.what;
    EXPECT_EQ(got.browser, c.browser) << c.what;
  }
}

}  // namespace
}  // namespace perfwatch::ingest
