#include "cli/demo_simulator.h"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "common/json_writer.h"
#include "common/log.h"
#include "common/thread_name.h"
#include "common/time.h"
#include "http/blocking_client.h"

namespace perfwatch::cli {
namespace {

struct PageSpec {
  const char* path;      // "%d" is replaced by a product id, "%u" by a UUID
  double weight;         // share of page views
  double slowness;       // multiplies LCP/FCP/TTFB medians
  double error_rate;     // chance of a JS error per view
};

constexpr PageSpec kPages[] = {
    {"/", 0.25, 1.0, 0.005},
    {"/products/%d", 0.30, 1.15, 0.01},
    {"/search", 0.12, 1.9, 0.02},   // slow: server-side search
    {"/cart", 0.10, 1.0, 0.01},
    {"/checkout", 0.08, 2.3, 0.06},  // slow and error-prone: third-party payment widget
    {"/blog/%u", 0.10, 0.9, 0.0},
    {"/account", 0.05, 1.2, 0.01},
};

struct DeviceSpec {
  const char* user_agent;
  double weight;
  double slowness;
};

constexpr DeviceSpec kDevices[] = {
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", 0.30, 1.0},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15", 0.10, 0.95},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0", 0.06, 1.05},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0", 0.06, 1.0},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", 0.22, 1.35},
    {"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36", 0.20, 1.6},
    {"Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", 0.06, 1.2},
};

constexpr std::pair<const char*, double> kConnections[] = {
    {"4g", 0.78}, {"3g", 0.12}, {"2g", 0.03}, {"slow-2g", 0.01}, {"", 0.06}};

template <typename T, size_t N, typename W>
const T& Pick(std::mt19937_64& rng, const T (&items)[N], W weight) {
  double total = 0;
  for (const auto& it : items) total += weight(it);
  double r = std::uniform_real_distribution<double>(0, total)(rng);
  for (const auto& it : items) {
    r -= weight(it);
    if (r <= 0) return it;
  }
  return items[N - 1];
}

double LogNormal(std::mt19937_64& rng, double median, double sigma) {
  return median * std::exp(sigma * std::normal_distribution<double>(0, 1)(rng));
}

void AppendField(std::string& out, const char* name, std::string_view value) {
  out += '"';
  out += name;
  out += "\":";
  AppendJsonString(out, value);
  out += ',';
}

void AppendNumberField(std::string& out, const char* name, double value) {
  out += '"';
  out += name;
  out += "\":";
  AppendJsonNumber(out, value);
  out += ',';
}

}  // namespace

DemoSimulator::DemoSimulator(DemoOptions options) : options_(options), rng_(options.seed) {}

DemoSimulator::~DemoSimulator() { Stop(); }

void DemoSimulator::Start() {
  thread_ = NamedThread("pw-demo", [this] { Run(); });
}

