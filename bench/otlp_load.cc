// otlp_load: posts OTLP/HTTP protobuf trace batches to a running perfwatch (or any OTLP
// receiver) over keep-alive HTTP/1.1 connections, one thread per connection, and prints
// one JSON line: spans acknowledged, seconds, spans/s, requests, retries.
// Each batch is 200 traces of 5 spans (an Express SERVER span with 10 attributes, a
// PostgreSQL CLIENT span, an HTTP CLIENT span, two middleware INTERNAL spans), fresh
// random ids per batch, start times = now. 503/429 answers are retried after 100 ms.
//
// Build (from the project root; docs/benchmarks.md "Span store (issue 14)"):
//   g++ -O2 -std=c++20 -pthread -Itests -o /tmp/otlp_load bench/otlp_load.cc
// Run:
//   /tmp/otlp_load --addr 127.0.0.1:9090 --connections 2 --spans 10000000 [--token T]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "ingest/otlp/proto_builder.h"

using perfwatch::ingest::otlp::testing::ProtoBuilder;
using perfwatch::ingest::otlp::testing::StringAttr;

namespace {

const char* kRoutes[] = {"/api/cart/:id", "/api/products", "/api/products/:id", "/api/checkout", "/api/users/:id",
                         "/health", "/api/search", "/api/orders/:id"};

ProtoBuilder IntAttr(const char* key, int64_t v) {
  ProtoBuilder kv;
  kv.Bytes(1, key).Message(2, ProtoBuilder().Varint(3, static_cast<uint64_t>(v)));
  return kv;
}

std::string Id(std::mt19937_64& rng, int bytes) {
  std::string s(bytes, '\0');
  for (int i = 0; i < bytes; i += 8) {
    uint64_t v = rng();
    std::memcpy(s.data() + i, &v, 8);
  }
  return s;
}

std::string Batch(std::mt19937_64& rng, uint64_t now_ns) {
  ProtoBuilder scope;
  scope.Message(1, ProtoBuilder().Bytes(1, "@opentelemetry/instrumentation-http").Bytes(2, "0.57.0"));
  for (int t = 0; t < 200; ++t) {
    std::string trace = Id(rng, 16), root_id = Id(rng, 8);
    const char* route = kRoutes[rng() % 8];
    uint64_t start = now_ns - 1'000'000'000 + t * 1'000'000, dur = 2'000'000 + rng() % 200'000'000;
    bool error = rng() % 50 == 0;
    auto span = [&](const std::string& id, const std::string& parent, const std::string& name, int kind,
                    uint64_t s, uint64_t d) {
      ProtoBuilder p;
      p.Bytes(1, trace).Bytes(2, id);
      if (!parent.empty()) p.Bytes(4, parent);
      p.Bytes(5, name).Varint(6, kind).Fixed64(7, s).Fixed64(8, s + d);
      return p;
    };
    ProtoBuilder root = span(root_id, "", std::string("GET ") + route, 2, start, dur);
    root.Message(9, StringAttr("http.request.method", "GET"))
        .Message(9, StringAttr("http.route", route))
        .Message(9, IntAttr("http.response.status_code", error ? 500 : 200))
        .Message(9, StringAttr("url.path", "/api/cart/" + std::to_string(rng() % 1'000'000)))
        .Message(9, StringAttr("url.scheme", "http"))
        .Message(9, StringAttr("server.address", "shop.example.com"))
        .Message(9, IntAttr("server.port", 8080))
        .Message(9, StringAttr("network.protocol.version", "1.1"))
        .Message(9, StringAttr("client.address", "10.0." + std::to_string(rng() % 256) + "." + std::to_string(rng() % 256)))
        .Message(9, StringAttr("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"));
    if (error) root.Message(15, ProtoBuilder().Varint(3, 2));
    scope.Message(2, root);
    ProtoBuilder db = span(Id(rng, 8), root_id, "SELECT shop.carts", 3, start + dur / 10, dur / 3);
    db.Message(9, StringAttr("db.system", "postgresql"))
        .Message(9, StringAttr("db.name", "shop"))
        .Message(9, StringAttr("db.statement", "SELECT * FROM carts WHERE id = $1"))
        .Message(9, StringAttr("db.operation", "SELECT"))
        .Message(9, StringAttr("net.peer.name", "db"));
    scope.Message(2, db);
    ProtoBuilder http = span(Id(rng, 8), root_id, "POST", 3, start + dur / 2, dur / 3);
    http.Message(9, StringAttr("http.request.method", "POST"))
        .Message(9, StringAttr("server.address", "payments.internal"))
        .Message(9, IntAttr("http.response.status_code", 200))
        .Message(9, StringAttr("url.full", "http://payments.internal/charge"));
    scope.Message(2, http);
    ProtoBuilder mw = span(Id(rng, 8), root_id, "middleware - jsonParser", 1, start + 1000, 50'000);
    mw.Message(9, StringAttr("express.type", "middleware")).Message(9, StringAttr("express.name", "jsonParser"));
    scope.Message(2, mw);
    ProtoBuilder rh = span(Id(rng, 8), root_id, std::string("request handler - ") + route, 1, start + 60'000, dur - 100'000);
    rh.Message(9, StringAttr("express.type", "request_handler")).Message(9, StringAttr("http.route", route));
    scope.Message(2, rh);
  }
  ProtoBuilder resource;
  resource.Message(1, StringAttr("service.name", "api"))
      .Message(1, StringAttr("telemetry.sdk.language", "nodejs"))
      .Message(1, StringAttr("host.name", "web-1"));
  ProtoBuilder rs;
  rs.Message(1, resource).Message(2, scope);
  ProtoBuilder req;
  req.Message(1, rs);
  return req.bytes();
}

int Connect(const std::string& addr) {
  auto colon = addr.rfind(':');
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(std::atoi(addr.c_str() + colon + 1)));
  inet_pton(AF_INET, addr.substr(0, colon).c_str(), &sa.sin_addr);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    perror("connect");
    std::exit(2);
  }
  return fd;
}

