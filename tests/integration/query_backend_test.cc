// query.backend through the real binaries (docs/scale-out.md "Queries from an external
// store"): perfwatch runs with its PromQL API and rules reading from the Debian
// `victoria-metrics` (single node) on a free loopback port. Samples are written to
// VictoriaMetrics only (/api/v1/import/prometheus), so perfwatch's own TSDB never holds
// them. Checked: (a) /api/v1/query, /api/v1/query_range, /api/v1/series, /api/v1/labels and
// /api/v1/label/<name>/values through perfwatch answer what VictoriaMetrics answers, and
// PromQL evaluated inside perfwatch (a live query watch of /api/v1/stream, as the
// analysis runs it) reads VictoriaMetrics' samples; (b) an alert rule fires on that data; (c) with
// VictoriaMetrics down the API answers 503 in Prometheus' shape and the rules' failures show as
// rule errors (health "err", lastError, prometheus_rule_evaluation_failures_total), and
// perfwatch_query_backend_requests_total counts them. Skipped when /usr/bin/victoria-metrics is not
// installed.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <simdjson.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "common/time.h"
#include "support/http_client.h"
#include "support/server_process.h"

namespace perfwatch {
namespace {

using testing::FreePort;
using testing::HttpClient;
using testing::ServerProcess;
using testing::UrlEncode;

constexpr const char* kVmBinary = "/usr/bin/victoria-metrics";

// The real VictoriaMetrics single-node server as a child process.
class VictoriaMetrics {
 public:
  explicit VictoriaMetrics(std::filesystem::path dir) : dir_(std::move(dir)), port_(FreePort()) {}
  ~VictoriaMetrics() { Stop(); }

  bool Start() {
    const std::string log = (dir_ / "vm.log").string();
    std::vector<std::string> args = {kVmBinary,
                                     "-storageDataPath=" + (dir_ / "vm-data").string(),
                                     "-httpListenAddr=127.0.0.1:" + std::to_string(port_),
                                     "-retentionPeriod=100y",
                                     "-search.latencyOffset=0s",
                                     "-search.disableCache",
                                     "-loggerLevel=WARN"};
    pid_ = ::fork();
    if (pid_ == 0) {
      FILE* f = std::fopen(log.c_str(), "a");
      if (f) {
        ::dup2(fileno(f), 1);
        ::dup2(fileno(f), 2);
      }
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    for (int i = 0; i < 200; ++i) {
      HttpClient c(port_);
      if (c.Get("/health").status == 200) return true;
      int st = 0;
      if (::waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int st = 0;
    ::waitpid(pid_, &st, 0);
    pid_ = -1;
  }

  uint16_t port() const { return port_; }

 private:
  std::filesystem::path dir_;
  uint16_t port_;
  pid_t pid_ = -1;
};

// The `data` member of a Prometheus API answer, re-serialised (VictoriaMetrics adds a
// "stats" member whose timings differ from call to call).
std::string DataOf(const std::string& body) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(body).get(root) != simdjson::SUCCESS) return "unparsable: " + body;
  std::string_view status;
  if (root["status"].get_string().get(status) != simdjson::SUCCESS || status != "success")
    return "not success: " + body;
  simdjson::dom::element data;
  if (root["data"].get(data) != simdjson::SUCCESS) return "no data: " + body;
  return simdjson::to_string(data);
}

class QueryBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(kVmBinary, X_OK) != 0) GTEST_SKIP() << kVmBinary << " is not installed";
    char tmpl[] = "/tmp/pw_query_backend_it_XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    vm_ = std::make_unique<VictoriaMetrics>(dir_);
    ASSERT_TRUE(vm_->Start()) << "victoria-metrics did not start";
    now_s_ = NowMs() / 1000;
    // Samples only VictoriaMetrics has: every 15 s over the last 10 minutes.
    std::string text;
    for (int64_t t = now_s_ - 600; t <= now_s_; t += 15) {
      const std::string ms = std::to_string(t * 1000);
      text += "vm_only_errors{job=\"checkout\",env=\"prod\"} 7 " + ms + "\n";
      text += "vm_only_errors{job=\"cart\",env=\"prod\"} 1 " + ms + "\n";
      text += "vm_only_requests_total{job=\"checkout\"} " + std::to_string(t - now_s_ + 600) + " " +
              ms + "\n";
    }
    HttpClient vm(vm_->port());
    auto r = vm.Post("/api/v1/import/prometheus", text, "text/plain");
    ASSERT_EQ(r.status, 204) << r.body;
    ASSERT_EQ(vm.Get("/internal/force_flush").status, 200);