void DemoSimulator::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::string DemoSimulator::PageViewBatch(int64_t ts) {
  const PageSpec& page = Pick(rng_, kPages, [](const PageSpec& p) { return p.weight; });
  const DeviceSpec& device = Pick(rng_, kDevices, [](const DeviceSpec& d) { return d.weight; });
  const auto& conn = Pick(rng_, kConnections, [](const auto& c) { return c.second; });
  double net = std::string_view(conn.first) == "3g" ? 1.6 : std::string_view(conn.first) == "2g" ? 2.5
             : std::string_view(conn.first) == "slow-2g" ? 3.5 : 1.0;

  char path[96];
  if (std::string_view(page.path).find("%d") != std::string_view::npos) {
    std::snprintf(path, sizeof(path), "/products/%d", static_cast<int>(rng_() % 5000 + 1));
  } else if (std::string_view(page.path).find("%u") != std::string_view::npos) {
    std::snprintf(path, sizeof(path), "/blog/%08x-%04x-4%03x-a%03x-%012llx", static_cast<unsigned>(rng_()),
                  static_cast<unsigned>(rng_() & 0xffff), static_cast<unsigned>(rng_() & 0xfff),
                  static_cast<unsigned>(rng_() & 0xfff), static_cast<unsigned long long>(rng_() & 0xffffffffffffULL));
  } else {
    std::snprintf(path, sizeof(path), "%s", page.path);
  }
  std::string url = std::string("https://shop.example") + path + (rng_() % 4 == 0 ? "?utm_source=mail" : "");
  std::string session = std::to_string(ts) + "-" + std::to_string(rng_() % 1000000);
  double slow = page.slowness * device.slowness * net;

  double ttfb = LogNormal(rng_, 260 * slow, 0.5);
  double fcp = ttfb + LogNormal(rng_, 620 * slow, 0.45);
  double lcp = fcp + LogNormal(rng_, 320 * slow, 0.6);
  double cls = std::max(0.0, LogNormal(rng_, 0.04 * page.slowness, 1.0) - 0.01);
  double inp = LogNormal(rng_, 110 * device.slowness * (page.slowness > 2 ? 1.8 : 1), 0.6);

  std::string out = "[";
  auto common = [&](std::string& b) {
    AppendField(b, "sessionId", session);
    AppendField(b, "url", url);
    AppendNumberField(b, "timestamp", static_cast<double>(ts));
    AppendField(b, "userAgent", device.user_agent);
    if (*conn.first) AppendField(b, "connection", conn.first);
    AppendField(b, "app", "shop");
    b += R"("deviceMemory":8,"hardwareConcurrency":8})";
  };
  const std::pair<const char*, double> vitals[] = {
      {"TTFB", std::round(ttfb * 10) / 10}, {"FCP", std::round(fcp * 10) / 10}, {"LCP", std::round(lcp * 10) / 10},
      {"CLS", std::round(cls * 10000) / 10000}, {"INP", std::round(inp)}};
  for (const auto& [name, value] : vitals) {
    if (out.size() > 1) out += ',';
    out += R"({"type":"vital",)";
    AppendField(out, "name", name);
    AppendNumberField(out, "value", value);
    AppendNumberField(out, "delta", value);
    AppendField(out, "id", "v4-" + std::to_string(++next_id_));
    AppendField(out, "navigationType", "navigate");
    common(out);
  }
  out += R"(,{"type":"navigation",)";
  AppendNumberField(out, "dns", std::round(ttfb * 0.1));
  AppendNumberField(out, "tcp", std::round(ttfb * 0.2));
  AppendNumberField(out, "ttfb", std::round(ttfb));
  AppendNumberField(out, "load", std::round(lcp * 1.2));
  common(out);
  if (std::uniform_real_distribution<double>(0, 1)(rng_) < 0.15 * slow) {
    out += R"(,{"type":"long-task",)";
    AppendNumberField(out, "value", std::round(LogNormal(rng_, 90, 0.4)));
    common(out);
  }
  if (std::uniform_real_distribution<double>(0, 1)(rng_) < page.error_rate) {
    out += R"(,{"type":"error",)";
    AppendField(out, "message", page.slowness > 2 ? "TypeError: Cannot read properties of undefined (reading 'token')"
                                                  : "ReferenceError: gtag is not defined");
    AppendField(out, "source", "https://shop.example/assets/app.js");
    common(out);
  }
  out += ']';
  return out;
}

void DemoSimulator::Run() {
  http::BlockingClient client(options_.port);
  int64_t now = NowMs();
  // Backfill: enough past page views that every chart and table has data at once.
  int backfill = static_cast<int>(options_.page_views_per_second * 60 * std::min<int64_t>(options_.backfill_ms / 60'000, 60) / 4);
  for (int i = 0; i < backfill && !stop_; ++i) {
    int64_t ts = now - static_cast<int64_t>(std::uniform_real_distribution<double>(0, 1)(rng_) * options_.backfill_ms);
    if (client.Post("/api/rum", PageViewBatch(ts), "text/plain;charset=UTF-8").status / 100 == 2) page_views_sent_++;
  }
  PW_LOG_INFO("demo visitors started", "backfilled_page_views={} rate_per_second={}", page_views_sent_.load(),
              options_.page_views_per_second);
  std::exponential_distribution<double> gap(options_.page_views_per_second);
  while (!stop_) {
    auto until = std::chrono::steady_clock::now() +
                 std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(gap(rng_)));
    while (!stop_ && std::chrono::steady_clock::now() < until) {
      std::chrono::steady_clock::duration left = until - std::chrono::steady_clock::now();
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(50)));
    }
    if (stop_) break;
    auto r = client.Post("/api/rum", PageViewBatch(NowMs()), "text/plain;charset=UTF-8");
    if (r.status / 100 == 2) {
      page_views_sent_++;
    } else {
      PW_LOG_WARN("demo beacon not accepted", "status={}", r.status);
    }
  }
}

}  // namespace perfwatch::cli
