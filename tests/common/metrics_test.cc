#include "common/metrics.h"

#include <gtest/gtest.h>

#include <thread>

#include "common/crc32c.h"
#include "common/json_writer.h"

namespace perfwatch {
namespace {

TEST(MetricsTest, RendersCountersGaugesAndHistograms) {
  MetricsRegistry r;
  r.GetCounter("perfwatch_x_total", "Xs.", {{"reason", "bad \"one\""}})->Inc(3);
  r.GetGauge("perfwatch_g", "A gauge.")->Set(2.5);
  auto* h = r.GetHistogram("perfwatch_h_seconds", "Latency.", {0.1, 1});
  h->Observe(0.05);
  h->Observe(0.5);
  h->Observe(5);
  std::string text = r.Render();
  EXPECT_NE(text.find("# TYPE perfwatch_x_total counter\nperfwatch_x_total{reason=\"bad \\\"one\\\"\"} 3\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("perfwatch_g 2.5\n"), std::string::npos);
  EXPECT_NE(text.find("perfwatch_h_seconds_bucket{le=\"0.1\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("perfwatch_h_seconds_bucket{le=\"1\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("perfwatch_h_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("perfwatch_h_seconds_count 3\n"), std::string::npos);
  EXPECT_NE(text.find("process_resident_memory_bytes "), std::string::npos);
  EXPECT_GT(ProcessRssBytes(), 0u);
}

TEST(MetricsTest, SameNameAndLabelsGiveTheSameCounterAcrossThreads) {
  MetricsRegistry r;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) r.GetCounter("c_total", "C.", {{"a", "b"}})->Inc();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(r.GetCounter("c_total", "C.", {{"a", "b"}})->Value(), 4000u);
}

TEST(JsonWriterTest, EscapesAndFormats) {
  std::string out;
  AppendJsonString(out, "a\"b\\c\n\x01");
  EXPECT_EQ(out, R"("a\"b\\c\n\u0001")");
  out.clear();
  AppendJsonNumber(out, 2480.5);
  out += ',';
  AppendJsonNumber(out, 0.1);
  out += ',';
  AppendJsonNumber(out, 1700000000);
  out += ',';
  AppendJsonNumber(out, std::numeric_limits<double>::infinity());
  EXPECT_EQ(out, R"(2480.5,0.1,1700000000,"+Inf")");
  // Huge whole numbers keep an exponent: a 20-digit integer beyond 2^64 is refused by
  // strict JSON readers (found by the network_summary fuzzer).
  out.clear();
  AppendJsonNumber(out, 20888888888888905728.0);
  EXPECT_EQ(out, "2.0888888888888906e+19");
}

TEST(Crc32cTest, KnownVectors) {
  EXPECT_EQ(Crc32c("123456789", 9), 0xE3069283u);
  EXPECT_EQ(Crc32c("", 0), 0u);
  // Extending in pieces equals one pass.
  EXPECT_EQ(Crc32c("56789", 5, Crc32c("1234", 4)), 0xE3069283u);
}

}  // namespace
}  // namespace perfwatch
