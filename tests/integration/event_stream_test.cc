// The real server: a beacon posted while a client holds GET /api/v1/stream open reaches it
// as `event: vitals` for its app within 2 s (issue 13's live dashboard), and a client that
// reconnects with Last-Event-ID gets what it missed.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>

#include "support/http_client.h"
#include "support/server_process.h"

namespace perfwatch {
namespace {

using namespace std::chrono_literals;
using testing::HttpClient;
using testing::ServerProcess;

// A raw streaming GET: reads what arrives until `needle` shows up or the time is up.
class StreamClient {
 public:
  StreamClient(uint16_t port, const std::string& request) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    ok_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
          ::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size());
  }
  ~StreamClient() { ::close(fd_); }
  bool ok() const { return ok_; }
  // Time until `needle` arrived, or nullopt.
  std::optional<std::chrono::milliseconds> WaitFor(const std::string& needle, std::chrono::milliseconds timeout) {
    const auto start = std::chrono::steady_clock::now();
    while (got_.find(needle) == std::string::npos) {
      auto left = timeout - std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
      if (left.count() <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[8192];
      ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) return std::nullopt;
      got_.append(buf, static_cast<size_t>(n));
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  }
  const std::string& received() const { return got_; }

 private:
  int fd_ = -1;
  bool ok_ = false;
  std::string got_;
};

std::string Beacon(const std::string& id) {
  return R"({"name":"LCP","value":1800,"id":")" + id + R"(","sessionId":"s","url":"https://shop.example/a"})";
}

TEST(EventStreamTest, ABeaconReachesAnOpenStreamWithinTwoSeconds) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient client(server.port());
  StreamClient stream(server.port(), "GET /api/v1/stream HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(stream.ok());
  ASSERT_TRUE(stream.WaitFor(": connected", 10s)) << stream.received();

  const auto posted = std::chrono::steady_clock::now();
  ASSERT_EQ(client.Post("/api/rum?app=shop", Beacon("v1")).status, 204);
  auto waited = stream.WaitFor(R"(data: {"app":"shop",)", 10s);
  ASSERT_TRUE(waited) << stream.received();
  const auto latency = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - posted);
  EXPECT_LT(latency, 2000ms) << "the vitals event took " << latency.count() << " ms";
  EXPECT_NE(stream.received().find("event: vitals\n"), std::string::npos) << stream.received();

  // Catch up: the id of that event, then another beacon; a client reconnecting with the
  // first id gets only the second.
  const std::string& r = stream.received();
  size_t id_at = r.rfind("id: ", r.find("event: vitals"));
  ASSERT_NE(id_at, std::string::npos);
  const std::string first_id = r.substr(id_at + 4, r.find('\n', id_at) - id_at - 4);
  ASSERT_EQ(client.Post("/api/rum?app=blog", Beacon("v2")).status, 204);
  ASSERT_TRUE(stream.WaitFor(R"(data: {"app":"blog",)", 10s)) << stream.received();
  StreamClient again(server.port(), "GET /api/v1/stream HTTP/1.1\r\nHost: x\r\nLast-Event-ID: " + first_id + "\r\n\r\n");
  ASSERT_TRUE(again.WaitFor(R"(data: {"app":"blog",)", 10s)) << again.received();
  EXPECT_EQ(again.received().find(R"("app":"shop")"), std::string::npos) << again.received();
}

TEST(EventStreamTest, AnAlertThatStartsFiringIsAnnounced) {
  ServerProcess server({}, R"(rules:
  resend_delay: 500ms
alerts:
  defaults: false
  interval: 1s
  threshold:
    - name: StreamProbe
      expr: vector(5)
      threshold: 1
)");
  ASSERT_TRUE(server.Start()) << server.log();
  StreamClient stream(server.port(), "GET /api/v1/stream?types=alerts HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(stream.ok());
  ASSERT_TRUE(stream.WaitFor(R"(data: {"alertname":"StreamProbe","state":"firing","labels":{)", 30s))
      << stream.received() << server.log();
  EXPECT_NE(stream.received().find("event: alerts\n"), std::string::npos);
  EXPECT_NE(stream.received().find(R"("severity":"warning")"), std::string::npos) << stream.received();
  // Re-sends of the unchanged alert (every 500 ms here) publish nothing new.
  EXPECT_FALSE(stream.WaitFor(R"(XX-never)", 3s));
  const std::string& got = stream.received();
  EXPECT_EQ(got.find("event: alerts", got.find("event: alerts") + 1), std::string::npos) << "announced twice: " << got;
}

}  // namespace
}  // namespace perfwatch
