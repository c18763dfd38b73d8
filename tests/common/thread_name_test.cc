#include "common/thread_name.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "common/periodic_thread.h"

namespace perfwatch {
namespace {

std::string NameOf(pthread_t t) {
  char buf[32] = {};
  pthread_getname_np(t, buf, sizeof buf);
  return buf;
}

TEST(ThreadNameTest, NamesTheCallingThreadAsTheKernelShowsIt) {
  std::promise<std::string> comm;
  std::thread t([&] {
    SetCurrentThreadName("pw-test-name");
    std::ifstream in("/proc/thread-self/comm");
    std::string line;
    std::getline(in, line);
    comm.set_value(line);
  });
  EXPECT_EQ(comm.get_future().get(), "pw-test-name");
  t.join();
}

TEST(ThreadNameTest, CutsLongNamesAtFifteenBytesInsteadOfFailing) {
  std::promise<std::string> name;
  std::thread t([&] {
    SetCurrentThreadName("pw-a-name-longer-than-fifteen");
    name.set_value(NameOf(pthread_self()));
  });
  EXPECT_EQ(name.get_future().get(), "pw-a-name-longe");
  t.join();
}

TEST(ThreadNameTest, NamedThreadIsNamedBeforeItsFunctionRunsAndKeepsMoveOnlyCaptures) {
  std::promise<std::string> name;
  auto owned = std::make_unique<int>(42);  // as promql_select's producer moves its set in
  int seen = 0;
  std::thread t = NamedThread("pw-named", [&, owned = std::move(owned)] {
    seen = *owned;
    name.set_value(NameOf(pthread_self()));
  });
  EXPECT_EQ(name.get_future().get(), "pw-named");
  t.join();
  EXPECT_EQ(seen, 42);
}

TEST(ThreadNameTest, PeriodicThreadsCarryTheirName) {
  std::promise<std::string> name;
  std::atomic<bool> once{false};
  PeriodicThread p;
  p.Start("pw-periodic-x", std::chrono::milliseconds(1), [&] {
    if (!once.exchange(true)) name.set_value(NameOf(pthread_self()));
  });
  EXPECT_EQ(name.get_future().get(), "pw-periodic-x");
  p.Stop();
}

}  // namespace
}  // namespace perfwatch