    std::ofstream(dir_ / "rules.yml") << R"(groups:
  - name: from-vm
    interval: 1s
    rules:
      - alert: CheckoutErrors
        expr: vm_only_errors > 5
        labels: {severity: page}
        annotations: {summary: '{{ $labels.job }} has {{ $value }} errors'}
)";
    server_ =
        std::make_unique<ServerProcess>(std::vector<std::string>{},
                                        "scrape: {self_scrape: false}\n"
                                        "rules: {event_driven: false}\n"
                                        "rule_files: [" +
                                            (dir_ / "rules.yml").string() +
                                            "]\n"
                                            "query:\n  backend:\n    url: http://127.0.0.1:" +
                                            std::to_string(vm_->port()) + "\n    timeout: 5s\n");
    ASSERT_TRUE(server_->Start()) << server_->log();
  }

  void TearDown() override {
    server_.reset();
    vm_.reset();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }

  // Asks the same GET of VictoriaMetrics and of perfwatch; both must succeed with equal data.
  void ExpectSameAnswer(const std::string& target) {
    HttpClient vm(vm_->port()), pw(server_->port());
    auto direct = vm.Get(target);
    auto proxied = pw.Get(target);
    ASSERT_EQ(direct.status, 200) << target << ": " << direct.body;
    ASSERT_EQ(proxied.status, 200) << target << ": " << proxied.body;
    EXPECT_EQ(DataOf(proxied.body), DataOf(direct.body)) << target;
    EXPECT_NE(DataOf(direct.body), "[]") << target;  // the comparison covers real data
  }

  std::filesystem::path dir_;
  std::unique_ptr<VictoriaMetrics> vm_;
  std::unique_ptr<ServerProcess> server_;
  int64_t now_s_ = 0;
};

TEST_F(QueryBackendTest, PromqlApiAnswersFromTheBackend) {
  const std::string t = std::to_string(now_s_);
  ExpectSameAnswer("/api/v1/query?query=" + UrlEncode("vm_only_errors") + "&time=" + t);
  ExpectSameAnswer("/api/v1/query?query=" + UrlEncode("sum by (env) (vm_only_errors)") +
                   "&time=" + t);
  ExpectSameAnswer("/api/v1/query_range?query=" + UrlEncode("rate(vm_only_requests_total[2m])") +
                   "&start=" + std::to_string(now_s_ - 300) + "&end=" + t + "&step=30");
  ExpectSameAnswer("/api/v1/series?match[]=" + UrlEncode("vm_only_errors") +
                   "&start=" + std::to_string(now_s_ - 600) + "&end=" + t);
  ExpectSameAnswer("/api/v1/labels?start=" + std::to_string(now_s_ - 600) + "&end=" + t);
  ExpectSameAnswer("/api/v1/label/job/values?start=" + std::to_string(now_s_ - 600) + "&end=" + t);

  // POST with a form body is forwarded too.
  HttpClient pw(server_->port());
  auto post = pw.Post("/api/v1/query", "query=" + UrlEncode("count(vm_only_errors)") + "&time=" + t,
                      "application/x-www-form-urlencoded");
  ASSERT_EQ(post.status, 200) << post.body;
  EXPECT_NE(post.body.find(R"("value":[)" + t + R"(,"2"])"), std::string::npos) << post.body;

  // The backend's own errors come back as it gave them.
  auto bad = pw.Get("/api/v1/query?query=" + UrlEncode("sum(("));
  EXPECT_EQ(bad.status / 100, 4) << bad.body;
  EXPECT_NE(bad.body.find(R"("status":"error")"), std::string::npos) << bad.body;

  // perfwatch's own TSDB never saw these samples (its export reads it).
  auto local = pw.Get("/api/v1/export?match[]=" + UrlEncode("vm_only_errors"));
  EXPECT_EQ(local.status, 200) << local.body;
  EXPECT_EQ(local.body.find("vm_only_errors"), std::string::npos) << local.body;
}

