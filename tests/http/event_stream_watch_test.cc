// Watched queries on GET /api/v1/stream (`watch=EXPR`): the hub evaluates each watched
// expression with its QueryWatcher on its own thread, sends the first answer at once and
// then only changed ones, as `event: query` without an id; bad expressions and intervals
// answer 400 before the stream starts; a hub without a watcher refuses `watch`.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "http/event_stream.h"
#include "server_fixture.h"

namespace perfwatch::http {
namespace {

using namespace std::chrono_literals;

// A watcher over a value the test controls: "up" answers {"query":"up","result":N}.
struct ValueWatcher {
  std::atomic<int> value{1};
  std::atomic<int> evaluations{0};
  QueryWatcher Make() {
    QueryWatcher w;
    w.check = [](std::string_view expr) -> Status {
      if (expr.find('(') != std::string_view::npos)
        return InvalidArgument("1:4: parse error: unclosed left parenthesis");
      return Status::Ok();
    };
    w.evaluate = [this](std::string_view expr) {
      ++evaluations;
      const std::string v = std::to_string(value.load());
      return QueryWatcher::Answer{R"({"query":")" + std::string(expr) + R"(","result":)" + v + "}",
                                  v};
    };
    return w;
  }
};

std::string ReadFor(LiveBody& body, std::string_view needle, std::chrono::milliseconds timeout) {
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.find(needle) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    body.Read(out);
    std::this_thread::sleep_for(5ms);
  }
  return out;
}

size_t Count(const std::string& s, std::string_view needle) {
  size_t n = 0;
  for (size_t p = s.find(needle); p != std::string::npos; p = s.find(needle, p + 1)) ++n;
  return n;
}

TEST(EventHubWatchTest, FirstResultAtOnceThenOnlyChanges) {
  ValueWatcher values;
  EventHub hub;
  hub.SetQueryWatcher(values.Make());
  hub.Start();
  auto sub = hub.Subscribe("c", std::nullopt, {"query"}, WatchSpec{{"up"}, 1000});
  ASSERT_TRUE(sub.ok());
  std::string got = ReadFor(**sub, R"("result":1})", 10s);
  EXPECT_NE(got.find("event: query\ndata: {\"query\":\"up\",\"result\":1}\n\n"), std::string::npos)
      << got;
  EXPECT_EQ(got.find("id: "), std::string::npos);  // per-stream: never replayed
  // Unchanged results send nothing; a change is sent at the next evaluation.
  const int before = values.evaluations.load();
  while (values.evaluations.load() < before + 1) std::this_thread::sleep_for(10ms);
  values.value = 2;
  got = ReadFor(**sub, R"("result":2})", 10s);
  EXPECT_EQ(Count(got, "event: query"), 1u) << got;
  EXPECT_NE(got.find(R"("result":2})"), std::string::npos) << got;
  hub.Stop();
}

TEST(EventHubWatchTest, WatchesNeedAWatcherAndAreLimited) {
  EventHub plain;
  EXPECT_EQ(plain.Subscribe("c", std::nullopt, {}, WatchSpec{{"up"}}).status().code(),
            StatusCode::kUnavailable);
  ValueWatcher values;
  EventHub hub;
  hub.SetQueryWatcher(values.Make());
  WatchSpec many;
  many.queries.assign(WatchSpec::kMaxWatches + 1, "up");
  EXPECT_EQ(hub.Subscribe("c", std::nullopt, {}, many).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(hub.subscribers(), 0u);
}

TEST(EventHubWatchTest, StreamsWithoutWatchesAreNotEvaluated) {
  ValueWatcher values;
  EventHub hub;
  hub.SetQueryWatcher(values.Make());
  hub.Start();
  auto sub = hub.Subscribe("c", std::nullopt, {});
  ASSERT_TRUE(sub.ok());
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(values.evaluations.load(), 0);
  hub.Stop();
}

class WatchServerTest : public ::testing::Test {
 protected:
  WatchServerTest() {
    hub_.SetQueryWatcher(values_.Make());
    hub_.Start();
    Router router;
    RegisterEventStream(router, &hub_);
    server_ = std::make_unique<testing::TestServer>(std::move(router));
  }
  ~WatchServerTest() override {
    hub_.Stop();
    server_.reset();
  }
  std::string Get(std::string_view target, std::string_view until) {
    testing::RawSocket s(server_->port());
    EXPECT_TRUE(s.Send("GET " + std::string(target) + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    return s.ReadUntil(until, 10s);
  }

  ValueWatcher values_;
  EventHub hub_;
  std::unique_ptr<testing::TestServer> server_;
};

TEST_F(WatchServerTest, AWatchedQueryStreamsItsResult) {
  std::string got = Get("/api/v1/stream?types=query&watch=up&watch_interval=1s", R"("result":1})");
  EXPECT_NE(got.find("HTTP/1.1 200"), std::string::npos) << got;
  EXPECT_NE(got.find("event: query\ndata: {\"query\":\"up\",\"result\":1}"), std::string::npos)
      << got;
}

TEST_F(WatchServerTest, BadExpressionsAndIntervalsAre400) {
  std::string got = Get("/api/v1/stream?watch=sum(up", "}");
  EXPECT_NE(got.find("HTTP/1.1 400"), std::string::npos) << got;
  EXPECT_NE(got.find(R"("errorType":"bad_data")"), std::string::npos) << got;
  EXPECT_NE(got.find(R"(invalid parameter \"watch\": 1:4: parse error: unclosed left parenthesis)"),
            std::string::npos)
      << got;
  got = Get("/api/v1/stream?watch=up&watch_interval=100ms", "}");
  EXPECT_NE(got.find("HTTP/1.1 400"), std::string::npos) << got;
  EXPECT_NE(got.find(R"(invalid parameter \"watch_interval\": must be at least 1s)"),
            std::string::npos)
      << got;
  got = Get("/api/v1/stream?watch=up&watch_interval=soon", "}");
  EXPECT_NE(got.find("HTTP/1.1 400"), std::string::npos) << got;
  got = Get("/api/v1/stream?watch=a&watch=b&watch=c&watch=d&watch=e&watch=f", "}");
  EXPECT_NE(got.find("HTTP/1.1 400"), std::string::npos) << got;
  EXPECT_NE(got.find("at most 5 watched queries"), std::string::npos) << got;
}

}  // namespace
}  // namespace perfwatch::http