// Sends one request, returns the status code (0 on a broken connection).
int Post(int fd, const std::string& head, const std::string& body, std::string& buf) {
  std::string req = head + std::to_string(body.size()) + "\r\n\r\n";
  req += body;
  for (size_t off = 0; off < req.size();) {
    ssize_t n = write(fd, req.data() + off, req.size() - off);
    if (n <= 0) return 0;
    off += static_cast<size_t>(n);
  }
  buf.clear();
  size_t header_end = std::string::npos;
  char tmp[65536];
  while (header_end == std::string::npos) {
    ssize_t n = read(fd, tmp, sizeof(tmp));
    if (n <= 0) return 0;
    buf.append(tmp, static_cast<size_t>(n));
    header_end = buf.find("\r\n\r\n");
  }
  int status = std::atoi(buf.c_str() + 9);
  size_t cl = 0;
  for (const char* key : {"Content-Length: ", "content-length: "}) {
    auto p = buf.find(key);
    if (p != std::string::npos && p < header_end) cl = std::strtoul(buf.c_str() + p + std::strlen(key), nullptr, 10);
  }
  while (buf.size() < header_end + 4 + cl) {
    ssize_t n = read(fd, tmp, sizeof(tmp));
    if (n <= 0) return 0;
    buf.append(tmp, static_cast<size_t>(n));
  }
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  std::string addr = "127.0.0.1:9090", token;
  int connections = 2;
  uint64_t total_spans = 1'000'000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--addr") addr = argv[i + 1];
    else if (a == "--connections") connections = std::atoi(argv[i + 1]);
    else if (a == "--spans") total_spans = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--token") token = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: otlp_load --addr HOST:PORT --connections N --spans N [--token T]\n");
      return 2;
    }
  }
  std::string head = "POST /v1/traces HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/x-protobuf\r\n";
  if (!token.empty()) head += "Authorization: Bearer " + token + "\r\n";
  head += "Content-Length: ";
  const uint64_t batches = (total_spans + 999) / 1000;
  std::atomic<uint64_t> next{0}, acked{0}, requests{0}, retries{0}, failed{0}, body_bytes{0};
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&, c] {
      std::mt19937_64 rng(1234 + c);
      int fd = Connect(addr);
      std::string buf;
      while (next.fetch_add(1) < batches) {
        uint64_t now = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                 std::chrono::system_clock::now().time_since_epoch())
                                                 .count());
        std::string body = Batch(rng, now);
        body_bytes += body.size();
        for (;;) {
          int status = Post(fd, head, body, buf);
          ++requests;
          if (status == 200) {
            acked += 1000;
            break;
          }
          if (status == 0) {
            close(fd);
            fd = Connect(addr);
          } else if (status != 503 && status != 429) {
            ++failed;
            std::fprintf(stderr, "status %d: %s\n", status, buf.substr(0, 300).c_str());
            break;
          }
          ++retries;
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
      }
      close(fd);
    });
  }
  for (auto& t : threads) t.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf(
      "{\"spans\":%llu,\"seconds\":%.2f,\"spans_per_second\":%.0f,\"requests\":%llu,\"retries\":%llu,\"failed\":%llu,"
      "\"wire_bytes_per_span\":%.1f,\"connections\":%d}\n",
      static_cast<unsigned long long>(acked.load()), secs, acked.load() / secs,
      static_cast<unsigned long long>(requests.load()), static_cast<unsigned long long>(retries.load()),
      static_cast<unsigned long long>(failed.load()), static_cast<double>(body_bytes.load()) / (batches * 1000.0),
      connections);
  return failed.load() ? 1 : 0;
}