// Reads a streaming answer until `needle` arrives (10 s at most).
std::string StreamUntil(uint16_t port, const std::string& target, const std::string& needle) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  std::string got;
  const std::string request = "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n";
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (got.find(needle) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[8192];
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  return got;
}

TEST_F(QueryBackendTest, PromqlInsidePerfwatchReadsTheBackendsSamples) {
  const std::string expr = "sum by (env) (vm_only_errors)";
  const std::string got = StreamUntil(
      server_->port(), "/api/v1/stream?types=query&watch=" + UrlEncode(expr), R"("result":[)");
  EXPECT_NE(got.find(R"({"metric":{"env":"prod"},"value":[)"), std::string::npos)
      << got << server_->log();
  EXPECT_NE(got.find(R"(,"8"]})"), std::string::npos) << got;  // 7 + 1, only in VictoriaMetrics
}

TEST_F(QueryBackendTest, AlertRuleFiresOnDataOnlyTheBackendHas) {
  HttpClient pw(server_->port());
  std::string alerts;
  for (int i = 0; i < 100; ++i) {
    alerts = pw.Get("/api/v1/alerts").body;
    if (alerts.find(R"("state":"firing")") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(alerts.find(R"("state":"firing")"), std::string::npos) << alerts << server_->log();
  EXPECT_NE(alerts.find(R"("job":"checkout")"), std::string::npos) << alerts;
  EXPECT_EQ(alerts.find(R"("job":"cart")"), std::string::npos) << alerts;  // 1 is not > 5
  EXPECT_NE(alerts.find("checkout has 7 errors"), std::string::npos) << alerts;
  auto rules = pw.Get("/api/v1/rules");
  EXPECT_NE(rules.body.find(R"("health":"ok")"), std::string::npos) << rules.body;
}

TEST_F(QueryBackendTest, BackendDownIsA503AndARuleError) {
  vm_->Stop();
  HttpClient pw(server_->port());
  auto r = pw.Get("/api/v1/query?query=vm_only_errors");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(
      r.body.rfind(R"({"status":"error","errorType":"unavailable","error":"query backend: )", 0),
      0u)
      << r.body;
  auto range = pw.Get("/api/v1/query_range?query=vm_only_errors&start=1&end=2&step=1");
  EXPECT_EQ(range.status, 503) << range.body;

  std::string rules;
  for (int i = 0; i < 100; ++i) {
    rules = pw.Get("/api/v1/rules").body;
    if (rules.find(R"("health":"err")") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(rules.find(R"("health":"err")"), std::string::npos) << rules;
  EXPECT_NE(rules.find(R"("lastError":"query backend: )"), std::string::npos) << rules;

  const std::string metrics = pw.Get("/metrics").body;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      metrics, m, std::regex(R"(prometheus_rule_evaluation_failures_total\{[^}]*\} (\d+))")))
      << metrics;
  EXPECT_GT(std::stoi(m[1]), 0);
  ASSERT_TRUE(std::regex_search(
      metrics, m,
      std::regex(R"(perfwatch_query_backend_requests_total\{outcome="unreachable"\} (\d+))")))
      << metrics;
  EXPECT_GE(std::stoi(m[1]), 2);  // the two API calls at least
}

TEST_F(QueryBackendTest, BadBackendUrlStopsStartup) {
  ServerProcess bad({}, "query:\n  backend: {url: 'ftp://127.0.0.1:1'}\n");
  EXPECT_FALSE(bad.Start());
  EXPECT_NE(bad.log().find("query.backend.url"), std::string::npos) << bad.log();
}

}  // namespace
}  // namespace perfwatch
