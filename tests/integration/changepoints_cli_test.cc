// `perfwatch changepoints FILE.csv`: the report, the JSON output, column choice and the
// exit codes, run on the built binary.
#include <gtest/gtest.h>

#include <string>

#include "support/run_perfwatch.h"
#include "support/temp_dir.h"

namespace perfwatch {
namespace {

using testing::RunPerfwatch;

// 60 hourly points: 100..102 for 30 hours, then 125..127.
std::string StepCsv(bool header) {
  std::string csv = header ? "time,latency_ms,other\n" : "";
  for (int i = 0; i < 60; ++i) {
    int v = (i < 30 ? 100 : 125) + i % 3;
    char line[64];
    std::snprintf(line, sizeof line, "2026-12-%02dT%02d:00:00Z,%d,7\n", 1 + i / 24, i % 24, v);
    csv += line;
  }
  return csv;
}

class ChangepointsCliTest : public ::testing::Test {
 protected:
  testing::TempDir tmp_{"perfwatch-changepoints-"};
};

TEST_F(ChangepointsCliTest, TextReport) {
  std::string file = tmp_.Write("step.csv", StepCsv(true));
  auto r = RunPerfwatch("changepoints " + file);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(file + ": 60 points of latency_ms, 1 change point (min_segment 10, window 50"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("      30  2026-12-02T06:00:00Z                101            126    +24.8%"),
            std::string::npos)
      << r.output;
}

TEST_F(ChangepointsCliTest, JsonWithoutHeaderAndOptions) {
  std::string file = tmp_.Write("step.csv", StepCsv(false));
  auto r = RunPerfwatch("changepoints --format json --column 2 --time-column none " + file);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.rfind("{\"changepoints\":[{\"index\":30,\"time\":null,\"before_mean\":101,\"after_mean\":126,", 0), 0u)
      << r.output;
  // A magnitude threshold above the 24.8 % change hides it.
  r = RunPerfwatch("changepoints --min-magnitude 0.3 " + file);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("0 change points"), std::string::npos) << r.output;
}

TEST_F(ChangepointsCliTest, BadInputExitsTwoWithTheReason) {
  std::string bad = tmp_.Write("bad.csv", "time,v\n1,2\n2,x\n");
  auto r = RunPerfwatch("changepoints " + bad);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("line 3: \"x\" is not a finite number"), std::string::npos) << r.output;
  r = RunPerfwatch("changepoints " + tmp_.path().string() + "/missing.csv");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("cannot read"), std::string::npos) << r.output;
  std::string good = tmp_.Write("good.csv", StepCsv(true));
  r = RunPerfwatch("changepoints --column nope " + good);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("value column \"nope\" is not a header name or a position from 1 to 3"), std::string::npos)
      << r.output;
  r = RunPerfwatch("changepoints --min-segment 1 " + good);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("min_segment must be at least 2"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace perfwatch
